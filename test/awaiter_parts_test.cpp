// SPDX-License-Identifier: MIT
// The named parts of the co_await awaiter (diatomic/coro.hpp), each on its
// own: the poll gate (detail/poll_gate.hpp: transitions one step at a time,
// their RMW costs, the hand-off between threads under ThreadSanitizer in suite
// 'concurrency'), the waker anchors (detail/waker_anchor.hpp), the completion
// (detail/completion.hpp) and the stop hook (detail/stop_hook.hpp).
// Suites 'core' and 'concurrency'.
#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/completion.hpp>
#include <diatomic/detail/poll_gate.hpp>
#include <diatomic/detail/stop_hook.hpp>
#include <diatomic/detail/wake_scope.hpp>
#include <diatomic/detail/waker_anchor.hpp>
#include <diatomic/waker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <version>
#if defined(__cpp_lib_jthread)
#include <stop_token>
#endif
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include "counting_policy.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

using Gate = detail::PollGate<detail::StdAtomicPolicy>;

// Brings a new gate (held by the first poll) to idle, as a first poll that
// leaves the wait registered does.
void suspend_first_poll(Gate& gate) {
  gate.start_poll();
  ASSERT_TRUE(gate.try_suspend());
}

TEST(PollGate, a_new_gate_is_held_by_the_first_poll) {
  Gate gate;
  EXPECT_FALSE(gate.claim()) << "a wake during co_await's own poll must not queue another";
  EXPECT_FALSE(gate.try_seize());
}

TEST(PollGate, a_claim_on_an_idle_gate_hands_out_one_poll) {
  Gate gate;
  suspend_first_poll(gate);
  EXPECT_TRUE(gate.claim()) << "the first wake of an idle wait queues its poll";
  EXPECT_FALSE(gate.claim()) << "a second wake finds the poll queued";
}

TEST(PollGate, a_wake_during_a_poll_makes_it_poll_again) {
  Gate gate;
  gate.start_poll();
  EXPECT_FALSE(gate.claim());
  EXPECT_FALSE(gate.try_suspend()) << "the wake came after the poll began: poll again";
  gate.start_poll();
  EXPECT_TRUE(gate.try_suspend()) << "no wake since this poll began";
}

TEST(PollGate, a_wake_before_the_poll_starts_is_absorbed_by_it) {
  Gate gate;
  suspend_first_poll(gate);
  ASSERT_TRUE(gate.claim());
  EXPECT_FALSE(gate.claim());
  gate.start_poll();
  EXPECT_TRUE(gate.try_suspend()) << "both wakes came before the poll that serves them";
}

TEST(PollGate, a_completed_wait_keeps_the_gate_for_good) {
  Gate gate;
  gate.start_poll();  // ... the poll completes: the gate is not given up
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(gate.claim()) << "late wake " << i;
  EXPECT_FALSE(gate.try_seize());
}

TEST(PollGate, seizing_succeeds_only_on_an_idle_gate) {
  Gate gate;
  suspend_first_poll(gate);
  EXPECT_TRUE(gate.try_seize());
  EXPECT_FALSE(gate.claim()) << "a wake after the seize must not queue a poll";
  EXPECT_FALSE(gate.try_seize());
}

TEST(PollGate, seizing_fails_while_a_claimed_poll_is_queued) {
  Gate gate;
  suspend_first_poll(gate);
  ASSERT_TRUE(gate.claim());
  EXPECT_FALSE(gate.try_seize());
}

// The RMWs coro.hpp's Cost paragraph counts: one per wake, one per poll, and
// one compare-exchange to end a poll that leaves the wait suspended.
TEST(PollGate, each_step_costs_one_rmw) {
  detail::PollGate<CountingPolicy> gate;
  const auto rmws = [](auto&& step) {
    const std::uint64_t before = rmw_tally();
    step();
    return rmw_tally() - before;
  };
  EXPECT_EQ(rmws([&] { gate.start_poll(); }), 1u);
  EXPECT_EQ(rmws([&] { EXPECT_TRUE(gate.try_suspend()); }), 1u);
  EXPECT_EQ(rmws([&] { EXPECT_TRUE(gate.claim()); }), 1u);
  EXPECT_EQ(rmws([&] { EXPECT_FALSE(gate.try_seize()); }), 1u);
}

