// SPDX-License-Identifier: MIT
// Channel scenarios over the library's own channel state (ChannelCore over
// the explorer policy) and its own recv wait: see channel_scenarios.hpp.
#include "channel_scenarios.hpp"

#include <diatomic/detail/channel_core.hpp>
#include <diatomic/wait.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>

#include "wake_target.hpp"

namespace diatomic::explorer {
namespace {

using Core = detail::ChannelCore<int, Policy>;
using RecvWait = Wait<Core::RxWaker, detail::RecvOne<int, Policy>, true>;

class ChannelRun final : public Execution {
 public:
  explicit ChannelRun(const ChannelScenario& scenario)
      : scenario_(scenario),
        core_(new Core(scenario.capacity)),
        accepted_(scenario.producers.size()) {
    // Every producer holds a Sender: the first came with the channel.
    for (std::size_t i = 1; i < scenario.producers.size(); ++i) core_->add_sender();
  }
  ChannelRun(const ChannelRun&) = delete;
  ChannelRun& operator=(const ChannelRun&) = delete;
  ~ChannelRun() override {
    if (!freed_) delete core_;  // a schedule that failed before the last handle went
  }

  std::vector<Thread> threads() override {
    std::vector<Thread> threads;
    threads.push_back({"receiver", [this] { receive(); }});
    for (std::size_t p = 0; p < scenario_.producers.size(); ++p) {
      threads.push_back({fmt::format("producer{}", p), [this, p] { produce(p); }});
    }
    if (scenario_.cancel_first_wait) {
      threads.push_back({"canceller", [this] { stop_.request_stop(); }});
    }
    return threads;
  }

  std::optional<std::string> check() override {
    if (!freed_) return "the channel's state outlived its last handle";
    if (!closed_seen_) return "the receiver never saw the channel closed";
    std::vector<int> next(scenario_.producers.size(), 0);
    for (int message : received_) {
      const auto producer = static_cast<std::size_t>(message / 100);
      const std::vector<int>& accepted = accepted_[producer];
      const auto at = static_cast<std::size_t>(next[producer]);
      if (at >= accepted.size() || accepted[at] != message) {
        return fmt::format("message {} received out of order, twice, or after it was handed "
                           "back (producer{} had {} accepted)",
                           message, producer, fmt::join(accepted, ","));
      }
      ++next[producer];
    }
    for (std::size_t p = 0; p < accepted_.size(); ++p) {
      if (static_cast<std::size_t>(next[p]) != accepted_[p].size()) {
        return fmt::format("producer{}'s messages {} were accepted but only {} received", p,
                           fmt::join(accepted_[p], ","), next[p]);
      }
    }
    return std::nullopt;
  }

 private:
  void produce(std::size_t producer) {
    int seq = 0;
    for (ChannelStep step : scenario_.producers[producer]) {
      if (step == ChannelStep::kClose) {
        // What this thread did so far: a note the receiver checks against
        // what happens before its receive that reports closed.
        closer_ = Scheduler::self();
        closer_epoch_ = Scheduler::active()->view().at(closer_);
        core_->close();
        continue;
      }
      int message = static_cast<int>(producer) * 100 + seq++;
      for (;;) {
        const int frees = room_made_seen();
        const Core::Status status = core_->try_send(message);
        if (status == Core::Status::kDone) {
          accepted_[producer].push_back(message);
          break;
        }
        if (status == Core::Status::kClosed) break;  // handed back: must never be received
        wait_for_room(frees);
      }
    }
    release(core_->drop_sender());
  }

  // The receiver's takes so far, and what it did before them: as a sender's
  // wait for room would learn it from the receiver's notification.
  int room_made_seen() {
    Scheduler::active()->acquire_from(room_published_);
    return frees_;
  }
  // Full: sleeps until the receiver has taken a message since `frees` was
  // read (before the try_send), or the channel went away. A model of a
  // sender's wait for room, made of plain code between scheduling points,
  // so that it loses no wake-up of its own: it checks only what the channel
  // reported.
  void wait_for_room(int frees) {
    if (frees_ != frees || receiver_gone_) return;
    room_waiters_.push_back(Scheduler::self());
    Scheduler::active()->block();
  }
  void room_made() {
    ++frees_;
    Scheduler::active()->release_to(room_published_);
    for (int waiter : room_waiters_) Scheduler::active()->unblock(waiter);
    room_waiters_.clear();
  }

