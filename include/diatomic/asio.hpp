// SPDX-License-Identifier: MIT
/// \file
/// Resuming co_await waits on an asio executor (standalone asio, Debian's
/// libasio-dev). Not included by diatomic.hpp: include it where asio is used.
///
///   asio::io_context io;
///   co_await sink.wait_until(pred).resume_on(diatomic::asio_executor(io.get_executor()));
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/executor.hpp>

#include <asio/post.hpp>

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

 private:
  AsioExecutor executor_;
};

/// Adapts an asio executor (io_context::executor_type, a strand, ...).
template <class AsioExecutor>
[[nodiscard]] AsioExecutorAdapter<AsioExecutor> asio_executor(AsioExecutor executor) {
  return AsioExecutorAdapter<AsioExecutor>(std::move(executor));
}

DIATOMIC_NAMESPACE_END
