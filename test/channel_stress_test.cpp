// SPDX-License-Identifier: MIT
// Stress of diatomic::channel: 4 producer threads send numbered messages
// through a small channel to one receiver (two producers wait for room with
// block_on(send), two retry try_send), which waits with block_on (recv
// and recv_many) or co_await on a RunLoop, while a canceller thread stops its
// waits at random moments and the channel is closed at a random moment by a
// producer or by the receiver. Every message a producer offered must end up
// exactly once either received or handed back to its producer (a send on a
// closed channel leaves the value with its producer). Plain builds pass 2,000,000
// messages in all, ThreadSanitizer builds 200,000, AddressSanitizer builds
// 400,000; DIATOMIC_CHANNEL_STRESS_MESSAGES sets another total (10000000 for
// the long run of docs/testing.md). Suites 'concurrency' and 'stress'.
#include <diatomic/diatomic.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "../../examples/detached.hpp"
#include "stress_scale.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

constexpr unsigned kProducers = 4;
constexpr std::size_t kCapacity = 8;
// Messages per round (per channel); a round ends with its close.
constexpr std::uint64_t kPerRound = 20'000;

std::uint64_t total_messages() {
  if (const char* env = std::getenv("DIATOMIC_CHANNEL_STRESS_MESSAGES")) {
    return std::strtoull(env, nullptr, 10);
  }
  return 2'000'000 / stress_divisor();
}

// What happened to each message of a round: received, handed back, or
// never offered (its producer saw the channel closed before).
struct Ledger {
  explicit Ledger(std::uint64_t n) : received(n, 0), returned(n, 0), offered(n, 0) {}
  // Written by one thread each (received: the receiver; returned and
  // offered: the message's producer), read after every thread joined.
  std::vector<unsigned char> received;
  std::vector<unsigned char> returned;
  std::vector<unsigned char> offered;
};

enum class Receive { kBlockOn, kBlockOnMany, kCoAwait };

// Receives until the channel reports closed and drained, its waits stopped
// again and again by the canceller; closes the channel itself after
// `close_after` messages (never, if that is past the round).
class Consumer {
 public:
  Consumer(Receiver<std::uint64_t>& rx, Ledger& ledger, std::uint64_t close_after)
      : rx_(rx), ledger_(ledger), close_after_(close_after) {}

  // One stop source per wait: the canceller stops whichever is current.
  std::stop_token next_token() {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (stop_.stop_requested()) stop_ = std::stop_source();
    return stop_.get_token();
  }
  void cancel_current() {
    const std::lock_guard<std::mutex> lock(mutex_);
    stop_.request_stop();
  }

  void take(std::uint64_t message) {
    ++ledger_.received.at(message);
    if (++count_ == close_after_) rx_.close();
  }

  void run_block_on() {
    for (;;) {
      const std::optional<std::optional<std::uint64_t>> got = block_on(rx_.recv(next_token()));
      if (!got) continue;  // stopped: nothing taken
      if (!*got) return;   // closed and drained
      take(**got);
    }
  }
  void run_block_on_many() {
    std::vector<std::uint64_t> batch;
    for (;;) {
      const std::optional<std::size_t> got = block_on(rx_.recv_many(batch, 5, next_token()));
      if (!got) continue;
      if (*got == 0) return;
      for (std::uint64_t m : batch) take(m);
      batch.clear();
    }
  }
  Detached run_co_await(RunLoop& loop) {
    for (;;) {
      const std::optional<std::optional<std::uint64_t>> got =
          co_await rx_.recv(next_token()).resume_on(loop.executor());
      if (!got) continue;
      if (!*got) break;
      take(**got);
    }
    loop.stop();
  }

 private:
  Receiver<std::uint64_t>& rx_;
  Ledger& ledger_;
  std::uint64_t close_after_;
  std::uint64_t count_ = 0;
  std::mutex mutex_;
  std::stop_source stop_;
};

