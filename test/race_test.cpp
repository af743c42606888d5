// SPDX-License-Identifier: MIT
// Deterministic race tests: real threads whose interleaving is pinned by
// latches inside the wakers (or inside the slot write, through the hooked
// policy), so that each run exercises exactly the race named in the test.
// A wrong primitive shows as a failed expectation or, if a thread is left
// waiting, as a watchdog abort naming the test. Suite 'concurrency' (also run
// under ThreadSanitizer).
#include <diatomic/detail/atomic_waker_core.hpp>
#include <diatomic/diatomic_waker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "hooked_policy.hpp"
#include "latch.hpp"
#include "test_waker.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

using RaceTest = WakerBalanceTest;

// Makes the first wake of `target` stop inside wake_by_ref until released, so
// that a notifier holds DiatomicWaker's lock for as long as the test wants.
// Records what happened to `target` while it was being called.
class StuckWake {
 public:
  explicit StuckWake(TestTarget& target) : target_(target) {
    target.on_wake([this] {
      if (calls_.fetch_add(1, std::memory_order_relaxed) != 0) return;
      const int drops_before = target_.drops();
      entered_.count_down();
      release_.wait();
      drops_during_call_.store(target_.drops() - drops_before, std::memory_order_relaxed);
    });
  }
  void wait_until_inside() { entered_.wait(); }
  void release() { release_.count_down(); }
  // References of the target dropped while its wake_by_ref ran: a drop there
  // could destroy the waker under the caller.
  [[nodiscard]] int drops_during_call() const {
    return drops_during_call_.load(std::memory_order_relaxed);
  }

 private:
  TestTarget& target_;
  std::atomic<int> calls_{0};
  Latch entered_{1};
  Latch release_{1};
  std::atomic<int> drops_during_call_{-1};
};

// A notifier is stuck inside the waker; the consumer registers again (the same
// waker, then, if `then_new_waker`, a new one); a second notifier returns at
// once; once released, the first notifier wakes exactly once more, the newest.
void stuck_notifier_delivers_one_more_wake(bool then_new_waker) {
  Watchdog watchdog("a notifier stuck inside wake_by_ref");
  TestTarget first;
  TestTarget second;
  StuckWake stuck(first);
  DiatomicWaker dw;
  const Waker first_waker = first.waker();
  dw.register_waker(first_waker);

  std::thread holder([&] { dw.notify(); });
  stuck.wait_until_inside();
  EXPECT_TRUE(dw.state().locked());

  dw.register_waker(first_waker);
  EXPECT_EQ(first.clones(), 1) << "registering the same waker again must not copy it";
  if (then_new_waker) dw.register_waker(second.waker());

  // The lock is taken: this notifier asks the holder for one more call and
  // returns without calling anything. If it waited for the holder, this join
  // would hang and the watchdog would fire.
  std::thread late([&] { dw.notify(); });
  late.join();
  EXPECT_TRUE(dw.state().notify_again()) << "the late notifier must leave N for the holder";
  EXPECT_EQ(first.wakes(), 1);
  EXPECT_EQ(second.wakes(), 0);

  stuck.release();
  holder.join();
  EXPECT_EQ(first.wakes(), then_new_waker ? 1 : 2);
  EXPECT_EQ(second.wakes(), then_new_waker ? 1 : 0) << "the newest waker gets the extra call";
  EXPECT_FALSE(dw.state().locked());
  EXPECT_FALSE(dw.state().registered()) << "the extra call consumed the registration";
  EXPECT_EQ(stuck.drops_during_call(), 0);

  dw.notify();
  EXPECT_EQ(first.wakes() + second.wakes(), 2) << "nothing is registered any more";
}

TEST_F(RaceTest, stuck_notifier_wakes_the_same_waker_registered_again_exactly_once_more) {
  stuck_notifier_delivers_one_more_wake(false);
}

