// SPDX-License-Identifier: MIT
/// \file
/// co_await for wait objects: the awaiter that drives a wait (diatomic/wait.hpp)
/// from a C++20 coroutine of any promise type, with a coroutine waker whose
/// clone and drop are free, resumption on a chosen Executor, and cancellation
/// by std::stop_token. Users write `co_await sink.wait_until(pred)` or
/// `co_await sink.wait_until(pred).resume_on(ex)`; the awaiter's type is
/// not theirs to name.
///
/// Contract (quote this):
///   Resumption. The coroutine is resumed only once the wait completed: the
///   predicate held (or stop was requested, or the predicate threw). A wake
///   whose poll finds the predicate still false re-registers and stays
///   suspended: spurious wakes never resume it. If the wait completes during
///   co_await itself (the first poll), the coroutine continues at once on its
///   own thread; every later poll, and the resumption, run on the executor.
///   Serial polls. Polls are consumer-side calls, so they run one at a time
///   even on a multi-threaded executor: a wake or stop request that arrives
///   while a poll is queued or running only asks that poll to run once more.
///   Memory. As for the primitive: a producer's writes before notify() are
///   visible to the poll that notification triggers, or to an earlier one.
///   Lifetime. The sink must outlive the co_await. The awaiter lives in the
///   coroutine frame; before resuming the coroutine it withdraws the
///   registration and removes its stop callback (waiting for one that is
///   running on another thread). On a DiatomicWaker it also waits for a
///   notifier that is inside its waker on another thread to return: it waits
///   while the primitive's notification lock is held, which is for one call
///   of the waker in the slot, this awaiter's own (it claims the poll gate
///   and may hand a job to the executor, so the wait lasts at most one
///   execute() of that executor). On an AtomicWaker, which cannot say when a
///   wake has returned, the waker points to a small reference-counted relay instead of the frame, and a
///   late wake touches only the relay. Nothing touches the frame afterwards.
///   Destroying a coroutine suspended in co_await is allowed while no poll is
///   queued or running for it (it withdraws the registration); if a wake has
///   already queued one, or one is running on another thread, the process
///   aborts with a message: stop the wait with its std::stop_token and let it
///   resume instead.
///   Deadline. resume_on(executor, deadline) needs a TimedExecutor (a
///   RunLoop's, an asio one; the inline executor is rejected at compile
///   time). The executor's timer, started before the first poll, polls the
///   wait once the deadline has come, through the poll gate as a stop
///   request does; a poll made after the deadline is the wait's expire()
///   (diatomic/wait.hpp, "Deadline"): the last check of the predicate, the
///   registration withdrawn either way. A timer that fires while a wake
///   completes the wait finds the gate held and does nothing more: the
///   coroutine is resumed once. Completion cancels the timer, waiting for a
///   fire running on another thread (a bounded wait: it only queues a poll).
///   Destroying a coroutine suspended in a timed co_await cancels the timer
///   the same way.
///   Deadlock rule. Completing a wait on a DiatomicWaker waits for a notifier
///   that is inside a waker call on another thread. So nothing may complete a
///   co_await on a primitive from inside a waker call made by that same
///   primitive's notify() on the same thread, except through the
///   InlineExecutor (which records that it runs under the lock and skips the
///   wait): a user waker must not run such a coroutine synchronously, and an
///   Executor's execute() must not wait for the job it is given.
///   Cost. On a DiatomicWaker: no allocation once the waker is cached (its
///   clone and drop are free). Besides the primitive's own RMWs, the awaiter's
///   poll gate takes 1 RMW per wake and 1 per poll (clearing "woken" before
///   it polls), plus one compare-exchange to end a poll that leaves the
///   coroutine suspended. On an AtomicWaker: one relay allocated per
///   co_await, and the waker's clone and drop cost 1 RMW each.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/completion.hpp>
#include <diatomic/detail/deadline_hook.hpp>
#include <diatomic/detail/fatal.hpp>
#include <diatomic/detail/poll_gate.hpp>
#include <diatomic/detail/stop_hook.hpp>
#include <diatomic/detail/waker_anchor.hpp>
#include <diatomic/executor.hpp>
#include <diatomic/thread_waker.hpp>
#include <diatomic/wait.hpp>

