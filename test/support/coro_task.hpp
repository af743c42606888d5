// SPDX-License-Identifier: MIT
// Task: the smallest eager coroutine type, to drive co_await in tests. It
// starts at once, runs until its first suspension, and stays suspended at its
// end so that its owner decides when the frame is destroyed. It records that
// it finished (readable from any thread) and any exception. Tests only.
#pragma once

#include <atomic>
#include <coroutine>
#include <exception>
#include <utility>

namespace diatomic::test {

class Task {
 public:
  struct promise_type {
    std::atomic<bool> finished{false};
    std::exception_ptr error;

    Task get_return_object() noexcept {
      return Task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_never initial_suspend() noexcept { return {}; }
    auto final_suspend() noexcept {
      struct Final {
        bool await_ready() const noexcept { return false; }
        // The frame is suspended once we are here: after the store, another
        // thread may destroy it, and nothing below touches it.
        void await_suspend(std::coroutine_handle<promise_type> h) const noexcept {
          // Ordering: release, pairs with the acquire in Task::finished().
          h.promise().finished.store(true, std::memory_order_release);
        }
        void await_resume() const noexcept {}
      };
      return Final{};
    }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
  };

  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Task& operator=(Task&&) = delete;
  Task(const Task&) = delete;
  ~Task() { destroy(); }

  // True once the coroutine reached its end; its writes are then visible.
  [[nodiscard]] bool finished() const noexcept {
    // Ordering: acquire, pairs with the release store in final_suspend.
    return handle_ && handle_.promise().finished.load(std::memory_order_acquire);
  }
  // What the body threw, once finished().
  [[nodiscard]] std::exception_ptr error() const noexcept { return handle_.promise().error; }

  // Destroys the frame (suspended at its end, or in a co_await).
  void destroy() noexcept {
    if (handle_) std::exchange(handle_, nullptr).destroy();
  }

 private:
  explicit Task(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
  std::coroutine_handle<promise_type> handle_;
};

}  // namespace diatomic::test
