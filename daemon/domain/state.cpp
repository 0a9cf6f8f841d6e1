#include "daemon/domain/state.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

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

std::string TimerName(const Timer& t) {
  switch (t.kind) {
    case TimerKind::kShift:
      return "SHIFT_" + v1::ShiftTimer_Name(static_cast<v1::ShiftTimer>(t.bit));
    case TimerKind::kVisitAcceptance:
      return "VISIT_ACCEPTANCE";
    case TimerKind::kVisitWindowEnd:
      return "VISIT_WINDOW_END";
    case TimerKind::kCareOrder:
      return "CARE_ORDER";
  }
  return "UNKNOWN";
}

State StateOf(Mutation reads, const RotaOptions& rota, const VisitOptions& visits) {
  State s;
  s.rota.SetOptions(rota);
  s.visits.SetOptions(visits);
  Apply(s, std::move(reads));
  return s;
}

std::string Digest(const Mutation& reads) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    ForEachRecordKind([&](const auto& kind) {
      const auto& puts = reads.*kind.put;
      coded.WriteVarint64(puts.size());  // a record moving between kinds changes the digest
      for (const auto& r : puts) {
        coded.WriteVarint64(r.ByteSizeLong());
        r.SerializeWithCachedSizes(&coded);
      }
    });
  }
  return out;
}

}  // namespace zhiban::domain
