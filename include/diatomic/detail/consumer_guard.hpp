// SPDX-License-Identifier: MIT
// ConsumerGuard: the misuse checks of the consumer side of one DiatomicWaker
// (where DIATOMIC_CHECKS is 1, diatomic/config.hpp):
//   - two threads inside consumer-side calls at once (ConsumerGuard::Call);
//   - a second wait, or a registration from outside the wait, while a wait is
//     in progress (the wait's mark, from its first poll to its completion).
// Both use relaxed loads and stores only: no RMW, so checks do not change the
// RMW counts. The price: two calls or waits that begin at the very same
// instant may both pass; one that begins while another is under way is
// caught. The words are always part of the layout, so the layout does not
// depend on the configuration. Always std::atomic (never the policy's
// atomic): they are not the primitive's RMWs nor scheduling points of the
// explorer. Nothing here is API.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/fatal.hpp>

#include <atomic>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

class ConsumerGuard {
 public:
  // Marks one consumer-side call in progress, for as long as it lives, and
  // aborts if another thread's call holds the mark.
  class Call {
   public:
    explicit Call(ConsumerGuard& guard) noexcept : guard_(guard) {
#if DIATOMIC_CHECKS
      // Ordering: relaxed; the mark orders nothing, it only detects overlap.
      if (guard_.busy_.load(std::memory_order_relaxed)) {
        fatal(
            "two threads are inside consumer-side calls (register_waker, unregister, "
            "clear, wait_until) of the same DiatomicWaker at once; only one thread at a "
            "time may act as its consumer");
      }
      // Ordering: relaxed, as above.
      guard_.busy_.store(true, std::memory_order_relaxed);
#endif
    }
    ~Call() {
#if DIATOMIC_CHECKS
      // Ordering: relaxed, as above.
      guard_.busy_.store(false, std::memory_order_relaxed);
#endif
    }
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

   private:
    [[maybe_unused]] ConsumerGuard& guard_;
  };

  // A wait begins its poll: mark the sink with it (a wait is identified by
  // its address, so its polls may run on any thread). Aborts if another wait
  // holds the mark.
  void begin_wait([[maybe_unused]] const void* wait) noexcept {
#if DIATOMIC_CHECKS
    // Ordering: relaxed; the mark orders nothing, it only detects misuse. A
    // wait's own later polls see its mark: they are ordered after this one by
    // the driver (one thread, or the awaiter's acquire/release handover).
    const void* const marked = wait_.load(std::memory_order_relaxed);
    if (marked != nullptr && marked != wait) {
      fatal(
          "a second wait started on a DiatomicWaker while another wait on it is in "
          "progress (two consumers, e.g. two threads each in block_on or two coroutines in "
          "co_await on one WakeSink); one wait at a time may use a sink");
    }
    // Ordering: relaxed, as above.
    wait_.store(wait, std::memory_order_relaxed);
#endif
  }

  // The wait completed or is abandoned: remove its mark, if it holds it.
  void end_wait([[maybe_unused]] const void* wait) noexcept {
#if DIATOMIC_CHECKS
    // Ordering: relaxed, as in begin_wait.
    if (wait_.load(std::memory_order_relaxed) == wait) {
      // Ordering: relaxed, as in begin_wait.
      wait_.store(nullptr, std::memory_order_relaxed);
    }
#endif
  }

  // A registration by `wait` (nullptr: a direct register_waker call). Aborts
  // if another wait holds the mark.
  void check_registrant([[maybe_unused]] const void* wait) const noexcept {
#if DIATOMIC_CHECKS
    // Ordering: relaxed, as in begin_wait.
    const void* const marked = wait_.load(std::memory_order_relaxed);
    if (marked != nullptr && marked != wait) {
      fatal(
          "register_waker called on a DiatomicWaker while a wait on it (block_on or co_await "
          "of wait_until) is in progress; only that wait may register until it completes");
    }
#endif
  }

  // True while a consumer-side call is in progress (where checks are on).
  [[nodiscard]] bool busy() const noexcept {
    // Ordering: relaxed; a diagnostic snapshot.
    return busy_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<bool> busy_{false};
  std::atomic<const void*> wait_{nullptr};
};

}  // namespace detail
DIATOMIC_NAMESPACE_END
