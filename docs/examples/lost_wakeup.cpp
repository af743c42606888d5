// SPDX-License-Identifier: MIT
// An incorrect consumer, replayed step by step on one thread so that the bad
// interleaving happens every time: it checks, then registers. A notify() that
// falls between the two finds nobody registered and does nothing.
#include <diatomic/diatomic.hpp>

#include <atomic>
#include <cstdio>

struct Counter {
  std::atomic<int> wakes{0};
  // Ordering: relaxed; the count is read afterwards on this same thread.
  void wake() noexcept { wakes.fetch_add(1, std::memory_order_relaxed); }
};

int main() {
  diatomic::WakeSink sink;
  const diatomic::WakeSource source = sink.source();
  std::atomic<bool> ready{false};
  const auto consumer = diatomic::RcWaker<Counter>::make();

  // Ordering: release/acquire on `ready`, as in handoff.cpp. The bug here is
  // the order of the calls, not the memory orders.
  // Wrong order. The consumer checks first...
  const bool seen = ready.load(std::memory_order_acquire);
  // ...the producer runs between the check and the registration...
  ready.store(true, std::memory_order_release);
  source.notify();  // nobody is registered: a no-op, by contract
  // ...and the consumer registers too late, then would park() for ever.
  sink.register_waker(consumer.waker());
  // Ordering: relaxed; the waker ran (or not) on this thread.
  std::printf("check-then-register: saw ready=%d, wakes=%d, still registered=%d\n", seen,
              consumer->wakes.load(std::memory_order_relaxed), sink.state().registered());

  // Right order, same interleaving: register, then re-check. The producer
  // again runs before the registration, and the re-check sees its write.
  sink.unregister();
  // Ordering: relaxed reset on this thread; then release/acquire as above.
  ready.store(false, std::memory_order_relaxed);
  ready.store(true, std::memory_order_release);  // the producer, as before
  source.notify();                               // a no-op again
  sink.register_waker(consumer.waker());         // 1. register
  const bool rechecked = ready.load(std::memory_order_acquire);  // 2. re-check
  if (rechecked) sink.unregister();                               // done: no park()
  std::printf("register-then-recheck: re-check saw ready=%d, so the consumer never parks\n",
              rechecked);
}
