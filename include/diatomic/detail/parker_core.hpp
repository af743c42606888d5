// SPDX-License-Identifier: MIT
// The thread parker's state machine (this_thread::park() and the thread
// waker), written once over an atomic policy (detail/atomic_policy.hpp) and a
// futex. src/thread_waker.cpp instantiates it with std::atomic and the
// kernel's futex (and spins on the word before park() on its own); the
// interleaving explorer instantiates this same code with its policy and a
// modelled futex whose wait may return spuriously.
// Nothing here is API: use diatomic/thread_waker.hpp.
//
// A Futex for word type W (the policy's Atomic<std::uint32_t>) provides:
//   static void wait(W& word, std::uint32_t expected);
//     sleeps while word == expected (checked atomically with going to
//     sleep); may return at any time (spuriously), and orders nothing; may
//     be noexcept (the kernel's is; park() is noexcept if it is);
//   static void wake_one(W& word) noexcept;
//     wakes one thread sleeping in wait() on the word, if any.
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
  // happens before the return of the park() that consumes the token.
  //
  //   state      ->  state
  //   kEmpty         kNotified
  //   kNotified      kNotified
  //   kParked        kNotified, futex wake
  void wake() noexcept {
    // Ordering: release, pairs with the acquire RMWs of park() that consume
    // the token: what the waker wrote before is visible to the parked thread
    // once park() returns.
    if (state_.exchange(kNotified, std::memory_order_release) == kParked) Futex::wake_one(state_);
  }

  // The owning thread only. Returns once a token is there, and consumes it:
  // false if it was there at once, true if the thread slept for it.
  //
  //   state      ->  state
  //   kNotified      kEmpty                     return false
  //   kEmpty         kParked, futex wait while kParked (or spuriously),
  //                  then kNotified -> kEmpty   return true
  bool park() noexcept(noexcept(Futex::wait(std::declval<Word&>(), kParked))) {
    // Ordering: acquire, pairs with the release exchange in wake() whose
    // token this consumes. kNotified -> kEmpty returns; kEmpty -> kParked
    // sleeps.
    if (state_.fetch_sub(1, std::memory_order_acquire) == kNotified) return false;
    for (;;) {
      Futex::wait(state_, kParked);
      std::uint32_t expected = kNotified;
      // Ordering: acquire, pairs with the release exchange in wake(). Relaxed
      // on failure: still kParked (a spurious return), and we wait again.
      if (state_.compare_exchange_strong(expected, kEmpty, std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
        return true;
      }
    }
  }

  // The word, for a spin that watches it before park() (reads only).
  [[nodiscard]] const Word& word() const noexcept { return state_; }

 private:
  Word state_{kEmpty};
};

}  // namespace detail
DIATOMIC_NAMESPACE_END
