#include "daemon/app/ctl_dispatch.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "daemon/core/ctl_codec.h"

namespace zhiban::app {

namespace asio = boost::asio;

// A ctl call held while its long work is computed on the worker.
struct CtlDispatch::LongCall {
  net::CtlCall call;
  core::LongJob job;
  net::CtlServer* from;  // answers it
};

CtlDispatch::CtlDispatch(core::Core& core, asio::io_context& io, size_t max_request_bytes,
                         Hooks hooks)
    : core_(core), io_(io), max_request_bytes_(max_request_bytes), hooks_(std::move(hooks)) {}

CtlDispatch::~CtlDispatch() {
  worker_.stop();
  worker_.join();
}

void CtlDispatch::Stop() {
  stopping_ = true;
  worker_.stop();  // long work in flight is dropped: never committed nor answered
}

void CtlDispatch::Handle(std::vector<net::CtlCall>& calls, net::CtlServer* from) {
  Batch group, long_work;
  for (size_t i = 0; i < calls.size(); ++i) {
    Status bad = calls[i].frame_error;
    if (bad.ok() && stopping_) bad = Status::Unavailable("zhiband is shutting down");
    if (bad.ok()) {
      auto req = core::ParseCtlRequest(calls[i].body, max_request_bytes_);
      if (req.ok()) {
        auto principal = hooks_.principal_of(calls[i], *req);
        if (principal.ok()) {
          (core_.IsLongWork(*req) ? long_work : group)
              .Add(std::move(*req), std::move(*principal), i);
          continue;
        }
        spdlog::info("ctl: {} refused: {}", core::CommandName(*req), principal.status().message());
        bad = principal.status();
      } else {
        bad = req.status();
      }
    }
    core_.CountRejected(CodeName(bad.code()));
    v1::CtlReply reply;
    core::SetError(bad, reply.mutable_error());
    calls[i].reply = reply.SerializeAsString();
  }
  RunGroup(calls, group);

  // Long work copies what it reads now, after the group: the order the
  // requests came in. One the core will not start (its principal is
  // refused) is answered, and audited, as any command.
  Batch refused;
  for (size_t k = 0; k < long_work.requests.size(); ++k) {
    if (auto job = core_.BeginLong(long_work.requests[k], long_work.who[k])) {
      net::CtlCall& call = calls[long_work.index[k]];
      call.deferred = true;
      Compute(std::make_shared<LongCall>(LongCall{std::move(call), std::move(*job), from}));
    } else {
      refused.Add(std::move(long_work.requests[k]), std::move(long_work.who[k]),
                  long_work.index[k]);
    }
  }
  RunGroup(calls, refused);

  // A simulated clock moved: the timers it passed fire before the caller
  // hears back, so `clock advance` then `events tail` is deterministic.
  const bool clock_moved = std::any_of(group.requests.begin(), group.requests.end(),
                                       [this](const auto& r) { return core_.MovesClock(r); });
  if (!clock_moved) return;
  // Each firing records its timers as fired; the cap only guards the
  // request thread against a timer that would not record itself.
  size_t rounds = 0;
  while (!stopping_ && hooks_.fire_timers() > 0) {
    if (++rounds == 100000) {
      spdlog::error("timers still due after {} rounds; the rest fire on the next ticks", rounds);
      break;
    }
  }
}

void CtlDispatch::RunGroup(std::vector<net::CtlCall>& calls, const Batch& batch) {
  if (batch.requests.empty()) return;
  std::vector<const v1::CtlRequest*> group;
  group.reserve(batch.requests.size());
  for (const auto& r : batch.requests) group.push_back(&r);
  events_.clear();
  // Events go out as soon as they are durable, before the replies, so a
  // caller that saw its reply can find its events on the bus.
  auto replies = core_.ExecuteGroup(group, &events_, hooks_.publish, &batch.who);
  hooks_.after_commit();
  for (size_t k = 0; k < replies.size(); ++k)
    calls[batch.index[k]].reply = replies[k].SerializeAsString();
}

// On the worker: the plan, computed on the job's copy of what it reads; then
// back to the core thread to commit it.
void CtlDispatch::Compute(std::shared_ptr<LongCall> c) {
  asio::post(worker_, [this, c = std::move(c)]() mutable {
    core::LongOutcome out = core_.ComputeLong(c->job);
    asio::post(io_, [this, c = std::move(c), out = std::move(out)]() mutable {
      Finish(std::move(c), std::move(out));
    });
  });
}

void CtlDispatch::Finish(std::shared_ptr<LongCall> c, core::LongOutcome out) {
  if (stopping_) return;  // never committed, never answered: the caller sends it again
  events_.clear();
  auto reply = core_.FinishLong(&c->job, std::move(out), &events_, hooks_.publish);
  if (!reply) {
    Compute(std::move(c));  // what it read changed meanwhile
    return;
  }
  hooks_.after_commit();
  c->call.reply = reply->SerializeAsString();
  c->from->Reply(c->call);
}

}  // namespace zhiban::app
