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
  // Event bodies name their record by index into this mutation's puts.
  for (auto& b : o.body_records) {
    if (b.kind == BodyRecord::Kind::kCenter) b.index += static_cast<uint32_t>(centers_put.size());
    if (b.kind == BodyRecord::Kind::kStaff) b.index += static_cast<uint32_t>(staff_put.size());
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
  if (r.kind == BodyRecord::Kind::kCenter) {
    const auto& c = centers_put.at(r.index);
    if (e.has_center_added()) *e.mutable_center_added()->mutable_center() = c;
    if (e.has_center_updated()) *e.mutable_center_updated()->mutable_center() = c;
  } else if (r.kind == BodyRecord::Kind::kStaff) {
    const auto& s = staff_put.at(r.index);
    if (e.has_staff_added()) *e.mutable_staff_added()->mutable_staff() = s;
    if (e.has_staff_updated()) *e.mutable_staff_updated()->mutable_staff() = s;
  }
  return e;
}

}  // namespace zhiban::domain
