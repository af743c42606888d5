// SPDX-License-Identifier: MIT
// Waits with a deadline: block_on(wait, deadline / timeout) on threads, and
// co_await ... resume_on(executor, deadline) and sleep_until on a RunLoop.
// No test judges time: a timed-out wait is checked by what its predicate saw
// (false at its last check, which came after the deadline), by the
// registration it left (none), and by counting the items that raced the
// deadline (each returned or left for the next wait, never lost).
// Suites 'core' and 'concurrency'.
#include <diatomic/diatomic.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <version>
#if defined(__cpp_lib_jthread)
#include <stop_token>
#endif
#include <thread>

#include "coro_task.hpp"
#include "stress_scale.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::microseconds;
using std::chrono::milliseconds;

// A predicate that records what it saw: how often it ran, when it last ran
// and what it last returned. Single-threaded (the consumer's).
struct Probe {
  int calls = 0;
  bool last = false;
  Clock::time_point last_call{};
  bool record(bool result) {
    ++calls;
    last = result;
    last_call = Clock::now();
    return result;
  }
};

TEST(BlockOnDeadline, a_wait_that_never_holds_times_out_false_at_a_check_after_the_deadline) {
  DiatomicWaker waker;
  Probe probe;
  const Clock::time_point deadline = Clock::now() + microseconds(200);
  EXPECT_FALSE(block_on(waker.wait_until([&] { return probe.record(false); }), deadline));
  EXPECT_FALSE(probe.last);
  EXPECT_GE(probe.last_call, deadline) << "the last check came before the deadline";
  EXPECT_GE(probe.calls, 3) << "check, re-check after registering, and the last check";
  EXPECT_FALSE(waker.state().registered()) << "a timed-out wait leaves its registration";
}

TEST(BlockOnDeadline, a_timeout_is_a_deadline_from_now) {
  WakeSink sink;
  Probe probe;
  const Clock::time_point before = Clock::now();
  EXPECT_FALSE(block_on(sink.wait_until([&] { return probe.record(false); }), milliseconds(1)));
  EXPECT_GE(probe.last_call, before + milliseconds(1));
  EXPECT_FALSE(sink.state().registered());
}

TEST(BlockOnDeadline, a_value_wait_returns_its_value_or_an_empty_optional) {
  DiatomicWaker waker;
  std::optional<int> slot = 7;
  const auto take = [&] { return std::exchange(slot, std::nullopt); };
  EXPECT_EQ(block_on(waker.wait_until(take), Clock::now() + milliseconds(1)), std::optional<int>(7));
  EXPECT_EQ(block_on(waker.wait_until(take), Clock::now()), std::nullopt);
}

TEST(BlockOnDeadline, an_item_first_seen_by_the_last_check_is_returned_not_dropped) {
  // The item appears only at the third check, the one expire() makes after
  // the deadline passed: it is the wait's result.
  DiatomicWaker waker;
  int calls = 0;
  const auto third_time = [&]() -> std::optional<int> {
    if (++calls == 3) return 42;
    return std::nullopt;
  };
  EXPECT_EQ(block_on(waker.wait_until(third_time), Clock::now() - milliseconds(1)),
            std::optional<int>(42));
  EXPECT_EQ(calls, 3);
  EXPECT_FALSE(waker.state().registered());
}

TEST(BlockOnDeadline, a_notification_before_the_deadline_returns_the_value) {
  WakeSink sink;
  const WakeSource source = sink.source();
  std::atomic<int> value{0};
  std::thread producer([&] {
    // Ordering: release, pairs with the acquire load in the predicate.
    value.store(5, std::memory_order_release);
    source.notify();
  });
  // A deadline far away: only the notification can end this wait.
  const auto got = block_on(sink.wait_until([&]() -> std::optional<int> {
                              // Ordering: acquire, pairs with the producer's release store.
                              const int v = value.load(std::memory_order_acquire);
                              if (v == 0) return std::nullopt;
                              return v;
                            }),
                            Clock::now() + std::chrono::hours(1));
  producer.join();
  EXPECT_EQ(got, std::optional<int>(5));
}

#if defined(__cpp_lib_jthread)  // std::stop_token
TEST(BlockOnDeadline, with_a_stop_token_the_result_says_stopped_or_timed_out) {
  DiatomicWaker waker;
  std::stop_source stop;
  Probe probe;
  // Not stopped, deadline passed: the outer optional is empty.
  const std::optional<bool> timed_out =
      block_on(waker.wait_until([&] { return probe.record(false); }, stop.get_token()),
               Clock::now());
  EXPECT_EQ(timed_out, std::nullopt);
  // Stopped (checked first) and deadline passed: it says stopped.
  stop.request_stop();
  const std::optional<bool> stopped =
      block_on(waker.wait_until([&] { return probe.record(false); }, stop.get_token()),
               Clock::now());
  EXPECT_EQ(stopped, std::optional<bool>(false));
}
#endif  // __cpp_lib_jthread

