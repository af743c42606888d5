// SPDX-License-Identifier: MIT
// A one-shot latch for the tests, on a mutex and a condition variable: what
// std::latch does, without the standard library's atomic wait, which
// libstdc++ 12 builds, where it has no futex (MinGW-w64), on a waiter pool
// that loses a notification landing between a waiter's check and its sleep
// (docs/testing.md, "Windows under Wine"). The race tests hung on it there.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace diatomic::test {

class Latch {
 public:
  explicit Latch(std::ptrdiff_t count) : count_(count) {}
  Latch(const Latch&) = delete;
  Latch& operator=(const Latch&) = delete;

  void count_down() {
    const std::lock_guard lock(mutex_);
    if (--count_ == 0) zero_.notify_all();
  }

  // Returns once the count has reached zero.
  void wait() {
    std::unique_lock lock(mutex_);
    zero_.wait(lock, [this] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable zero_;
  std::ptrdiff_t count_;
};

}  // namespace diatomic::test
