// SPDX-License-Identifier: MIT
// The parker's futex on macOS: __ulock_wait and __ulock_wake, the calls
// libc++'s own atomic wait uses there (libSystem, macOS 10.12 and later;
// not declared in the SDK's public headers, hence the declarations below).
// UL_COMPARE_AND_WAIT compares the 32-bit word; the timeout is in
// microseconds, 0 meaning none.
//
// Written from the platform's documentation and the XNU sources' ulock
// interface (bsd/sys/ulock.h); not compiled or run in this project's CI.
#include "futex.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>

extern "C" int __ulock_wait(std::uint32_t operation, void* addr, std::uint64_t value,
                            std::uint32_t timeout_us);
extern "C" int __ulock_wake(std::uint32_t operation, void* addr, std::uint64_t wake_value);

DIATOMIC_NAMESPACE_BEGIN
namespace detail {
namespace {

constexpr std::uint32_t kCompareAndWait = 1;  // UL_COMPARE_AND_WAIT: a 32-bit word, process-private

}  // namespace

void PlatformFutex::wait(Word& word, std::uint32_t expected) noexcept {
  __ulock_wait(kCompareAndWait, &word, expected, 0);
}

bool PlatformFutex::wait_until(Word& word, std::uint32_t expected,
                               Clock::time_point deadline) noexcept {
  const Clock::time_point now = Clock::now();
  if (now >= deadline) return true;
  // At least 1 µs (0 would wait for ever), rounded up; a longer wait than
  // the 32-bit timeout holds (about 71 minutes) is resumed by the caller.
  const auto left = std::chrono::ceil<std::chrono::microseconds>(deadline - now).count();
  const auto timeout = static_cast<std::uint32_t>(
      std::clamp<decltype(left)>(left, 1, std::numeric_limits<std::uint32_t>::max()));
  __ulock_wait(kCompareAndWait, &word, expected, timeout);
  return Clock::now() >= deadline;
}

bool PlatformFutex::wake_is_async_signal_safe() noexcept {
  return true;
}

void PlatformFutex::wake_one(Word& word) noexcept {
  __ulock_wake(kCompareAndWait, &word, 0);
}

}  // namespace detail
DIATOMIC_NAMESPACE_END
