// Import sessions: a bulk CSV import arrives as begin, row chunks, then one
// commit (an all-or-nothing mutation) or an abort. Sessions live in memory
// only: a restart or an idle timeout drops them, and the client starts again.
//
// Thread-safety: none; the core thread owns them.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/base/status.h"
#include "daemon/domain/network.h"
#include "zhiban/v1/ctl.pb.h"

namespace zhiban::core {

struct ImportLimits {
  size_t max_rows = 1'000'000;  // rows in one session
  size_t max_open = 4;          // sessions open at once
  std::chrono::seconds idle_timeout{600};
  // Memory the rows of one session, and of every open one together, may
  // hold (their in-memory size, SpaceUsedLong): counted as rows arrive, so a
  // client cannot grow zhiband by sending rows it never commits.
  size_t max_session_bytes = size_t{128} << 20;
  size_t max_total_bytes = size_t{256} << 20;
};

struct ImportSession {
  std::string id;
  v1::ImportKind kind = v1::IMPORT_KIND_UNSPECIFIED;
  std::string source;
  std::vector<domain::ImportRow<v1::Center>> centers;
  std::vector<domain::ImportRow<v1::Staff>> staff;
  std::chrono::steady_clock::time_point last_used;
  size_t bytes = 0;  // the rows' memory, as ImportLimits counts it
  size_t rows() const { return centers.size() + staff.size(); }
};

class ImportSessions {
 public:
  ImportSessions(ImportLimits limits, std::string instance_id)
      : limits_(limits), instance_id_(std::move(instance_id)) {}

  void set_instance_id(std::string id) { instance_id_ = std::move(id); }
  const ImportLimits& limits() const { return limits_; }

  // import_begin, import_rows, import_abort: fill `reply->import`.
  Status Begin(const v1::ImportBeginRequest& req, std::chrono::steady_clock::time_point now,
               v1::CtlReply* reply);
  Status Rows(const v1::ImportRowsRequest& req, std::chrono::steady_clock::time_point now,
              v1::CtlReply* reply);
  Status Abort(const v1::ImportAbortRequest& req, v1::CtlReply* reply);
  // Closes the session for its commit, whatever the commit's outcome.
  Result<std::unique_ptr<ImportSession>> Take(const std::string& id);
  // Drops sessions idle longer than the timeout; returns how many.
  size_t Expire(std::chrono::steady_clock::time_point now);
  size_t size() const { return open_.size(); }
  size_t held_bytes() const { return held_bytes_; }  // every open session's rows
  // Requests refused by a limit, by its config key ("import.max_session_mib").
  const std::map<std::string, uint64_t>& refusals() const { return refusals_; }

 private:
  Result<ImportSession*> Open(const std::string& id);

  ImportLimits limits_;
  std::string instance_id_;
  std::map<std::string, std::unique_ptr<ImportSession>> open_;
  uint64_t counter_ = 0;
  size_t held_bytes_ = 0;
  std::map<std::string, uint64_t> refusals_;
};

}  // namespace zhiban::core
