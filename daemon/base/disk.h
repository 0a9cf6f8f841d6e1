// The free-space guard that zhiband's store and every notifier's state share.
//
// Debian's RocksDB 7.8 (built with assertions on) aborts the process when a
// WAL write that failed for lack of space is followed by its sync
// (writable_file_writer.h, `sync_without_flush_called_`), and opening a
// database on a full disk can abort inside it too (writing its manifest). So
// no zhiban process lets a RocksDB write reach a full disk: below a reserve it
// refuses the write before RocksDB sees it, says why, and writes again once
// there is room; below it at start, it does not open the database at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/base/status.h"

namespace zhiban {

// The reserve kept free on the disk of a RocksDB directory (zhiband's data dir,
// a notifier's state dir). Default of Store::Options and PluginState::Options.
inline constexpr uint64_t kMinFreeBytes = 64ull << 20;

// Bytes free to an unprivileged writer on the file system of `dir` (statvfs
// f_bavail; one system call, about a microsecond).
Result<uint64_t> FreeBytes(const std::string& dir);

// OK when writing `write_bytes` leaves at least `min_free_bytes` free on the
// disk holding `dir` (and when `min_free_bytes` is 0, or the disk cannot be
// asked: the write then meets RocksDB's own error). Otherwise UNAVAILABLE
// "No space left on device: the disk holding <dir> has N KiB free, under the
// M MiB <keeper> keeps in reserve; writes resume by themselves once there is
// room". `keeper` names the process ("zhiband", "the notifier").
Status CheckRoomToWrite(const std::string& dir, uint64_t min_free_bytes, uint64_t write_bytes,
                        std::string_view keeper);
// Whether `a` and `b` (existing paths) are on one file system, where a
// RocksDB checkpoint hard-links its files instead of copying them. False
// when either cannot be asked.
bool SameDisk(const std::string& a, const std::string& b);

// True for a refusal of CheckRoomToWrite: the write may be tried again once
// there is room (other UNAVAILABLE errors are not this).
bool IsNoRoomToWrite(const Status& s);

}  // namespace zhiban
