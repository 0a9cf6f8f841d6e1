#include "daemon/domain/state.h"

#include "daemon/domain/records.h"

namespace zhiban::domain {

void Apply(State& state, Mutation&& m) {
  ForEachRecordKind([&](const auto& kind) {
    if (kind.deleted) {
      for (const auto& id : m.*kind.deleted) kind.erase(state, id);
    }
    for (auto& x : m.*kind.put) kind.take(state, std::move(x));
    (m.*kind.put).clear();
  });
}

void Apply(State& state, const Mutation& m) {
  Mutation copy = m;
  Apply(state, std::move(copy));
}

}  // namespace zhiban::domain
