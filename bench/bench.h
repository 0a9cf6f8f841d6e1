// zhiban-bench: shared pieces. Each case records one figure per repetition;
// main prints medians and ratios to the baseline measured in the same run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace zhiban::bench {

// figure name -> one value per repetition (events/s, or microseconds).
std::map<std::string, std::vector<double>>& Figures();
void Record(const std::string& figure, double value);
double Median(std::vector<double> v);
int Reps();  // ZHIBAN_BENCH_REPS, default 5

}  // namespace zhiban::bench

namespace benchmark {
class State;
}

namespace zhiban::bench {

// Times `run` once per iteration as the manual time, recording `figure` (ms)
// and `<figure>_items` (what run returned).
void TimeMs(benchmark::State& state, const std::string& figure,
            const std::function<uint64_t()>& run);

// Each <name>_bench.cpp keeps its cases and helpers in namespace <name>
// (sanitizer builds compile several files as one); what main and other
// files call of them:
namespace bus {
void StopBenchDaemon();
void PrintBusSummary();
std::string SampleEventBytes();  // one staff.added event, serialized
}  // namespace bus
namespace calendar {
void PrintCalendarSummary();
}
namespace notify {
void StopNotifyWorld();
void PrintNotifySummary();
}  // namespace notify
namespace rota {
void PrintRotaSummary();
}
namespace dispatch {
void PrintDispatchSummary();
}
namespace authz {
void PrintAuthzSummary();
}
namespace personal_data {
void PrintPersonalDataSummary();  // zhiban-bench residents
}
namespace routes {
void PrintRoutesSummary();
void PrintRoutesBeyondSolomon();  // routes/home_visits and routes/growth
}  // namespace routes
namespace optimum {
void PrintOptimumSummary();  // built with CBC only (optimum_bench.cpp)
}

}  // namespace zhiban::bench
