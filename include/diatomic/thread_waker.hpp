// SPDX-License-Identifier: MIT
/// \file
/// Waking threads: a per-thread parker and a Waker that unparks it. A thread
/// waits with this_thread::park(); any thread holding its waker() unparks it.
/// park() spins briefly before it sleeps (set_park_spin).
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/export.hpp>
#include <diatomic/waker.hpp>

#include <chrono>

DIATOMIC_NAMESPACE_BEGIN
namespace this_thread {

/// A Waker that unparks the calling thread. It holds a reference to the
/// thread's parker (clone 1 RMW, drop 1 RMW, wake_by_ref 1 RMW plus a futex
/// wake only when the thread is asleep in the kernel, never while it spins),
/// so a notifier may still be inside wake_by_ref after the thread has returned
/// from park(), or even exited: the parker lives until the last Waker is dropped.
///
/// Calls made from one thread return wakers that will_wake each other.
/// Throws std::bad_alloc if the thread's parker cannot be allocated (first
/// call on a thread only). Not for use from thread_local destructors: the
/// thread's own reference to its parker may already be gone by then.
[[nodiscard]] DIATOMIC_EXPORT Waker waker();

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