// One round: a fresh channel, kProducers producers, one receiver.
void round(std::uint64_t messages, Receive how, std::mt19937_64& rng) {
  Ledger ledger(messages);
  auto [tx, rx] = channel<std::uint64_t>(kCapacity);
  // Who closes, and when: the receiver after some messages, a producer
  // after some of its sends, or nobody until the producers are done (the
  // last Sender's drop).
  const unsigned closer = static_cast<unsigned>(rng() % 3);
  const std::uint64_t close_at = rng() % (messages + messages / 4);
  Consumer consumer(rx, ledger, closer == 0 ? close_at : messages + 1);
  std::atomic<bool> receiver_done{false};

  std::vector<std::thread> producers;
  for (unsigned p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p, sender = tx] {
      const bool closes = closer == 1 && p == 0;
      bool closed = false;
      for (std::uint64_t m = p; m < messages; m += kProducers) {
        if (closes && m / kProducers == close_at / kProducers) sender.close();
        if (closed) continue;  // never offered
        ledger.offered[m] = 1;
        std::uint64_t value = m;
        if (p % 2 == 0) {  // waits for room
          if (!block_on(sender.send(value))) {
            ++ledger.returned[value];
            closed = true;
          }
          continue;
        }
        for (;;) {  // retries while full
          SendResult<std::uint64_t> r = sender.try_send(value);
          if (r) break;
          if (r.closed()) {
            ++ledger.returned[std::move(r).value()];
            closed = true;
            break;
          }
          value = std::move(r).value();
          std::this_thread::yield();
        }
      }
    });
  }
  { const Sender<std::uint64_t> mine = std::move(tx); }  // the producers' copies remain

  std::thread canceller([&, seed = rng()] {
    std::mt19937_64 local(seed);
    // Ordering: acquire, pairs with the main thread's release store once
    // the receiver is done.
    while (!receiver_done.load(std::memory_order_acquire)) {
      if (local() % 8 == 0) consumer.cancel_current();
      std::this_thread::yield();
    }
  });

  switch (how) {
    case Receive::kBlockOn:
      consumer.run_block_on();
      break;
    case Receive::kBlockOnMany:
      consumer.run_block_on_many();
      break;
    case Receive::kCoAwait: {
      RunLoop loop;
      consumer.run_co_await(loop);
      loop.run();
      break;
    }
  }
  // Ordering: release, pairs with the canceller's acquire load.
  receiver_done.store(true, std::memory_order_release);
  for (auto& t : producers) t.join();
  canceller.join();

  std::uint64_t lost = 0;
  std::uint64_t twice = 0;
  std::uint64_t phantom = 0;
  for (std::uint64_t m = 0; m < messages; ++m) {
    const unsigned outcomes = ledger.received[m] + ledger.returned[m];
    if (ledger.offered[m] == 0) {
      phantom += outcomes;
    } else if (outcomes == 0) {
      ++lost;
    } else if (outcomes > 1) {
      ++twice;
    }
  }
  EXPECT_EQ(lost, 0u) << "offered messages neither received nor handed back";
  EXPECT_EQ(twice, 0u) << "messages received or handed back twice";
  EXPECT_EQ(phantom, 0u) << "messages that were never offered came out";
}

void stress(Receive how, const char* name) {
  const std::uint64_t total = total_messages() / 3;
  const Watchdog watchdog(std::string("channel stress: ") + name, std::chrono::seconds(280));
  std::mt19937_64 rng(0x5eed + static_cast<unsigned>(how));
  std::uint64_t done = 0;
  while (done < total) {
    const std::uint64_t n = std::min(kPerRound, total - done);
    round(n, how, rng);
    done += n;
  }
  std::printf("[channel stress] %s: %llu messages from %u producers\n", name,
              static_cast<unsigned long long>(done), kProducers);
}

TEST(ChannelStress, block_on_recv_with_random_closes_and_cancellations) {
  stress(Receive::kBlockOn, "block_on recv");
}
TEST(ChannelStress, block_on_recv_many_with_random_closes_and_cancellations) {
  stress(Receive::kBlockOnMany, "block_on recv_many");
}
TEST(ChannelStress, co_await_on_a_run_loop_with_random_closes_and_cancellations) {
  stress(Receive::kCoAwait, "co_await recv");
}

}  // namespace
}  // namespace diatomic::test
