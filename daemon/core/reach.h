// What a request reaches, found from its target in the state: the helpers
// each module's ReachFn is written with (command.h, "Reach"). A target that
// does not exist reaches the whole network, so a scoped principal hears
// PERMISSION_DENIED whether an id is unknown or outside its scope, and learns
// nothing about ids beyond it; an unscoped one hears NOT_FOUND from the handler.
//
// Thread-safety: none; called on the core thread with the core's state.
#pragma once

#include <string_view>

#include "daemon/core/command.h"
#include "daemon/domain/state.h"

namespace zhiban::core::reach {

// An existing center (unknown: the whole network).
Reach Center(const domain::State& s, std::string_view id);
// A list's center filter: that center, or with none the whole network (a
// scoped principal names a center in its scope).
Reach Filter(const domain::State& s, std::string_view center_id);
// A list that narrows to what the principal's grants hold (ReadScope): the
// center named, or with none anywhere.
Reach Narrowed(const domain::State& s, std::string_view center_id);
// A new record's center: `id` when it exists, the whole network when empty
// or unknown (a new root center is the network's).
Reach Under(const domain::State& s, std::string_view id);
// A staff member: their home and cover centers; `person` is them.
Reach StaffMember(const domain::State& s, std::string_view id);
// A shift: its center; `person` is the staff member holding it.
Reach Shift(const domain::State& s, std::string_view id);
// A resident: their home center.
Reach Resident(const domain::State& s, std::string_view id);
// A visit: its center (its resident's home center).
Reach Visit(const domain::State& s, std::string_view id);

// `into` widened by `more`'s centers (the whole network if either is).
void Join(Reach& into, const Reach& more);

}  // namespace zhiban::core::reach
