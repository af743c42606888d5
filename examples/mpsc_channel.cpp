// SPDX-License-Identifier: MIT
// A capacity-1 MPSC channel: several sender threads try_send non-zero values
// into one atomic slot and notify; one receiver waits with wait_until, first
// parked with block_on, then as a coroutine resumed on a RunLoop. Prints a
// summary per receiver; exits 1 unless every value arrived exactly once.
#include <diatomic/diatomic.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

#include "detached.hpp"

namespace {

constexpr unsigned kSenders = 4;
constexpr std::uint64_t kPerSender = 100000;
constexpr std::uint64_t kTotal = kSenders * kPerSender;

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

  // The receive: block_on(channel.recv()) or co_await channel.recv(). The
  // wait registers before its re-check, so a send in between is never lost.
  auto recv() {
    return sink_.wait_until([this] { return try_recv(); });
  }

 private:
  std::atomic<std::uint64_t> slot_{0};
  diatomic::WakeSink sink_;
  diatomic::WakeSource source_ = sink_.source();
};

// Records each value; reports whether each of 1..kTotal came exactly once.
class Tally {
 public:
  void add(std::uint64_t value) { ++seen_[value]; }
  bool report(const char* receiver) const {
    std::uint64_t once = 0;
    for (std::uint64_t v = 1; v <= kTotal; ++v) once += seen_[v] == 1 ? 1 : 0;
    const bool ok = once == kTotal;
    std::printf("mpsc_channel (%s): %u senders x %llu values -> %llu received exactly once: %s\n",
                receiver, kSenders, static_cast<unsigned long long>(kPerSender),
                static_cast<unsigned long long>(once), ok ? "ok" : "BROKEN");
    return ok;
  }

 private:
  std::vector<unsigned> seen_ = std::vector<unsigned>(kTotal + 1, 0);
};

std::vector<std::thread> start_senders(Channel& channel) {
  std::vector<std::thread> senders;
  for (unsigned s = 0; s < kSenders; ++s) {
    senders.emplace_back([&channel, s] {
      for (std::uint64_t i = 1; i <= kPerSender; ++i) {
        while (!channel.try_send(s * kPerSender + i)) std::this_thread::yield();
      }
    });
  }
  return senders;
}

bool receive_with_block_on() {
  Channel channel;
  Tally tally;
  std::vector<std::thread> senders = start_senders(channel);
  for (std::uint64_t n = 0; n < kTotal; ++n) tally.add(diatomic::block_on(channel.recv()));
  for (auto& t : senders) t.join();
  return tally.report("block_on");
}

Detached receive(Channel& channel, Tally& tally, diatomic::RunLoop& loop) {
  for (std::uint64_t n = 0; n < kTotal; ++n) {
    tally.add(co_await channel.recv().resume_on(loop.executor()));
  }
  loop.stop();
}

bool receive_with_co_await() {
  Channel channel;
  Tally tally;
  diatomic::RunLoop loop;
  receive(channel, tally, loop);  // runs until its first wait suspends
  std::vector<std::thread> senders = start_senders(channel);
  loop.run();  // resumes the receiver on this thread until it calls stop()
  for (auto& t : senders) t.join();
  return tally.report("co_await");
}

}  // namespace

int main() {
  const bool threads_ok = receive_with_block_on();
  const bool coroutine_ok = receive_with_co_await();
  return threads_ok && coroutine_ok ? 0 : 1;
}
