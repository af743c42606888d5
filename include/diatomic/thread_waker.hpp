// SPDX-License-Identifier: MIT
/// \file
/// Waking threads: a per-thread parker and a Waker that unparks it. A thread
/// waits with this_thread::park() (or park_until / park_for, with a
/// deadline); any thread holding its waker() unparks it. A park spins briefly
/// before it sleeps (set_park_spin).
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/export.hpp>
#include <diatomic/waker.hpp>

#include <chrono>
#include <type_traits>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {
/// `now + wait` on steady_clock, rounded up to its tick; a wait too long for
/// steady_clock's range waits until time_point::max(), which never comes.
template <class Rep, class Period>
[[nodiscard]] std::chrono::steady_clock::time_point steady_deadline(
    std::chrono::steady_clock::time_point now, std::chrono::duration<Rep, Period> wait) {
  using Steady = std::chrono::steady_clock;
  if (wait <= wait.zero()) return now;
  // Compared in floating point: converting `wait` to steady_clock's tick
  // first could overflow.
  using Nanos = std::chrono::duration<long double, std::nano>;
  if (Nanos(wait) >= Nanos(Steady::time_point::max() - now)) return Steady::time_point::max();
  return now + std::chrono::ceil<Steady::duration>(wait);
}

/// A deadline on any clock as a steady_clock time point: a steady_clock one
/// rounded up to its tick; any other clock's converted once, now (the time
/// left until it, read on its own clock, added to steady_clock's now).
template <class Clock, class Duration>
[[nodiscard]] std::chrono::steady_clock::time_point to_steady(
    const std::chrono::time_point<Clock, Duration>& deadline) {
  using Steady = std::chrono::steady_clock;
  if constexpr (std::is_same_v<Clock, Steady>) {
    return Steady::time_point(std::chrono::ceil<Steady::duration>(deadline.time_since_epoch()));
  } else {
    const auto now = Clock::now();
    if (deadline <= now) return Steady::now();
    return steady_deadline(Steady::now(), deadline - now);
  }
}
}  // namespace detail

