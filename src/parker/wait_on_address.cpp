// SPDX-License-Identifier: MIT
// The parker's futex on Windows (8 and later): WaitOnAddress and
// WakeByAddressSingle on the word, from the Synchronization library
// (Synchronization.lib; -lsynchronization with MinGW-w64). The timed wait's
// timeout is whole milliseconds, rounded up, so it never ends before the
// deadline; returning early anyway (a spurious wake-up) just waits again.
#if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0602
#undef _WIN32_WINNT
#define _WIN32_WINNT 0x0602  // WaitOnAddress is declared from Windows 8 on
#endif
#include "futex.hpp"

#include <windows.h>

#include <algorithm>
#include <chrono>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

void PlatformFutex::wait(Word& word, std::uint32_t expected) noexcept {
  WaitOnAddress(&word, &expected, sizeof expected, INFINITE);
}

bool PlatformFutex::wait_until(Word& word, std::uint32_t expected,
                               Clock::time_point deadline) noexcept {
  const Clock::time_point now = Clock::now();
  if (now >= deadline) return true;
  // INFINITE is 0xFFFFFFFF: a longer wait is cut just short of it and
  // resumed by the caller's loop.
  constexpr auto kLongest = std::chrono::milliseconds(INFINITE - 1);
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
  const auto timeout = static_cast<DWORD>(std::min(left, kLongest).count());
  WaitOnAddress(&word, &expected, sizeof expected, timeout);
  return Clock::now() >= deadline;
}

bool PlatformFutex::wake_is_async_signal_safe() noexcept {
  return true;
}

void PlatformFutex::wake_one(Word& word) noexcept {
  WakeByAddressSingle(&word);
}

}  // namespace detail
DIATOMIC_NAMESPACE_END
