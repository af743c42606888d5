// SPDX-License-Identifier: MIT
// The deadline of a coroutine wait (diatomic/coro.hpp): a timer of the
// executor (TimedExecutor) that polls the wait once its deadline has come,
// stored only when the wait has a deadline: DeadlineHook<false, E> is empty,
// so a co_await without one carries no timer and reads no clock. Nothing
// here is API.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/executor.hpp>

#include <chrono>
#include <utility>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

// Calls `fire(arg)` on the executor's thread once the deadline has come,
// between arm() and disarm(). disarm() waits for a fire running on another
// thread (the Timer's cancel()), so after it `fire` is not running and will
// not run. Both are consumer-side: one thread at a time.
template <bool Timed, class E>
class DeadlineHook {
 public:
  DeadlineHook(const E& executor, std::chrono::steady_clock::time_point deadline,
               void (*fire)(void*) noexcept, void* arg) noexcept(noexcept(typename E::Timer(executor,
                                                                                        fire, arg)))
      : timer_(executor, fire, arg), deadline_(deadline) {}
  DeadlineHook(const DeadlineHook&) = delete;
  DeadlineHook& operator=(const DeadlineHook&) = delete;

  // Starts the timer.
  void arm() noexcept(noexcept(std::declval<typename E::Timer&>().start(deadline_))) {
    timer_.start(deadline_);
  }
  // No fire after this returns.
  void disarm() noexcept { timer_.cancel(); }
  // The deadline has come (steady_clock).
  [[nodiscard]] bool passed() const noexcept {
    return std::chrono::steady_clock::now() >= deadline_;
  }

 private:
  typename E::Timer timer_;
  std::chrono::steady_clock::time_point deadline_;
};

// A wait without a deadline: no timer, nothing stored.
template <class E>
class DeadlineHook<false, E> {
 public:
  void arm() noexcept {}
  void disarm() noexcept {}
};

}  // namespace detail
DIATOMIC_NAMESPACE_END
