// SPDX-License-Identifier: MIT
// The parker's futex on Linux: the futex(2) system call on the word itself,
// private to the process. The timed wait gives the kernel an absolute
// CLOCK_MONOTONIC deadline (FUTEX_WAIT_BITSET), the clock of
// std::chrono::steady_clock on Linux, so a wait that returns early (a signal)
// and waits again keeps the same deadline.
#include "futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ctime>
#include <limits>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {
namespace {

std::uint32_t* address(PlatformFutex::Word& word) noexcept {
  return reinterpret_cast<std::uint32_t*>(&word);
}

// A 32-bit system whose C library has a 64-bit time_t passes its timespec to
// futex_time64; elsewhere futex takes the C library's timespec.
long futex_timed_wait(std::uint32_t* word, std::uint32_t expected, const timespec* at) noexcept {
#if defined(SYS_futex_time64)
  if constexpr (sizeof(at->tv_sec) > sizeof(long)) {
    return syscall(SYS_futex_time64, word, FUTEX_WAIT_BITSET_PRIVATE, expected, at, nullptr,
                   FUTEX_BITSET_MATCH_ANY);
  }
#endif
  return syscall(SYS_futex, word, FUTEX_WAIT_BITSET_PRIVATE, expected, at, nullptr,
                 FUTEX_BITSET_MATCH_ANY);
}

}  // namespace

void PlatformFutex::wait(Word& word, std::uint32_t expected) noexcept {
  // EINTR and EAGAIN (the word changed) simply return; the caller loops on
  // the state.
  syscall(SYS_futex, address(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

bool PlatformFutex::wait_until(Word& word, std::uint32_t expected,
                               Clock::time_point deadline) noexcept {
  if (Clock::now() >= deadline) return true;
  using std::chrono::duration_cast;
  using std::chrono::nanoseconds;
  using std::chrono::seconds;
  using Sec = decltype(timespec{}.tv_sec);
  const seconds whole = duration_cast<seconds>(deadline.time_since_epoch());
  timespec at{};
  // A deadline past what time_t holds (time_point::max() on a 32-bit
  // time_t) is as good as never.
  at.tv_sec = whole.count() > std::numeric_limits<Sec>::max() ? std::numeric_limits<Sec>::max()
                                                               : static_cast<Sec>(whole.count());
  at.tv_nsec = static_cast<long>(duration_cast<nanoseconds>(deadline.time_since_epoch() - whole).count());
  futex_timed_wait(address(word), expected, &at);
  return Clock::now() >= deadline;
}

bool PlatformFutex::wake_is_async_signal_safe() noexcept {
  return true;
}

void PlatformFutex::wake_one(Word& word) noexcept {
  syscall(SYS_futex, address(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace detail
DIATOMIC_NAMESPACE_END
