#include "daemon/storage/acked_seq.h"

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "daemon/base/utf8.h"

namespace zhiban::storage {
namespace {

// "<seq>\n" padded with spaces to a fixed size: every write overwrites the
// whole record, so no truncation is needed and a shorter number leaves no
// digits of a longer one behind.
constexpr size_t kRecordBytes = 24;

std::string RecordOf(uint64_t seq) {
  std::string rec = fmt::format("{}\n", seq);
  rec.resize(kRecordBytes, ' ');
  return rec;
}

// One copy as found: absent (missing or empty) or its seq.
struct Found {
  int fd = -1;
  std::optional<uint64_t> seq;
};

Result<Found> ReadCopy(const std::string& path) {
  Found f;
  f.fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (f.fd < 0) {
    if (errno == ENOENT) return f;
    return Status::Unavailable(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  char buf[kRecordBytes + 1] = {};
  const ssize_t n = ::pread(f.fd, buf, kRecordBytes, 0);
  if (n < 0) {
    ::close(f.fd);
    return Status::Unavailable(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  if (n == 0) return f;
  char* end = nullptr;
  errno = 0;
  const uint64_t value = std::strtoull(buf, &end, 10);
  if (errno != 0 || buf[0] < '0' || buf[0] > '9' || value == UINT64_MAX ||
      (*end != '\n' && *end != ' ' && *end != '\0')) {
    ::close(f.fd);
    return Status::FailedPrecondition(fmt::format(
        "{} is not a seq (\"{}\"): it records the newest acknowledged event; if the store is "
        "known to be whole, delete the file (zhiband rewrites it from its copy)",
        path, EscapeForLine(std::string_view(buf, static_cast<size_t>(n)), 80)));
  }
  f.seq = value;
  return f;
}

Status WriteFd(int fd, const std::string& path, uint64_t seq) {
  const std::string rec = RecordOf(seq);
  if (::pwrite(fd, rec.data(), rec.size(), 0) != static_cast<ssize_t>(rec.size())) {
    return Status::Unavailable(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  return {};
}

// Creates (or opens) `path` owner-only, writes `seq` and syncs it.
Result<int> CreateCopy(const std::string& path, uint64_t seq) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Unavailable(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  }
  Status s = WriteFd(fd, path, seq);
  if (s.ok() && ::fdatasync(fd) != 0) {
    s = Status::Unavailable(fmt::format("cannot sync {}: {}", path, std::strerror(errno)));
  }
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  return fd;
}

Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return Status::Unavailable(fmt::format("cannot open {}: {}", dir, std::strerror(errno)));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0)
    return Status::Unavailable(fmt::format("cannot sync {}: {}", dir, std::strerror(err)));
  return {};
}

}  // namespace

Result<std::unique_ptr<AckedSeq>> AckedSeq::Open(const std::string& dir, uint64_t stored, bool kept,
                                                 std::string* repaired) {
  const std::string paths[2] = {dir + "/" + kFile, dir + "/" + kCopy};
  Found found[2];
  for (int i = 0; i < 2; ++i) {
    auto f = ReadCopy(paths[i]);
    if (!f.ok()) {
      if (i == 1 && found[0].fd >= 0) ::close(found[0].fd);
      return f.status();
    }
    found[i] = *f;
  }
  auto close_all = [&] {
    for (Found& f : found)
      if (f.fd >= 0) ::close(f.fd);
  };
  const bool adopt = !found[0].seq && !found[1].seq && stored > 0 && !kept;
  if (!found[0].seq && !found[1].seq && stored > 0 && kept) {
    close_all();
    return Status::FailedPrecondition(fmt::format(
        "{} and {} are both missing or empty, but the store holds events up to seq {}: the newest "
        "acknowledged seq is unknown, so zhiband cannot tell whether acknowledged events were lost "
        "after it. Restore the newest backup, or, if this store is known to be whole, write its "
        "newest seq into the file (echo {} > {}) and start again (OPERATIONS.md, \"Lost events\")",
        paths[0], paths[1], stored, stored, paths[0]));
  }
  const uint64_t value =
      adopt ? stored : std::max(found[0].seq.value_or(0), found[1].seq.value_or(0));
  bool created = false;
  std::string said;
  for (int i = 0; i < 2; ++i) {
    if (found[i].seq == value) continue;
    // Missing, empty or behind: written from the other copy (a crash between
    // the two writes leaves the second behind).
    if (found[i].fd >= 0) ::close(found[i].fd);
    auto fd = CreateCopy(paths[i], value);
    if (!fd.ok()) {
      found[i].fd = -1;
      close_all();
      return fd.status();
    }
    found[i].fd = *fd;
    created = true;
    if (adopt) {
      if (i == 0)
        said = fmt::format(
            "{} and {} made holding seq {}, the newest stored: this data dir was written by an "
            "older zhiband (or is a backup of one), which kept no copies to check against",
            paths[0], paths[1], stored);
    } else if (stored > 0 || found[1 - i].seq) {
      said += fmt::format("{}{} was {}; rewritten with seq {} from {}", said.empty() ? "" : "; ",
                          paths[i],
                          found[i].seq ? fmt::format("behind (seq {})", *found[i].seq)
                                       : std::string("missing or empty"),
                          value, paths[1 - i]);
    }
  }
  if (created) {
    if (Status s = SyncDir(dir); !s.ok()) {
      close_all();
      return s;
    }
  }
  if (repaired) *repaired = said;
  return std::unique_ptr<AckedSeq>(new AckedSeq(found[0].fd, found[1].fd, dir, value));
}

Status AckedSeq::WriteCopies(const std::string& dir, uint64_t seq) {
  for (const char* name : {kFile, kCopy}) {
    ZB_ASSIGN_OR_RETURN(const int fd, CreateCopy(dir + "/" + name, seq));
    ::close(fd);
  }
  return SyncDir(dir);
}

AckedSeq::~AckedSeq() {
  (void)Sync();
  for (int fd : fds_) ::close(fd);
}

Status AckedSeq::Record(uint64_t seq) {
  if (seq <= value_) return {};
  for (int i = 0; i < 2; ++i)
    ZB_RETURN_IF_ERROR(WriteFd(fds_[i], dir_ + "/" + (i == 0 ? kFile : kCopy), seq));
  value_ = seq;
  dirty_ = true;
  return {};
}

Status AckedSeq::Sync() {
  if (!dirty_) return {};
  for (int i = 0; i < 2; ++i) {
    if (::fdatasync(fds_[i]) != 0) {
      return Status::Unavailable(
          fmt::format("cannot sync {}/{}: {}", dir_, i == 0 ? kFile : kCopy, std::strerror(errno)));
    }
  }
  dirty_ = false;
  return {};
}

}  // namespace zhiban::storage
