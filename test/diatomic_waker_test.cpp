// SPDX-License-Identifier: MIT
// DiatomicWaker and its handles, one thread: the transitions of
// docs/design.md#2-transitions and the contract of diatomic/diatomic_waker.hpp
// that need no interleaving.
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/fmt.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <utility>

#include "test_waker.hpp"

namespace diatomic::test {
namespace {

using DiatomicWakerTest = WakerBalanceTest;

// Constant-initialised at namespace scope: usable from any static
// initialiser, with no initialisation-order question.
constinit DiatomicWaker global_waker;

TEST_F(DiatomicWakerTest, a_constinit_waker_at_namespace_scope_works) {
  TestTarget target;
  global_waker.register_waker(target.waker());
  global_waker.notify();
  EXPECT_EQ(target.wakes(), 1);
  global_waker.clear();
}

TEST_F(DiatomicWakerTest, notify_without_registration_is_a_noop) {
  TestTarget target;
  DiatomicWaker dw;
  dw.notify();
  dw.register_waker(target.waker());
  EXPECT_EQ(target.wakes(), 0) << "a notification before registration must not stick";
  dw.notify();
  EXPECT_EQ(target.wakes(), 1);
}

TEST_F(DiatomicWakerTest, register_then_notify_wakes_once) {
  TestTarget target;
  DiatomicWaker dw;
  dw.register_waker(target.waker());
  EXPECT_TRUE(dw.state().registered());
  dw.notify();
  EXPECT_EQ(target.wakes(), 1);
  EXPECT_FALSE(dw.state().registered()) << "the notification consumes the registration";
}

TEST_F(DiatomicWakerTest, two_notifies_wake_once) {
  TestTarget target;
  DiatomicWaker dw;
  dw.register_waker(target.waker());
  dw.notify();
  dw.notify();
  EXPECT_EQ(target.wakes(), 1);
}

TEST_F(DiatomicWakerTest, same_waker_registration_does_not_copy) {
  TestTarget target;
  DiatomicWaker dw;
  const Waker w = target.waker();
  constexpr int kRounds = 1'000'000;
  for (int i = 0; i < kRounds; ++i) {
    dw.register_waker(w);
    dw.notify();
  }
  EXPECT_EQ(target.clones(), 1) << "only the first registration copies the waker";
  EXPECT_EQ(target.wakes(), kRounds);
}

TEST_F(DiatomicWakerTest, same_waker_is_recognised_in_either_slot) {
  TestTarget first;
  TestTarget second;
  DiatomicWaker dw;
  dw.register_waker(first.waker());   // slot 1, pending switch (U)
  dw.notify();                        // switch: slot 1 is current
  dw.register_waker(second.waker());  // slot 0, pending switch
  dw.register_waker(second.waker());  // newest is slot 0 while U is set
  dw.notify();
  dw.register_waker(second.waker());  // newest is the current slot
  dw.notify();
  EXPECT_EQ(second.clones(), 1);
  EXPECT_EQ(second.wakes(), 2);
  EXPECT_EQ(first.wakes(), 1);
}

TEST_F(DiatomicWakerTest, registering_w1_then_w2_wakes_only_w2) {
  TestTarget w1;
  TestTarget w2;
  DiatomicWaker dw;
  dw.register_waker(w1.waker());
  dw.register_waker(w2.waker());
  dw.notify();
  EXPECT_EQ(w1.wakes(), 0);
  EXPECT_EQ(w2.wakes(), 1);
}

TEST_F(DiatomicWakerTest, unregister_then_notify_wakes_nothing) {
  TestTarget target;
  DiatomicWaker dw;
  dw.register_waker(target.waker());
  dw.unregister();
  dw.notify();
  EXPECT_EQ(target.wakes(), 0);
}

TEST_F(DiatomicWakerTest, cached_waker_survives_unregister) {
  TestTarget target;
  DiatomicWaker dw;
  const Waker w = target.waker();
  dw.register_waker(w);
  dw.unregister();
  EXPECT_EQ(target.live(), 2) << "the cached copy stays after unregister";
  dw.register_waker(w);
  EXPECT_EQ(target.clones(), 1) << "registering the cached waker again copies nothing";
  dw.notify();
  EXPECT_EQ(target.wakes(), 1);
}

TEST_F(DiatomicWakerTest, destroying_a_sink_with_a_cached_waker_drops_it) {
  TestTarget target;
  auto sink = std::make_unique<WakeSink>();
  const WakeSource source = sink->source();
  sink->register_waker(target.waker());
  EXPECT_EQ(target.live(), 1);
  sink.reset();
  EXPECT_EQ(target.live(), 0) << "the sink's cached waker outlived the sink";
  source.notify();  // the shared state is still alive; nothing to wake
  EXPECT_EQ(target.wakes(), 0);
}

TEST_F(DiatomicWakerTest, destroying_a_diatomic_waker_drops_its_cached_wakers) {
  TestTarget first;
  TestTarget second;
  {
    DiatomicWaker dw;
    dw.register_waker(first.waker());
    dw.notify();
    dw.register_waker(second.waker());
    EXPECT_EQ(first.live() + second.live(), 2);
  }
  EXPECT_EQ(first.live() + second.live(), 0);
}

TEST_F(DiatomicWakerTest, clear_withdraws_and_drops_cached_wakers) {
  TestTarget target;
  DiatomicWaker dw;
  dw.register_waker(target.waker());
  dw.clear();
  EXPECT_EQ(target.live(), 0);
  dw.notify();
  EXPECT_EQ(target.wakes(), 0);
  dw.register_waker(target.waker());
  dw.notify();
  EXPECT_EQ(target.wakes(), 1);
}

TEST_F(DiatomicWakerTest, sink_and_source_share_one_primitive) {
  TestTarget target;
  WakeSink sink;
  const WakeSource source = sink.source();
  const WakeSource copy = source;  // NOLINT(performance-unnecessary-copy-initialization)
  sink.register_waker(target.waker());
  copy.notify();
  EXPECT_EQ(target.wakes(), 1);
  WakeSink moved = std::move(sink);
  moved.register_waker(target.waker());
  source.notify();
  EXPECT_EQ(target.wakes(), 2);
}

TEST_F(DiatomicWakerTest, borrowed_refs_act_on_the_owned_primitive) {
  TestTarget target;
  DiatomicWaker dw;
  WakeSinkRef sink = dw.sink_ref();
  const WakeSourceRef source = dw.source_ref();
  sink.register_waker(target.waker());
  EXPECT_TRUE(dw.state().registered());
  source.notify();
  EXPECT_EQ(target.wakes(), 1);
  WakeSinkRef moved = std::move(sink);
  moved.register_waker(target.waker());
  moved.unregister();
  source.notify();
  EXPECT_EQ(target.wakes(), 1);
}

TEST_F(DiatomicWakerTest, state_formats_readably) {
  TestTarget target;
  DiatomicWaker dw;
  EXPECT_EQ(fmt::format("{}", dw), "DiatomicWaker{I=0}");
  dw.register_waker(target.waker());
  EXPECT_EQ(fmt::format("{}", dw), "DiatomicWaker{I=0 U R}");
  dw.notify();
  EXPECT_EQ(fmt::format("{}", dw), "DiatomicWaker{I=1}");
  dw.register_waker(target.waker());
  EXPECT_EQ(fmt::format("{}", dw.state()), "DiatomicWaker{I=1 R}");
  WakeSink sink;
  EXPECT_EQ(fmt::format("{}", sink), "DiatomicWaker{I=0}");
  EXPECT_EQ(fmt::format("{}", Waker()), "Waker{empty}");
  EXPECT_EQ(fmt::format("{}", Waker::noop()).rfind("Waker{data=", 0), 0u);
}

TEST_F(DiatomicWakerTest, every_reachable_state_is_valid) {
  TestTarget a;
  TestTarget b;
  DiatomicWaker dw;
  for (int round = 0; round < 8; ++round) {
    dw.register_waker(round % 3 == 0 ? a.waker() : b.waker());
    EXPECT_TRUE(dw.state().valid()) << fmt::format("{}", dw);
    if (round % 2 == 0) dw.notify();
    EXPECT_TRUE(dw.state().valid()) << fmt::format("{}", dw);
  }
  EXPECT_FALSE(DiatomicState{DiatomicState::kNotifyAgain}.valid()) << "N without L and R";
}

}  // namespace
}  // namespace diatomic::test
