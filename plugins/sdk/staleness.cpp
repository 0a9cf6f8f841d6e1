#include "plugins/sdk/staleness.h"

#include <cctz/time_zone.h>
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>

namespace zhiban::plugin {
namespace {

using google::protobuf::util::TimeUtil;

bool IsSet(const google::protobuf::Timestamp& t) { return t.seconds() != 0 || t.nanos() != 0; }

std::string Local(const google::protobuf::Timestamp& ts) {
  static const cctz::time_zone tz = [] {
    cctz::time_zone z;
    cctz::load_time_zone("Asia/Shanghai", &z);
    return z;
  }();
  return cctz::format("%Y-%m-%d %H:%M", std::chrono::system_clock::from_time_t(ts.seconds()), tz);
}

void Stamp(v1::Notification* n, const google::protobuf::Timestamp& at, std::string what) {
  if (!IsSet(at)) return;
  *n->mutable_stale_after() = at;
  n->set_stale_what(std::move(what));
}

}  // namespace

void StampStaleness(const v1::Event& e, const StalePolicy& policy, v1::Notification* n) {
  switch (e.body_case()) {
    case v1::Event::kShiftReminder: {
      const auto& start = e.shift_reminder().shift().start();
      Stamp(n, start, fmt::format("the shift started at {}", Local(start)));
      break;
    }
    case v1::Event::kShiftHandoff: {
      const auto& at = e.shift_handoff().at();
      if (!IsSet(at)) break;
      auto until = at;
      until.set_seconds(at.seconds() + policy.handoff_grace.count() * 60);
      Stamp(n, until,
            fmt::format("the handoff was at {} (grace {} min)", Local(at),
                        policy.handoff_grace.count()));
      break;
    }
    case v1::Event::kVisitAssigned: {
      const auto& by = e.visit_assigned().visit().accept_by();
      Stamp(n, by, fmt::format("the acceptance deadline was {}", Local(by)));
      break;
    }
    default:
      break;
  }
}

std::string StaleReason(const v1::Notification& n, SysTime now) {
  if (!n.has_stale_after() || !IsSet(n.stale_after())) return {};
  const auto deadline = std::chrono::system_clock::time_point(
      std::chrono::milliseconds(TimeUtil::TimestampToMilliseconds(n.stale_after())));
  if (now < deadline) return {};
  return fmt::format("stale: {}", n.stale_what());
}

}  // namespace zhiban::plugin
