// SPDX-License-Identifier: MIT
// The thread parker's state machine (this_thread::park(), park_until() and
// the thread waker), written once over an atomic policy
// (detail/atomic_policy.hpp) and a futex. src/thread_waker.cpp instantiates
// it with std::atomic and the platform's futex (futex.hpp here; and spins on
// the word before parking on its own); the interleaving explorer
// instantiates this same code with its policy and a modelled futex whose
// waits may return spuriously or time out. Not installed: no public header
// includes it. Nothing here is API: use diatomic/thread_waker.hpp.
//
// A Futex for word type W (the policy's Atomic<std::uint32_t>) provides:
//   static void wait(W& word, std::uint32_t expected);
//     sleeps while word == expected (checked atomically with going to
//     sleep); may return at any time (spuriously), and orders nothing; may
//     be noexcept (the platforms' are; park() is noexcept if it is);
//   static bool wait_until(W& word, std::uint32_t expected, const Deadline& d);
//     as wait(), but also returns once the deadline d has passed; returns
//     true only if it has (a timeout), false otherwise (woken, the word
//     changed, or spuriously); for park_until(d), whatever type d has;
//   static void wake_one(W& word) noexcept;
//     wakes one thread sleeping in wait() or wait_until() on the word, if any.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/atomic_policy.hpp>

#include <atomic>
#include <cstdint>
#include <utility>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

// Parker states, as in Rust's futex parker:
//   kEmpty    no token, nobody parked
//   kNotified a token is waiting to be consumed by park()
//   kParked   the owning thread is in (or about to enter) the futex wait
template <class Policy, class Futex>
class ParkerCore {
 public:
  using Word = typename Policy::template Atomic<std::uint32_t>;
  static constexpr std::uint32_t kEmpty = 0;
  static constexpr std::uint32_t kNotified = 1;
  static constexpr std::uint32_t kParked = ~std::uint32_t{0};  // kEmpty - 1

  constexpr ParkerCore() noexcept = default;
  ParkerCore(const ParkerCore&) = delete;
  ParkerCore& operator=(const ParkerCore&) = delete;

  // Any thread. Leaves the token (one at most: tokens do not add up) and
  // wakes the owner if it sleeps. Everything the calling thread wrote before
  // happens before the return of the park() or park_until() that consumes
  // the token.
  //
  //   state      ->  state
  //   kEmpty         kNotified
  //   kNotified      kNotified
  //   kParked        kNotified, futex wake
  void wake() noexcept {
    // Ordering[wake.exchange]: release, pairs with the acquire RMWs of park_with() that
    // consume the token: what the waker wrote before is visible to the
    // parked thread once park() or park_until() returns.
    if (state_.exchange(kNotified, std::memory_order_release) == kParked) Futex::wake_one(state_);
  }

  // How a park ended: the token was there at once (no futex wait), the
  // thread slept and a token woke it, or the deadline passed with no token.
  enum class Parked { kAtOnce, kWoken, kTimedOut };

  // The owning thread only. Returns once a token is there, and consumes it.
  //
  //   state      ->  state
  //   kNotified      kEmpty                     kAtOnce
  //   kEmpty         kParked, futex wait while kParked (or spuriously),
  //                  then kNotified -> kEmpty   kWoken
  Parked park() noexcept(noexcept(Futex::wait(std::declval<Word&>(), kParked))) {
    return park_with([this] {
      Futex::wait(state_, kParked);
      return false;
    });
  }

  // The owning thread only. As park(), but gives up once the futex wait says
  // the deadline passed: then the thread withdraws and consumes no token, or
  // consumes the one a wake left meanwhile (a wake racing the timeout is
  // never lost: it is either consumed here or, if it comes after the
  // withdrawal, left for the next park).
  //
  //   state      ->  state
  //   kNotified      kEmpty                     kAtOnce
  //   kEmpty         kParked, futex wait while kParked until the deadline
  //                  (or spuriously), then
  //                    kNotified -> kEmpty      kWoken
  //                  or, once the deadline passed,
  //                    kParked -> kEmpty        kTimedOut
  //                    kNotified -> kEmpty      kWoken
  template <class Deadline>
  Parked park_until(const Deadline& deadline) noexcept(
      noexcept(Futex::wait_until(std::declval<Word&>(), kParked, deadline))) {
    return park_with([this, &deadline] { return Futex::wait_until(state_, kParked, deadline); });
  }

  // The word, for a spin that watches it before park() (reads only).
  [[nodiscard]] const Word& word() const noexcept { return state_; }

 private:
  // The park of park() and park_until(): `wait` sleeps in the futex and
  // returns whether the deadline has passed (never, for park()).
  template <class Wait>
  Parked park_with(Wait wait) {
    // Ordering[park_with.fetch_sub]: acquire, pairs with the release exchange in wake() whose
    // token this consumes. kNotified -> kEmpty returns; kEmpty -> kParked
    // sleeps.
    if (state_.fetch_sub(1, std::memory_order_acquire) == kNotified) return Parked::kAtOnce;
    for (;;) {
      if (wait()) {
        // Only wake() writes the word while the owner is parked, and only
        // kNotified, so one exchange both withdraws (kParked) and consumes a
        // token that came meanwhile (kNotified).
        // Ordering[park_with.exchange]: acquire, pairs with the release exchange in wake() when
        // this consumes its token; when it withdraws, nothing is read.
        const bool woken = state_.exchange(kEmpty, std::memory_order_acquire) == kNotified;
        return woken ? Parked::kWoken : Parked::kTimedOut;
      }
      std::uint32_t expected = kNotified;
      // Ordering[park_with.cas]: acquire, pairs with the release exchange in wake(). Relaxed
      // on failure: still kParked (a spurious return), and we wait again.
      if (state_.compare_exchange_strong(expected, kEmpty, std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
        return Parked::kWoken;
      }
    }
  }

  Word state_{named<Policy>("parker", kEmpty)};
};

}  // namespace detail
DIATOMIC_NAMESPACE_END