TEST(BlockOnDeadline, an_atomic_waker_wait_times_out_too) {
  AtomicWaker waker;
  Probe probe;
  const Clock::time_point deadline = Clock::now() + microseconds(100);
  EXPECT_FALSE(block_on(waker.wait_until([&] { return probe.record(false); }), deadline));
  EXPECT_GE(probe.last_call, deadline);
}

// Items 1..kRacingRounds, each sent by a producer while the consumer waits
// for it with a deadline of 0 to 7 µs, so that it lands before the deadline,
// after it, or during the last check. A wait that timed out is followed by
// one without a deadline, which must find the item: each item is received
// exactly once, in order, by one of the two.
// A million rounds, divided as the stress tests' work is (under a
// sanitizer or an emulator, each round is dearer: stress_scale.hpp); the
// count is printed.
const std::uint64_t kRacingRounds = 1'000'000 / stress_divisor();

TEST(BlockOnDeadline, values_racing_the_deadline_are_returned_or_left_never_lost) {
  WakeSink sink;
  const WakeSource source = sink.source();
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> taken{0};
  std::thread producer([&] {
    for (std::uint64_t i = 1; i <= kRacingRounds; ++i) {
      // Ordering: acquire, pairs with the consumer's release store of taken:
      // one item in flight at a time.
      while (taken.load(std::memory_order_acquire) < i - 1) std::this_thread::yield();
      // Ordering: release, pairs with the acquire load in the predicate.
      sent.store(i, std::memory_order_release);
      source.notify();
    }
  });
  std::uint64_t timeouts = 0;
  std::uint64_t out_of_order = 0;
  {
    Watchdog watchdog("timed waits racing their items");
    for (std::uint64_t next = 1; next <= kRacingRounds; ++next) {
      const auto item = [&]() -> std::optional<std::uint64_t> {
        // Ordering: acquire, pairs with the producer's release store.
        if (sent.load(std::memory_order_acquire) < next) return std::nullopt;
        return next;
      };
      std::optional<std::uint64_t> got = block_on(sink.wait_until(item), microseconds(next % 8));
      if (!got) {
        ++timeouts;
        got = block_on(sink.wait_until(item));
      }
      if (*got != next) ++out_of_order;
      // Ordering: release, pairs with the producer's acquire load.
      taken.store(*got, std::memory_order_release);
    }
    producer.join();
  }
  // Ordering: relaxed; the producer has been joined.
  EXPECT_EQ(taken.load(std::memory_order_relaxed), kRacingRounds);
  EXPECT_EQ(out_of_order, 0u);
  std::printf("%llu items, %llu timed-out waits between them\n",
              static_cast<unsigned long long>(kRacingRounds),
              static_cast<unsigned long long>(timeouts));
}

// Coroutines on a RunLoop.

template <class R>
struct Result {
  std::optional<R> value;
};

Task wait_on_loop(DiatomicWaker& waker, RunLoop& loop, std::atomic<int>& value,
                  Clock::time_point deadline, Result<std::optional<int>>& out) {
  out.value = co_await waker
                  .wait_until([&]() -> std::optional<int> {
                    // Ordering: acquire, pairs with the producer's release store.
                    const int v = value.load(std::memory_order_acquire);
                    if (v == 0) return std::nullopt;
                    return v;
                  })
                  .resume_on(loop.executor(), deadline);
  loop.stop();
}

TEST(CoAwaitDeadline, a_wait_on_a_run_loop_times_out_and_withdraws_its_registration) {
  DiatomicWaker waker;
  RunLoop loop;
  std::atomic<int> value{0};
  Result<std::optional<int>> out;
  const Clock::time_point deadline = Clock::now() + milliseconds(20);
  Task task = wait_on_loop(waker, loop, value, deadline, out);
  // The first poll ran before this clock read; if that read is still before
  // the deadline, so was the poll, which then registered (only the loop,
  // not yet running, can fire the timer). A slower machine may have passed
  // the deadline already: the first poll then expired the wait at once.
  if (Clock::now() < deadline) {
    EXPECT_TRUE(waker.state().registered());
  }
  loop.run();  // parks until the timer; the coroutine stops the loop
  ASSERT_TRUE(task.finished());
  ASSERT_TRUE(out.value.has_value());
  EXPECT_EQ(*out.value, std::nullopt);
  EXPECT_GE(Clock::now(), deadline);
  EXPECT_FALSE(waker.state().registered());
}

TEST(CoAwaitDeadline, a_notification_before_the_deadline_resumes_with_the_value_and_cancels_the_timer) {
  DiatomicWaker waker;
  RunLoop loop;
  std::atomic<int> value{0};
  Result<std::optional<int>> out;
  Task task = wait_on_loop(waker, loop, value, Clock::now() + std::chrono::hours(1), out);
  std::thread producer([&] {
    // Ordering: release, pairs with the acquire load in the predicate.
    value.store(9, std::memory_order_release);
    waker.notify();
  });
  loop.run();
  producer.join();
  ASSERT_TRUE(task.finished());
  EXPECT_EQ(out.value, std::optional<std::optional<int>>(9));
  // The loop's destructor checks that no timer is left pending.
}