namespace this_thread {

/// A Waker that unparks the calling thread. It holds a reference to the
/// thread's parker (clone 1 RMW, drop 1 RMW, wake_by_ref 1 RMW plus a futex
/// wake only when the thread is asleep in the kernel, never while it spins),
/// so a notifier may still be inside wake_by_ref after the thread has returned
/// from park(), or even exited: the parker lives until the last Waker is dropped.
///
/// Async-signal-safe: wake_by_ref() of these wakers may be called from a
/// signal handler when the library parks with its platform backend (the
/// Linux futex, Windows WaitOnAddress, the macOS __ulock calls, the FreeBSD
/// _umtx_op): it is one atomic exchange and at most one wake system call,
/// with no lock and no allocation; wake_by_ref_is_async_signal_safe() says
/// whether this build does. With the portable backend (a mutex and a
/// condition variable per bucket of parkers: the build option parker=portable,
/// and systems with none of the above) it is not: it takes a mutex that the
/// interrupted thread may hold. wake() by value and dropping a waker never
/// are: dropping the last reference frees the parker.
///
/// Calls made from one thread return wakers that will_wake each other.
/// Throws std::bad_alloc if the thread's parker cannot be allocated (first
/// call on a thread only). Not for use from thread_local destructors: the
/// thread's own reference to its parker may already be gone by then.
[[nodiscard]] DIATOMIC_EXPORT Waker waker();

/// The calling thread's own waker, lent rather than cloned: no RMW. Every
/// call from a thread returns the same object, which will_wake the wakers
/// waker() returns on that thread and lives until the thread exits. What
/// block_on polls with, so that a wait which completes at its first poll
/// costs no reference count. Use it on the calling thread, for as long as the
/// call that borrowed it runs; anything that keeps it (a primitive's
/// registration, another thread) keeps a copy, which is a clone. Throws
/// std::bad_alloc as waker() does (first call on a thread only). Not for use
/// from thread_local destructors.
[[nodiscard]] DIATOMIC_EXPORT const Waker& waker_ref();

/// Whether wake_by_ref() of this_thread::waker()'s wakers is
/// async-signal-safe in this build (see waker()): true for the platform
/// backends, false for the portable one. Any thread, any time.
[[nodiscard]] DIATOMIC_EXPORT bool wake_by_ref_is_async_signal_safe() noexcept;

/// Blocks the calling thread until its parker holds a token, then consumes it.
/// A wake that happens before park() leaves the token, so park() returns at
/// once: no unpark is lost. Several wakes before one park() leave one token.
/// May return spuriously only in the sense that a token from an earlier,
/// unrelated wake is consumed: callers re-check their condition in a loop.
///
/// Adaptive: park() first watches its token for at most park_spin() of
/// wall-clock time, reading it with a pause instruction between reads (no
/// writes, no system call), and only then sleeps in a futex wait. A wake
/// during the spin costs the waker no system call and the parked thread no
/// trip through the kernel. Each thread adapts its own spin to the waits it
/// sees: a wait longer than 64 × park_spin() (320 µs by default), which no
/// spin could have caught, halves its next spin, down to park_spin() / 16; a
/// wait that the spin caught, or that a full spin would have caught (at most
/// park_spin()), restores the full park_spin(); a wait in between leaves the
/// spin as it is. Those are mostly waits for a partner that was asleep in the
/// kernel itself and took its own wake-up to answer: a shorter spin would
/// miss the next hand-off too, and the two threads would keep waking each
/// other from the kernel. A wait therefore costs at most park_spin() of CPU
/// time spinning (less once the thread's waits have been long), and a thread
/// whose waits are always long spins park_spin() / 16.
///
/// Memory: everything the waking thread wrote before wake/wake_by_ref is
/// visible after park() returns because of that wake.
DIATOMIC_EXPORT void park();

/// As park(), but gives up at `deadline`. Returns true when it consumed a
/// token (in the same sense as park(): possibly one left by an earlier,
/// unrelated wake, so callers re-check their condition), false when the
/// deadline passed with no token; then it consumed none. A wake that races
/// the deadline is never lost: either park_until returns true for it, or its
/// token stays for the next park. A deadline already past returns at once:
/// true if a token was there, false otherwise.
///
/// The wait spins as park() does, but never past the deadline, then sleeps
/// in the platform's futex wait with the deadline as its timeout. It returns
/// no earlier than the deadline when it times out, and as much later as the
/// platform's timers and scheduler make it (steady_clock's resolution; on
/// Windows the wait's timeout is whole milliseconds, rounded up).
///
/// Memory: as park() when it returns true; a false return orders nothing.
/// Throws std::bad_alloc on the first park or waker() of a thread only, as
/// waker() does.
[[nodiscard]] DIATOMIC_EXPORT bool park_until(std::chrono::steady_clock::time_point deadline);

/// park_until for a deadline on another clock (system_clock, a user clock),
/// or on steady_clock with another duration. A steady_clock deadline is
/// rounded up to steady_clock's tick. Any other clock's deadline is
/// converted once, at the call: the time left until it, read on its own
/// clock then, is waited on steady_clock. So a change of the wall clock
/// while the thread waits (a system_clock deadline) does not move the end of
/// the wait; a caller that needs that re-checks its clock after a false
/// return and parks again.
template <class Clock, class Duration>
[[nodiscard]] bool park_until(const std::chrono::time_point<Clock, Duration>& deadline) {
  return park_until(detail::to_steady(deadline));
}

/// park_until(now + timeout) on steady_clock, the timeout rounded up to its
/// tick; zero or negative returns at once (true if a token was there).
template <class Rep, class Period>
[[nodiscard]] bool park_for(const std::chrono::duration<Rep, Period>& timeout) {
  return park_until(detail::steady_deadline(std::chrono::steady_clock::now(), timeout));
}

/// The longest park() spins before it sleeps, unless set_park_spin says otherwise.
/// 5 µs: several times a hand-off between two running cores (well under a
/// microsecond) and about what one futex sleep and wake-up costs the waiting
/// thread in a virtual machine, so a partner that answers within microseconds
/// never sends the waiter into the kernel, and a long wait burns at most 5 µs
/// more than it would without the spin (test/park_spin_test.cpp bounds it).
inline constexpr std::chrono::nanoseconds kDefaultParkSpin = std::chrono::microseconds(5);

/// Sets, for every thread of the process, the longest park() spins before it
/// sleeps (see park()); zero turns spinning off (park() goes straight to the
/// futex wait, reading no clock). A negative duration counts as zero. Takes
/// effect at each thread's next park(). Any thread, any time; never throws.
DIATOMIC_EXPORT void set_park_spin(std::chrono::nanoseconds spin) noexcept;

/// The current maximum spin of park(): kDefaultParkSpin unless set_park_spin
/// changed it.
[[nodiscard]] DIATOMIC_EXPORT std::chrono::nanoseconds park_spin() noexcept;

}  // namespace this_thread
DIATOMIC_NAMESPACE_END
