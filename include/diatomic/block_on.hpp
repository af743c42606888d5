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
///   Cost: one RMW to take a reference to this thread's waker per call (and
///   one to drop it), then the primitive's own; the waker is the same on every
///   call from a thread, so a sink that cached it copies nothing.
///   Do not call block_on from inside a coroutine or an executor's job: it
///   blocks the whole thread.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/thread_waker.hpp>
#include <diatomic/wait.hpp>
#include <diatomic/waker.hpp>

#include <concepts>
#include <optional>
#include <stop_token>
#include <utility>

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
  requires !W::kStoppable || requires(const W& w) {
    { w.stop_token() } -> std::same_as<std::stop_token>;
  };
};

/// Runs `wait` (from wait_until) to completion on the calling thread, parking
/// it between polls, and returns the wait's result; see this file's contract.
template <class W>
  requires WaitObject<std::remove_cvref_t<W>>
typename std::remove_cvref_t<W>::result_type block_on(W&& wait) {
  using Wait = std::remove_cvref_t<W>;
  struct WakeOnStop {
    const Waker* waker;
    void operator()() const noexcept { waker->wake_by_ref(); }
  };
  const Waker waker = this_thread::waker();
  // Declared after `waker`, so destroyed first: its destructor waits for a
  // callback running on another thread, which uses `waker`.
  std::optional<std::stop_callback<WakeOnStop>> on_stop;
  if constexpr (Wait::kStoppable) on_stop.emplace(wait.stop_token(), WakeOnStop{&waker});
  for (;;) {
    if (auto out = wait.poll(waker)) return Wait::into_result(std::move(*out));
    this_thread::park();
  }
}

DIATOMIC_NAMESPACE_END
