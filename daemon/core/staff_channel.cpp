#include "daemon/core/staff_channel.h"

#include <fmt/format.h>

#include "daemon/domain/state.h"

namespace zhiban::core {

Result<Principal> StaffPrincipal(StaffChannel& channel, std::string_view proof,
                                 const domain::State& state, TimePoint now) {
  auto staff_id = channel.Attest(proof, now);
  if (!staff_id.ok()) {
    return Status::PermissionDenied(
        fmt::format("{}: {}; nothing was done", channel.name(), staff_id.status().message()));
  }
  const v1::Staff* s = state.network.FindStaff(*staff_id);
  if (!s) {
    return Status::PermissionDenied(
        fmt::format("{} vouches for staff \"{}\", whom zhiband does not know; nothing was done",
                    channel.name(), *staff_id));
  }
  return Principal::Staff(*s, channel.name());
}

}  // namespace zhiban::core