#include <chrono>
#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

/// The awaiter of a wait object W, resumed through executor E. Not copyable
/// or movable: its address is its waker's data pointer (frame mode). Made of
/// named parts, each in its own header:
///   PollGate   (poll_gate.hpp)    hands out polls one at a time: a wake or
///                                   stop claims it and queues a poll if the
///                                   wait was idle
///   WakerAnchor (waker_anchor.hpp)  where the gate lives and what the waker
///                                   points to: FrameAnchor or RelayAnchor,
///                                   chosen once from the primitive
///   Completion  (completion.hpp)    the wait's output or exception
///   StopHook    (stop_hook.hpp)     the stop callback, stored only for a
///                                   stoppable wait
/// drive() polls while it owns the gate, and either suspends the wait or
/// completes it.
/// With Timed, the wait has a deadline: a timer of the executor
/// (TimedExecutor) polls it once the deadline has come, and a poll made then
/// is the wait's expire().
template <class W, Executor E, bool Timed>
class Awaiter : private JobNode {
  using Anchor = std::conditional_t<W::kQuiescible, FrameAnchor<Awaiter>, RelayAnchor<Awaiter>>;
  using Clock = std::chrono::steady_clock;
  // What the completing poll stores: with a deadline, nullopt = timed out.
  using Output = std::conditional_t<Timed, std::optional<typename W::output_type>,
                                    typename W::output_type>;

 public:
  /// What co_await yields: the wait's result_type (timed_result_type with a
  /// deadline).
  using result_type = std::conditional_t<Timed, typename W::timed_result_type,
                                         typename W::result_type>;

  /// Made by co_await on a Wait (or by resume_on) only.
  Awaiter(W wait, E executor) noexcept(std::is_nothrow_move_constructible_v<W> &&
                                       std::is_nothrow_move_constructible_v<E>)
    requires(!Timed)
      : wait_(std::move(wait)), executor_(std::move(executor)), anchor_(*this) {
    static_assert(WakerAnchor<Anchor, Awaiter>);
    run = &Awaiter::run_job;
  }
  /// Made by resume_on(executor, deadline) only. Throws what making the
  /// executor's Timer throws (asio's allocates).
  Awaiter(W wait, E executor, Clock::time_point deadline)
    requires Timed
      : wait_(std::move(wait)),
        executor_(std::move(executor)),
        anchor_(*this),
        deadline_(executor_, deadline, &Awaiter::on_deadline, this) {
    run = &Awaiter::run_job;
  }
  Awaiter(const Awaiter&) = delete;
  Awaiter& operator=(const Awaiter&) = delete;

  ~Awaiter() {
    if (completion_.done() || !handle_) return;
    // The coroutine is destroyed while suspended here: seize the gate, if no
    // poll owns it.
    if (!anchor_.gate().try_seize()) {
      fatal(
          "a coroutine was destroyed while suspended in co_await on a diatomic wait that a "
          "wake had already queued for polling; request stop on the wait's std::stop_token "
          "and let the coroutine resume before destroying it");
    }
    wait_.unregister(key());
    stop_.disarm();
    deadline_.disarm();
    anchor_.retire(*this);
  }

  /// Always suspends first: the first poll runs in await_suspend.
  [[nodiscard]] bool await_ready() const noexcept { return false; }

  /// Runs the first poll here. Returns false (continue at once) if the wait
  /// completed; true (stay suspended) once it is registered. On an
  /// AtomicWaker, throws std::bad_alloc if the relay cannot be allocated.
  [[nodiscard]] bool await_suspend(std::coroutine_handle<> handle) noexcept(
      noexcept(anchor_.attach(*this)) && noexcept(deadline_.arm())) {
    anchor_.attach(*this);
    // Before handle_ is set: if it throws, the destructor has nothing to undo.
    // A fire before the first poll only asks that poll to run once more.
    deadline_.arm();
    handle_ = handle;
    if constexpr (W::kStoppable) stop_.arm(wait_.stop_token(), OnStop{this});
    return !drive();
  }

