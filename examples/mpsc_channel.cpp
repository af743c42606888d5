// SPDX-License-Identifier: MIT
// diatomic::channel: four sender threads send numbered values through a
// bounded channel of 64 slots to one receiver; the last sender to finish
// drops the last Sender, which closes the channel. The receiver takes values
// until recv reports the channel closed and drained: first parked with
// block_on(rx.recv()), then as a coroutine resumed on a RunLoop, taking up to
// 32 values per wake-up with co_await rx.recv_many(...). Exits 1 unless every
// value arrived exactly once.
#include <diatomic/diatomic.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "detached.hpp"

namespace {

constexpr unsigned kSenders = 4;
constexpr std::uint64_t kPerSender = 100000;
constexpr std::uint64_t kTotal = kSenders * kPerSender;
constexpr std::size_t kCapacity = 64;

// Records each value; reports whether each of 1..kTotal came exactly once.
class Tally {
 public:
  void add(std::uint64_t value) { ++seen_[value]; }
  bool report(const char* receiver) const {
    std::uint64_t once = 0;
    for (std::uint64_t v = 1; v <= kTotal; ++v) once += seen_[v] == 1 ? 1 : 0;
    const bool ok = once == kTotal;
    std::printf("mpsc_channel (%s): %u senders x %llu values through %zu slots -> %llu received "
                "exactly once, then closed: %s\n",
                receiver, kSenders, static_cast<unsigned long long>(kPerSender), kCapacity,
                static_cast<unsigned long long>(once), ok ? "ok" : "BROKEN");
    return ok;
  }

 private:
  std::vector<unsigned> seen_ = std::vector<unsigned>(kTotal + 1, 0);
};

// Each thread gets its own copy of the Sender; the original is dropped
// here, so the channel closes when the last thread's copy goes.
std::vector<std::thread> start_senders(diatomic::Sender<std::uint64_t> tx) {
  std::vector<std::thread> senders;
  for (unsigned s = 0; s < kSenders; ++s) {
    senders.emplace_back([tx, s] {
      for (std::uint64_t i = 1; i <= kPerSender; ++i) {
        std::uint64_t value = s * kPerSender + i;
        for (;;) {
          diatomic::SendResult<std::uint64_t> r = tx.try_send(value);
          if (r) break;
          // Full: the value comes back; let the receiver run and try again.
          value = std::move(r).value();
          std::this_thread::yield();
        }
      }
    });
  }
  return senders;
}

bool receive_with_block_on() {
  auto [tx, rx] = diatomic::channel<std::uint64_t>(kCapacity);
  std::vector<std::thread> senders = start_senders(std::move(tx));
  Tally tally;
  while (std::optional<std::uint64_t> value = diatomic::block_on(rx.recv())) tally.add(*value);
  for (auto& t : senders) t.join();
  return tally.report("block_on");
}

Detached receive(diatomic::Receiver<std::uint64_t>& rx, Tally& tally, diatomic::RunLoop& loop) {
  std::vector<std::uint64_t> batch;
  while (co_await rx.recv_many(batch, 32).resume_on(loop.executor()) > 0) {
    for (std::uint64_t value : batch) tally.add(value);
    batch.clear();
  }
  loop.stop();
}

bool receive_with_co_await() {
  auto [tx, rx] = diatomic::channel<std::uint64_t>(kCapacity);
  Tally tally;
  diatomic::RunLoop loop;
  receive(rx, tally, loop);  // runs until its first wait suspends
  std::vector<std::thread> senders = start_senders(std::move(tx));
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
