// Clock: the only source of "now" for domain logic and timers.
//
// RealClock reads the system clock. SimulatedClock holds a time that moves
// only when told (`zhibanctl clock advance|set`), so tests and demos can run a
// year in seconds. Thread-safety: Now() may be called from any thread;
// Set/Advance only from the core thread.
#pragma once

#include <atomic>
#include <chrono>

namespace zhiban {

using TimePoint = std::chrono::sys_time<std::chrono::microseconds>;
using Micros = std::chrono::microseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  virtual bool simulated() const = 0;
};

class RealClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Micros>(std::chrono::system_clock::now());
  }
  bool simulated() const override { return false; }
};

class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(TimePoint start) : now_us_(start.time_since_epoch().count()) {}
  TimePoint Now() const override { return TimePoint(Micros(now_us_.load())); }
  bool simulated() const override { return true; }
  void Set(TimePoint t) { now_us_.store(t.time_since_epoch().count()); }

 private:
  std::atomic<int64_t> now_us_;
};

}  // namespace zhiban
