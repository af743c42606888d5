// SPDX-License-Identifier: MIT
// A waker whose clone throws leaves both primitives exactly as before (strong
// guarantee), and a later registration of a good waker is notified.
#include <diatomic/atomic_waker.hpp>
#include <diatomic/diatomic_waker.hpp>

#include <gtest/gtest.h>

#include "hooked_policy.hpp"
#include "test_waker.hpp"

namespace diatomic::test {
namespace {

using ExceptionTest = WakerBalanceTest;

// Alternates two targets so that every registration clones; the failing
// target throws on its Nth clone.
TEST_F(ExceptionTest, diatomic_waker_is_unchanged_when_the_nth_clone_throws) {
  for (int n = 1; n <= 4; ++n) {
    TestTarget good;
    TestTarget failing;
    failing.fail_clone_at(n);
    DiatomicWaker dw;
    int failures = 0;
    for (int round = 0; round < 2 * n; ++round) {
      TestTarget& target = round % 2 == 0 ? good : failing;
      const DiatomicState before = dw.state();
      try {
        dw.register_waker(target.waker());
      } catch (const CloneFailure&) {
        ++failures;
        EXPECT_EQ(dw.state(), before) << "state changed by a failed registration, n=" << n;
        // The previous registration (of `good`) still stands.
        dw.notify();
        EXPECT_EQ(good.wakes(), 1) << "n=" << n;
      }
    }
    EXPECT_EQ(failures, 1) << "n=" << n;
    TestTarget later;
    dw.register_waker(later.waker());
    dw.notify();
    EXPECT_EQ(later.wakes(), 1) << "n=" << n;
  }
}

TEST_F(ExceptionTest, diatomic_waker_keeps_a_pending_switch_when_clone_throws) {
  TestTarget first;
  TestTarget failing;
  failing.fail_clone_at(1);
  DiatomicWaker dw;
  dw.register_waker(first.waker());  // U and R set: a notifier may switch at any time
  const DiatomicState before = dw.state();
  ASSERT_TRUE(before.update() && before.registered());
  EXPECT_THROW(dw.register_waker(failing.waker()), CloneFailure);
  EXPECT_EQ(dw.state(), before);
  dw.notify();
  EXPECT_EQ(first.wakes(), 1);
  EXPECT_EQ(failing.live(), 0);
}

TEST_F(ExceptionTest, atomic_waker_is_unchanged_when_clone_throws) {
  TestTarget good;
  TestTarget failing;
  AtomicWaker aw;
  aw.register_waker(good.waker());
  failing.fail_clone_at(1);
  EXPECT_THROW(aw.register_waker(failing.waker()), CloneFailure);
  EXPECT_EQ(aw.state(), AtomicWakerState{});
  EXPECT_EQ(good.live(), 1) << "the stored waker is still there";
  aw.wake();
  EXPECT_EQ(good.wakes(), 1);
  EXPECT_EQ(failing.live(), 0);
  TestTarget later;
  aw.register_waker(later.waker());
  aw.wake();
  EXPECT_EQ(later.wakes(), 1);
}

TEST_F(ExceptionTest, atomic_waker_delivers_a_wake_that_raced_with_a_failed_registration) {
  TestTarget previous;
  TestTarget failing;
  detail::AtomicWakerCore<HookedPolicy> aw;
  aw.register_waker(previous.waker());
  failing.fail_clone_at(1);
  // The wake arrives while the failing registration owns the slot.
  next_write_hook() = [&] { EXPECT_FALSE(aw.take()); };
  EXPECT_THROW(aw.register_waker(failing.waker()), CloneFailure);
  EXPECT_EQ(previous.wakes(), 1) << "the raced wake goes to the previously stored waker";
  EXPECT_EQ(aw.state(), AtomicWakerState{});
  EXPECT_EQ(failing.live(), 0);
}

}  // namespace
}  // namespace diatomic::test
