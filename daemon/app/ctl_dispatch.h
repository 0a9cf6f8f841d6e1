// CtlDispatch: what zhiband does with the calls a ctl socket read, apart
// from the wiring (daemon.cpp). Each batch of calls:
//
//   1. parsed (core::ParseCtlRequest) and given its principal (from the
//      transport, by the daemon's hook); a bad frame, a bad request or a
//      refused principal is answered at once and counted;
//   2. the rest run as one group commit (Core::ExecuteGroup), events
//      published as soon as they are durable, before the replies;
//   3. long work (Core::BeginLong) then copies what it reads — the state
//      after the group, the order the requests came in — and is computed on
//      the worker thread; the core commits it if what it read is unchanged,
//      else computes again (docs/ARCHITECTURE.md, "Long work"); its reply is
//      sent by the server the call came in on, when it is done;
//   4. a command whose entry moves the clock (Command::moves_clock) has the
//      timers it passed fired before anyone hears back.
//
// Thread-safety: Handle, Stop and the completions of long work run on the
// io_context's thread (the core thread); only the computation of long work
// runs on the worker, on the job's own copy.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "daemon/base/status.h"
#include "daemon/core/core.h"
#include "daemon/net/ctl_server.h"
#include "zhiban/v1/ctl.pb.h"

namespace zhiban::app {

class CtlDispatch {
 public:
  struct Hooks {
    // The principal of a call, from its transport, or why it is refused.
    std::function<Result<core::Principal>(const net::CtlCall&, const v1::CtlRequest&)> principal_of;
    // Events that became durable: published before any reply.
    core::Core::DurableFn publish;
    // After each commit (the ZAP handler's keys follow the core's).
    std::function<void()> after_commit;
    // Fires the timers due now; how many records it settled (0: none due).
    std::function<size_t()> fire_timers;
  };

  CtlDispatch(core::Core& core, boost::asio::io_context& io, size_t max_request_bytes, Hooks hooks);
  ~CtlDispatch();  // joins the worker; long work in flight is dropped

  // Answers `calls` (a batch from `from`): fills each reply, or marks it
  // deferred and answers it through `from` later (long work).
  void Handle(std::vector<net::CtlCall>& calls, net::CtlServer* from);
  // From now on every call is refused UNAVAILABLE ("shutting down"), and
  // long work in flight is neither committed nor answered: the caller sends
  // it again.
  void Stop();

 private:
  struct LongCall;
  // Requests of one batch taken together, with who asked each and where
  // each came in (an index into the calls).
  struct Batch {
    std::vector<v1::CtlRequest> requests;
    std::vector<core::Principal> who;
    std::vector<size_t> index;
    void Add(v1::CtlRequest r, core::Principal p, size_t i) {
      requests.push_back(std::move(r));
      who.push_back(std::move(p));
      index.push_back(i);
    }
  };
  void Compute(std::shared_ptr<LongCall> c);
  void Finish(std::shared_ptr<LongCall> c, core::LongOutcome out);
  // Runs `batch` as one group and writes each reply to its call.
  void RunGroup(std::vector<net::CtlCall>& calls, const Batch& batch);

  core::Core& core_;
  boost::asio::io_context& io_;
  size_t max_request_bytes_;
  Hooks hooks_;
  // One thread: the other core answers the ctl socket meanwhile.
  boost::asio::thread_pool worker_{1};
  std::vector<core::CommittedEvent> events_;  // reused per group
  bool stopping_ = false;
};

}  // namespace zhiban::app
