// SPDX-License-Identifier: MIT
// Ping-pong games of two threads through a thread parker, with park()'s spin
// turned off so that every hand-off goes through the parking backend's wait
// and wake. A watcher (this thread) ends a game that makes no move for
// kStallLimit, says what the player to move was doing, and wakes both
// players until they return, so that a hang is a failure with a diagnosis,
// not a stuck test.
//
// The platform parker (src/parker/) must finish every game, on every
// platform. Where the standard library's std::atomic::wait is known to lose
// wake-ups (libstdc++ 12 without a futex, as MinGW-w64 builds it), a second
// test plays the same games over the parker's state machine built over
// std::atomic::wait instead of the platform's futex: one of them must hang
// with the lost wake-up's signature, while the platform parker then
// finishes five games. Why that standard library loses them, and what the
// test costs under Wine: docs/testing.md, "Windows under Wine". Suites
// 'core' and 'concurrency'.
#include <diatomic/thread_waker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "latch.hpp"
#include "parker_core.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

constexpr std::uint32_t kRoundTrips = 100'000;
constexpr std::uint32_t kMoves = 2 * kRoundTrips;
// A game that makes no move for this long has hung: a move takes
// microseconds, also under Wine and qemu, so only a lost wake-up (or a
// machine stalled for seconds) gets here.
constexpr std::chrono::seconds kStallLimit{10};
// How often the watcher looks at the game, and wakes the players of a game
// it ended.
constexpr std::chrono::milliseconds kWatchPeriod{50};

// How a game parks and wakes its players, 0 and 1.
class Backend {
 public:
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  virtual ~Backend() = default;

  // On player p's thread, before the game starts.
  virtual void enter(int p) = 0;
  // On player p's thread: waits for a token (may return without one).
  virtual void park(int p) = 0;
  // Any thread: leaves player p a token, waking it if it sleeps.
  virtual void wake(int p) = 0;
  // After a stall: whether player p's parker holds a token it has not taken,
  // if the backend can see its parker's state.
  [[nodiscard]] virtual std::optional<bool> token_left(int p) const = 0;
  // After a stall: wakes player p by every means the backend has, also
  // where wake() would not (a token already left).
  virtual void rescue(int p) = 0;
};

// How a game ended.
struct Outcome {
  std::uint32_t moves = 0;  // kMoves if it was played to the end
  bool stalled = false;     // no move for kStallLimit: the watcher ended it
  // At the stall: whether the player to move was inside park(), and whether
  // its parker held a token (a wake-up the player did not see).
  bool mover_parked = false;
  std::optional<bool> token_left;

  [[nodiscard]] bool lost_a_wake_up() const { return stalled && mover_parked && token_left == true; }

  [[nodiscard]] std::string describe() const {
    if (!stalled) return "played to the end, " + std::to_string(moves) + " moves";
    std::string text = "no move for " + std::to_string(kStallLimit.count()) + " s after move " +
                       std::to_string(moves) + " of " + std::to_string(kMoves) + "; player " +
                       std::to_string(moves % 2) + ", to move, was " +
                       (mover_parked ? "inside park()" : "outside park()");
    if (token_left) text += *token_left ? ", its token left there" : ", no token left for it";
    return text;
  }
};

