// SPDX-License-Identifier: MIT
// this_thread::park_until / park_for: what a deadline does to the parker's
// token, with no timing assertion. A deadline already past returns at once
// and consumes nothing; a token left before the park is consumed whatever
// the deadline; deadlines on other clocks and extreme durations convert
// without overflow; and in a counted ping-pong whose timeouts race the
// wakes, every wake is consumed exactly once (a lost token hangs the round
// until the watchdog fails it; an invented one is counted).
#include <diatomic/thread_waker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>

#include "watchdog.hpp"

namespace diatomic::test {
namespace {

using std::chrono::steady_clock;
using std::chrono::system_clock;

TEST(ParkUntil, a_deadline_in_the_past_returns_false_and_consumes_nothing) {
  EXPECT_FALSE(this_thread::park_until(steady_clock::now() - std::chrono::seconds(1)));
  EXPECT_FALSE(this_thread::park_until(steady_clock::time_point::min()));
  EXPECT_FALSE(this_thread::park_for(std::chrono::nanoseconds(0)));
  EXPECT_FALSE(this_thread::park_for(std::chrono::seconds(-5)));
  // Nothing was consumed, and no timeout left a token: a wake now is the only one.
  this_thread::waker().wake();
  EXPECT_TRUE(this_thread::park_until(steady_clock::time_point::min()));
  EXPECT_FALSE(this_thread::park_until(steady_clock::time_point::min()));
}

TEST(ParkUntil, a_wake_before_the_park_returns_true_whatever_the_deadline) {
  const Waker waker = this_thread::waker();
  waker.wake_by_ref();
  EXPECT_TRUE(this_thread::park_until(steady_clock::now() + std::chrono::hours(1)));
  waker.wake_by_ref();
  EXPECT_TRUE(this_thread::park_until(steady_clock::now() - std::chrono::hours(1)));
  waker.wake_by_ref();
  EXPECT_TRUE(this_thread::park_for(std::chrono::milliseconds(0)));
  // Several wakes leave one token.
  waker.wake_by_ref();
  waker.wake_by_ref();
  EXPECT_TRUE(this_thread::park_for(std::chrono::hours(1)));
  EXPECT_FALSE(this_thread::park_for(std::chrono::nanoseconds(0)));
}

TEST(ParkUntil, deadlines_on_other_clocks_and_extreme_waits_do_not_overflow) {
  const Waker waker = this_thread::waker();
  // Past deadlines on system_clock, at both ends of its range.
  EXPECT_FALSE(this_thread::park_until(system_clock::now() - std::chrono::seconds(1)));
  EXPECT_FALSE(this_thread::park_until(system_clock::time_point::min()));
  // Steady deadlines of a coarser duration are rounded up, not truncated
  // into the past: still a wait, so the token ends it.
  waker.wake_by_ref();
  EXPECT_TRUE(this_thread::park_until(
      std::chrono::time_point_cast<std::chrono::hours>(steady_clock::now()) +
      std::chrono::hours(2)));
  // Waits longer than steady_clock's range: until time_point::max(), ended by the token.
  waker.wake_by_ref();
  EXPECT_TRUE(this_thread::park_until(system_clock::time_point::max()));
  waker.wake_by_ref();
  EXPECT_TRUE(this_thread::park_for(std::chrono::hours::max()));
  waker.wake_by_ref();
  EXPECT_TRUE(this_thread::park_until(steady_clock::time_point::max()));
  const auto now = steady_clock::now();
  EXPECT_EQ(detail::steady_deadline(now, std::chrono::hours::max()), steady_clock::time_point::max());
  EXPECT_EQ(detail::steady_deadline(now, std::chrono::duration<double>(1e300)),
            steady_clock::time_point::max());
  EXPECT_EQ(detail::steady_deadline(now, std::chrono::nanoseconds(-1)), now);
  EXPECT_EQ(detail::steady_deadline(now, std::chrono::duration<double, std::nano>(0.5)),
            now + steady_clock::duration(1));
}

// A ping-pong in which the consumer parks with short deadlines of varied
// length (0 to 63 µs), so that timeouts race the producer's wakes. After a
// timeout the consumer parks again without looking at the round: only a
// consumed token lets it look. A token lost by a timeout would leave it
// timing out forever (the watchdog fails the test); a token invented by one
// would let it see a round the producer has not begun (counted).
TEST(ParkUntil, timeouts_racing_wakes_neither_lose_nor_invent_a_token) {
  constexpr std::uint32_t kRounds = 20'000;
  Watchdog watchdog("timed parks racing wakes");
  std::atomic<std::uint32_t> round{0};  // the round the producer has begun
  std::atomic<std::uint32_t> acked{0};  // the round the consumer has finished
  std::uint32_t invented = 0;
  std::uint32_t timeouts = 0;
  const Waker producer_waker = this_thread::waker();
  Waker consumer_waker = Waker::noop();
  std::atomic<bool> consumer_ready{false};
  std::thread parker([&] {
    consumer_waker = this_thread::waker();
    // Ordering: release, pairs with the acquire load below: consumer_waker
    // is written before.
    consumer_ready.store(true, std::memory_order_release);
    for (std::uint32_t r = 1; r <= kRounds; ++r) {
      for (;;) {
        const auto timeout = std::chrono::microseconds((r * 7 + timeouts) % 64);
        if (!this_thread::park_for(timeout)) {
          ++timeouts;
          continue;
        }
        // Ordering: acquire, pairs with the producer's release store; the
        // parker's token already orders it.
        if (round.load(std::memory_order_acquire) != r) ++invented;
        break;
      }
      // Ordering: release, pairs with the producer's acquire load.
      acked.store(r, std::memory_order_release);
      producer_waker.wake_by_ref();
    }
  });
  // Ordering: acquire, pairs with the release store above.
  while (!consumer_ready.load(std::memory_order_acquire)) std::this_thread::yield();
  for (std::uint32_t r = 1; r <= kRounds; ++r) {
    // Ordering: release, pairs with the consumer's acquire load.
    round.store(r, std::memory_order_release);
    consumer_waker.wake_by_ref();
    // Ordering: acquire, pairs with the consumer's release store.
    while (acked.load(std::memory_order_acquire) != r) this_thread::park();
  }
  parker.join();
  EXPECT_EQ(invented, 0u) << "parks that returned true with no wake of their round";
  std::printf("%u rounds, %u timeouts\n", kRounds, timeouts);
}

}  // namespace
}  // namespace diatomic::test
