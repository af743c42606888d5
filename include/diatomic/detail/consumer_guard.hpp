// SPDX-License-Identifier: MIT
// Debug-build detection of two threads inside the consumer side of one
// DiatomicWaker at once. The flag is always part of the layout, so a debug
// user and a release library (or the reverse) agree on object size; only
// debug builds touch it, so release builds pay no instruction for it.
// Nothing here is API.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/fatal.hpp>

#include <atomic>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

class ConsumerFlag {
 public:
  // RAII scope of one consumer-side call.
  class Scope {
   public:
#ifdef NDEBUG
    explicit Scope(ConsumerFlag&) noexcept {}
#else
    explicit Scope(ConsumerFlag& flag) noexcept : flag_(flag) {
      // Ordering: relaxed; the flag orders nothing, it only detects overlap.
      // Always std::atomic (never the policy's atomic): it must not be counted
      // as an RMW of the primitive nor be a scheduling point of the explorer.
      if (flag_.busy_.exchange(true, std::memory_order_relaxed)) {
        fatal(
            "two threads are inside consumer-side calls (register_waker, unregister, "
            "clear, wait_until) of the same DiatomicWaker at once; only one thread at a "
            "time may act as its consumer");
      }
    }
    ~Scope() {
      // Ordering: relaxed, as above.
      flag_.busy_.store(false, std::memory_order_relaxed);
    }

   private:
    ConsumerFlag& flag_;
#endif
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
  };

  // True while a consumer-side call is in progress (debug builds only).
  [[nodiscard]] bool busy() const noexcept {
    // Ordering: relaxed; a diagnostic snapshot.
    return busy_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<bool> busy_{false};
};

}  // namespace detail
DIATOMIC_NAMESPACE_END
