// Daemon: wires the core to the world — RocksDB store, ctl server, PUB
// publisher, replay server, HTTP, the scheduler and signals — and runs the
// core thread's io_context until SIGTERM/SIGINT.
//
// Threads: the core thread (this io_context: ctl, PUB, HTTP, timers, every
// state change), the replay thread (ReplayServer), RocksDB's background
// threads and ZeroMQ's I/O thread. See docs/ARCHITECTURE.md.
#pragma once

#include <memory>

#include "daemon/app/config.h"
#include "daemon/base/status.h"

namespace zhiban::app {

class Daemon {
 public:
  // Opens storage, loads state and binds every endpoint; nothing runs yet.
  static Result<std::unique_ptr<Daemon>> Create(const Config& config);
  ~Daemon();

  // Serves until a signal; returns the process exit code (0 on clean shutdown).
  int Run();

 private:
  struct Impl;
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhiban::app
