// SPDX-License-Identifier: MIT
/// \file
/// diatomic::AtomicWaker: the classic single-slot primitive (the algorithm of
/// the Rust futures/tokio AtomicWaker). The baseline DiatomicWaker is measured
/// against, and a product in its own right: simple, one slot, any thread may
/// register, but only one waiter at a time is ever woken.
///
/// Contract (quote this):
///   Memory. register_waker() acquires what was released by every wake() or
///   take() that came before it: the consumer's re-check after registering sees
///   what producers wrote before those calls, or the waker is woken after them.
///   No sticking. wake() before any registration is a no-op; re-check after
///   registering. Each registration is woken at most once: wake() moves the
///   waker out of the slot, so a registration stores a copy (a clone) of its
///   waker, unless the slot already holds one that will_wake it.
///   Reusable. Any number of register/wake rounds.
///   One slot. A registration replaces the waker stored before it, which is
///   dropped without being woken: only the last registered waker is ever
///   woken, and a waiter whose waker was replaced is never woken. Two threads
///   each in block_on(atomic_waker.wait_until(pred)), then one wake(): one
///   returns, the other stays parked for good, whatever wakes follow. Give
///   each waiter its own AtomicWaker.
///   Concurrency. wake()/take() from any number of threads. Overlapping
///   register_waker() calls corrupt nothing: one wins, the others return
///   having registered nothing, so their waiters are not woken either. A
///   registration that finds a wake in progress wakes its own waker at once
///   (wake_by_ref), so the consumer polls again: in effect a spin through the
///   executor, the cost DiatomicWaker avoids.
///   Exceptions. Only register_waker can throw (whatever the waker's clone
///   throws). The state returns to idle with the slot as before; a wake that
///   raced with the failed call is delivered to the previously stored waker,
///   as if it had arrived just before the call.
///   Signals. wake() may be called from a signal handler when the stored
///   waker's wake() (wake_by_ref, then drop) is async-signal-safe. For
///   this_thread::waker() it is while the woken thread lives, on the
///   futex-like parkers (diatomic/thread_waker.hpp): the thread's own
///   reference keeps the drop from freeing the parker. take() alone is
///   lock-free and allocates nothing; dropping a Waker may free its target.
#pragma once

#include <diatomic/atomic_waker_state.hpp>
#include <diatomic/config.hpp>
#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/atomic_waker_core.hpp>
#include <diatomic/wait_fwd.hpp>
#include <diatomic/waker.hpp>

#include <utility>
#include <version>

DIATOMIC_NAMESPACE_BEGIN

/// The single-slot waker; see this file's contract. Non-copyable and
/// non-movable: producers and the consumer refer to one object. Destroy it
/// only when no call is in progress (checked where checks are on).
class AtomicWaker {
 public:
  /// Idle, with an empty slot. constexpr: a `constinit` AtomicWaker at
  /// namespace scope is constant-initialised.
  constexpr AtomicWaker() noexcept = default;
  AtomicWaker(const AtomicWaker&) = delete;
  AtomicWaker& operator=(const AtomicWaker&) = delete;

  /// Stores a copy of `waker` (unless the slot already will_wake it) to be
  /// woken by the next wake(). See the contract above for races.
  void register_waker(const Waker& waker) { core_.register_waker(waker); }

  /// Wakes and releases the registered waker, if any. The same operation as
  /// DiatomicWaker::notify() (and WakeSource::notify()): each primitive keeps
  /// the verb of the algorithm it comes from.
  void wake() noexcept { core_.wake(); }

  /// Moves the registered waker out, if any, leaving none; the caller wakes
  /// it (or not). Empty if nothing is registered or another call is on it.
  [[nodiscard]] Waker take() noexcept { return core_.take(); }

  /// A snapshot of the state word, for diagnostics (diatomic/atomic_waker_state.hpp).
  [[nodiscard]] AtomicWakerState state() const noexcept { return core_.state(); }

  /// A wait for `pred` (diatomic/wait.hpp), with the same protocol, results
  /// and drivers as DiatomicWaker::wait_until: run it with block_on(...) or
  /// co_await it. The registration is not withdrawn when the wait completes
  /// (AtomicWaker has no unregister): the waker stays in the slot and a later
  /// wake() wakes it once, spuriously, which costs a parked thread one extra
  /// poll and a completed co_await nothing (its waker owns a relay that
  /// outlives the frame). The AtomicWaker must outlive the wait.
  template <WaitPredicate Pred>
  [[nodiscard]] Wait<AtomicWaker, Pred, false> wait_until(Pred pred) {
    return {*this, std::move(pred)};
  }
#if defined(__cpp_lib_jthread)
  /// As above, cancellable: a stop request on `token` completes the wait as
  /// "stopped".
  /// Only where the standard library has std::stop_token
  /// (`__cpp_lib_jthread`); named through the Wait, so this header needs no
  /// `<stop_token>`.
  template <WaitPredicate Pred>
  [[nodiscard]] Wait<AtomicWaker, Pred, true> wait_until(
      Pred pred, typename Wait<AtomicWaker, Pred, true>::stop_token_type token) {
    return {*this, std::move(pred), std::move(token)};
  }
#endif

 private:
  detail::AtomicWakerCore<detail::StdAtomicPolicy> core_;
};

DIATOMIC_NAMESPACE_END
