// SPDX-License-Identifier: MIT
// The parker's futex on FreeBSD: _umtx_op(2) with UMTX_OP_WAIT_UINT_PRIVATE
// (sleeps while the 32-bit word holds the value, on the process-private
// sleep queue) and UMTX_OP_WAKE_PRIVATE. The timed wait passes a struct
// _umtx_time (its size in uaddr, a pointer to it in uaddr2) with an
// absolute CLOCK_MONOTONIC deadline, steady_clock's clock there, so a wait
// interrupted by a signal keeps its deadline.
//
// Written from the platform's manual page, _umtx_op(2); not compiled or run
// in this project's CI.
#include "futex.hpp"

#include <sys/types.h>
#include <sys/umtx.h>

#include <chrono>
#include <cstdint>
#include <ctime>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

void PlatformFutex::wait(Word& word, std::uint32_t expected) noexcept {
  _umtx_op(&word, UMTX_OP_WAIT_UINT_PRIVATE, expected, nullptr, nullptr);
}

bool PlatformFutex::wait_until(Word& word, std::uint32_t expected,
                               Clock::time_point deadline) noexcept {
  if (Clock::now() >= deadline) return true;
  using std::chrono::duration_cast;
  const auto whole = duration_cast<std::chrono::seconds>(deadline.time_since_epoch());
  _umtx_time at{};
  at._timeout.tv_sec = static_cast<time_t>(whole.count());
  at._timeout.tv_nsec = static_cast<long>(
      duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch() - whole).count());
  at._flags = UMTX_ABSTIME;
  at._clockid = CLOCK_MONOTONIC;
  _umtx_op(&word, UMTX_OP_WAIT_UINT_PRIVATE, expected,
           reinterpret_cast<void*>(sizeof at), &at);
  return Clock::now() >= deadline;
}

bool PlatformFutex::wake_is_async_signal_safe() noexcept {
  return true;
}

void PlatformFutex::wake_one(Word& word) noexcept {
  _umtx_op(&word, UMTX_OP_WAKE_PRIVATE, 1, nullptr, nullptr);
}

}  // namespace detail
DIATOMIC_NAMESPACE_END
