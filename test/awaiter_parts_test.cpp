// SPDX-License-Identifier: MIT
// The named parts of the co_await awaiter (diatomic/coro.hpp), each on its
// own: the poll latch (detail/poll_latch.hpp). Transitions one step at a time,
// their RMW costs, and the hand-off between threads (under ThreadSanitizer in
// suite 'concurrency'). Suites 'core' and 'concurrency'.
#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/poll_latch.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "counting_policy.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

using Latch = detail::PollLatch<detail::StdAtomicPolicy>;

// Brings a new latch (held by the first poll) to idle, as a first poll that
// leaves the wait registered does.
void suspend_first_poll(Latch& latch) {
  latch.start_poll();
  ASSERT_TRUE(latch.try_suspend());
}

TEST(PollLatch, a_new_latch_is_held_by_the_first_poll) {
  Latch latch;
  EXPECT_FALSE(latch.claim()) << "a wake during co_await's own poll must not queue another";
  EXPECT_FALSE(latch.try_seize());
}

TEST(PollLatch, a_claim_on_an_idle_latch_hands_out_one_poll) {
  Latch latch;
  suspend_first_poll(latch);
  EXPECT_TRUE(latch.claim()) << "the first wake of an idle wait queues its poll";
  EXPECT_FALSE(latch.claim()) << "a second wake finds the poll queued";
}

TEST(PollLatch, a_wake_during_a_poll_makes_it_poll_again) {
  Latch latch;
  latch.start_poll();
  EXPECT_FALSE(latch.claim());
  EXPECT_FALSE(latch.try_suspend()) << "the wake came after the poll began: poll again";
  latch.start_poll();
  EXPECT_TRUE(latch.try_suspend()) << "no wake since this poll began";
}

TEST(PollLatch, a_wake_before_the_poll_starts_is_absorbed_by_it) {
  Latch latch;
  suspend_first_poll(latch);
  ASSERT_TRUE(latch.claim());
  EXPECT_FALSE(latch.claim());
  latch.start_poll();
  EXPECT_TRUE(latch.try_suspend()) << "both wakes came before the poll that serves them";
}

TEST(PollLatch, a_completed_wait_keeps_the_latch_for_good) {
  Latch latch;
  latch.start_poll();  // ... the poll completes: the latch is not given up
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(latch.claim()) << "late wake " << i;
  EXPECT_FALSE(latch.try_seize());
}

TEST(PollLatch, seizing_succeeds_only_on_an_idle_latch) {
  Latch latch;
  suspend_first_poll(latch);
  EXPECT_TRUE(latch.try_seize());
  EXPECT_FALSE(latch.claim()) << "a wake after the seize must not queue a poll";
  EXPECT_FALSE(latch.try_seize());
}

TEST(PollLatch, seizing_fails_while_a_claimed_poll_is_queued) {
  Latch latch;
  suspend_first_poll(latch);
  ASSERT_TRUE(latch.claim());
  EXPECT_FALSE(latch.try_seize());
}

// The RMWs coro.hpp's Cost paragraph counts: one per wake, one per poll, and
// one compare-exchange to end a poll that leaves the wait suspended.
TEST(PollLatch, each_step_costs_one_rmw) {
  detail::PollLatch<CountingPolicy> latch;
  const auto rmws = [](auto&& step) {
    const std::uint64_t before = rmw_tally();
    step();
    return rmw_tally() - before;
  };
  EXPECT_EQ(rmws([&] { latch.start_poll(); }), 1u);
  EXPECT_EQ(rmws([&] { EXPECT_TRUE(latch.try_suspend()); }), 1u);
  EXPECT_EQ(rmws([&] { EXPECT_TRUE(latch.claim()); }), 1u);
  EXPECT_EQ(rmws([&] { EXPECT_FALSE(latch.try_seize()); }), 1u);
}

TEST(PollLatch, concurrent_claims_on_an_idle_latch_hand_out_one_poll) {
  Watchdog watchdog("concurrent claims");
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  for (int round = 0; round < kRounds; ++round) {
    Latch latch;
    suspend_first_poll(latch);
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        // Ordering: relaxed; joined before the count is read.
        if (latch.claim()) winners.fetch_add(1, std::memory_order_relaxed);
      });
    }
    for (auto& thread : threads) thread.join();
    // Ordering: relaxed; the threads were joined.
    ASSERT_EQ(winners.load(std::memory_order_relaxed), 1) << "round " << round;
  }
}

// The poll that a claim hands out sees what the last poll wrote: plain data
// that each poll increments, from two threads, with only the latch between
// them. A missing release or acquire is a data race that ThreadSanitizer
// reports, and may lose an increment.
TEST(PollLatch, the_next_poll_sees_the_last_polls_writes) {
  Watchdog watchdog("poll hand-off");
  constexpr long kPollsEach = 10000;
  Latch latch;
  long polls = 0;  // touched only by the owner of the latch
  // A thread polls on the turns it claims from idle, and once more for each
  // wake (a claim by the other thread) that arrives during its poll.
  auto poller = [&](long& mine) {
    while (mine < kPollsEach) {
      if (!latch.claim()) continue;
      do {
        latch.start_poll();
        ++polls;
        ++mine;
      } while (!latch.try_suspend());
    }
  };
  suspend_first_poll(latch);
  long by_a = 0;
  long by_b = 0;
  std::thread a(poller, std::ref(by_a));
  std::thread b(poller, std::ref(by_b));
  a.join();
  b.join();
  EXPECT_EQ(polls, by_a + by_b) << "an increment was lost between two polls";
  EXPECT_TRUE(latch.claim()) << "both pollers gave the latch up";
}

}  // namespace
}  // namespace diatomic::test
