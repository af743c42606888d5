// SPDX-License-Identifier: MIT
// Stress: 2 to 8 producer threads notify one consumer millions of times, the
// consumer waiting through block_on, through co_await resumed inline on the
// notifying thread, and through co_await resumed on a RunLoop, each of the
// two drivers also with a deadline of 0 to 7 µs that races the
// notifications (a wait that timed out is followed by another); for
// DiatomicWaker and AtomicWaker. Producers may run only a small window of
// tokens ahead of the consumer, so the consumer runs dry and waits again and
// again, and a single lost wake-up stalls every thread: the watchdog then
// aborts naming the case. Plain builds send 18 million notifications in
// all; ThreadSanitizer builds a tenth of that, AddressSanitizer builds a
// fifth, runs under qemu-user a tenth (stress_scale.hpp). Suites
// 'concurrency' and 'stress'.
#include <diatomic/diatomic.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "coro_task.hpp"
#include "stress_scale.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

// 30 cases of 600,000: 18 million notifications in a plain build.
const std::uint64_t kNotificationsPerCase = 600'000 / stress_divisor();
// How far the producers together may run ahead of the consumer.
constexpr std::uint64_t kWindow = 64;

// Tokens flow from the producers to the consumer through one counter.
class Flow {
 public:
  explicit Flow(std::uint64_t total) : total_(total) {}

  // Producer side: waits for room in the window, then publishes one token.
  void send() {
    while (sent_.load(std::memory_order_relaxed) - taken_.load(std::memory_order_relaxed) >=
           kWindow) {
      std::this_thread::yield();
    }
    // Ordering: release, pairs with the acquire load in take().
    sent_.fetch_add(1, std::memory_order_release);
  }

  // Consumer side (the wait predicate): takes every token published so far;
  // false if there was none.
  bool take() {
    // Ordering: acquire, pairs with the release fetch_add in send().
    const std::uint64_t sent = sent_.load(std::memory_order_acquire);
    if (sent == seen_) return false;
    seen_ = sent;
    ++waits_;
    taken_.store(sent, std::memory_order_relaxed);
    return true;
  }
  [[nodiscard]] bool all_taken() const { return seen_ == total_; }
  [[nodiscard]] std::uint64_t seen() const { return seen_; }
  [[nodiscard]] std::uint64_t waits() const { return waits_; }

 private:
  const std::uint64_t total_;
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> taken_{0};
  // Consumer side only; polls are serialised even when a coroutine's poll
  // moves from thread to thread.
  std::uint64_t seen_ = 0;
  std::uint64_t waits_ = 0;
};

struct DiatomicTarget {
  static constexpr const char* kName = "DiatomicWaker";
  WakeSink sink;
  WakeSource source = sink.source();
  void notify() { source.notify(); }
  auto wait(Flow& flow) {
    return sink.wait_until([&flow] { return flow.take(); });
  }
};

struct AtomicTarget {
  static constexpr const char* kName = "AtomicWaker";
  AtomicWaker waker;
  void notify() { waker.wake(); }
  auto wait(Flow& flow) {
    return waker.wait_until([&flow] { return flow.take(); });
  }
};

enum class Waiter {
  kBlockOn,
  kCoAwaitInline,
  kCoAwaitRunLoop,
  kBlockOnDeadline,
  kCoAwaitRunLoopDeadline
};

// The deadlines of the timed waiters: 0 to 7 µs, one after another.
std::chrono::microseconds next_timeout(std::uint64_t& count) {
  return std::chrono::microseconds(count++ % 8);
}

const char* waiter_name(Waiter waiter) {
  switch (waiter) {
    case Waiter::kBlockOn:
      return "block_on";
    case Waiter::kCoAwaitInline:
      return "co_await_inline";
    case Waiter::kCoAwaitRunLoop:
      return "co_await_run_loop";
    case Waiter::kBlockOnDeadline:
      return "block_on_deadline";
    case Waiter::kCoAwaitRunLoopDeadline:
      return "co_await_run_loop_deadline";
  }
  return "?";
}

