// The program every consumer project builds against an installed (or wrapped)
// libdiatomic: two threads pass a counter back and forth 1000 times through
// two WakeSink/WakeSource pairs, each side waiting with the register /
// re-check / park protocol. It prints one line that run.sh checks; a lost
// wake-up hangs it, and run.sh turns the hang into a failure.
#include <diatomic/diatomic.hpp>

#include <atomic>
#include <cstdio>
#include <thread>

namespace {

constexpr int kRounds = 1000;

// Returns once `ball` holds `expected`, sleeping between notifications on
// `sink`. Relaxed loads are enough: WakeSource::notify() publishes what the
// notifier wrote before it to the re-check that follows a registration.
void wait_for(diatomic::WakeSink& sink, const std::atomic<int>& ball, int expected) {
  const diatomic::Waker me = diatomic::this_thread::waker();
  while (ball.load(std::memory_order_relaxed) != expected) {
    sink.register_waker(me);
    if (ball.load(std::memory_order_relaxed) == expected) {
      sink.unregister();
      return;
    }
    diatomic::this_thread::park();
  }
}

}  // namespace

int main() {
  std::atomic<int> ball{0};
  diatomic::WakeSink worker_sink;  // the worker waits here for odd values
  diatomic::WakeSink main_sink;    // main waits here for even values
  const diatomic::WakeSource to_worker = worker_sink.source();
  const diatomic::WakeSource to_main = main_sink.source();

  std::thread worker([&] {
    for (int round = 1; round <= kRounds; ++round) {
      wait_for(worker_sink, ball, 2 * round - 1);
      ball.store(2 * round, std::memory_order_relaxed);
      to_main.notify();
    }
  });
  for (int round = 1; round <= kRounds; ++round) {
    ball.store(2 * round - 1, std::memory_order_relaxed);
    to_worker.notify();
    wait_for(main_sink, ball, 2 * round);
  }
  worker.join();

  std::printf("diatomic %s: %d round trips between two threads\n", diatomic::kVersionString,
              kRounds);
  return 0;
}
