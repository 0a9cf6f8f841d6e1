// When a notice is stale: the moment it announces has passed, so sending it
// now would only confuse (a reminder for a shift that has begun, a handoff
// long over, a visit whose acceptance deadline is gone). The Runner stamps
// each notification with its deadline when it renders it, and checks it
// before every attempt (after quiet hours and retries too): a stale one is
// recorded as skipped with the reason, counted, and listed (`skipped list`).
#pragma once

#include <chrono>
#include <string>

#include "plugins/sdk/limits.h"
#include "zhiban/v1/events.pb.h"
#include "zhiban/v1/plugin.pb.h"

namespace zhiban::plugin {

struct StalePolicy {
  // A handoff notice may still help this long after the handoff ([stale]
  // handoff_grace_minutes).
  std::chrono::minutes handoff_grace{30};
};

// Sets n->stale_after and n->stale_what from the event it was rendered
// from; leaves them unset for topics that never go stale.
void StampStaleness(const v1::Event& e, const StalePolicy& policy, v1::Notification* n);

// Why `n` is stale at `now`; empty while it is not.
std::string StaleReason(const v1::Notification& n, SysTime now);

}  // namespace zhiban::plugin
