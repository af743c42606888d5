// SPDX-License-Identifier: MIT
// Waits with a deadline: block_on on a thread and co_await on a RunLoop, each
// timing out once and then receiving, and a coroutine that sleeps on the loop.
#include <diatomic/diatomic.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include "../../examples/detached.hpp"

using namespace std::chrono_literals;

// Numbers 1, 2, ... sent one at a time; the receiver takes each once.
struct Numbers {
  std::atomic<int> sent{0};
  int taken = 0;  // the receiver's own count
  diatomic::WakeSink sink;
  diatomic::WakeSource source = sink.source();

  void send() {
    // Ordering: release, pairs with the acquire load in next().
    sent.fetch_add(1, std::memory_order_release);
    source.notify();
  }
  auto next() {
    return sink.wait_until([this]() -> std::optional<int> {
      // Ordering: acquire, pairs with the release increment in send().
      if (sent.load(std::memory_order_acquire) == taken) return std::nullopt;
      return ++taken;
    });
  }
};

Detached loop_receiver(Numbers& numbers, diatomic::RunLoop& loop) {
  const std::optional<int> none = co_await numbers.next().resume_on(loop.executor(), 10ms);
  std::printf("co_await, 10 ms, nothing sent: %s\n", none ? "received" : "timed out");
  co_await diatomic::sleep_for(loop.executor(), 1ms);
  std::printf("slept 1 ms on the loop\n");
  std::thread producer([&numbers] { numbers.send(); });
  const std::optional<int> two = co_await numbers.next().resume_on(loop.executor(), 10s);
  producer.join();
  std::printf("co_await, 10 s, 2 sent: received %d\n", two.value_or(-1));
  loop.stop();
}

int main() {
  Numbers numbers;
  const std::optional<int> none = diatomic::block_on(numbers.next(), 10ms);
  std::printf("block_on, 10 ms, nothing sent: %s\n", none ? "received" : "timed out");
  std::thread producer([&numbers] { numbers.send(); });
  const std::optional<int> one = diatomic::block_on(numbers.next(), 10s);
  producer.join();
  std::printf("block_on, 10 s, 1 sent: received %d\n", one.value_or(-1));

  diatomic::RunLoop loop;
  loop_receiver(numbers, loop);  // suspends: nothing sent yet
  loop.run();  // parks until the first deadline; the coroutine stops the loop
}