#if defined(__cpp_lib_jthread)  // std::stop_token
Task wait_stoppable(WakeSink& sink, RunLoop& loop, std::stop_token token,
                    Clock::time_point deadline, Result<std::optional<bool>>& out) {
  out.value = co_await sink.wait_until([] { return false; }, std::move(token))
                  .resume_on(loop.executor(), deadline);
  loop.stop();
}

TEST(CoAwaitDeadline, deadline_and_stop_token_end_at_the_first_and_say_which) {
  RunLoop loop;
  WakeSink sink;
  std::stop_source stop;
  Result<std::optional<bool>> timed_out;
  Task first = wait_stoppable(sink, loop, stop.get_token(), Clock::now() + microseconds(500),
                              timed_out);
  loop.run();
  ASSERT_TRUE(first.finished());
  ASSERT_TRUE(timed_out.value.has_value());
  EXPECT_EQ(*timed_out.value, std::nullopt) << "timed out: the outer optional is empty";

  RunLoop loop2;
  Result<std::optional<bool>> stopped;
  Task second =
      wait_stoppable(sink, loop2, stop.get_token(), Clock::now() + std::chrono::hours(1), stopped);
  stop.request_stop();
  loop2.run();
  ASSERT_TRUE(second.finished());
  EXPECT_EQ(stopped.value, std::optional<std::optional<bool>>(std::optional<bool>(false)));
}
#endif  // __cpp_lib_jthread

Task sleeper(RunLoop& loop, Clock::time_point when, Clock::time_point& woke) {
  co_await sleep_until(loop.executor(), when);
  woke = Clock::now();
  loop.stop();
}

TEST(CoAwaitDeadline, sleep_until_resumes_on_the_loop_at_or_after_its_time) {
  RunLoop loop;
  const Clock::time_point when = Clock::now() + milliseconds(20);
  Clock::time_point woke{};
  Task task = sleeper(loop, when, woke);
  if (Clock::now() < when) {
    EXPECT_FALSE(task.finished());  // it cannot finish before `when`
  }
  loop.run();
  ASSERT_TRUE(task.finished());
  EXPECT_GE(woke, when);
}

TEST(CoAwaitDeadline, a_coroutine_destroyed_while_it_sleeps_cancels_its_timer) {
  RunLoop loop;
  Clock::time_point woke{};
  Task task = sleeper(loop, Clock::now() + std::chrono::hours(1), woke);
  task.destroy();
  loop.run_until_idle();  // nothing left: the loop's destructor checks no timer is pending
  EXPECT_EQ(woke, Clock::time_point{});
}

// A coroutine on a RunLoop receives items 1..kCoRounds as above: a wait with
// a deadline of 0 to 7 µs racing the producer, then, if it timed out, one
// without: each item is received once, in order.
const std::uint64_t kCoRounds = 100'000 / stress_divisor();

Task receive_all(WakeSink& sink, RunLoop& loop, std::atomic<std::uint64_t>& sent,
                 std::atomic<std::uint64_t>& taken, std::uint64_t& timeouts,
                 std::uint64_t& out_of_order) {
  for (std::uint64_t next = 1; next <= kCoRounds; ++next) {
    const auto item = [&]() -> std::optional<std::uint64_t> {
      // Ordering: acquire, pairs with the producer's release store.
      if (sent.load(std::memory_order_acquire) < next) return std::nullopt;
      return next;
    };
    std::optional<std::uint64_t> got =
        co_await sink.wait_until(item).resume_on(loop.executor(), microseconds(next % 8));
    if (!got) {
      ++timeouts;
      got = co_await sink.wait_until(item).resume_on(loop.executor());
    }
    if (*got != next) ++out_of_order;
    // Ordering: release, pairs with the producer's acquire load.
    taken.store(*got, std::memory_order_release);
  }
  loop.stop();
}

TEST(CoAwaitDeadline, values_racing_the_deadline_on_a_run_loop_are_returned_or_left_never_lost) {
  WakeSink sink;
  const WakeSource source = sink.source();
  RunLoop loop;
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> taken{0};
  std::uint64_t timeouts = 0;
  std::uint64_t out_of_order = 0;
  std::thread producer([&] {
    for (std::uint64_t i = 1; i <= kCoRounds; ++i) {
      // Ordering: acquire, pairs with the coroutine's release store of taken.
      while (taken.load(std::memory_order_acquire) < i - 1) std::this_thread::yield();
      // Ordering: release, pairs with the acquire load in the predicate.
      sent.store(i, std::memory_order_release);
      source.notify();
    }
  });
  {
    Watchdog watchdog("co_await waits with a deadline racing their items");
    Task task = receive_all(sink, loop, sent, taken, timeouts, out_of_order);
    loop.run();
    producer.join();
    ASSERT_TRUE(task.finished());
  }
  // Ordering: relaxed; the producer has been joined.
  EXPECT_EQ(taken.load(std::memory_order_relaxed), kCoRounds);
  EXPECT_EQ(out_of_order, 0u);
  std::printf("%llu items, %llu timed-out co_await waits between them\n",
              static_cast<unsigned long long>(kCoRounds),
              static_cast<unsigned long long>(timeouts));
}

}  // namespace
}  // namespace diatomic::test
