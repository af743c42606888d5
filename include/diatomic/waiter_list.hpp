// SPDX-License-Identifier: MIT
/// \file
/// diatomic::WaiterList: a notifier for any number of waiters, such as the
/// senders of a bounded channel waiting for capacity. Each waiter registers a
/// Waker through a WaiterList::Waiter it owns (no allocation); notify_one()
/// wakes the longest-registered waiter, notify_all() every waiter registered
/// before it. A wait on it runs with block_on or co_await like any other
/// (list.wait_until(pred)).
///
/// Contract (quote this):
///   Memory. Everything a notifier wrote before notify_one() or notify_all()
///   is visible to the check a waiter makes after a registration that the
///   notification did not find, and to the check a woken waiter makes after
///   begin_check() (each notify and each registration is one RMW of one
///   counter word, so for each pair either the registration comes later and
///   its re-check sees the writes, or the notification comes later and finds
///   the waiter in the list).
///   No lost wake-up. A notification that finds waiters in the list takes one
///   of them out and wakes it (notify_all: each of those registered before
///   it). The woken waiter answers for it: its next check consumes it; a
///   waiter that withdraws instead (unregister(), a stop request, a
///   destroyed coroutine frame, the Waiter's destruction) passes it on to the
///   next waiter with notify_one(), so no waiter swallows a wake another one
///   needed. A withdrawal that races with a notification may therefore wake
///   one other waiter spuriously; spurious wakes are allowed, lost ones never.
///   No sticking. A notification with nobody in the list does nothing.
///   Order. Waiters are taken in registration order; a waiter that registers
///   again after being woken goes to the back.
///   Concurrency. notify_one/notify_all from any number of threads, any
///   Waiter from its own thread (one call at a time per Waiter), all at once.
///   The list is kept under a std::mutex, held for a few pointer writes:
///   wakers are called after it is released, so a waker may register or
///   notify on the same list (a coroutine resumed inline does).
///   Cost. With nobody waiting, notify_one() is one RMW (a fetch_add of 0 on
///   the counter word) and a branch, inline. Why an RMW and not a seq_cst
///   fence and a load (the fast path of async-event and TBB's
///   concurrent_monitor, which smol-rs/event-listener removed in 2024 after
///   a lost notification): the RMW's proof is the one the explorer checks
///   (docs/testing.md, "The waiter list"; its memory model has no fences); on
///   x86-64 a seq_cst fence is itself a locked instruction or mfence, so the
///   fence saves nothing there while the line stays in the notifier's cache,
///   as it does with one notifier such as a channel's receiver; and every
///   registration would need a fence too, which the same experiment on
///   DiatomicWaker measures: its registrations slower by more than the 10 %
///   allowed (docs/benchmarks.md, "The read-only notify experiments,
///   rejected"). With
///   several notifiers the RMW makes them share the counter's cache line. A
///   registration costs the lock and one RMW,
///   and a clone of the waker unless the Waiter still holds one that
///   will_wake it (a woken waiter's waker was moved out to wake it).
///   Exceptions. Only register_waker can throw (the waker's clone); the
///   Waiter is then left unregistered.
///   Lifetime. The list must outlive its Waiters and every call; destroy it
///   with nobody registered (checked where checks are on).
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/waiter_list_core.hpp>
#include <diatomic/wait_fwd.hpp>
#include <diatomic/waker.hpp>

#include <cstddef>
#include <utility>
#include <version>

DIATOMIC_NAMESPACE_BEGIN

/// The multi-waiter notifier; see this file's contract. Non-copyable and
/// non-movable: notifiers and Waiters refer to one object.
class WaiterList {
 public:
  class Waiter;

  /// Empty. constexpr where std::mutex is (not with MinGW-w64's libstdc++,
  /// nor MSVC's standard library): a `constinit` WaiterList is then
  /// constant-initialised.
  DIATOMIC_DETAIL_MUTEX_CONSTEXPR WaiterList() noexcept = default;
  WaiterList(const WaiterList&) = delete;
  WaiterList& operator=(const WaiterList&) = delete;

