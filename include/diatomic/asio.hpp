// SPDX-License-Identifier: MIT
/// \file
/// Resuming co_await waits on an asio executor (standalone asio, Debian's
/// libasio-dev). Not included by diatomic.hpp: include it where asio is used.
///
///   asio::io_context io;
///   co_await sink.wait_until(pred).resume_on(diatomic::asio_executor(io.get_executor()));
///   auto r = co_await sink.wait_until(pred).resume_on(diatomic::asio_executor(io.get_executor()),
///                                                     std::chrono::milliseconds(10));
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/executor.hpp>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <utility>

DIATOMIC_NAMESPACE_BEGIN

/// An Executor that posts each job to an asio executor: the job runs in one of
/// the threads running that executor's context (io_context::run()), never
/// inside execute(). asio::post may allocate for the handler (asio recycles
/// that memory per thread); if it throws, the waker's noexcept terminates.
template <class AsioExecutor>
class AsioExecutorAdapter {
 public:
  /// Posts to `executor` (see asio_executor()).
  explicit AsioExecutorAdapter(AsioExecutor executor) noexcept(
      std::is_nothrow_move_constructible_v<AsioExecutor>)
      : executor_(std::move(executor)) {}
  /// Posts `job` to the asio executor; it runs later, in a thread running the
  /// executor's context.
  void execute(Job job) const { asio::post(executor_, job); }

  /// A timer on the executor's context (TimedExecutor), for waits with a
  /// deadline and sleep_until: an asio::steady_timer whose handler calls
  /// fire(arg) unless cancel() came first. asio runs a cancelled handler
  /// later all the same, so the handler shares a small block with the timer
  /// (allocated by the constructor, which throws std::bad_alloc if that
  /// fails) and calls fire under its mutex: cancel() takes the mutex, so it
  /// returns only once no fire runs, and none will.
  class Timer {
   public:
    /// A timer on `executor`'s context that calls fire(arg) when it expires.
    Timer(const AsioExecutorAdapter& executor, void (*fire)(void*) noexcept, void* arg)
        : shared_(std::make_shared<Shared>(fire, arg)), timer_(executor.executor_) {}
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    ~Timer() { cancel(); }

    /// Calls fire(arg) in a thread running the context once `when` has come.
    void start(std::chrono::steady_clock::time_point when) {
      timer_.expires_at(when);
      timer_.async_wait([shared = shared_](const asio::error_code&) {
        const std::lock_guard<std::mutex> lock(shared->mutex);
        if (shared->fire != nullptr) shared->fire(shared->arg);
      });
    }
    /// No fire once it returns. The asio timer's own cancel only lets its
    /// handler run sooner; it is not needed for correctness, so its failure
    /// is ignored.
    void cancel() noexcept {
      {
        const std::lock_guard<std::mutex> lock(shared_->mutex);
        shared_->fire = nullptr;
      }
      try {
        static_cast<void>(timer_.cancel());
      } catch (...) {  // asio::system_error: the handler then runs at its time, and does nothing
      }
    }

   private:
    struct Shared {
      Shared(void (*f)(void*) noexcept, void* a) noexcept : fire(f), arg(a) {}
      std::mutex mutex;
      void (*fire)(void*) noexcept;  // guarded by mutex; null once cancelled
      void* arg;
    };
    std::shared_ptr<Shared> shared_;
    asio::steady_timer timer_;
  };

 private:
  AsioExecutor executor_;
};

/// Adapts an asio executor (io_context::executor_type, a strand, ...).
template <class AsioExecutor>
[[nodiscard]] AsioExecutorAdapter<AsioExecutor> asio_executor(AsioExecutor executor) {
  return AsioExecutorAdapter<AsioExecutor>(std::move(executor));
}

DIATOMIC_NAMESPACE_END