TEST(PollGate, concurrent_claims_on_an_idle_gate_hand_out_one_poll) {
  Watchdog watchdog("concurrent claims");
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  for (int round = 0; round < kRounds; ++round) {
    Gate gate;
    suspend_first_poll(gate);
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        // Ordering: relaxed; joined before the count is read.
        if (gate.claim()) winners.fetch_add(1, std::memory_order_relaxed);
      });
    }
    for (auto& thread : threads) thread.join();
    // Ordering: relaxed; the threads were joined.
    ASSERT_EQ(winners.load(std::memory_order_relaxed), 1) << "round " << round;
  }
}

// The poll that a claim hands out sees what the last poll wrote: plain data
// that each poll increments, from two threads, with only the gate between
// them. A missing release or acquire is a data race that ThreadSanitizer
// reports, and may lose an increment.
TEST(PollGate, the_next_poll_sees_the_last_polls_writes) {
  Watchdog watchdog("poll hand-off");
  constexpr long kPollsEach = 10000;
  Gate gate;
  long polls = 0;  // touched only by the owner of the gate
  // A thread polls on the turns it claims from idle, and once more for each
  // wake (a claim by the other thread) that arrives during its poll.
  auto poller = [&](long& mine) {
    while (mine < kPollsEach) {
      if (!gate.claim()) continue;
      do {
        gate.start_poll();
        ++polls;
        ++mine;
      } while (!gate.try_suspend());
    }
  };
  suspend_first_poll(gate);
  long by_a = 0;
  long by_b = 0;
  std::thread a(poller, std::ref(by_a));
  std::thread b(poller, std::ref(by_b));
  a.join();
  b.join();
  EXPECT_EQ(polls, by_a + by_b) << "an increment was lost between two polls";
  EXPECT_TRUE(gate.claim()) << "both pollers gave the gate up";
}

// An anchor's owner, as the awaiter is one: counts what the anchor asks of it.
// Calls are counted in globals, so that a call made after the owner is gone
// is still seen (and, under AddressSanitizer, reported as a use after free).
int queue_calls = 0;
bool queued_inside_wake_scope = false;

template <template <class> class AnchorKind>
struct Owner {
  using Anchor = AnchorKind<Owner>;
  Owner() { queue_calls = 0; }
  Anchor& anchor() noexcept { return anchor_; }
  const void* primitive() const noexcept { return &primitive_tag; }
  void queue() noexcept {
    ++queue_calls;
    queued_inside_wake_scope = detail::WakeScope::active(primitive());
  }
  // What retire() waits for is the primitive's: a real notifier inside the
  // waker is tested end to end by
  // CoAwaitThreads.completion_waits_for_a_notifier_inside_the_waker_call.
  void quiesce() const noexcept {}

  // Attached, and its first poll has left the wait idle (registered).
  void attach_idle() {
    anchor_.attach(*this);
    anchor_.gate().start_poll();
    ASSERT_TRUE(anchor_.gate().try_suspend());
  }

  int primitive_tag = 0;
  Anchor anchor_{*this};
};
using FrameOwner = Owner<detail::FrameAnchor>;
using RelayOwner = Owner<detail::RelayAnchor>;

TEST(FrameAnchor, the_waker_points_at_the_owner_and_clones_for_free) {
  FrameOwner owner;
  owner.attach_idle();
  const Waker copy = owner.anchor().waker();  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy.data(), &owner);
  EXPECT_TRUE(copy.will_wake(owner.anchor().waker()));
}

TEST(FrameAnchor, a_wake_on_an_idle_wait_queues_one_poll_inside_a_wake_scope) {
  FrameOwner owner;
  owner.attach_idle();
  owner.anchor().waker().wake_by_ref();
  EXPECT_EQ(queue_calls, 1);
  EXPECT_TRUE(queued_inside_wake_scope)
      << "the wake runs under the primitive's lock and must say so to a poll run right there";
  owner.anchor().waker().wake_by_ref();
  EXPECT_EQ(queue_calls, 1) << "the poll is queued already";
}

