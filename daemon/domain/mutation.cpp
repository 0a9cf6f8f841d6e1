#include "daemon/domain/mutation.h"

#include <iterator>

#include "daemon/domain/records.h"

namespace zhiban::domain {
namespace {

template <typename T>
void MoveAll(std::vector<T>& from, std::vector<T>& to) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  from.clear();
}

}  // namespace

void Mutation::Append(Mutation&& o) {
  // Event bodies name their record by index into this mutation's puts,
  // which `o`'s records now follow.
  std::vector<uint32_t> offset;
  ForEachRecordKind(
      [&](const auto& kind) { offset.push_back(static_cast<uint32_t>((this->*kind.put).size())); });
  for (auto& b : o.body_records) {
    if (b.kind != BodyRecord::kNone) b.index += offset.at(b.kind);
  }
  ForEachRecordKind([&](const auto& kind) {
    MoveAll(o.*kind.put, this->*kind.put);
    if (kind.deleted) MoveAll(o.*kind.deleted, this->*kind.deleted);
  });
  MoveAll(o.events, events);
  MoveAll(o.body_records, body_records);
  if (summary.empty()) {
    summary = std::move(o.summary);
  } else if (!o.summary.empty()) {
    summary += "; " + o.summary;
  }
}

std::string TopicOf(const v1::Event& e) {
  if (e.has_heartbeat()) return "bus.heartbeat";
  static const auto* oneof = v1::Event::descriptor()->FindOneofByName("body");
  const auto* field = e.GetReflection()->GetOneofFieldDescriptor(e, oneof);
  if (!field) return {};
  std::string topic = field->name();
  if (auto u = topic.find('_'); u != std::string::npos) topic[u] = '.';
  return topic;
}

void Mutation::EmitRecord(v1::Event e, BodyRecord record) {
  e.set_topic(TopicOf(e));
  body_records.push_back(record);
  events.push_back(std::move(e));
}

v1::Event Mutation::FullEvent(size_t i) const {
  v1::Event e = events.at(i);
  const BodyRecord& r = body_records.at(i);
  if (r.kind == BodyRecord::kNone) return e;
  uint8_t k = 0;
  ForEachRecordKind([&](const auto& kind) {
    if (k++ != r.kind) return;
    *BodyRecordField<typename std::decay_t<decltype(kind)>::Record>(e) =
        (this->*kind.put).at(r.index);
  });
  return e;
}

}  // namespace zhiban::domain
