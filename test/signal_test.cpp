// SPDX-License-Identifier: MIT
// Notifying from a signal handler: a thread in block_on is woken by a
// SIGUSR1 handler that notifies its primitive (WakeSource::notify(),
// AtomicWaker::wake()), 10 000 times, and every notification is received.
// The handler runs on the waiting thread itself or on a bystander thread.
// The rounds are counted, not timed: the sender raises the next signal only
// after the handler of the last one has returned (standard signals do not
// queue), and a lost wake-up leaves the waiter parked, which the watchdog
// reports. Linux-only (pthread_kill to a chosen thread). Suite 'concurrency'.
#include <diatomic/atomic_waker.hpp>
#include <diatomic/block_on.hpp>
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/thread_waker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <thread>

#if defined(__linux__)
#include <pthread.h>
#include <signal.h>
#endif

#include "sanitizers.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

constexpr std::uint64_t kRounds = 10'000;

// What the handler uses: lock-free atomics and the primitive under test,
// published before the handler is installed.
std::atomic<std::uint64_t> sent{0};
std::atomic<std::uint64_t> handled{0};
std::atomic<const WakeSource*> source_under_test{nullptr};
std::atomic<AtomicWaker*> atomic_waker_under_test{nullptr};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<const WakeSource*>::is_always_lock_free);

#if defined(__linux__)
void on_signal(int) {
  const int saved_errno = errno;  // the futex wake is a system call
  // Ordering: release, pairs with the waiter's acquire in its predicate.
  sent.fetch_add(1, std::memory_order_release);
  // Ordering: relaxed (both); published before the handler was installed.
  if (const WakeSource* source = source_under_test.load(std::memory_order_relaxed)) {
    source->notify();
  }
  if (AtomicWaker* waker = atomic_waker_under_test.load(std::memory_order_relaxed)) {
    waker->wake();
  }
  // Ordering: release, pairs with the sender's acquire: this handler has
  // returned from the primitive before the next signal is raised.
  handled.fetch_add(1, std::memory_order_release);
  errno = saved_errno;
}

enum class Target { waiter, bystander };

// Runs kRounds rounds: `wait_for(i)` blocks until i signals were handled;
// each signal goes to the waiter itself or to a bystander thread. Returns
// the rounds the waiter completed.
template <class WaitFor>
std::uint64_t run_rounds(Target target, WaitFor wait_for) {
  sent.store(0, std::memory_order_relaxed);
  handled.store(0, std::memory_order_relaxed);
  struct sigaction action {};
  action.sa_handler = &on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  struct sigaction previous {};
  if (sigaction(SIGUSR1, &action, &previous) != 0) return 0;

  std::atomic<bool> stop_bystander{false};
  std::atomic<std::uint64_t> completed{0};
  std::thread waiter([&] {
    for (std::uint64_t i = 1; i <= kRounds; ++i) {
      wait_for(i);
      // Ordering: relaxed; read after join().
      completed.store(i, std::memory_order_relaxed);
    }
  });
  std::thread bystander([&] {
    // Ordering: relaxed; only ends the loop.
    while (!stop_bystander.load(std::memory_order_relaxed)) std::this_thread::yield();
  });
  const pthread_t to = target == Target::waiter ? waiter.native_handle() : bystander.native_handle();
  {
    Watchdog watchdog("signal-handler notifications to a thread in block_on");
    for (std::uint64_t i = 1; i <= kRounds; ++i) {
      pthread_kill(to, SIGUSR1);
      // Ordering: acquire, pairs with the handler's release increment.
      while (handled.load(std::memory_order_acquire) < i) std::this_thread::yield();
    }
    waiter.join();
  }
  stop_bystander.store(true, std::memory_order_relaxed);
  bystander.join();
  sigaction(SIGUSR1, &previous, nullptr);
  return completed.load(std::memory_order_relaxed);
}

// Ordering: acquire, pairs with the handler's release increment of `sent`.
bool signalled(std::uint64_t i) {
  return sent.load(std::memory_order_acquire) >= i;
}

// ThreadSanitizer runs a signal's handler only at the receiving thread's next
// intercepted call, and a thread asleep in the futex system call makes none:
// the handler that would wake it never runs, so the test would hang on the
// sanitizer, not on the library. It runs in every other build
// (kThreadSanitizer).

class SignalNotify : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    if (kThreadSanitizer) {
      GTEST_SKIP() << "ThreadSanitizer defers signal handlers to the thread's next intercepted "
                      "call, which a thread asleep in the futex never makes";
    }
    if (!this_thread::wake_by_ref_is_async_signal_safe()) {
      GTEST_SKIP() << "this build's parker (parker=portable) wakes under a mutex: its thread "
                      "waker's wake_by_ref is not async-signal-safe (diatomic/thread_waker.hpp)";
    }
  }
};

TEST_P(SignalNotify, a_wake_source_notified_from_a_handler_loses_none_of_10000) {
  WakeSink sink;
  const WakeSource source = sink.source();
  source_under_test.store(&source, std::memory_order_relaxed);
  const std::uint64_t completed = run_rounds(
      GetParam(), [&](std::uint64_t i) { block_on(sink.wait_until([i] { return signalled(i); })); });
  source_under_test.store(nullptr, std::memory_order_relaxed);
  EXPECT_EQ(completed, kRounds);
}

TEST_P(SignalNotify, an_atomic_waker_woken_from_a_handler_loses_none_of_10000) {
  AtomicWaker waker;
  atomic_waker_under_test.store(&waker, std::memory_order_relaxed);
  const std::uint64_t completed = run_rounds(GetParam(), [&](std::uint64_t i) {
    block_on(waker.wait_until([i] { return signalled(i); }));
  });
  atomic_waker_under_test.store(nullptr, std::memory_order_relaxed);
  EXPECT_EQ(completed, kRounds);
}

INSTANTIATE_TEST_SUITE_P(HandlerOn, SignalNotify,
                         ::testing::Values(Target::waiter, Target::bystander),
                         [](const ::testing::TestParamInfo<Target>& info) {
                           return info.param == Target::waiter ? "the_waiting_thread"
                                                               : "a_bystander_thread";
                         });
#else
TEST(SignalNotify, linux_only) {
  GTEST_SKIP() << "pthread_kill to a chosen thread is tested on Linux";
}
#endif

}  // namespace
}  // namespace diatomic::test
