// SPDX-License-Identifier: MIT
// RunLoop: an intrusive FIFO of jobs under a mutex, and a condition variable
// for the thread in run(). The lock is what orders a job's queueing before its
// run; the loop is not on any lock-free path (wakers only queue).
#include <diatomic/detail/fatal.hpp>
#include <diatomic/run_loop.hpp>

DIATOMIC_NAMESPACE_BEGIN

RunLoop::~RunLoop() {
  DIATOMIC_DEBUG_CHECK(queue_.empty(),
                       "RunLoop destroyed with jobs queued: their coroutines would never resume");
}

void RunLoop::execute(Job job) noexcept {
  const std::lock_guard<std::mutex> lock(mutex_);
  queue_.push(*job.node_);
  // Notified under the lock: once we unlock, the loop may run the job, its
  // coroutine may finish and the loop's owner may destroy the loop, so
  // nothing after the unlock may touch *this.
  ready_.notify_one();
}

void RunLoop::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    ready_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
    if (stopped_) return;
    detail::JobNode* const node = queue_.pop();
    lock.unlock();
    node->run(node);
    lock.lock();
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
  ready_.notify_all();
}

DIATOMIC_NAMESPACE_END
