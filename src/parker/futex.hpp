// SPDX-License-Identifier: MIT
// The seam between the thread parker (parker_core.hpp) and the
// platform: wait on a 32-bit word while it holds a value, with or without a
// deadline, and wake one waiter. One source file per platform implements it
// (src/parker/*.cpp); the build option `parker` picks which (meson.options).
// Nothing here is API and nothing is exported.
#pragma once

#include <diatomic/config.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t),
              "the futex word must be a plain 32-bit integer");

// The Futex of detail::ParkerCore (its header states the contract): every
// backend checks word == expected atomically with going to sleep, so a wake
// between the caller's check and the sleep is not lost; any wait may return
// spuriously (a signal, a wake meant for an earlier state); none orders
// memory (ParkerCore's own RMWs do).
struct PlatformFutex {
  using Word = std::atomic<std::uint32_t>;
  using Clock = std::chrono::steady_clock;

  static void wait(Word& word, std::uint32_t expected) noexcept;
  // Returns whether `deadline` has passed (steady_clock, read after the wait).
  static bool wait_until(Word& word, std::uint32_t expected, Clock::time_point deadline) noexcept;
  static void wake_one(Word& word) noexcept;
  // Whether wake_one() may be called from a signal handler.
  static bool wake_is_async_signal_safe() noexcept;
};

}  // namespace detail
DIATOMIC_NAMESPACE_END
