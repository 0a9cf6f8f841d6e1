// The one way the books (rota, visits, appointments) store a record they
// index: the old version leaves the indexes, the new one enters them.
#pragma once

#include <utility>

namespace zhiban::domain {

// `index(record, +1 | -1)` adds or removes a record's index entries.
template <typename Map, typename Record, typename IndexFn>
void PutIndexed(Map& map, Record record, IndexFn&& index) {
  auto it = map.find(record.id());
  if (it != map.end()) {
    index(it->second, -1);
    it->second = std::move(record);
  } else {
    it = map.emplace(record.id(), std::move(record)).first;
  }
  index(it->second, +1);
}

}  // namespace zhiban::domain
