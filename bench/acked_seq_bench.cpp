// zhiban-bench bus, the cost of ACKED_SEQ kept twice (issue 37): what every
// group commit adds after its WAL sync.
//
//   bus/acked_seq_one_pwrite   the baseline, in the same run: one 24-byte
//                              pwrite at offset 0 (what one copy cost)
//   bus/acked_seq_record       AckedSeq::Record: the same to ACKED_SEQ and
//                              to ACKED_SEQ.2
//   bus/acked_seq_sync         AckedSeq::Sync after a Record: the two
//                              fdatasyncs the scheduler runs once a
//                              heartbeat, not per commit
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "bench/bench.h"
#include "daemon/storage/acked_seq.h"
#include "tests/support/process.h"

namespace zhiban::bench {
namespace {

void OnePwrite(benchmark::State& state) {
  test::TempDir dir;
  const int fd = ::open((dir / "one").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  std::string rec(24, ' ');
  uint64_t seq = 0;
  for (auto _ : state) {
    rec.replace(0, 20, std::to_string(++seq));
    benchmark::DoNotOptimize(::pwrite(fd, rec.data(), rec.size(), 0));
  }
  ::close(fd);
}

// Record (and, with `sync`, Sync) on a fresh pair of copies.
void Acked(benchmark::State& state, bool sync) {
  test::TempDir dir;
  auto a = storage::AckedSeq::Open(dir.path().string(), 0, true);
  if (!a.ok()) {
    state.SkipWithError(a.status().message().c_str());
    return;
  }
  uint64_t seq = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize((*a)->Record(++seq).ok());
    if (sync) benchmark::DoNotOptimize((*a)->Sync().ok());
  }
}
void Record(benchmark::State& state) { Acked(state, false); }
void RecordAndSync(benchmark::State& state) { Acked(state, true); }

BENCHMARK(OnePwrite)->Name("bus/acked_seq_one_pwrite")->Repetitions(Reps())->ReportAggregatesOnly();
BENCHMARK(Record)->Name("bus/acked_seq_record")->Repetitions(Reps())->ReportAggregatesOnly();
BENCHMARK(RecordAndSync)
    ->Name("bus/acked_seq_sync")
    ->Repetitions(Reps())
    ->ReportAggregatesOnly()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace zhiban::bench
