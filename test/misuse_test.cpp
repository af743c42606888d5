// SPDX-License-Identifier: MIT
// Misuse checks turn consumer-side misuse into an abort with a message naming
// it. This program is built with checks forced on (test/meson.build), so it
// runs whatever the library's configuration; consumer_test shows what the
// configuration decides.
#include <diatomic/block_on.hpp>
#include <diatomic/coro.hpp>
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/rc_waker.hpp>
#include <diatomic/wait.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <utility>

#include "coro_task.hpp"

namespace diatomic::test {
namespace {

static_assert(DIATOMIC_CHECKS == 1, "built with checks forced on");

// A waker whose clone announces itself and then never returns: a thread
// registering it stays inside register_waker for good.
std::atomic<bool> g_inside_clone{false};

void* blocking_clone(void*) {
  g_inside_clone.store(true, std::memory_order_release);
  g_inside_clone.notify_all();
  std::atomic<bool> never{false};
  never.wait(false, std::memory_order_acquire);
  return nullptr;
}
void ignore(void*) noexcept {}
constexpr WakerVTable kBlockingVTable{&blocking_clone, &ignore, &ignore, &ignore};

void register_from_two_threads_at_once() {
  auto* sink = new WakeSink();  // leaked on purpose: the process aborts
  std::thread([sink] {
    int target = 0;
    sink->register_waker(Waker::adopt(&target, &kBlockingVTable));
  }).detach();
  g_inside_clone.wait(false, std::memory_order_acquire);
  sink->register_waker(Waker::noop());
}

TEST(MisuseDeathTest, two_threads_registering_at_once_abort_with_a_message) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(register_from_two_threads_at_once(),
               "diatomic: two threads are inside consumer-side calls");
}

TEST(MisuseDeathTest, a_moved_from_sink_aborts_with_a_message) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        WakeSink sink;
        WakeSink other = std::move(sink);
        sink.register_waker(Waker::noop());  // NOLINT(bugprone-use-after-move)
      },
      "diatomic: WakeSink used after it was moved from");
}

struct NoopTarget {
  void wake() noexcept {}
};

TEST(MisuseDeathTest, a_moved_from_rc_waker_aborts_with_a_message) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto rc = RcWaker<NoopTarget>::make();
        const RcWaker<NoopTarget> other = std::move(rc);
        static_cast<void>(rc.waker());  // NOLINT(bugprone-use-after-move)
      },
      "diatomic: RcWaker used after it was moved from");
}

// Two threads each in block_on on one sink (the most common consumer
// mistake): the second wait starts while the first is parked, and aborts.
void two_threads_in_block_on() {
  auto* sink = new WakeSink();  // leaked on purpose: the process aborts
  static std::atomic<bool> first_polled{false};
  std::thread([sink] {
    diatomic::block_on(sink->wait_until([] {
      // Ordering: release, pairs with the acquire wait below: the wait's mark,
      // made before this first predicate call, is visible to the main thread.
      first_polled.store(true, std::memory_order_release);
      first_polled.notify_all();
      return false;
    }));
  }).detach();
  first_polled.wait(false, std::memory_order_acquire);
  diatomic::block_on(sink->wait_until([] { return false; }));
}

TEST(MisuseDeathTest, a_second_block_on_while_one_waits_aborts_with_a_message) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(two_threads_in_block_on(),
               "diatomic: a second wait started on a DiatomicWaker while another wait");
}

// Two coroutines in co_await on one sink: the second co_await aborts.
TEST(MisuseDeathTest, a_second_co_await_while_one_waits_aborts_with_a_message) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto* sink = new WakeSink();  // leaked on purpose: the process aborts
        auto waiter = [](WakeSink& s) -> Task { co_await s.wait_until([] { return false; }); };
        Task first = waiter(*sink);
        Task second = waiter(*sink);
      },
      "diatomic: a second wait started on a DiatomicWaker while another wait");
}

// A registration made directly while a wait is in progress aborts.
TEST(MisuseDeathTest, registering_while_a_wait_is_in_progress_aborts_with_a_message) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto* sink = new WakeSink();  // leaked on purpose: the process aborts
        Task waiting = [](WakeSink& s) -> Task {
          co_await s.wait_until([] { return false; });
        }(*sink);
        sink->register_waker(Waker::noop());
      },
      "diatomic: register_waker called on a DiatomicWaker while a wait on it");
}

// Legal: one consumer whose waits run on different threads, one after
// another, and a coroutine wait whose polls run on different threads.
TEST(MisuseTest, waits_that_follow_each_other_on_different_threads_are_legal) {
  WakeSink sink;
  WakeSource source = sink.source();
  std::atomic<int> rounds{0};
  for (int round = 1; round <= 3; ++round) {
    std::thread producer([&] {
      // Ordering: release, pairs with the acquire load in the predicate.
      rounds.store(round, std::memory_order_release);
      source.notify();
    });
    std::thread consumer([&] {
      // Ordering: acquire, pairs with the producer's release store.
      diatomic::block_on(sink.wait_until([&] { return rounds.load(std::memory_order_acquire) >= round; }));
    });
    producer.join();
    consumer.join();
  }
  EXPECT_EQ(rounds.load(std::memory_order_relaxed), 3);

  std::atomic<bool> ready{false};
  Task task = [](WakeSink& s, std::atomic<bool>& flag) -> Task {
    // Ordering: acquire, pairs with the release store below.
    co_await s.wait_until([&] { return flag.load(std::memory_order_acquire); });
  }(sink, ready);
  std::thread([&] { source.notify(); }).join();  // a spurious wake: polls on that thread
  EXPECT_FALSE(task.finished());
  std::thread([&] {
    // Ordering: release, pairs with the predicate's acquire load.
    ready.store(true, std::memory_order_release);
    source.notify();
  }).join();
  EXPECT_TRUE(task.finished());
}

}  // namespace
}  // namespace diatomic::test
