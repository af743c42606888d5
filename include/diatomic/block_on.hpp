// SPDX-License-Identifier: MIT
/// \file
/// diatomic::block_on: runs a wait object (diatomic/wait.hpp) to completion on
/// the calling thread, parking it between polls with this_thread::park().
///
///   // Ordering: acquire, pairs with the producer's release store of done: the
///   // first check runs before any registration, so the sink cannot order it.
///   diatomic::block_on(sink.wait_until([&] { return done.load(std::memory_order_acquire); }));
///
/// Contract (quote this):
///   Returns only when the wait completed: its predicate held (its result is
///   returned), stop was requested on its std::stop_token (false / empty
///   optional), or the predicate threw (rethrown, the sink unregistered).
///   Each wake re-polls; a spurious wake only costs one poll. No lost wake: a
///   wake that comes before park() leaves the parker's token, so park()
///   returns at once. No busy loop: between polls the thread waits in
///   this_thread::park(), which spins for at most this_thread::park_spin()
///   (its default and why: diatomic/thread_waker.hpp) and then sleeps in a
///   futex wait, so a partner that answers within microseconds keeps the
///   hand-off out of the kernel and a long wait costs at most that spin.
///   Cost: the primitive's own RMWs, nothing for the waker: block_on polls
///   with this thread's own waker, lent (this_thread::waker_ref()), not a
///   clone of it; the waker is the same on every call from a thread, so a
///   sink that cached it copies nothing.
///   Deadline. block_on(wait, deadline) and block_on(wait, timeout) return
///   once the wait completed or its deadline passed, whichever the thread
///   sees first, and say which (docs/waiting.md, "Deadlines"): they park in
///   this_thread::park_until, whose clock, resolution and spurious returns
///   they inherit (diatomic/thread_waker.hpp), and end with the wait's
///   expire(): one last check of the predicate after the deadline, and the
///   registration withdrawn (diatomic/wait.hpp, "Deadline"). A timed-out
///   wait consumed nothing. A timeout is measured on steady_clock; a
///   deadline on another clock is converted to steady_clock once, at the
///   call, as park_until converts it. Without a
///   deadline nothing of this is paid: the untimed block_on parks in park(),
///   with no deadline to check.
///   Do not call block_on from inside a coroutine or an executor's job: it
///   blocks the whole thread.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/thread_waker.hpp>
#include <diatomic/wait.hpp>
#include <diatomic/waker.hpp>

#include <chrono>
#include <concepts>
#include <optional>
#include <utility>
#include <version>
#if defined(__cpp_lib_jthread)
#include <stop_token>
#endif

DIATOMIC_NAMESPACE_BEGIN

/// A wait object: what block_on calls. poll(waker) runs one step and returns
/// a non-empty optional once complete; W::into_result turns its content into
/// the result; a stoppable wait (kStoppable) gives its stop_token().
template <class W>
concept WaitObject = requires(W& wait, const Waker& waker, typename W::output_type&& out) {
  typename W::result_type;
  { wait.poll(waker) } -> std::same_as<std::optional<typename W::output_type>>;
  { W::into_result(std::move(out)) } -> std::same_as<typename W::result_type>;
  { W::kStoppable } -> std::convertible_to<bool>;
#if defined(__cpp_lib_jthread)
  requires !W::kStoppable || requires(const W& w) {
    { w.stop_token() } -> std::same_as<std::stop_token>;
  };
#else
  requires !W::kStoppable;  // no std::stop_token in this standard library
#endif
};

namespace detail {
/// block_on's loop: polls `wait` with this thread's waker, parking between
/// polls with `park`, until the wait completes (its output) or `park` returns
/// false because its deadline passed (then expire()'s output: nullopt if the
/// wait timed out).
template <class Wait, class Park>
std::optional<typename Wait::output_type> poll_parked(Wait& wait, Park park) {
  // Lent, not cloned: this thread outlives the call, and a primitive that
  // keeps the waker past a poll keeps a clone of it.
  const Waker& waker = this_thread::waker_ref();
#if defined(__cpp_lib_jthread)
  struct WakeOnStop {
    const Waker* waker;
    void operator()() const noexcept { waker->wake_by_ref(); }
  };
  // Declared after `waker`, so destroyed first: its destructor waits for a
  // callback running on another thread, which uses `waker`.
  std::optional<std::stop_callback<WakeOnStop>> on_stop;
  if constexpr (Wait::kStoppable) on_stop.emplace(wait.stop_token(), WakeOnStop{&waker});
#endif
  for (;;) {
    if (auto out = wait.poll(waker)) return out;
    if (!park()) return wait.expire();
  }
}
}  // namespace detail

/// Runs `wait` (from wait_until) to completion on the calling thread, parking
/// it between polls, and returns the wait's result; see this file's contract.
template <class W>
  requires WaitObject<std::remove_cvref_t<W>>
typename std::remove_cvref_t<W>::result_type block_on(W&& wait) {
  using Wait = std::remove_cvref_t<W>;
  return Wait::into_result(std::move(*detail::poll_parked(wait, [] {
    this_thread::park();
    return true;
  })));
}

/// As block_on(wait), but gives up once `deadline` has passed: returns the
/// wait's timed_result_type, false or an empty optional if it timed out (the
/// predicate was false at a last check made after the deadline, and the
/// registration is withdrawn). Between polls the thread waits in
/// this_thread::park_until(deadline); see this file's contract.
template <class W, class Clock, class Duration>
  requires WaitObject<std::remove_cvref_t<W>>
typename std::remove_cvref_t<W>::timed_result_type block_on(
    W&& wait, std::chrono::time_point<Clock, Duration> deadline) {
  using Wait = std::remove_cvref_t<W>;
  const std::chrono::steady_clock::time_point steady = detail::to_steady(deadline);
  return Wait::into_timed_result(
      detail::poll_parked(wait, [steady] { return this_thread::park_until(steady); }));
}

/// block_on(wait, now + timeout), on std::chrono::steady_clock.
template <class W, class Rep, class Period>
  requires WaitObject<std::remove_cvref_t<W>>
typename std::remove_cvref_t<W>::timed_result_type block_on(
    W&& wait, std::chrono::duration<Rep, Period> timeout) {
  return block_on(std::forward<W>(wait),
                  detail::steady_deadline(std::chrono::steady_clock::now(), timeout));
}

DIATOMIC_NAMESPACE_END