  /// The predicate's value (or nothing); with a stop token, false / nullopt
  /// if stopped; with a deadline, wrapped as timed_result_type. Rethrows
  /// what the predicate threw.
  result_type await_resume() {
    if constexpr (Timed) return W::into_timed_result(completion_.take());
    else return W::into_result(completion_.take());
  }

 private:
  // For the anchor (waker_anchor.hpp), and only for it.
  friend Anchor;
  /// The anchor, whose gate a frame-mode wake claims.
  [[nodiscard]] Anchor& anchor() noexcept { return anchor_; }
  /// The primitive the wait is on.
  [[nodiscard]] const void* primitive() const noexcept { return wait_.primitive(key()); }
  /// After the wait withdrew its registration: no notifier is inside the waker.
  void quiesce() const noexcept { wait_.quiesce(key()); }
  /// Called by the wake that claimed the gate from idle: the awaiter lives
  /// until the job runs, but the job may run and destroy it before execute()
  /// returns, so execute on a copy.
  void queue() noexcept {
    const E executor = executor_;
    executor.execute(Job(key(), *this));
  }

  /// A stop request or the deadline's timer polls like a wake, but its
  /// thread holds no lock of the primitive, so it opens no WakeScope (unlike
  /// a frame-mode wake).
  void poll_again() noexcept {
    if (anchor_.gate().claim()) queue();
  }
  struct OnStop {
    Awaiter* self;
    void operator()() const noexcept { self->poll_again(); }
  };
  static void on_deadline(void* self) noexcept { static_cast<Awaiter*>(self)->poll_again(); }

  /// One poll: the completion's content if the wait completed. Once the
  /// deadline has come (the timer fired, or a wake came late), the poll is
  /// expire(): the last check, the registration withdrawn either way.
  std::optional<Output> step() {
    if constexpr (Timed) {
      if (deadline_.passed()) return Output(wait_.expire());
      if (auto out = wait_.poll(anchor_.waker())) return Output(std::move(out));
      return std::nullopt;
    } else {
      return wait_.poll(anchor_.waker());
    }
  }

  /// Polls while it owns the gate. Returns true when the wait is complete
  /// and may be resumed (the gate stays held); false once the gate was
  /// given up, after which *this must not be touched (a wake on another
  /// thread may already resume and destroy the coroutine).
  bool drive() noexcept {
    for (;;) {
      anchor_.gate().start_poll();
      try {
        if (auto out = step()) {
          completion_.set_value(std::move(*out));
          break;
        }
      } catch (...) {
        completion_.set_error(std::current_exception());
        break;
      }
      if (anchor_.gate().try_suspend()) return false;
    }
    stop_.disarm();
    deadline_.disarm();
    anchor_.retire(*this);
    return true;
  }

  static void run_job(JobNode* node) noexcept {
    auto* self = static_cast<Awaiter*>(node);
    if (self->drive()) self->handle_.resume();
  }

  W wait_;
  E executor_;
  std::coroutine_handle<> handle_;
  Completion<Output> completion_;
  [[no_unique_address]] StopHook<W::kStoppable, OnStop> stop_;
  Anchor anchor_;
  [[no_unique_address]] DeadlineHook<Timed, E> deadline_;
};

/// What co_await diatomic::sleep_until(executor, when) returns: a timer of
/// the executor whose fire queues the coroutine's resumption as a job.
template <TimedExecutor E>
class SleepAwaiter : private JobNode {
 public:
  /// Made by sleep_until / sleep_for only.
  SleepAwaiter(const E& executor, std::chrono::steady_clock::time_point when)
      : executor_(executor), timer_(executor_, &SleepAwaiter::fire, this), when_(when) {
    run = &SleepAwaiter::run_job;
  }
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;
  /// A coroutine destroyed while it sleeps: its timer is cancelled (a fire
  /// running meanwhile on the executor's thread is waited for).
  ~SleepAwaiter() {
    if (!resumed_) timer_.cancel();
  }

