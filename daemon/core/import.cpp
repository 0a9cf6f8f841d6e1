#include "daemon/core/import.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace zhiban::core {

Status ImportSessions::Begin(const v1::ImportBeginRequest& b,
                             std::chrono::steady_clock::time_point now, v1::CtlReply* reply) {
  if (b.kind() != v1::CENTERS && b.kind() != v1::STAFF) {
    return Status::InvalidArgument("kind", "must be CENTERS or STAFF");
  }
  if (open_.size() >= limits_.max_open) {
    ++refusals_["import.max_open"];
    return Status::ResourceExhausted(fmt::format(
        "{} imports are already open (the limit); commit or abort one, or wait for it to expire",
        open_.size()));
  }
  auto s = std::make_unique<ImportSession>();
  s->id = fmt::format("import-{}-{}", instance_id_, ++counter_);
  s->kind = b.kind();
  s->source = b.source();
  s->last_used = now;
  reply->mutable_import()->set_import_id(s->id);
  open_.emplace(s->id, std::move(s));
  return {};
}

Result<ImportSession*> ImportSessions::Open(const std::string& id) {
  auto it = open_.find(id);
  if (it == open_.end()) {
    return Status::NotFound(
        "import_id",
        fmt::format("import \"{}\" is not open (committed, aborted, or idle for more than {}s)", id,
                    limits_.idle_timeout.count()));
  }
  return it->second.get();
}

Status ImportSessions::Abort(const v1::ImportAbortRequest& req, v1::CtlReply* reply) {
  ZB_ASSIGN_OR_RETURN(auto s, Open(req.import_id()));
  reply->mutable_import()->set_import_id(req.import_id());
  reply->mutable_import()->set_rows(static_cast<uint32_t>(s->rows()));
  held_bytes_ -= s->bytes;
  open_.erase(req.import_id());
  return {};
}

Status ImportSessions::Rows(const v1::ImportRowsRequest& r,
                            std::chrono::steady_clock::time_point now, v1::CtlReply* reply) {
  ZB_ASSIGN_OR_RETURN(auto open, Open(r.import_id()));
  ImportSession& s = *open;
  const std::string& id = r.import_id();
  if ((s.kind == v1::CENTERS && r.staff_size() > 0) ||
      (s.kind == v1::STAFF && r.centers_size() > 0)) {
    return Status::InvalidArgument(
        "", fmt::format("import \"{}\" is a {} import; the chunk carries other records", id,
                        v1::ImportKind_Name(s.kind)));
  }
  const size_t incoming = static_cast<size_t>(r.centers_size() + r.staff_size());
  if (s.rows() + incoming > limits_.max_rows) {
    ++refusals_["import.max_rows"];
    return Status::ResourceExhausted(
        fmt::format("an import holds at most {} rows", limits_.max_rows));
  }
  size_t bytes = 0;
  for (const auto& c : r.centers())
    bytes += c.SpaceUsedLong() + sizeof(domain::ImportRow<v1::Center>);
  for (const auto& st : r.staff())
    bytes += st.SpaceUsedLong() + sizeof(domain::ImportRow<v1::Staff>);
  constexpr size_t kMiB = size_t{1} << 20;
  if (s.bytes + bytes > limits_.max_session_bytes) {
    ++refusals_["import.max_session_mib"];
    return Status::ResourceExhausted(fmt::format(
        "import \"{}\" would hold {:.1f} MiB of rows; one import holds at most {} MiB "
        "(import.max_session_mib): split the file, or send fewer long fields; the chunk was not "
        "taken",
        id, static_cast<double>(s.bytes + bytes) / kMiB, limits_.max_session_bytes / kMiB));
  }
  if (held_bytes_ + bytes > limits_.max_total_bytes) {
    ++refusals_["import.max_total_mib"];
    return Status::ResourceExhausted(fmt::format(
        "the open imports would hold {:.1f} MiB of rows; all of them together hold at most {} MiB "
        "(import.max_total_mib): commit or abort another import first; the chunk was not taken",
        static_cast<double>(held_bytes_ + bytes) / kMiB, limits_.max_total_bytes / kMiB));
  }
  if (r.row_numbers_size() != 0 && static_cast<size_t>(r.row_numbers_size()) != incoming) {
    return Status::InvalidArgument("row_numbers", fmt::format("has {} entries for {} records",
                                                              r.row_numbers_size(), incoming));
  }
  size_t k = 0;
  auto row_of = [&] {
    const size_t i = k++;
    return r.row_numbers_size() ? r.row_numbers(static_cast<int>(i))
                                : static_cast<uint32_t>(s.rows() + 2);
  };
  for (const auto& c : r.centers()) s.centers.push_back({row_of(), c});
  for (const auto& st : r.staff()) s.staff.push_back({row_of(), st});
  s.bytes += bytes;
  held_bytes_ += bytes;
  s.last_used = now;
  reply->mutable_import()->set_import_id(id);
  reply->mutable_import()->set_rows(static_cast<uint32_t>(s.rows()));
  return {};
}

Result<std::unique_ptr<ImportSession>> ImportSessions::Take(const std::string& id) {
  auto open = Open(id);  // the one message for a session that is gone
  if (!open.ok()) return open.status();
  auto it = open_.find(id);
  std::unique_ptr<ImportSession> s = std::move(it->second);
  open_.erase(it);
  held_bytes_ -= s->bytes;
  return s;
}

size_t ImportSessions::Expire(std::chrono::steady_clock::time_point now) {
  size_t n = 0;
  for (auto it = open_.begin(); it != open_.end();) {
    if (now - it->second->last_used > limits_.idle_timeout) {
      spdlog::info("import {} expired after {}s idle ({} rows dropped)", it->first,
                   limits_.idle_timeout.count(), it->second->rows());
      ++n;
      held_bytes_ -= it->second->bytes;
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  return n;
}

}  // namespace zhiban::core
