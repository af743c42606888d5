// SPDX-License-Identifier: MIT
// A wait with a deadline, explored: the library's own Wait (poll(), and
// expire() once the deadline has passed) over DiatomicWaker's core with the
// explorer policy, driven as block_on(wait, deadline) drives it, while
// producers each send one item and notify. The deadline may pass at any park
// of the consumer (a choice within the schedule's timeout bound), and the
// scheduler preempts anywhere, so a timeout races every step of a notify.
// The predicate consumes: it takes the next item if one was sent. A schedule
// fails if an item the predicate took is not what the wait returned (an item
// lost to the timeout), if a timed-out wait's last check found an item, if the
// registration outlives the wait (R still set once it ended, or a waker
// reference alive once the core is destroyed), or if the consumer is left
// parked (a lost wake-up). Groups TimedWaitExplorer, TimedWaitStaleReads
// (suite 'memory-model') and TimedWaitSeededBug.
#include <diatomic/detail/diatomic_core.hpp>
#include <diatomic/wait.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "expect.hpp"
#include "policy.hpp"
#include "scenarios.hpp"
#include "scheduler.hpp"
#include "wake_target.hpp"

namespace diatomic::explorer {
namespace {

using DiatomicCore = detail::DiatomicCore<Policy>;

// The modelled driver. kBlockOn is block_on(wait, deadline): poll; park
// until woken or the deadline; once it passed, expire() and return what it
// returns. The seeded bug is the driver of `receive || timer` (asio's
// issue with a channel and a timer, folly's warning about a timeout around a
// dequeue): on the deadline it polls once more but reports a timeout
// whatever that poll took, so an item the last check consumed is dropped.
enum class Driver { kBlockOn, kDropsTheLastCheck };

struct TimedScenario {
  int producers = 1;  // each sends one item, then notifies
  int preemption_bound = 2;
  int timeouts = 1;  // parks at which the deadline may pass
  int stale_reads = 0;
  int spurious_failures = 0;
  Driver driver = Driver::kBlockOn;
};

// The consumer's parker: block_on's thread waker, whose park_until may
// return at the deadline.
class Parker final : public WakeTarget {
 public:
  Parker() : WakeTarget("parker") {}

  // park_until: true once woken (the token consumed), false if the deadline
  // passed first (no token consumed).
  bool park_until() {
    Scheduler& scheduler = *Scheduler::active();
    scheduler.point();
    if (!token() && scheduler.timeout()) {
      scheduler.record("deadline", name(), "passed");
      return false;
    }
    finish_park(scheduler);
    return true;
  }
};

class TimedWaitRun final : public Execution {
 public:
  explicit TimedWaitRun(const TimedScenario& scenario)
      : scenario_(scenario), core_(std::make_unique<DiatomicCore>()) {}

  std::vector<Thread> threads() override {
    std::vector<Thread> threads;
    threads.push_back({"consumer", [this] { consume(); }});
    for (int i = 0; i < scenario_.producers; ++i) {
      threads.push_back({fmt::format("producer{}", i), [this] { produce(); }});
    }
    return threads;
  }

  std::optional<std::string> check() override {
    core_.reset();
    if (parker_.live() != 0) {
      return fmt::format("{} waker reference(s) alive once the core is destroyed", parker_.live());
    }
    return std::nullopt;
  }

 private:
  // The predicate: takes the next item, if one was sent.
  std::optional<int> take() {
    // Ordering: relaxed: only the core orders what the checks read.
    const bool there = items_.load(std::memory_order_relaxed) > taken_;
    last_check_found_ = there;
    if (!there) return std::nullopt;
    return ++taken_;
  }

  void consume() {
    Wait<DiatomicCore, Take, false> wait(*core_, Take{this});
    const Waker waker = parker_.waker();
    std::optional<int> got;
    bool timed_out = false;
    for (;;) {
      if (auto out = wait.poll(waker)) {
        got = *out;
        break;
      }
      if (parker_.park_until()) continue;
      std::optional<int> last = wait.expire();
      if (scenario_.driver == Driver::kDropsTheLastCheck) last.reset();  // reports a timeout
      if (last) {
        got = *last;
      } else {
        timed_out = true;
      }
      break;
    }
    if (got) ++returned_;
    Scheduler::active()->record("wait ended", "consumer",
                                timed_out ? "timed out" : fmt::format("returned item {}", *got));
    if (taken_ != returned_) {
      Scheduler::active()->fail(fmt::format(
          "an item was lost: the predicate took {} item(s), the wait returned {}", taken_,
          returned_));
    } else if (timed_out && last_check_found_) {
      Scheduler::active()->fail("the wait timed out although its last check found an item");
    } else if (core_->state().registered()) {
      Scheduler::active()->fail("the wait ended with its registration still in the core");
    }
  }

  struct Take {
    TimedWaitRun* run;
    std::optional<int> operator()() const { return run->take(); }
  };

  void produce() {
    // Ordering: relaxed, as the checks: the item reaches the consumer
    // through notify() alone.
    items_.fetch_add(1, std::memory_order_relaxed);
    core_->notify();
  }

  const TimedScenario& scenario_;
  std::unique_ptr<DiatomicCore> core_;
  Parker parker_;
  Atomic<int> items_{"count", 0};
  int taken_ = 0;     // consumer-only: items the predicate took
  int returned_ = 0;  // consumer-only: items the wait returned
  bool last_check_found_ = false;
};

Result explore_timed_wait(const TimedScenario& scenario) {
  return explore<TimedWaitRun>(scenario, {.format = &diatomic_word});
}

const TimedScenario kTwoItems{.producers = 2, .preemption_bound = 2, .timeouts = 1};

TEST(TimedWaitExplorer, one_item_racing_the_deadline_is_returned_or_left) {
  expect_correct(explore_timed_wait, {.producers = 1, .preemption_bound = 3, .timeouts = 1});
}

TEST(TimedWaitExplorer, two_items_racing_the_deadline_are_returned_or_left) {
  expect_correct(explore_timed_wait, kTwoItems);
}

TEST(TimedWaitStaleReads, two_items_racing_the_deadline_are_returned_or_left) {
  expect_correct(explore_timed_wait, with_stale_reads(kTwoItems));
}

TEST(TimedWaitExplorer, no_deadline_passes_and_the_wait_returns_an_item) {
  expect_correct(explore_timed_wait, {.producers = 2, .preemption_bound = 2, .timeouts = 0});
}

TEST(TimedWaitSeededBug, a_driver_that_reports_a_timeout_over_its_last_check_loses_the_item) {
  expect_caught(
      explore_timed_wait,
      {.producers = 1, .preemption_bound = 2, .timeouts = 1, .driver = Driver::kDropsTheLastCheck});
}

}  // namespace
}  // namespace diatomic::explorer
