// SPDX-License-Identifier: MIT
// RunLoop: an intrusive FIFO of jobs and a sorted intrusive list of timers
// under a mutex; the thread in run() waits in this_thread::park() (its
// adaptive spin, then a futex sleep), or park_until() the earliest timer, and
// whoever queues a job, or a timer earlier than the one it waits for, while
// it waits wakes it through its thread waker. The lock is what orders a job's
// queueing before its run; the parker's token only ends the wait. The loop is
// not on any lock-free path (wakers only queue).
#include <diatomic/detail/fatal.hpp>
#include <diatomic/run_loop.hpp>
#include <diatomic/thread_waker.hpp>

#include <thread>

DIATOMIC_NAMESPACE_BEGIN

RunLoop::~RunLoop() {
  DIATOMIC_CHECK(queue_.empty(),
                 "RunLoop destroyed with jobs queued: their coroutines would never resume");
  DIATOMIC_CHECK(timers_ == nullptr,
                 "RunLoop destroyed with timers pending: their coroutines would never resume");
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
  queue_.push(detail::JobNode::of(job));
  wake_locked();
}

// Keeps timers_ sorted by `when`, a new timer after those due at the same
// time; wakes run() if the new timer is the earliest (it may park until a
// later one).
void RunLoop::start_timer(detail::TimerNode& timer) noexcept {
  const std::lock_guard<std::mutex> lock(mutex_);
  detail::TimerNode** link = &timers_;
  while (*link != nullptr && (*link)->when <= timer.when) link = &(*link)->next;
  timer.next = *link;
  *link = &timer;
  if (link == &timers_) wake_locked();
}

// A pending timer is unlinked. One whose fire() runs on the loop's thread is
// waited for: fire() only queues a poll or a job (it takes this mutex in
// execute() but waits for nothing else), so the wait is short.
void RunLoop::cancel_timer(detail::TimerNode& timer) noexcept {
  std::unique_lock<std::mutex> lock(mutex_);
  for (detail::TimerNode** link = &timers_; *link != nullptr; link = &(*link)->next) {
    if (*link == &timer) {
      *link = timer.next;
      return;
    }
  }
  while (firing_ == &timer) {
    lock.unlock();
    std::this_thread::yield();
    lock.lock();
  }
}

// With `lock` held: fires the earliest timer if it is due, else runs the
// oldest job, without the lock; false if there was nothing to do. Timers
// first, so that a stream of jobs cannot hold a deadline back.
bool RunLoop::run_one(std::unique_lock<std::mutex>& lock) noexcept {
  if (detail::TimerNode* const timer = timers_;
      timer != nullptr && timer->when <= std::chrono::steady_clock::now()) {
    timers_ = timer->next;
    firing_ = timer;
    lock.unlock();
    timer->fire(timer->arg);
    lock.lock();
    firing_ = nullptr;
    return true;
  }
  if (detail::JobNode* const node = queue_.pop()) {
    lock.unlock();
    node->run(node);
    lock.lock();
    return true;
  }
  return false;
}

void RunLoop::run() {
  const Waker self = this_thread::waker();  // may throw; nothing has run yet
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (stopped_) return;
    if (run_one(lock)) continue;
    // Published under the lock, so execute(), start_timer() and stop() either
    // came before we looked (and we saw it) or see sleeper_ and leave the
    // parker a token, which park() consumes even if it comes before we park:
    // none is lost.
    sleeper_ = &self;
    const bool timed = timers_ != nullptr;
    const std::chrono::steady_clock::time_point next = timed ? timers_->when
                                                             : std::chrono::steady_clock::time_point{};
    lock.unlock();
    if (timed) {
      static_cast<void>(this_thread::park_until(next));  // woken or due: look again
    } else {
      this_thread::park();
    }
    lock.lock();
    sleeper_ = nullptr;  // woken by a token from elsewhere: loop and look again
  }
}

void RunLoop::run_until_idle() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (run_one(lock)) {
  }
}

void RunLoop::stop() noexcept {
  const std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  wake_locked();
}

DIATOMIC_NAMESPACE_END
