// SPDX-License-Identifier: MIT
// A small multi-threaded check of the whole protocol with real threads:
// producers publish tokens and notify; one consumer registers its thread
// waker, re-checks, and parks. Every token must arrive; a lost wake-up shows
// as a watchdog abort naming the test. Suite 'concurrency' (also run under
// ThreadSanitizer).
#include <diatomic/atomic_waker.hpp>
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/rc_waker.hpp>
#include <diatomic/thread_waker.hpp>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <string>
#include <cstdint>
#include <thread>
#include <vector>

#include "watchdog.hpp"

namespace diatomic::test {
namespace {

constexpr std::size_t kProducers = 4;
constexpr std::uint64_t kTokensPerProducer = 20'000;

// One capacity-1 slot per producer: a producer waits (yielding) until the
// consumer has emptied its slot, so the consumer runs dry and waits often.
struct Slots {
  std::array<std::atomic<bool>, kProducers> full{};

  // Empties every full slot; returns how many tokens that took.
  std::uint64_t drain() {
    std::uint64_t taken = 0;
    for (auto& slot : full) {
      if (slot.load(std::memory_order_relaxed) && slot.exchange(false, std::memory_order_acq_rel)) {
        ++taken;
      }
    }
    return taken;
  }
};

// Runs the producers against `notify` and the consumer's register / re-check
// / park loop against `register_waker` and `unregister`; returns how many
// tokens the consumer took.
template <class Notify, class Register, class Unregister>
std::uint64_t run(Notify notify, Register register_waker, Unregister unregister) {
  Slots slots;
  std::vector<std::thread> producers;
  for (std::size_t p = 0; p < kProducers; ++p) {
    producers.emplace_back([&slots, &notify, p] {
      for (std::uint64_t i = 0; i < kTokensPerProducer; ++i) {
        while (slots.full[p].load(std::memory_order_acquire)) std::this_thread::yield();
        slots.full[p].store(true, std::memory_order_release);
        notify();
      }
    });
  }
  const Waker me = this_thread::waker();
  constexpr std::uint64_t kAll = kProducers * kTokensPerProducer;
  std::uint64_t seen = 0;
  while (seen < kAll) {
    seen += slots.drain();
    if (seen == kAll) break;
    register_waker(me);
    if (const std::uint64_t taken = slots.drain(); taken != 0) {
      unregister();
      seen += taken;
      continue;
    }
    this_thread::park();
  }
  for (auto& t : producers) t.join();
  return seen;
}

TEST(Threads, diatomic_waker_producers_deliver_every_token) {
  Watchdog watchdog("DiatomicWaker producers/consumer");
  WakeSink sink;
  const WakeSource source = sink.source();
  const std::uint64_t seen =
      run([&source] { source.notify(); }, [&sink](const Waker& w) { sink.register_waker(w); },
          [&sink] { sink.unregister(); });
  EXPECT_EQ(seen, kProducers * kTokensPerProducer);
}

// Wakes the consumer thread through a waker of its own identity.
struct Relay {
  Waker thread;
  void wake() noexcept { thread.wake_by_ref(); }
};

TEST(Threads, diatomic_waker_with_a_new_waker_each_round_delivers_every_token) {
  Watchdog watchdog("DiatomicWaker producers/consumer, alternating wakers");
  DiatomicWaker dw;
  // Two wakers with different identities that both unpark this thread:
  // every registration stores a new waker while notifiers may be calling
  // the other one.
  const auto first = RcWaker<Relay>::make(Relay{this_thread::waker()});
  const auto second = RcWaker<Relay>::make(Relay{this_thread::waker()});
  const std::array<Waker, 2> wakers{first.waker(), second.waker()};
  std::size_t round = 0;
  const std::uint64_t seen = run([&dw] { dw.notify(); },
                                 [&](const Waker&) { dw.register_waker(wakers[++round % 2]); },
                                 [&dw] { dw.unregister(); });
  EXPECT_EQ(seen, kProducers * kTokensPerProducer);
  ::testing::Test::RecordProperty("registrations", std::to_string(round));
}

TEST(Threads, atomic_waker_producers_deliver_every_token) {
  Watchdog watchdog("AtomicWaker producers/consumer");
  AtomicWaker aw;
  const std::uint64_t seen = run([&aw] { aw.wake(); },
                                 [&aw](const Waker& w) { aw.register_waker(w); }, [] {});
  EXPECT_EQ(seen, kProducers * kTokensPerProducer);
}

}  // namespace
}  // namespace diatomic::test