  void receive() {
    const Waker waker = wakeup_.waker();
    bool cancellable = scenario_.cancel_first_wait;
    int taken = 0;
    bool closed_here = false;
    for (;;) {
      const std::optional<std::optional<int>> got =
          wait(waker, cancellable ? stop_.get_token() : std::stop_token());
      if (!got) {  // stopped: a new wait, without a stop token
        cancellable = false;
        if (scenario_.bug == ChannelBug::kCancelledWaitDropsItsMessage) {
          if (core_->try_recv([](int&&) noexcept {}) == Core::Status::kDone) room_made();
        }
        continue;
      }
      if (!*got) {
        if (!closed_here) check_close_clause();
        break;
      }
      room_made();
      received_.push_back(**got);
      if (++taken == scenario_.receiver_closes_after) {
        core_->close();
        closed_here = true;
      }
    }
    closed_seen_ = true;
    receiver_gone_ = true;
    room_made();
    release(core_->drop_receiver());
  }

  // The channel's memory clause for close: what the closer did before
  // close() happens before a receive that reports the channel closed. With
  // one kClose step, and a receiver that did not close, that step's close
  // is the first in the claim word's order (a drop closes only as the last
  // Sender goes, after every producer's steps), so the receive that reported
  // closed came after it and must see what its thread did before it.
  void check_close_clause() {
    int closes = 0;
    for (const auto& steps : scenario_.producers) {
      closes += static_cast<int>(std::ranges::count(steps, ChannelStep::kClose));
    }
    if (closes != 1 || closer_ < 0) return;
    Scheduler& scheduler = *Scheduler::active();
    if (scheduler.view().at(closer_) < closer_epoch_) {
      scheduler.fail("memory clause violated: the receive that reported the channel closed "
                     "does not happen after what " +
                     scheduler.thread_name(closer_) + " did before close()");
    }
  }

  // One recv wait, driven as block_on drives it: poll, park, poll again; a
  // stop request wakes the receiver through the wait's stop callback.
  // Returns empty if stopped.
  std::optional<std::optional<int>> wait(const Waker& waker, std::stop_token token) {
    struct WakeOnStop {
      const Waker* waker;
      void operator()() const noexcept { waker->wake_by_ref(); }
    };
    const std::stop_callback<WakeOnStop> on_stop(token, WakeOnStop{&waker});
    RecvWait recv(core_->rx_waker(), detail::RecvOne<int, Policy>{core_}, std::move(token));
    for (;;) {
      if (auto out = recv.poll(waker)) return RecvWait::into_result(std::move(*out));
      wakeup_.park(/*yield=*/false);
    }
  }

  // A handle went; the last one frees the state (on this thread: each
  // atomic's destructor checks that every store to it happens before).
  void release(bool last) {
    if (!last) return;
    delete core_;
    freed_ = true;
  }

  const ChannelScenario& scenario_;
  Core* core_;
  // The receiver's waker target. A park that finds the token does not let
  // the others run first: the receiver polls again at once.
  WakeTarget wakeup_{"receiver"};
  std::stop_source stop_;
  // Touched only by the thread holding the baton; read by check().
  std::vector<std::vector<int>> accepted_;  // per producer, in order
  std::vector<int> received_;
  bool closed_seen_ = false;
  bool receiver_gone_ = false;
  int frees_ = 0;                  // messages the receiver took so far
  std::vector<int> room_waiters_;  // producers asleep on a full channel
  View room_published_;            // what the receiver did before its latest take
  int closer_ = -1;                 // the thread of the kClose step, once it ran
  std::uint32_t closer_epoch_ = 0;  // and its clock just before its close()
  bool freed_ = false;
};

}  // namespace

Result explore_channel(const ChannelScenario& scenario) {
  return explore<ChannelRun>(scenario, {.weaken = scenario.weaken});
}

namespace bugs {

std::memory_order publish_message_relaxed(const Operation& op, OrderRole,
                                          std::memory_order order) {
  const bool publishes = std::string_view(op.op) == "store" &&
                         std::string_view(op.site.function).find("try_send") != std::string_view::npos;
  return publishes ? std::memory_order_relaxed : order;
}

}  // namespace bugs
}  // namespace diatomic::explorer
