// SPDX-License-Identifier: MIT
/// \file
/// Waking threads: a per-thread parker and a Waker that unparks it. A thread
/// waits with this_thread::park(); any thread holding its waker() unparks it.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/export.hpp>
#include <diatomic/waker.hpp>

DIATOMIC_NAMESPACE_BEGIN
namespace this_thread {

/// A Waker that unparks the calling thread. It holds a reference to the
/// thread's parker (clone 1 RMW, drop 1 RMW, wake_by_ref 1 RMW plus a futex
/// wake only when the thread is parked), so a notifier may still be inside
/// wake_by_ref after the thread has returned from park(), or even exited:
/// the parker lives until the last Waker is dropped.
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
/// Memory: everything the waking thread wrote before wake/wake_by_ref is
/// visible after park() returns because of that wake.
DIATOMIC_EXPORT void park();

}  // namespace this_thread
DIATOMIC_NAMESPACE_END