// Plays one game of kRoundTrips round trips: player 0 makes the even moves,
// player 1 the odd ones; each waits (parks) until the turn counter shows its
// move, makes it (an increment) and wakes the other.
Outcome play(Backend& backend) {
  std::atomic<std::uint32_t> turn{0};
  std::atomic<bool> ended_by_watcher{false};
  std::atomic<bool> parked[2]{false, false};
  Latch entered(2);
  std::mutex mutex;
  std::condition_variable returned_cv;
  int returned = 0;

  auto player = [&](int p) {
    backend.enter(p);
    entered.count_down();
    entered.wait();
    const auto make_moves = [&] {
      for (std::uint32_t move = p; move < kMoves; move += 2) {
        // Ordering: acquire, pairs with the other player's release increment;
        // the parker orders nothing the counter needs.
        while (turn.load(std::memory_order_acquire) != move) {
          // Ordering: relaxed; the watcher sets it and then wakes the players.
          if (ended_by_watcher.load(std::memory_order_relaxed)) return;
          // Ordering: relaxed (both); the watcher reads it only after no move
          // for seconds, as a diagnosis.
          parked[p].store(true, std::memory_order_relaxed);
          backend.park(p);
          parked[p].store(false, std::memory_order_relaxed);
        }
        // Ordering: relaxed, as above.
        if (ended_by_watcher.load(std::memory_order_relaxed)) return;
        // Ordering: release, pairs with the acquire load above on the other side.
        turn.fetch_add(1, std::memory_order_release);
        backend.wake(1 - p);
      }
    };
    make_moves();
    {
      const std::lock_guard lock(mutex);
      ++returned;
    }
    returned_cv.notify_one();
  };
  std::thread players[2] = {std::thread(player, 0), std::thread(player, 1)};

  Outcome outcome;
  const auto both_returned = [&] { return returned == 2; };
  std::uint32_t seen = 0;
  auto last_move = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex);
  while (!returned_cv.wait_for(lock, kWatchPeriod, both_returned)) {
    // Ordering: relaxed; a progress sample only.
    const std::uint32_t now = turn.load(std::memory_order_relaxed);
    if (now != seen) {
      seen = now;
      last_move = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_move >= kStallLimit) {
      const int mover = static_cast<int>(now % 2);
      outcome.stalled = true;
      // Ordering: relaxed; see the store in player().
      outcome.mover_parked = parked[mover].load(std::memory_order_relaxed);
      outcome.token_left = backend.token_left(mover);
      // Ordering: relaxed; the rescue below wakes the players to read it.
      ended_by_watcher.store(true, std::memory_order_relaxed);
      break;
    }
  }
  std::optional<Watchdog> rescue_limit;
  if (outcome.stalled) rescue_limit.emplace("waking the players of a stalled game");
  while (!returned_cv.wait_for(lock, kWatchPeriod, both_returned)) {
    for (const int p : {0, 1}) backend.rescue(p);
  }
  lock.unlock();
  for (std::thread& t : players) t.join();
  // Ordering: relaxed; the joins ordered every move before.
  outcome.moves = turn.load(std::memory_order_relaxed);
  return outcome;
}

// The library's thread parker, over the platform's futex (src/parker/).
class ThreadParker final : public Backend {
 public:
  void enter(int p) override { wakers_[p].emplace(this_thread::waker()); }
  void park(int /*p*/) override { this_thread::park(); }
  // A player may have returned from the game and ended its thread while the
  // other still wakes it: the Waker holds a reference to the parker.
  void wake(int p) override { wakers_[p]->wake_by_ref(); }
  // The thread parker's state is the library's own.
  [[nodiscard]] std::optional<bool> token_left(int /*p*/) const override { return std::nullopt; }
  void rescue(int p) override { wake(p); }

 private:
  // Written by each player before the game's latch, read after it.
  std::optional<Waker> wakers_[2];
};

// park()'s spin off for a scope, so that every park() sleeps in the backend.
class NoParkSpin {
 public:
  NoParkSpin() { this_thread::set_park_spin(std::chrono::nanoseconds(0)); }
  NoParkSpin(const NoParkSpin&) = delete;
  NoParkSpin& operator=(const NoParkSpin&) = delete;
  ~NoParkSpin() { this_thread::set_park_spin(restore_); }

 private:
  std::chrono::nanoseconds restore_ = this_thread::park_spin();
};

TEST(ParkPingPong, round_trips_through_the_platform_parker_never_hang) {
  const NoParkSpin no_spin;
  ThreadParker backend;
  const Outcome outcome = play(backend);
  EXPECT_FALSE(outcome.stalled) << outcome.describe();
  EXPECT_EQ(outcome.moves, kMoves);
}

