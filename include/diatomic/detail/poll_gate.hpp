// SPDX-License-Identifier: MIT
// The poll gate of a coroutine wait (diatomic/coro.hpp): one atomic word that
// lets wakes from any thread hand out polls that run one at a time. Written
// over an atomic policy (detail/atomic_policy.hpp), as the cores are, so that
// the interleaving explorer runs this same code. Nothing here is API.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/atomic_policy.hpp>

#include <cstdint>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

// Flags (key letters of the transition tables):
//   P kPolling  a poll is queued or running; only its owner makes the wait's
//               consumer-side calls
//   W kWoken    a wake or stop arrived since that poll started: poll again
//
// Valid states (W implies P):
//   W P
//   0 0   idle: the wait is registered and nobody polls it
//   0 1   a poll is queued or running (the initial state: the first poll,
//         made by co_await itself, owns P)
//   1 1   ... and must run once more
//
// The flow, one verb per step:
//   claim()        a wake or stop request (any thread): W and P set; the
//                  caller that took P from idle queues the poll
//   start_poll()   the owner of P, before each poll: W cleared
//   try_suspend()  the poll left the wait pending: P given up, unless W came
//   try_seize()    the coroutine is destroyed while suspended: P taken, if idle
// A poll that completes the wait keeps P for good: no later claim() queues one.
template <class Policy>
class PollGate {
 public:
  static constexpr std::uint32_t kPolling = 1u << 0;  ///< P
  static constexpr std::uint32_t kWoken = 1u << 1;    ///< W

  PollGate() = default;
  PollGate(const PollGate&) = delete;
  PollGate& operator=(const PollGate&) = delete;

  // A wake or stop request. True if the wait was idle: the caller now owns P
  // and must queue a poll; false if a poll is queued or running (it will see
  // W and poll again) or the wait is complete.
  //
  //   W P  ->  W P
  //   0 0      1 1    idle: the caller owns P
  //   w 1      1 1    a poll owns P: it will poll again
  [[nodiscard]] bool claim() noexcept {
    // Ordering[claim.fetch_or]: acq_rel. Acquire: pairs with the release in try_suspend(), so
    // the poll we may queue runs after the last one's consumer-side calls.
    // Release: the poll we queue or ask for sees what this thread did before
    // waking (pairs with the acquire in start_poll()).
    return (word_.fetch_or(kPolling | kWoken, std::memory_order_acq_rel) & kPolling) == 0;
  }

  // The owner of P, before each poll: forgets the wakes that led here.
  //
  //   W P  ->  W P
  //   w 1      0 1
  void start_poll() noexcept {
    // Ordering[start_poll.fetch_and]: acquire, pairs with the acq_rel claim() that handed us this
    // poll or set W during the last one. On the retry path (a failed, relaxed
    // try_suspend()) this acquire is the only synchronisation with that
    // waker's thread, so it is required.
    word_.fetch_and(~kWoken, std::memory_order_acquire);
  }

  // The owner of P, after a poll that left the wait pending (registered).
  // True if P was given up: *this may already be claimed by a wake on
  // another thread, and the caller must not touch the wait again. False if a
  // wake arrived during the poll: the caller still owns P and polls again.
  //
  //   W P  ->  W P
  //   0 1      0 0    P given up
  //   1 1      1 1    a wake arrived meanwhile: poll again
  [[nodiscard]] bool try_suspend() noexcept {
    std::uint32_t expected = kPolling;
    // Ordering[try_suspend.cas]: release on success, pairs with the acquire half of the next
    // claim() (and of try_seize()): this poll's consumer-side calls happen
    // before the next poll, which may run on another thread. Relaxed on
    // failure: start_poll() acquires before the retry.
    return word_.compare_exchange_strong(expected, 0, std::memory_order_release,
                                         std::memory_order_relaxed);
  }

  // The coroutine is being destroyed while suspended. True if the wait was
  // idle: the caller now owns P for good and may withdraw the registration.
  // False if a wake has queued a poll or one is running: it owns the wait.
  //
  //   W P  ->  W P
  //   0 0      0 1    P taken
  //   w 1      w 1    a poll owns P: unchanged
  [[nodiscard]] bool try_seize() noexcept {
    std::uint32_t expected = 0;
    // Ordering[try_seize.cas]: acquire, pairs with the release in try_suspend(): the last
    // poll's consumer-side calls happen before ours. Relaxed on failure: the
    // caller then does nothing but abort.
    return word_.compare_exchange_strong(expected, kPolling, std::memory_order_acquire,
                                         std::memory_order_relaxed);
  }

 private:
  typename Policy::template Atomic<std::uint32_t> word_{named<Policy>("gate", kPolling)};
};

}  // namespace detail
DIATOMIC_NAMESPACE_END
