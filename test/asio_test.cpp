// SPDX-License-Identifier: MIT
// co_await resumed through diatomic::asio_executor: every resumption runs on
// the thread running the io_context. Built when asio is present. Suite
// 'concurrency'.
#include <diatomic/asio.hpp>
#include <diatomic/diatomic.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>

#include "coro_task.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

TEST(AsioExecutor, resumes_on_the_thread_running_the_io_context) {
  Watchdog watchdog("co_await resumed on asio");
  constexpr std::uint64_t kValues = 10'000;
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  const std::thread::id io_id = io_thread.get_id();

  WakeSink sink;
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> wrong_thread{0};
  std::atomic<std::uint64_t> resumed{0};
  Task consumer = [](WakeSink& s, std::atomic<std::uint64_t>& pub, std::thread::id id,
                     std::atomic<std::uint64_t>& wrong, std::atomic<std::uint64_t>& res,
                     asio::io_context::executor_type ex) -> Task {
    for (std::uint64_t seen = 1; seen <= kValues; ++seen) {
      co_await s.wait_until([&] { return pub.load(std::memory_order_acquire) >= seen; })
          .resume_on(asio_executor(ex));
      if (std::this_thread::get_id() != id) wrong.fetch_add(1, std::memory_order_relaxed);
      res.fetch_add(1, std::memory_order_release);
    }
  }(sink, published, io_id, wrong_thread, resumed, io.get_executor());

  WakeSource source = sink.source();
  for (std::uint64_t v = 1; v <= kValues; ++v) {
    published.store(v, std::memory_order_release);
    source.notify();
    // One value at a time, so that most waits suspend and are resumed by asio.
    while (resumed.load(std::memory_order_acquire) < v) std::this_thread::yield();
  }
  guard.reset();
  io_thread.join();
  EXPECT_TRUE(consumer.finished());
  EXPECT_EQ(wrong_thread.load(), 0u) << "resumed off the io_context's thread";
}

using Io = asio::io_context::executor_type;
static_assert(TimedExecutor<AsioExecutorAdapter<Io>>);

// Waits for a flag that never comes, with a deadline, then sleeps, then
// waits with a deadline for a value that is already there.
Task timed_on_asio(DiatomicWaker& waker, Io ex, std::chrono::steady_clock::time_point deadline,
                   std::optional<bool>& timed_out, std::chrono::steady_clock::time_point& slept,
                   bool& found) {
  timed_out = co_await waker.wait_until([] { return false; }).resume_on(asio_executor(ex), deadline);
  const auto wake_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
  co_await sleep_until(asio_executor(ex), wake_at);
  slept = std::chrono::steady_clock::now();
  found = co_await waker.wait_until([] { return true; })
              .resume_on(asio_executor(ex), std::chrono::hours(1));
  EXPECT_GE(slept, wake_at);
}

TEST(AsioExecutor, a_wait_with_a_deadline_times_out_and_sleep_until_resumes_on_the_timer) {
  Watchdog watchdog("timed co_await on asio");
  asio::io_context io;
  DiatomicWaker waker;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
  std::optional<bool> timed_out;
  std::chrono::steady_clock::time_point slept{};
  bool found = false;
  Task task = timed_on_asio(waker, io.get_executor(), deadline, timed_out, slept, found);
  io.run();  // returns once no handler is left: the coroutine finished, no timer pending
  ASSERT_TRUE(task.finished());
  EXPECT_EQ(timed_out, std::optional<bool>(false));
  EXPECT_TRUE(found);
  EXPECT_FALSE(waker.state().registered());
}

}  // namespace
}  // namespace diatomic::test