template <class Target>
Task consume_inline(Target& target, Flow& flow) {
  while (!flow.all_taken()) co_await target.wait(flow);
}

template <class Target>
Task consume_on(Target& target, Flow& flow, RunLoop& loop) {
  while (!flow.all_taken()) co_await target.wait(flow).resume_on(loop.executor());
  loop.stop();
}

template <class Target>
Task consume_on_with_deadlines(Target& target, Flow& flow, RunLoop& loop) {
  std::uint64_t count = 0;
  while (!flow.all_taken()) {
    static_cast<void>(
        co_await target.wait(flow).resume_on(loop.executor(), next_timeout(count)));
  }
  loop.stop();
}

template <class Target>
void stress(Waiter waiter, int producers) {
  const std::string name =
      std::string(Target::kName) + ", " + waiter_name(waiter) + ", " + std::to_string(producers) +
      " producers";
  Watchdog watchdog(name);
  const std::uint64_t per_producer = kNotificationsPerCase / static_cast<std::uint64_t>(producers);
  const std::uint64_t total = per_producer * static_cast<std::uint64_t>(producers);
  Target target;
  Flow flow(total);
  std::vector<std::thread> threads;
  auto start_producers = [&] {
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&] {
        for (std::uint64_t i = 0; i < per_producer; ++i) {
          flow.send();
          target.notify();
        }
      });
    }
  };
  auto join_producers = [&] {
    for (auto& thread : threads) thread.join();
  };

  switch (waiter) {
    case Waiter::kBlockOn:
      start_producers();
      while (!flow.all_taken()) block_on(target.wait(flow));
      join_producers();
      break;
    case Waiter::kCoAwaitInline: {
      Task task = consume_inline(target, flow);
      start_producers();
      // Every resumption runs inside some producer's notify(): once they have
      // all returned, the coroutine has finished, or waits for a wake that
      // was lost.
      join_producers();
      EXPECT_TRUE(task.finished()) << "the coroutine missed the last wake-up";
      break;
    }
    case Waiter::kCoAwaitRunLoop:
    case Waiter::kCoAwaitRunLoopDeadline: {
      RunLoop loop;
      Task task = waiter == Waiter::kCoAwaitRunLoop
                      ? consume_on(target, flow, loop)
                      : consume_on_with_deadlines(target, flow, loop);
      start_producers();
      loop.run();  // until the coroutine, resumed here, has taken every token
      join_producers();
      EXPECT_TRUE(task.finished());
      break;
    }
    case Waiter::kBlockOnDeadline: {
      start_producers();
      std::uint64_t count = 0;
      while (!flow.all_taken()) static_cast<void>(block_on(target.wait(flow), next_timeout(count)));
      join_producers();
      break;
    }
  }
  EXPECT_EQ(flow.seen(), total) << "tokens lost";
  std::printf("[stress] %s: %llu notifications, %llu waits completed\n", name.c_str(),
              static_cast<unsigned long long>(total),
              static_cast<unsigned long long>(flow.waits()));
}

class Stress : public ::testing::TestWithParam<std::tuple<Waiter, int>> {};

TEST_P(Stress, diatomic_waker_consumer_takes_every_token) {
  stress<DiatomicTarget>(std::get<0>(GetParam()), std::get<1>(GetParam()));
}

TEST_P(Stress, atomic_waker_consumer_takes_every_token) {
  stress<AtomicTarget>(std::get<0>(GetParam()), std::get<1>(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(
    Producers, Stress,
    ::testing::Combine(::testing::Values(Waiter::kBlockOn, Waiter::kCoAwaitInline,
                                         Waiter::kCoAwaitRunLoop, Waiter::kBlockOnDeadline,
                                         Waiter::kCoAwaitRunLoopDeadline),
                       ::testing::Values(2, 4, 8)),
    [](const ::testing::TestParamInfo<Stress::ParamType>& info) {
      return std::string(waiter_name(std::get<0>(info.param))) + "_" +
             std::to_string(std::get<1>(info.param)) + "_producers";
    });

}  // namespace
}  // namespace diatomic::test