  /// Always suspends, even if `when` has passed: the resumption is a job.
  [[nodiscard]] bool await_ready() const noexcept { return false; }
  /// Starts the timer (which may throw: asio's allocates).
  void await_suspend(std::coroutine_handle<> handle) {
    handle_ = handle;
    timer_.start(when_);
  }
  /// Nothing to yield.
  void await_resume() const noexcept {}

 private:
  static void fire(void* self) noexcept {
    auto* const awaiter = static_cast<SleepAwaiter*>(self);
    const E executor = awaiter->executor_;  // the job may end *awaiter before execute() returns
    executor.execute(Job(key(), *awaiter));
  }
  static void run_job(JobNode* node) noexcept {
    auto* const self = static_cast<SleepAwaiter*>(node);
    self->resumed_ = true;
    self->handle_.resume();
  }

  E executor_;
  typename E::Timer timer_;
  std::chrono::steady_clock::time_point when_;
  std::coroutine_handle<> handle_;
  bool resumed_ = false;
};

}  // namespace detail

/// \cond WAIT_COAWAIT_DEFINITIONS (documented where Wait declares them)
template <class Primitive, WaitPredicate Pred, bool Stoppable>
auto Wait<Primitive, Pred, Stoppable>::operator co_await() && {
  return std::move(*this).resume_on(InlineExecutor{});
}

template <class Primitive, WaitPredicate Pred, bool Stoppable>
template <Executor E>
auto Wait<Primitive, Pred, Stoppable>::resume_on(E executor) && {
  return detail::Awaiter<Wait, E, false>(std::move(*this), std::move(executor));
}

template <class Primitive, WaitPredicate Pred, bool Stoppable>
template <Executor E, class Clock, class Duration>
auto Wait<Primitive, Pred, Stoppable>::resume_on(
    E executor, std::chrono::time_point<Clock, Duration> deadline) && {
  static_assert(TimedExecutor<E>,
                "a co_await with a deadline needs an executor that runs timers "
                "(RunLoop::executor(), diatomic::asio_executor(...)); the inline executor "
                "has no clock: resume on a RunLoop, or use block_on(wait, deadline) on a thread");
  return detail::Awaiter<Wait, E, true>(std::move(*this), std::move(executor),
                                        detail::to_steady(deadline));
}

template <class Primitive, WaitPredicate Pred, bool Stoppable>
template <Executor E, class Rep, class Period>
auto Wait<Primitive, Pred, Stoppable>::resume_on(E executor,
                                                 std::chrono::duration<Rep, Period> timeout) && {
  return std::move(*this).resume_on(
      std::move(executor), detail::steady_deadline(std::chrono::steady_clock::now(), timeout));
}
/// \endcond

/// co_await sleep_until(executor, when): resumes the coroutine on `executor`
/// (a TimedExecutor: RunLoop::executor(), diatomic::asio_executor(...)) once
/// `when` has come (steady_clock; another clock's deadline is converted once,
/// as for a wait's deadline). Destroying the coroutine while it sleeps cancels
/// the timer.
template <TimedExecutor E, class Clock, class Duration>
[[nodiscard]] detail::SleepAwaiter<E> sleep_until(const E& executor,
                                                  std::chrono::time_point<Clock, Duration> when) {
  return {executor, detail::to_steady(when)};
}
/// co_await sleep_for(executor, d): sleep_until(executor, now + d).
template <TimedExecutor E, class Rep, class Period>
[[nodiscard]] detail::SleepAwaiter<E> sleep_for(const E& executor,
                                                std::chrono::duration<Rep, Period> d) {
  return {executor, detail::steady_deadline(std::chrono::steady_clock::now(), d)};
}

DIATOMIC_NAMESPACE_END
