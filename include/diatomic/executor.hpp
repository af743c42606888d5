// SPDX-License-Identifier: MIT
/// \file
/// Where a coroutine that waits with co_await is resumed: the one-function
/// Executor concept, the Job it runs, and InlineExecutor, the default, which
/// resumes on the notifying thread through a per-thread trampoline.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/export.hpp>

#include <chrono>
#include <concepts>

DIATOMIC_NAMESPACE_BEGIN

class Job;

namespace detail {
class AwaiterKey;

/// The intrusive link of a Job: it lives in the waiting coroutine's awaiter, so
/// queueing a resumption allocates nothing. `run` must not touch the node after
/// it has resumed the coroutine (the coroutine may destroy it). Every awaiter
/// of the library (coro.hpp) derives from JobNode, which alone makes the
/// AwaiterKey: a derived awaiter takes it with key(); the executors that
/// queue nodes (InlineExecutor's trampoline, RunLoop) read a Job's node with
/// of().
struct JobNode {
  JobNode* next = nullptr;
  void (*run)(JobNode*) noexcept = nullptr;

  /// The node `job` runs.
  [[nodiscard]] static JobNode& of(Job job) noexcept;

 protected:
  /// The key for the awaiter that derives from this node.
  [[nodiscard]] static AwaiterKey key() noexcept;
};

/// The passkey of what only the library's awaiters may do: make a Job from
/// their node, and drive a Wait (its unregister, quiesce and primitive).
/// Only JobNode can make one, so user code cannot.
class AwaiterKey {
  friend struct JobNode;
  AwaiterKey() noexcept = default;
};

inline AwaiterKey JobNode::key() noexcept {
  return AwaiterKey();
}

/// A FIFO of JobNodes linked through `next`; no allocation, no
/// synchronisation of its own (InlineExecutor's trampoline is per thread,
/// RunLoop holds its mutex).
class JobQueue {
 public:
  [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }
  void push(JobNode& node) noexcept {
    node.next = nullptr;
    (tail_ != nullptr ? tail_->next : head_) = &node;
    tail_ = &node;
  }
  /// The oldest node, unlinked; nullptr if empty.
  [[nodiscard]] JobNode* pop() noexcept {
    JobNode* const node = head_;
    if (node != nullptr) {
      head_ = node->next;
      if (head_ == nullptr) tail_ = nullptr;
    }
    return node;
  }

 private:
  JobNode* head_ = nullptr;
  JobNode* tail_ = nullptr;
};
}  // namespace detail

/// One unit of work an executor is given: call it exactly once, on the thread
/// the executor chooses. A Job is a pointer-sized, trivially copyable,
/// noexcept callable; it polls a waiting coroutine's predicate and resumes the
/// coroutine when the predicate holds. A Job that is never run leaves its
/// coroutine suspended forever (and its frame alive). Only the library makes
/// Jobs (a co_await on a wait, sleep_until): an executor receives them, copies
/// them and calls them.
class Job {
 public:
  /// The library's: a Job that runs `node`. The key is made by the library
  /// alone (detail::JobNode), so user code cannot call this.
  Job(detail::AwaiterKey /*key*/, detail::JobNode& node) noexcept : node_(&node) {}
  /// Runs the job: call it exactly once.
  void operator()() const noexcept { node_->run(node_); }
  /// The library's: the node this job runs, for an executor of the library
  /// that queues nodes. The key is made by the library alone.
  [[nodiscard]] detail::JobNode& node(detail::AwaiterKey /*key*/) const noexcept { return *node_; }

 private:
  detail::JobNode* node_;
};

inline detail::JobNode& detail::JobNode::of(Job job) noexcept {
  return job.node(JobNode::key());
}

/// The one-function executor concept: `ex.execute(job)` arranges for `job()`
/// to be called exactly once, now or later, on a thread of its choice.
/// execute() must not wait for the job to finish: it is called under the
/// primitive's notification lock, and the job's completion may wait for that
/// lock to be released (see the deadlock rule in diatomic/coro.hpp).
/// execute is called from inside a waker call, which is noexcept: if it throws,
/// std::terminate is called, so an executor that can fail to queue (bad_alloc)
/// terminates the process. Executors are held by value: pass a cheap handle
/// (RunLoop::executor(), an asio executor through diatomic/asio.hpp).
///
///   struct MyPool {
///     ThreadPool* pool;
///     void execute(diatomic::Job job) const { pool->submit(job); }
///   };
template <class E>
concept Executor = std::copy_constructible<E> && requires(const E& ex, Job job) {
  ex.execute(job);
};

/// An Executor that can also call a function at a time point: what a
/// co_await with a deadline (resume_on(executor, deadline)) and
/// diatomic::sleep_until need. Its Timer, one per timed wait, is made from the
/// executor, a `fire` function and its argument, and not copied or moved:
///   timer.start(when)  calls fire(arg) once, on a thread of the executor,
///                      at or after `when` (steady_clock); called once
///   timer.cancel()     after it returns fire is not running and will not
///                      run; may wait for a fire running on another thread,
///                      so fire must not wait for anything cancel() holds;
///                      never called from inside fire; idempotent
/// RunLoop::executor() and diatomic::asio_executor() are TimedExecutors;
/// InlineExecutor is not (it has no clock to run a timer on).
template <class E>
concept TimedExecutor =
    Executor<E> && requires(const E& ex, typename E::Timer& timer,
                            std::chrono::steady_clock::time_point when, void (*fire)(void*) noexcept,
                            void* arg) {
      requires std::constructible_from<typename E::Timer, const E&, decltype(fire), decltype(arg)>;
      timer.start(when);
      { timer.cancel() } noexcept;
    };

/// The default: runs the job on the calling thread, that is the thread whose
/// notify() woke the coroutine. Guarded by a per-thread trampoline: a job
/// started while another job runs on the same thread is queued and run by the
/// outermost call once the current one returns, so coroutines that notify
/// each other in a chain (A wakes B wakes C ...) run one after another at a
/// constant stack depth instead of nesting.
///
/// Lifetime: the resumed coroutine runs inside the producer's notify(), which
/// still holds the primitive's lock and will write its state word when the
/// coroutine suspends or ends. So a coroutine resumed inline must not destroy
/// that DiatomicWaker, nor the last WakeSource whose notify() woke it (a
/// WakeSink may go: the shared state lives on in that source). Resume on a
/// RunLoop or another executor where that is needed.
class InlineExecutor {
 public:
  /// Runs `job` now, or, if a job is already running on this thread, once it
  /// returns.
  DIATOMIC_EXPORT void execute(Job job) const noexcept;
  /// All inline executors are the same.
  friend bool operator==(InlineExecutor, InlineExecutor) noexcept { return true; }
};

static_assert(Executor<InlineExecutor>);

DIATOMIC_NAMESPACE_END
