// SPDX-License-Identifier: MIT
// AtomicWaker, one thread: the behaviours of
// docs/design.md#6-atomicwaker-the-single-slot-baseline. The races
// "a register arrives while a wake is in progress" and "a wake arrives during
// a registration" are pinned without threads by the hooked policy, which runs
// a step in the middle of the library's own state machine.
#include <diatomic/atomic_waker.hpp>
#include <diatomic/fmt.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "hooked_policy.hpp"
#include "test_waker.hpp"

namespace diatomic::test {
namespace {

using AtomicWakerTest = WakerBalanceTest;
using HookedAtomicWaker = detail::AtomicWakerCore<HookedPolicy>;

// Constant-initialised at namespace scope: usable from any static
// initialiser, with no initialisation-order question.
constinit AtomicWaker global_waker;

TEST_F(AtomicWakerTest, a_constinit_waker_at_namespace_scope_works) {
  TestTarget target;
  global_waker.register_waker(target.waker());
  global_waker.wake();
  EXPECT_EQ(target.wakes(), 1);
}

TEST_F(AtomicWakerTest, wake_before_register_is_a_noop) {
  TestTarget target;
  AtomicWaker aw;
  aw.wake();
  aw.register_waker(target.waker());
  EXPECT_EQ(target.wakes(), 0) << "a wake before registration must not stick";
  aw.wake();
  EXPECT_EQ(target.wakes(), 1);
}

TEST_F(AtomicWakerTest, register_then_wake_wakes_once) {
  TestTarget target;
  AtomicWaker aw;
  aw.register_waker(target.waker());
  aw.wake();
  aw.wake();
  EXPECT_EQ(target.wakes(), 1);
  EXPECT_EQ(target.live(), 0) << "wake() consumes the stored waker";
}

TEST_F(AtomicWakerTest, take_hands_back_the_waker_and_leaves_none) {
  TestTarget target;
  AtomicWaker aw;
  aw.register_waker(target.waker());
  Waker taken = aw.take();
  EXPECT_TRUE(taken.will_wake(target.waker()));
  EXPECT_FALSE(aw.take()) << "the slot is empty after take()";
  EXPECT_EQ(target.wakes(), 0) << "take() does not wake";
  std::move(taken).wake();
  EXPECT_EQ(target.wakes(), 1);
}

TEST_F(AtomicWakerTest, reusable_for_many_rounds) {
  TestTarget target;
  AtomicWaker aw;
  const Waker w = target.waker();
  constexpr int kRounds = 10'000;
  for (int i = 0; i < kRounds; ++i) {
    aw.register_waker(w);
    aw.wake();
  }
  EXPECT_EQ(target.wakes(), kRounds);
  EXPECT_EQ(target.clones(), kRounds) << "every registration stores a copy";
}

TEST_F(AtomicWakerTest, registering_the_stored_waker_again_does_not_copy) {
  TestTarget target;
  AtomicWaker aw;
  const Waker w = target.waker();
  aw.register_waker(w);
  aw.register_waker(w);
  EXPECT_EQ(target.clones(), 1);
  aw.wake();
  EXPECT_EQ(target.wakes(), 1);
}

TEST_F(AtomicWakerTest, register_during_a_wake_in_progress_wakes_the_new_waker_at_once) {
  TestTarget old_target;
  TestTarget new_target;
  HookedAtomicWaker aw;
  aw.register_waker(old_target.waker());
  // take() owns the slot (state WAKING) when the hook runs.
  next_write_hook() = [&] {
    EXPECT_TRUE(aw.state().waking());
    aw.register_waker(new_target.waker());
  };
  aw.wake();
  EXPECT_EQ(new_target.wakes(), 1) << "the registration must wake its own waker at once";
  EXPECT_EQ(new_target.live(), 0) << "nothing stored: the consumer polls again";
  EXPECT_EQ(old_target.wakes(), 1);
  EXPECT_EQ(aw.state(), AtomicWakerState{});
}

TEST_F(AtomicWakerTest, wake_during_a_registration_is_delivered_by_the_registrant) {
  TestTarget target;
  HookedAtomicWaker aw;
  // register_waker owns the slot (state REGISTERING) when the hook runs.
  next_write_hook() = [&] {
    EXPECT_TRUE(aw.state().registering());
    EXPECT_FALSE(aw.take()) << "take() must leave the slot to the registrant";
  };
  aw.register_waker(target.waker());
  EXPECT_EQ(target.wakes(), 1) << "the registrant must deliver the wake that raced with it";
  EXPECT_EQ(aw.state(), AtomicWakerState{});
  aw.wake();
  EXPECT_EQ(target.wakes(), 1) << "the registration was consumed";
}

TEST_F(AtomicWakerTest, state_formats_readably) {
  AtomicWaker aw;
  EXPECT_EQ(fmt::format("{}", aw), "AtomicWaker{WAITING}");
  EXPECT_EQ(fmt::format("{}", AtomicWakerState{AtomicWakerState::kRegistering |
                                                AtomicWakerState::kWaking}),
            "AtomicWaker{REGISTERING|WAKING}");
}

}  // namespace
}  // namespace diatomic::test
