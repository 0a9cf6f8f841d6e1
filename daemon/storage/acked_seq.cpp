#include "daemon/storage/acked_seq.h"

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace zhiban::storage {
namespace {

// "<seq>\n" padded with spaces to a fixed size: every write overwrites the
// whole record, so no truncation is needed and a shorter number leaves no
// digits of a longer one behind.
constexpr size_t kRecordBytes = 24;

}  // namespace

Result<std::unique_ptr<AckedSeq>> AckedSeq::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Unavailable(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  char buf[kRecordBytes + 1] = {};
  const ssize_t n = ::pread(fd, buf, kRecordBytes, 0);
  uint64_t value = 0;
  if (n > 0) {
    char* end = nullptr;
    errno = 0;
    value = std::strtoull(buf, &end, 10);
    if (errno != 0 || end == buf || (*end != '\n' && *end != ' ' && *end != '\0')) {
      ::close(fd);
      return Status::FailedPrecondition(
          fmt::format("{} is not a seq (\"{}\"): it records the newest acknowledged event; "
                      "if the store is known to be whole, delete the file",
                      path, std::string(buf, static_cast<size_t>(n))));
    }
  }
  return std::unique_ptr<AckedSeq>(new AckedSeq(fd, path, value));
}

AckedSeq::~AckedSeq() {
  (void)Sync();
  ::close(fd_);
}

Status AckedSeq::Record(uint64_t seq) {
  if (seq <= value_) return {};
  std::string rec = fmt::format("{}\n", seq);
  rec.resize(kRecordBytes, ' ');
  if (::pwrite(fd_, rec.data(), rec.size(), 0) != static_cast<ssize_t>(rec.size())) {
    return Status::Unavailable(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
  }
  value_ = seq;
  dirty_ = true;
  return {};
}

Status AckedSeq::Sync() {
  if (!dirty_) return {};
  if (::fdatasync(fd_) != 0) {
    return Status::Unavailable(fmt::format("cannot sync {}: {}", path_, std::strerror(errno)));
  }
  dirty_ = false;
  return {};
}

}  // namespace zhiban::storage
