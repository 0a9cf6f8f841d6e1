// StaffChannel: the slot through which a staff member acting from their phone
// becomes a principal (docs/ARCHITECTURE.md, "Who is asking"). A channel
// verifies what the request carries — a WeCom callback's signature, a web
// login session, a signed SMS-reply pull — and names the staff member it
// proves; zhiband then checks that person exists and makes the principal.
// The channel never decides what the person may do: Permit() does, from the
// staff role, as for a key.
//
// No channel ships yet: the staff-channel issues (pages, WeCom cards, SMS
// replies) each implement one. Unit tests use a test double.
//
// Thread-safety: Attest is called on the core thread.
#pragma once

#include <string>
#include <string_view>

#include "daemon/base/clock.h"
#include "daemon/base/status.h"
#include "daemon/core/command.h"

namespace zhiban::domain {
struct State;
}

namespace zhiban::core {

class StaffChannel {
 public:
  virtual ~StaffChannel() = default;
  // "wecom", "web", "sms": named in the principal and every audit record.
  virtual std::string_view name() const = 0;
  // The staff id that `proof` attests at `now`, or PERMISSION_DENIED saying
  // why not (a bad signature, an expired session, a replayed callback).
  virtual Result<std::string> Attest(std::string_view proof, TimePoint now) = 0;
};

// The principal of `proof` on `channel`: a staff member zhiband knows,
// holding the grants their record gives (domain::StaffGrants: their own
// acts, and a leader's decisions in their centers). PERMISSION_DENIED, naming the
// channel, when it refuses the proof or names nobody zhiband knows.
Result<Principal> StaffPrincipal(StaffChannel& channel, std::string_view proof,
                                 const domain::State& state, TimePoint now);

}  // namespace zhiban::core