TEST(RelayAnchor, a_wake_on_an_idle_wait_queues_one_poll) {
  RelayOwner owner;
  owner.attach_idle();
  owner.anchor().waker().wake_by_ref();
  EXPECT_EQ(queue_calls, 1);
  EXPECT_FALSE(queued_inside_wake_scope) << "a relay wake holds no lock of a quiescible primitive";
  owner.anchor().waker().wake_by_ref();
  EXPECT_EQ(queue_calls, 1) << "the poll is queued already";
}

TEST(RelayAnchor, a_wake_after_completion_touches_only_the_relay) {
  Waker late;
  {
    auto owner = std::make_unique<RelayOwner>();
    owner->anchor().attach(*owner);
    owner->anchor().gate().start_poll();  // ... and the poll completes the wait
    late = owner->anchor().waker();
    EXPECT_NE(late.data(), owner.get()) << "the waker points at the relay, not the owner";
  }
  late.wake_by_ref();
  std::move(late).wake();
  EXPECT_EQ(queue_calls, 0);
}

TEST(Completion, is_empty_until_a_value_is_set) {
  detail::Completion<int> completion;
  EXPECT_FALSE(completion.done());
  completion.set_value(7);
  EXPECT_TRUE(completion.done());
  EXPECT_EQ(completion.take(), 7);
}

TEST(Completion, moves_a_move_only_value_out) {
  detail::Completion<std::unique_ptr<int>> completion;
  completion.set_value(std::make_unique<int>(3));
  const std::unique_ptr<int> out = completion.take();
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(*out, 3);
}

TEST(Completion, holds_nothing_but_done_for_a_wait_that_yields_nothing) {
  detail::Completion<std::monostate> completion;
  completion.set_value(std::monostate{});
  EXPECT_TRUE(completion.done());
  EXPECT_EQ(completion.take(), std::monostate{});
}

TEST(Completion, rethrows_the_error_it_holds) {
  detail::Completion<int> completion;
  completion.set_error(std::make_exception_ptr(std::runtime_error("predicate threw")));
  EXPECT_TRUE(completion.done());
  EXPECT_THROW(static_cast<void>(completion.take()), std::runtime_error);
}

// A value whose move throws: the awaiter then stores the exception instead.
struct ThrowsOnMove {
  ThrowsOnMove() = default;
  ThrowsOnMove(ThrowsOnMove&&) { throw std::logic_error("move"); }
};

TEST(Completion, a_value_whose_move_throws_leaves_room_for_the_error) {
  detail::Completion<ThrowsOnMove> completion;
  ThrowsOnMove value;
  EXPECT_THROW(completion.set_value(std::move(value)), std::logic_error);
  EXPECT_FALSE(completion.done());
  completion.set_error(std::make_exception_ptr(std::logic_error("move")));
  EXPECT_THROW(static_cast<void>(completion.take()), std::logic_error);
}

struct CountStops {
  int* calls;
  void operator()() const noexcept { ++*calls; }
};

// The contract behind a plain co_await's smaller frame: a wait without a stop
// token stores no std::stop_callback.
static_assert(std::is_empty_v<detail::StopHook<false, CountStops>>);

#if defined(__cpp_lib_jthread)  // std::stop_token
TEST(StopHook, a_stop_request_while_armed_calls_it) {
  std::stop_source source;
  int calls = 0;
  detail::StopHook<true, CountStops> hook;
  hook.arm(source.get_token(), CountStops{&calls});
  source.request_stop();
  EXPECT_EQ(calls, 1);
  hook.disarm();
}

TEST(StopHook, arming_after_the_stop_request_calls_it_at_once) {
  std::stop_source source;
  source.request_stop();
  int calls = 0;
  detail::StopHook<true, CountStops> hook;
  hook.arm(source.get_token(), CountStops{&calls});
  EXPECT_EQ(calls, 1);
  hook.disarm();
}

TEST(StopHook, a_stop_request_after_disarm_does_not_call_it) {
  std::stop_source source;
  int calls = 0;
  detail::StopHook<true, CountStops> hook;
  hook.arm(source.get_token(), CountStops{&calls});
  hook.disarm();
  source.request_stop();
  EXPECT_EQ(calls, 0);
}
#endif  // __cpp_lib_jthread

}  // namespace
}  // namespace diatomic::test
