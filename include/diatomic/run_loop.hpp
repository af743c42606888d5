// SPDX-License-Identifier: MIT
/// \file
/// diatomic::RunLoop: a small single-thread run loop that coroutines waiting
/// with co_await can be resumed on. One thread runs it (run() or
/// run_until_idle()); any thread may hand it jobs through its executor.
///
///   diatomic::RunLoop loop;
///   std::thread worker([&] { loop.run(); });
///   co_await sink.wait_until(pred).resume_on(loop.executor());  // resumes on `worker`
///   loop.stop();
///   worker.join();
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/executor.hpp>
#include <diatomic/export.hpp>
#include <diatomic/waker.hpp>

#include <chrono>
#include <mutex>

DIATOMIC_NAMESPACE_BEGIN

class RunLoopExecutor;

namespace detail {
/// A timer of a RunLoop, linked into the loop's list (sorted by `when`) while
/// it is pending. Lives in the timed wait's awaiter: no allocation.
struct TimerNode {
  TimerNode* next = nullptr;                    ///< the next later timer, while pending
  std::chrono::steady_clock::time_point when{};  ///< when it is due
  void (*fire)(void*) noexcept = nullptr;       ///< called with `arg` on the loop's thread
  void* arg = nullptr;                          ///< fire's argument
};
}  // namespace detail

/// Jobs run in FIFO order, one at a time, on the thread inside run() or
/// run_until_idle(). Queueing allocates nothing (the job's node lives in the
/// waiting coroutine's awaiter). Memory: everything a thread did before
/// execute() is visible to the job when it runs (the queue's mutex orders it).
/// Timers: the loop also runs the timers of waits with a deadline and of
/// sleep_until (RunLoopExecutor::Timer), on the same thread, once their time
/// (steady_clock) has come: between jobs, in deadline order. A pending timer
/// costs its insertion into a sorted list (linear in the timers pending) and
/// one clock read per turn of the loop; a loop without timers reads no clock.
/// Lifetime: destroy the loop only after its last execute() returned and with
/// no job queued and no timer pending (where checks are on, it aborts
/// otherwise: those coroutines would never resume). Not copyable or movable:
/// executors point to it.
class RunLoop {
 public:
  RunLoop() noexcept = default;
  RunLoop(const RunLoop&) = delete;
  RunLoop& operator=(const RunLoop&) = delete;
  DIATOMIC_EXPORT ~RunLoop();

  /// A handle that queues jobs on this loop; cheap to copy.
  [[nodiscard]] RunLoopExecutor executor() noexcept;

  /// Runs jobs and due timers on the calling thread, waiting in
  /// this_thread::park() while the queue is empty (park_until the earliest
  /// timer while one is pending), until stop() is called; then returns after the job it
  /// is running, leaving the rest queued. Returns at once if stop() was
  /// already called (stop is sticky). One thread at a time. The wait is
  /// park()'s (diatomic/thread_waker.hpp): a spin of at most
  /// this_thread::park_spin() (a job queued
  /// meanwhile is picked up without a system call on either side), then a
  /// futex sleep; execute() wakes the loop only while it waits. Throws
  /// std::bad_alloc only if the calling thread's parker cannot be allocated
  /// (this_thread::waker()), before it runs any job.
  DIATOMIC_EXPORT void run();

  /// Runs jobs and due timers on the calling thread until none is left,
  /// including jobs queued meanwhile; never sleeps (a timer not yet due stays
  /// pending). Ignores stop(). One thread at a time.
  DIATOMIC_EXPORT void run_until_idle();

  /// Makes run() return, now or when it is next called. Any thread.
  DIATOMIC_EXPORT void stop() noexcept;

 private:
  friend class RunLoopExecutor;
  DIATOMIC_EXPORT void execute(Job job) noexcept;
  DIATOMIC_EXPORT void start_timer(detail::TimerNode& timer) noexcept;
  DIATOMIC_EXPORT void cancel_timer(detail::TimerNode& timer) noexcept;
  void wake_locked() noexcept;
  bool run_one(std::unique_lock<std::mutex>& lock) noexcept;

  std::mutex mutex_;
  detail::JobQueue queue_;           // guarded by mutex_
  const Waker* sleeper_ = nullptr;   // guarded by mutex_: run()'s waker while it parks
  detail::TimerNode* timers_ = nullptr;        // guarded by mutex_: pending, earliest first
  const detail::TimerNode* firing_ = nullptr;  // guarded by mutex_: the timer whose fire runs
  bool stopped_ = false;             // guarded by mutex_
};

/// The Executor of a RunLoop: execute(job) queues the job and wakes the loop.
class RunLoopExecutor {
 public:
  /// Queues `job` on the loop and wakes it; any thread.
  void execute(Job job) const noexcept { loop_->execute(job); }
  /// Executors of the same loop are equal.
  friend bool operator==(RunLoopExecutor, RunLoopExecutor) noexcept = default;

  /// A timer run by the loop (TimedExecutor): start(when) links it into the
  /// loop's timers, cancel() unlinks it, or waits for its fire() if that runs
  /// on the loop's thread now. Destroyed only when not pending.
  class Timer {
   public:
    /// A timer of `executor`'s loop that calls fire(arg) when it is due.
    Timer(RunLoopExecutor executor, void (*fire)(void*) noexcept, void* arg) noexcept
        : loop_(executor.loop_) {
      node_.fire = fire;
      node_.arg = arg;
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    /// Calls fire(arg) on the loop's thread once `when` has come.
    void start(std::chrono::steady_clock::time_point when) noexcept {
      node_.when = when;
      loop_->start_timer(node_);
    }
    /// Not pending, not firing, once it returns.
    void cancel() noexcept { loop_->cancel_timer(node_); }

   private:
    RunLoop* loop_;
    detail::TimerNode node_;
  };

 private:
  friend class RunLoop;
  explicit RunLoopExecutor(RunLoop& loop) noexcept : loop_(&loop) {}
  RunLoop* loop_;
};

static_assert(TimedExecutor<RunLoopExecutor>);

inline RunLoopExecutor RunLoop::executor() noexcept {
  return RunLoopExecutor(*this);
}

DIATOMIC_NAMESPACE_END
