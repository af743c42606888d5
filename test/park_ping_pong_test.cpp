// SPDX-License-Identifier: MIT
// A ping-pong of two threads through the thread parker, with park()'s spin
// turned off so that every hand-off goes through the platform backend's
// futex wait and wake (src/parker/). It guards against the hang that made
// the parker stop using std::atomic::wait off Linux: with MinGW-w64 g++ 12
// (libstdc++'s atomic wait without a futex: a waiter pool of mutexes and
// condition variables), the same ping-pong over std::atomic<std::uint32_t>::wait
// hangs under Wine in most runs of 100,000 round trips (the disabled test
// below), while this one, over WaitOnAddress there, passes. A lost wake-up
// here shows as the watchdog's abort, with its message.
//
// The old backend's variant (ParkerCore over std::atomic::wait, as the
// parker was built off Linux before) is kept as a disabled test: its hang is
// intermittent, so as an expected failure it would sometimes pass, and on a
// toolchain whose atomic wait works it never fails at all. Run it with
// --gtest_also_run_disabled_tests to reproduce the hang (a watchdog abort)
// on such a toolchain: docs/testing.md ("Windows under Wine") gives the
// command, and says why the hang cannot be forced (libstdc++'s window between
// its check and its sleep is a few instructions wide) and so cannot be a CI
// test. Suites 'core' and 'concurrency'.
#include <diatomic/thread_waker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include "parker_core.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

constexpr std::uint32_t kRoundTrips = 100'000;

// Two players take turns: each waits (parks) until the shared counter shows
// its turn, increments it, and wakes the other. `park` and `wake` are one
// player's own park and the other player's wake.
struct Player {
  std::function<void()> park;
  std::function<void()> wake_other;
};

void play(std::atomic<std::uint32_t>& turn, std::uint32_t first, const Player& me) {
  for (std::uint32_t r = first; r < 2 * kRoundTrips; r += 2) {
    // Ordering: acquire, pairs with the other player's release increment;
    // the parker orders nothing the counter needs.
    while (turn.load(std::memory_order_acquire) != r) me.park();
    // Ordering: release, pairs with the acquire load above on the other side.
    turn.fetch_add(1, std::memory_order_release);
    me.wake_other();
  }
}

TEST(ParkPingPong, round_trips_through_the_platform_parker_never_hang) {
  const std::chrono::nanoseconds restore = this_thread::park_spin();
  this_thread::set_park_spin(std::chrono::nanoseconds(0));
  {
    const Watchdog watchdog("a park()/wake ping-pong through the platform's futex");
    std::atomic<std::uint32_t> turn{0};
    const Waker main_waker = this_thread::waker();
    std::atomic<const Waker*> other_waker{nullptr};
    std::thread other([&] {
      const Waker mine = this_thread::waker();
      // Ordering: release, pairs with the acquire load below: `mine` is
      // constructed before.
      other_waker.store(&mine, std::memory_order_release);
      play(turn, 1, Player{&this_thread::park, [&] { main_waker.wake_by_ref(); }});
    });
    const Waker* published = nullptr;
    // Ordering: acquire, pairs with the release store above.
    while ((published = other_waker.load(std::memory_order_acquire)) == nullptr) {
      std::this_thread::yield();
    }
    // A clone, taken while `mine` is alive (the other thread waits in play()
    // for the first round): the other thread may finish its last round and
    // exit, dropping `mine` and its parker's last reference of its own,
    // while this thread is still inside its last wake_by_ref().
    const Waker other_wakes = *published;
    play(turn, 0, Player{&this_thread::park, [&] { other_wakes.wake_by_ref(); }});
    other.join();
    EXPECT_EQ(turn.load(std::memory_order_relaxed), 2 * kRoundTrips);
  }
  this_thread::set_park_spin(restore);
}

// The parker's futex as it was off Linux before the platform backends: the
// standard library's atomic wait.
struct AtomicWaitFutex {
  static void wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) noexcept {
    // Ordering: relaxed; ParkerCore's compare_exchange after the wait acquires.
    word.wait(expected, std::memory_order_relaxed);
  }
  static void wake_one(std::atomic<std::uint32_t>& word) noexcept { word.notify_one(); }
};
using AtomicWaitParker = detail::ParkerCore<detail::StdAtomicPolicy, AtomicWaitFutex>;

TEST(ParkPingPong, DISABLED_round_trips_through_std_atomic_wait_hang_on_some_toolchains) {
  const Watchdog watchdog("a ping-pong through std::atomic::wait (the old fallback)",
                          std::chrono::seconds(60));
  std::atomic<std::uint32_t> turn{0};
  AtomicWaitParker parkers[2];
  std::thread other([&] {
    play(turn, 1, Player{[&] { static_cast<void>(parkers[1].park()); }, [&] { parkers[0].wake(); }});
  });
  play(turn, 0, Player{[&] { static_cast<void>(parkers[0].park()); }, [&] { parkers[1].wake(); }});
  other.join();
  EXPECT_EQ(turn.load(std::memory_order_relaxed), 2 * kRoundTrips);
}

}  // namespace
}  // namespace diatomic::test
