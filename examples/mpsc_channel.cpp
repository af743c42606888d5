// A capacity-1 MPSC channel: several sender threads try_send non-zero values
// into one atomic slot and notify; one receiver waits on a WakeSink with the
// register-then-re-check protocol, parked by its thread waker. Prints what it
// received and checks every value arrived exactly once.
#include <diatomic/diatomic.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

namespace {

class Channel {
 public:
  // Fails (returns false) when the slot is full.
  bool try_send(std::uint64_t value) {
    std::uint64_t empty = 0;
    if (!slot_.compare_exchange_strong(empty, value, std::memory_order_release,
                                       std::memory_order_relaxed)) {
      return false;
    }
    source_.notify();
    return true;
  }

  std::optional<std::uint64_t> try_recv() {
    const std::uint64_t value = slot_.exchange(0, std::memory_order_acquire);
    if (value == 0) return std::nullopt;
    return value;
  }

  // Register before the re-check: a send between the two cannot be lost.
  std::uint64_t recv(const diatomic::Waker& waker) {
    for (;;) {
      if (auto value = try_recv()) return *value;
      sink_.register_waker(waker);
      if (auto value = try_recv()) {
        sink_.unregister();
        return *value;
      }
      diatomic::this_thread::park();
    }
  }

 private:
  std::atomic<std::uint64_t> slot_{0};
  diatomic::WakeSink sink_;
  diatomic::WakeSource source_ = sink_.source();
};

}  // namespace

int main() {
  constexpr unsigned kSenders = 4;
  constexpr std::uint64_t kPerSender = 100000;
  Channel channel;

  std::vector<std::thread> senders;
  for (unsigned s = 0; s < kSenders; ++s) {
    senders.emplace_back([&channel, s] {
      for (std::uint64_t i = 1; i <= kPerSender; ++i) {
        while (!channel.try_send(s * kPerSender + i)) std::this_thread::yield();
      }
    });
  }

  const diatomic::Waker waker = diatomic::this_thread::waker();
  std::vector<unsigned> seen(kSenders * kPerSender + 1, 0);
  std::uint64_t sum = 0;
  for (std::uint64_t n = 0; n < kSenders * kPerSender; ++n) {
    const std::uint64_t value = channel.recv(waker);
    ++seen[value];
    sum += value;
  }
  for (auto& t : senders) t.join();

  std::uint64_t missing = 0;
  std::uint64_t duplicated = 0;
  for (std::uint64_t v = 1; v < seen.size(); ++v) {
    if (seen[v] == 0) ++missing;
    if (seen[v] > 1) ++duplicated;
  }
  std::printf("mpsc_channel: %u senders x %llu values -> received %llu values, sum %llu\n",
              kSenders, static_cast<unsigned long long>(kPerSender),
              static_cast<unsigned long long>(kSenders * kPerSender),
              static_cast<unsigned long long>(sum));
  std::printf("missing %llu, duplicated %llu: %s\n", static_cast<unsigned long long>(missing),
              static_cast<unsigned long long>(duplicated),
              missing == 0 && duplicated == 0 ? "every value arrived exactly once" : "BROKEN");
  return missing == 0 && duplicated == 0 ? 0 : 1;
}
