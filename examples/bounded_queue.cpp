// SPDX-License-Identifier: MIT
// A bounded MPSC queue turned asynchronous. The queue itself only has
// try_push / try_pop; waiting is added with WakeSinks: the receiver waits on
// its sink until an item is there, and each sender waits on its own sink while
// the queue is full (the receiver notifies the senders' sources after every
// pop; a notify with nobody waiting costs one RMW). Producers push 1,000,000
// items through 64 slots; prints the throughput.
#include <diatomic/diatomic.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kCapacity = 64;
constexpr unsigned kProducers = 4;
constexpr std::uint64_t kPerProducer = 250000;

// The synchronous part: a ring buffer under a mutex.
class Ring {
 public:
  bool try_push(std::uint64_t item) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (size_ == kCapacity) return false;
    items_[(head_ + size_++) % kCapacity] = item;
    return true;
  }
  std::optional<std::uint64_t> try_pop() {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (size_ == 0) return std::nullopt;
    const std::uint64_t item = items_[head_];
    head_ = (head_ + 1) % kCapacity;
    --size_;
    return item;
  }

 private:
  std::mutex mutex_;
  std::array<std::uint64_t, kCapacity> items_{};
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

// The asynchronous queue: one receiver, kProducers senders, each with a sink.
class BoundedQueue {
 public:
  BoundedQueue() {
    for (auto& sink : sender_sinks_) sender_sources_.push_back(sink.source());
  }

  // Sender `id` (one thread per id): waits while the queue is full.
  void send(unsigned id, std::uint64_t item) {
    diatomic::block_on(sender_sinks_[id].wait_until([&] { return ring_.try_push(item); }));
    receiver_source_.notify();
  }

  // The receiver: waits while the queue is empty.
  std::uint64_t recv() {
    const std::uint64_t item =
        diatomic::block_on(receiver_sink_.wait_until([this] { return ring_.try_pop(); }));
    for (const auto& source : sender_sources_) source.notify();
    return item;
  }

 private:
  Ring ring_;
  diatomic::WakeSink receiver_sink_;
  diatomic::WakeSource receiver_source_ = receiver_sink_.source();
  std::array<diatomic::WakeSink, kProducers> sender_sinks_;
  std::vector<diatomic::WakeSource> sender_sources_;
};

}  // namespace

int main() {
  BoundedQueue queue;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> producers;
  for (unsigned p = 0; p < kProducers; ++p) {
    producers.emplace_back([&queue, p] {
      for (std::uint64_t i = 1; i <= kPerProducer; ++i) queue.send(p, p * kPerProducer + i);
    });
  }
  constexpr std::uint64_t kTotal = kProducers * kPerProducer;
  std::uint64_t sum = 0;
  for (std::uint64_t n = 0; n < kTotal; ++n) sum += queue.recv();
  for (auto& t : producers) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const bool ok = sum == kTotal * (kTotal + 1) / 2;
  std::printf("bounded_queue: %u producers x %llu items through %zu slots -> %llu received, sum %s\n",
              kProducers, static_cast<unsigned long long>(kPerProducer), kCapacity,
              static_cast<unsigned long long>(kTotal), ok ? "ok" : "WRONG");
  std::printf("bounded_queue: %.2f M items/s (%.0f ms)\n", kTotal / seconds / 1e6, seconds * 1e3);
  return ok ? 0 : 1;
}
