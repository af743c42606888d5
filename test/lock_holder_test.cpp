// SPDX-License-Identifier: MIT
// DiatomicWaker while a notifier holds the notification lock (L): the rows of
// try_lock and try_unlock that only happen when the consumer or another
// notifier acts during a waker call. Each test acts from inside the waker's
// wake_by_ref (TestTarget::on_wake), so the interleaving is pinned on one
// thread; docs/design.md#2-transitions names the row each test checks.
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/fmt.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <utility>

#include "test_waker.hpp"

namespace diatomic::test {
namespace {

using LockHolderTest = WakerBalanceTest;
using S = DiatomicState;

// Runs `action` inside the first wake of `target` only.
void on_first_wake(TestTarget& target, std::function<void()> action) {
  target.on_wake([&target, action = std::move(action)] {
    if (target.wakes() == 1) action();
  });
}

TEST_F(LockHolderTest, notify_during_a_call_with_nobody_registered_changes_nothing) {
  TestTarget a;
  DiatomicWaker dw;
  dw.register_waker(a.waker());
  DiatomicState during;
  on_first_wake(a, [&] {
    dw.notify();  // row 0 1 0 u i: holder busy, nobody registered
    during = dw.state();
  });
  dw.notify();
  EXPECT_EQ(during.bits & (S::kLocked | S::kRegistered | S::kNotifyAgain), S::kLocked)
      << fmt::format("{}", during);
  EXPECT_EQ(a.wakes(), 1) << "the notification inside the call must not cause another";
  EXPECT_FALSE(dw.state().locked());
}

TEST_F(LockHolderTest, registration_and_notify_during_a_call_get_one_more_call_of_the_same_slot) {
  TestTarget a;
  DiatomicWaker dw;
  dw.register_waker(a.waker());
  dw.notify();  // a's slot is now current: U clear, so no switch below
  ASSERT_EQ(a.wakes(), 1);
  DiatomicState asked;
  a.on_wake([&] {
    if (a.wakes() != 2) return;
    dw.register_waker(a.waker());  // same waker: sets R, copies nothing
    dw.notify();                   // row 0 1 1 u i -> 1 1 1 u i: ask the holder
    asked = dw.state();
  });
  dw.register_waker(a.waker());
  const int clones = a.clones();
  const unsigned index = dw.state().index();
  dw.notify();
  EXPECT_TRUE(asked.notify_again() && asked.locked() && asked.registered())
      << fmt::format("{}", asked);
  EXPECT_EQ(a.wakes(), 3) << "the holder must call the waker once more (try_unlock, N set)";
  EXPECT_EQ(a.clones(), clones) << "the same waker is never copied";
  EXPECT_EQ(dw.state(), DiatomicState{index}) << fmt::format("{}", dw);
}

TEST_F(LockHolderTest, new_waker_registered_during_a_call_is_switched_to_by_the_holder) {
  TestTarget a;
  TestTarget b;
  DiatomicWaker dw;
  dw.register_waker(a.waker());
  DiatomicState asked;
  on_first_wake(a, [&] {
    dw.register_waker(b.waker());  // writes slot[1-I], sets U R
    dw.notify();                   // sets N
    asked = dw.state();
  });
  dw.notify();  // takes L (switching to a's slot), calls a
  EXPECT_TRUE(asked.notify_again() && asked.update()) << fmt::format("{}", asked);
  EXPECT_EQ(a.wakes(), 1);
  EXPECT_EQ(b.wakes(), 1) << "try_unlock with N and U must switch to b's slot and call it";
  const DiatomicState after = dw.state();
  EXPECT_EQ(after.bits & ~S::kIndex, 0u) << fmt::format("{}", after);
  EXPECT_NE(after.index(), asked.index()) << "the switch flips I";
}

TEST_F(LockHolderTest, a_second_notify_during_a_call_adds_no_second_extra_call) {
  TestTarget a;
  DiatomicWaker dw;
  dw.register_waker(a.waker());
  on_first_wake(a, [&] {
    dw.register_waker(a.waker());
    dw.notify();  // sets N
    dw.notify();  // row 1 1 1 u i: already asked, unchanged
  });
  dw.notify();
  EXPECT_EQ(a.wakes(), 2) << "one registration made during the call gets one more call";
}

TEST_F(LockHolderTest, clear_during_a_call_keeps_the_slots_until_the_next_clear) {
  TestTarget a;
  DiatomicWaker dw;
  dw.register_waker(a.waker());
  long live_during = -1;
  on_first_wake(a, [&] {
    dw.clear();  // row n 1 r u i: L set, so the slots stay
    live_during = a.live();
  });
  dw.notify();
  EXPECT_EQ(live_during, 1) << "the slot being called must not be dropped under the caller";
  EXPECT_EQ(a.live(), 1) << "the cached copy stays after the call";
  dw.clear();
  EXPECT_EQ(a.live(), 0) << "a clear with L clear drops it";
}

}  // namespace
}  // namespace diatomic::test
