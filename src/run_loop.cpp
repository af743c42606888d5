// RunLoop: an intrusive FIFO of jobs under a mutex, and a condition variable
// for the thread in run(). The lock is what orders a job's queueing before its
// run; the loop is not on any lock-free path (wakers only queue).
#include <diatomic/detail/fatal.hpp>
#include <diatomic/run_loop.hpp>

namespace diatomic {

RunLoop::~RunLoop() {
  DIATOMIC_DEBUG_CHECK(head_ == nullptr,
                       "RunLoop destroyed with jobs queued: their coroutines would never resume");
}

void RunLoop::execute(Job job) noexcept {
  detail::JobNode* const node = job.node_;
  node->next = nullptr;
  const std::lock_guard<std::mutex> lock(mutex_);
  (tail_ != nullptr ? tail_->next : head_) = node;
  tail_ = node;
  // Notified under the lock: once we unlock, the loop may run the job, its
  // coroutine may finish and the loop's owner may destroy the loop, so
  // nothing after the unlock may touch *this.
  ready_.notify_one();
}

detail::JobNode* RunLoop::pop() noexcept {
  detail::JobNode* const node = head_;
  if (node != nullptr) {
    head_ = node->next;
    if (head_ == nullptr) tail_ = nullptr;
  }
  return node;
}

void RunLoop::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    ready_.wait(lock, [this] { return stopped_ || head_ != nullptr; });
    if (stopped_) return;
    detail::JobNode* const node = pop();
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
      node = pop();
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

}  // namespace diatomic
