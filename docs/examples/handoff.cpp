// SPDX-License-Identifier: MIT
// A correct producer/consumer: the consumer registers, then re-checks, then
// parks; the flag that guards the message is released and acquired.
#include <diatomic/diatomic.hpp>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

int main() {
  diatomic::WakeSink sink;
  const diatomic::WakeSource source = sink.source();
  std::string message;  // plain data, guarded by `ready`
  std::atomic<bool> ready{false};

  std::thread producer([&] {
    message = "hello from the producer";
    // Ordering: release, pairs with the consumer's acquire loads of `ready`.
    ready.store(true, std::memory_order_release);  // publishes `message`
    source.notify();                               // wakes the consumer if it registered
  });

  const diatomic::Waker me = diatomic::this_thread::waker();
  // Ordering: acquire, pairs with the producer's release store: the first
  // check comes before any registration, so the sink cannot order it.
  while (!ready.load(std::memory_order_acquire)) {
    sink.register_waker(me);                      // 1. register
    if (ready.load(std::memory_order_acquire)) {  // 2. re-check
      sink.unregister();
      break;
    }
    diatomic::this_thread::park();  // 3. sleep until notified
  }
  std::printf("consumer got: %s\n", message.c_str());
  producer.join();
}