// libstdc++ 12 where it has no futex (_GLIBCXX_HAVE_PLATFORM_WAIT undefined)
// builds std::atomic::wait on a pool of mutexes and condition variables; on
// Windows (MinGW-w64) that is where the hang was found and reproduces.
#if defined(_WIN32) && defined(__GLIBCXX__) && _GLIBCXX_RELEASE == 12 && \
    !defined(_GLIBCXX_HAVE_PLATFORM_WAIT)

// A futex for the parker's state machine out of the standard library's
// atomic wait, as a parker without platform backends would have it.
struct AtomicWaitFutex {
  static void wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) noexcept {
    // Ordering: relaxed; ParkerCore's compare_exchange after the wait acquires.
    word.wait(expected, std::memory_order_relaxed);
  }
  static void wake_one(std::atomic<std::uint32_t>& word) noexcept { word.notify_one(); }
};

class AtomicWaitParker final : public Backend {
 public:
  void enter(int /*p*/) override {}
  void park(int p) override { static_cast<void>(parkers_[p].park()); }
  void wake(int p) override { parkers_[p].wake(); }
  [[nodiscard]] std::optional<bool> token_left(int p) const override {
    // Ordering: relaxed; read after seconds without a move, as a diagnosis.
    return parkers_[p].word().load(std::memory_order_relaxed) == Core::kNotified;
  }
  // wake() notifies only a parker it finds parked, not one whose token is
  // already there: the rescue notifies the word itself. The parker is this
  // object's own, not const: the cast gives back what word() took away.
  void rescue(int p) override {
    wake(p);
    const_cast<Core::Word&>(parkers_[p].word()).notify_all();
  }

 private:
  using Core = detail::ParkerCore<detail::StdAtomicPolicy, AtomicWaitFutex>;
  Core parkers_[2];
};

// Games over std::atomic::wait until one hangs: under Wine, 15 of 25 such
// games hung within 100,000 round trips, so fifteen games that all finish
// (odds about 1 in 1,000,000 if nothing changed) would mean that the standard
// library no longer loses wake-ups here. Then five games over the platform
// parker.
constexpr int kTries = 15;
constexpr int kPlatformGames = 5;

TEST(ParkPingPong, std_atomic_wait_loses_a_wake_up_where_the_platform_parker_does_not) {
  const NoParkSpin no_spin;
  std::optional<Outcome> hang;
  int games = 0;
  while (!hang && games < kTries) {
    AtomicWaitParker backend;
    const Outcome outcome = play(backend);
    ++games;
    if (outcome.stalled) {
      hang = outcome;
    } else {
      EXPECT_EQ(outcome.moves, kMoves);
    }
  }
  ASSERT_TRUE(hang) << "over std::atomic::wait, " << kTries << " games of " << kRoundTrips
                    << " round trips all finished: this standard library did not lose a "
                       "wake-up, so there is nothing for the platform parker to mend here";
  EXPECT_TRUE(hang->lost_a_wake_up()) << "game " << games << " hung, but not on a lost wake-up: "
                                      << hang->describe();
  std::printf("over std::atomic::wait, game %d of %d hung: %s\n", games, kTries,
              hang->describe().c_str());
  for (int game = 1; game <= kPlatformGames; ++game) {
    ThreadParker backend;
    const Outcome outcome = play(backend);
    EXPECT_FALSE(outcome.stalled) << "the platform parker, game " << game << ": "
                                  << outcome.describe();
    EXPECT_EQ(outcome.moves, kMoves);
  }
  if (!HasFailure()) {
    std::printf("over the platform parker, %d games of %u round trips finished\n", kPlatformGames,
                static_cast<unsigned>(kRoundTrips));
  }
}

#endif

}  // namespace
}  // namespace diatomic::test