TEST_F(RaceTest, stuck_notifier_wakes_the_newest_waker_exactly_once_more) {
  stuck_notifier_delivers_one_more_wake(true);
}

TEST_F(RaceTest, three_wakers_registered_under_a_stuck_notifier_leave_only_the_last_to_wake) {
  Watchdog watchdog("three registrations under a stuck notifier");
  TestTarget called;
  TestTarget a;
  TestTarget b;
  TestTarget c;
  StuckWake stuck(called);
  DiatomicWaker dw;
  dw.register_waker(called.waker());

  std::thread holder([&] { dw.notify(); });
  stuck.wait_until_inside();
  dw.register_waker(a.waker());
  dw.register_waker(b.waker());
  dw.register_waker(c.waker());
  // The slot being called is never the one overwritten: the newer slot takes
  // each new waker in turn and drops the previous one.
  EXPECT_EQ(called.live(), 1) << "the waker being called must stay alive";
  EXPECT_EQ(a.live(), 0);
  EXPECT_EQ(b.live(), 0);
  EXPECT_EQ(c.live(), 1);
  stuck.release();
  holder.join();
  EXPECT_EQ(stuck.drops_during_call(), 0) << "a waker was dropped while it was being called";

  dw.notify();
  EXPECT_EQ(called.wakes(), 1);
  EXPECT_EQ(a.wakes(), 0);
  EXPECT_EQ(b.wakes(), 0);
  EXPECT_EQ(c.wakes(), 1) << "the final notify wakes the last registered waker only";
}

using HookedAtomicWakerCore = detail::AtomicWakerCore<HookedPolicy>;

// Makes the calling thread's next slot write stop until released: a take()
// then holds WAKING, a registration holds REGISTERING.
class StuckSlotWrite {
 public:
  void arm() {
    next_write_hook() = [this] {
      entered_.count_down();
      release_.wait();
    };
  }
  void wait_until_inside() { entered_.wait(); }
  void release() { release_.count_down(); }

 private:
  Latch entered_{1};
  Latch release_{1};
};

TEST_F(RaceTest, atomic_waker_register_during_a_wake_wakes_the_new_waker_at_once) {
  Watchdog watchdog("AtomicWaker register during a wake");
  TestTarget old_target;
  TestTarget new_target;
  HookedAtomicWakerCore aw;
  aw.register_waker(old_target.waker());
  StuckSlotWrite stuck;

  std::thread waker_thread([&] {
    stuck.arm();
    aw.wake();
  });
  stuck.wait_until_inside();
  EXPECT_TRUE(aw.state().waking());
  aw.register_waker(new_target.waker());
  EXPECT_EQ(new_target.wakes(), 1) << "the registration must wake its own waker at once";
  EXPECT_EQ(new_target.live(), 0) << "nothing stored: the consumer polls again";
  EXPECT_EQ(old_target.wakes(), 0);

  stuck.release();
  waker_thread.join();
  EXPECT_EQ(old_target.wakes(), 1);
  EXPECT_EQ(aw.state(), AtomicWakerState{});
}

TEST_F(RaceTest, atomic_waker_wake_during_a_registration_returns_at_once_and_is_delivered) {
  Watchdog watchdog("AtomicWaker wake during a registration");
  TestTarget target;
  HookedAtomicWakerCore aw;
  StuckSlotWrite stuck;

  std::thread registrant([&] {
    stuck.arm();
    aw.register_waker(target.waker());
  });
  stuck.wait_until_inside();
  EXPECT_TRUE(aw.state().registering());
  aw.wake();  // must not wait for the registrant: it leaves the wake to it
  EXPECT_EQ(target.wakes(), 0);
  stuck.release();
  registrant.join();
  EXPECT_EQ(target.wakes(), 1) << "the registrant must deliver the wake that raced with it";
  EXPECT_EQ(aw.state(), AtomicWakerState{});
}

}  // namespace
}  // namespace diatomic::test
