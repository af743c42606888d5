// SPDX-License-Identifier: MIT
// RunLoop: an intrusive FIFO of jobs under a mutex; the thread in run() waits
// in this_thread::park() (its adaptive spin, then a futex sleep), and whoever
// queues a job while it waits wakes it through its thread waker. The lock is
// what orders a job's queueing before its run; the parker's token only ends
// the wait. The loop is not on any lock-free path (wakers only queue).
#include <diatomic/detail/fatal.hpp>
#include <diatomic/run_loop.hpp>
#include <diatomic/thread_waker.hpp>

DIATOMIC_NAMESPACE_BEGIN

RunLoop::~RunLoop() {
  DIATOMIC_CHECK(queue_.empty(),
                       "RunLoop destroyed with jobs queued: their coroutines would never resume");
}

// Wakes the thread in run() if it waits (or is about to); with mutex_ held.
// Woken under the lock: once we unlock, the loop may run the job, its
// coroutine may finish and the loop's owner may destroy the loop (and run()
// may return, ending the life of the waker sleeper_ points to), so nothing
// after the unlock may touch either. wake_by_ref is one RMW, plus a futex
// wake only if the loop's thread is asleep in the kernel.
void RunLoop::wake_locked() noexcept {
  if (sleeper_ == nullptr) return;
  sleeper_->wake_by_ref();
  sleeper_ = nullptr;
}

void RunLoop::execute(Job job) noexcept {
  const std::lock_guard<std::mutex> lock(mutex_);
  queue_.push(*job.node_);
  wake_locked();
}

void RunLoop::run() {
  const Waker self = this_thread::waker();  // may throw; nothing has run yet
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (stopped_) return;
    if (detail::JobNode* const node = queue_.pop()) {
      lock.unlock();
      node->run(node);
      lock.lock();
      continue;
    }
    // Published under the lock, so execute() and stop() either queued before
    // we looked (and we saw it) or see sleeper_ and leave the parker a token,
    // which park() consumes even if it comes before we park: none is lost.
    sleeper_ = &self;
    lock.unlock();
    this_thread::park();
    lock.lock();
    sleeper_ = nullptr;  // woken by a token from elsewhere: loop and look again
  }
}

void RunLoop::run_until_idle() {
  for (;;) {
    detail::JobNode* node = nullptr;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      node = queue_.pop();
    }
    if (node == nullptr) return;
    node->run(node);
  }
}

void RunLoop::stop() noexcept {
  const std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  wake_locked();
}

DIATOMIC_NAMESPACE_END
