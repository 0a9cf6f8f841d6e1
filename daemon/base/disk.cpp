#include "daemon/base/disk.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace zhiban {
namespace {

// Every refusal begins so; IsNoRoomToWrite recognises it by this.
constexpr std::string_view kNoRoom = "No space left on device: the disk holding ";

}  // namespace

Result<uint64_t> FreeBytes(const std::string& dir) {
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) {
    return Status::Unavailable(
        fmt::format("cannot stat the file system of {}: {}", dir, std::strerror(errno)));
  }
  return uint64_t(fs.f_bavail) * uint64_t(fs.f_frsize);
}

Status CheckRoomToWrite(const std::string& dir, uint64_t min_free_bytes, uint64_t write_bytes,
                        std::string_view keeper) {
  if (min_free_bytes == 0) return {};
  auto free = FreeBytes(dir);
  // (Subtracted, not added: a test's reserve may be near UINT64_MAX.)
  if (!free.ok() || (*free >= min_free_bytes && *free - min_free_bytes >= write_bytes)) return {};
  return Status::Unavailable(fmt::format(
      "{}{} has {} KiB free, under the {} MiB {} keeps in reserve; writes resume by themselves "
      "once there is room",
      kNoRoom, dir, *free / 1024, min_free_bytes >> 20, keeper));
}

bool SameDisk(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev;
}

bool IsNoRoomToWrite(const Status& s) {
  return s.code() == Code::kUnavailable && s.message().starts_with(kNoRoom);
}

}  // namespace zhiban