  /// Wakes the longest-registered waiter, if any. Any thread. Inlined: with
  /// nobody waiting, one RMW; otherwise the rest is out of line.
  DIATOMIC_ALWAYS_INLINE void notify_one() noexcept { core_.notify_one(); }
  /// Wakes every waiter registered before the call. Any thread.
  void notify_all() noexcept { core_.notify_all(); }

  /// How many waiters are registered and not yet notified: a snapshot for
  /// diagnostics and tests.
  [[nodiscard]] std::size_t waiting() const noexcept { return core_.waiting(); }

  /// A wait for `pred` (diatomic/wait.hpp), with a Waiter of its own: run it
  /// with block_on(...) or co_await it, from any number of threads at once.
  /// The list must outlive the wait. Include diatomic/block_on.hpp or
  /// diatomic/coro.hpp to run it.
  template <WaitPredicate Pred>
  [[nodiscard]] Wait<WaiterList, Pred, false> wait_until(Pred pred) {
    return {*this, std::move(pred)};
  }
#if defined(__cpp_lib_jthread)
  /// As above, cancellable: a stop request on `token` completes the wait as
  /// "stopped" and withdraws its registration (passing on a notification it
  /// received).
  /// Only where the standard library has std::stop_token
  /// (`__cpp_lib_jthread`); named through the Wait, so this header needs no
  /// `<stop_token>`.
  template <WaitPredicate Pred>
  [[nodiscard]] Wait<WaiterList, Pred, true> wait_until(
      Pred pred, typename Wait<WaiterList, Pred, true>::stop_token_type token) {
    return {*this, std::move(pred), std::move(token)};
  }
#endif

 private:
  using Core = detail::WaiterListCore<detail::StdAtomicPolicy>;
  Core core_;
};

/// One waiter's registration on a WaiterList: a node of the list that the
/// waiter owns. Its protocol, as wait_until runs it:
///
///   waiter.begin_check();                  // before every check
///   if (condition()) { waiter.complete(); return; }
///   waiter.register_waker(my_waker);      // then re-check
///   if (condition()) { waiter.complete(); return; }
///   sleep until my_waker is woken, then start again
///
/// and unregister() to leave instead (cancellation). One thread at a time.
class WaiterList::Waiter {
 public:
  /// An idle waiter on `list`, which must outlive it.
  explicit Waiter(WaiterList& list) noexcept : node_(list.core_) {}
  /// Only an unregistered Waiter may be moved (checked where checks are on);
  /// the new one is unregistered, on the same list.
  Waiter(Waiter&&) noexcept = default;
  Waiter& operator=(Waiter&&) = delete;
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  /// Withdraws, as unregister().
  ~Waiter() = default;

  /// Joins the list with `waker`, or stays in it if the waker it holds
  /// will_wake `waker` (no copy; the lock, no RMW of the counter). Re-check
  /// the condition after this call: it answers for any notification received
  /// so far. Throws what the waker's clone throws, leaving the Waiter
  /// unregistered.
  void register_waker(const Waker& waker) { node_.register_waker(waker); }
  /// Call before each check of the condition: a notification that reached
  /// this Waiter passes to that check.
  void begin_check() noexcept { node_.begin_check(); }
  /// The condition held: consumes a notification passed to the check, and
  /// leaves the list if still in it (passing on a notification that arrived
  /// after begin_check()).
  void complete() noexcept { node_.complete(); }
  /// Leaves the list; a notification this Waiter received or holds is passed
  /// on to the next waiter (notify_one()).
  void unregister() noexcept { node_.withdraw(); }
  /// True if neither in the list nor notified.
  [[nodiscard]] bool idle() const noexcept { return node_.idle(); }

 private:
  Core::Node node_;
};

DIATOMIC_NAMESPACE_END
