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

#include <mutex>

DIATOMIC_NAMESPACE_BEGIN

class RunLoopExecutor;

/// Jobs run in FIFO order, one at a time, on the thread inside run() or
/// run_until_idle(). Queueing allocates nothing (the job's node lives in the
/// waiting coroutine's awaiter). Memory: everything a thread did before
/// execute() is visible to the job when it runs (the queue's mutex orders it).
/// Lifetime: destroy the loop only after its last execute() returned and with
/// no job queued (where checks are on, it aborts otherwise: those coroutines
/// would never resume). Not copyable or movable: executors point to it.
class RunLoop {
 public:
  RunLoop() noexcept = default;
  RunLoop(const RunLoop&) = delete;
  RunLoop& operator=(const RunLoop&) = delete;
  DIATOMIC_EXPORT ~RunLoop();

  /// A handle that queues jobs on this loop; cheap to copy.
  [[nodiscard]] RunLoopExecutor executor() noexcept;

  /// Runs jobs on the calling thread, waiting in this_thread::park() while
  /// the queue is empty, until stop() is called; then returns after the job it
  /// is running, leaving the rest queued. Returns at once if stop() was
  /// already called (stop is sticky). One thread at a time. The wait is
  /// park()'s (diatomic/thread_waker.hpp): a spin of at most
  /// this_thread::park_spin() (a job queued
  /// meanwhile is picked up without a system call on either side), then a
  /// futex sleep; execute() wakes the loop only while it waits. Throws
  /// std::bad_alloc only if the calling thread's parker cannot be allocated
  /// (this_thread::waker()), before it runs any job.
  DIATOMIC_EXPORT void run();

  /// Runs jobs on the calling thread until the queue is empty, including jobs
  /// queued meanwhile; never sleeps. Ignores stop(). One thread at a time.
  DIATOMIC_EXPORT void run_until_idle();

  /// Makes run() return, now or when it is next called. Any thread.
  DIATOMIC_EXPORT void stop() noexcept;

 private:
  friend class RunLoopExecutor;
  DIATOMIC_EXPORT void execute(Job job) noexcept;
  void wake_locked() noexcept;

  std::mutex mutex_;
  detail::JobQueue queue_;           // guarded by mutex_
  const Waker* sleeper_ = nullptr;   // guarded by mutex_: run()'s waker while it parks
  bool stopped_ = false;             // guarded by mutex_
};

/// The Executor of a RunLoop: execute(job) queues the job and wakes the loop.
class RunLoopExecutor {
 public:
  /// Queues `job` on the loop and wakes it; any thread.
  void execute(Job job) const noexcept { loop_->execute(job); }
  /// Executors of the same loop are equal.
  friend bool operator==(RunLoopExecutor, RunLoopExecutor) noexcept = default;

 private:
  friend class RunLoop;
  explicit RunLoopExecutor(RunLoop& loop) noexcept : loop_(&loop) {}
  RunLoop* loop_;
};

static_assert(Executor<RunLoopExecutor>);

inline RunLoopExecutor RunLoop::executor() noexcept {
  return RunLoopExecutor(*this);
}

DIATOMIC_NAMESPACE_END
