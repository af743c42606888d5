// SPDX-License-Identifier: MIT
// Two threads pass a counter back and forth 1000 times through two
// WakeSink/WakeSource pairs; each side sleeps in block_on(sink.wait_until(...))
// until the other has moved. test/consumers/run.sh builds it against an
// installed (or wrapped) libdiatomic through each way of finding it, and
// docs/guide.md shows it as the first program.
#include <diatomic/diatomic.hpp>

#include <atomic>
#include <cstdio>
#include <thread>

int main() {
  constexpr int kRounds = 1000;
  std::atomic<int> ball{0};
  diatomic::WakeSink to_worker;  // the worker waits here for odd values
  diatomic::WakeSink to_main;    // main waits here for even values

  std::thread worker([&, main_end = to_main.source()] {
    for (int round = 1; round <= kRounds; ++round) {
      diatomic::block_on(to_worker.wait_until(
          [&] { return ball.load(std::memory_order_acquire) == 2 * round - 1; }));
      ball.store(2 * round, std::memory_order_release);
      main_end.notify();
    }
  });

  const diatomic::WakeSource worker_end = to_worker.source();
  for (int round = 1; round <= kRounds; ++round) {
    ball.store(2 * round - 1, std::memory_order_release);
    worker_end.notify();
    diatomic::block_on(
        to_main.wait_until([&] { return ball.load(std::memory_order_acquire) == 2 * round; }));
  }
  worker.join();

  std::printf("diatomic %s: %d round trips between two threads\n", diatomic::kVersionString,
              kRounds);
}
