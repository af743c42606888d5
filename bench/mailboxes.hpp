// SPDX-License-Identifier: MIT
// Capacity-1 mailboxes of non-zero values, one per way of waiting, for the
// round trips a user writes with the public API (S7, T1, C1 in
// docs/benchmarks.md): put() from one thread, recv() (blocking) or wait()
// (a wait object, for co_await) on another.
#pragma once

#include <diatomic/atomic_waker.hpp>
#include <diatomic/block_on.hpp>
#include <diatomic/coro.hpp>
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/run_loop.hpp>
#include <diatomic/wait.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>

#include "coro_task.hpp"
#include "scenarios.hpp"

namespace diatomic::bench {

// The value word of the primitives' mailboxes.
struct Slot {
  std::atomic<std::uint64_t> value{0};

  void store(std::uint64_t v) noexcept {
    // Ordering: release, pairs with the acquire exchange in take().
    value.store(v, std::memory_order_release);
  }
  std::optional<std::uint64_t> take() noexcept {
    // Ordering: acquire, pairs with the release store in store().
    const std::uint64_t v = value.exchange(0, std::memory_order_acquire);
    if (v == 0) return std::nullopt;
    return v;
  }
};

struct DiatomicMailbox {
  Slot slot;
  DiatomicWaker primitive;
  void put(std::uint64_t value) noexcept {
    slot.store(value);
    primitive.notify();
  }
  auto wait() {
    return primitive.wait_until([this] { return slot.take(); });
  }
  std::uint64_t recv() { return block_on(wait()); }
};

// DiatomicMailbox whose waits have a deadline that does not come: what a
// deadline costs a wait woken before it (T1 "deadline"). The timeout is
// added to steady_clock's now at each call, as a user's would be.
struct TimedDiatomicMailbox : DiatomicMailbox {
  std::uint64_t recv() { return block_on(wait(), std::chrono::seconds(10)).value(); }
};

struct AtomicWakerMailbox {
  Slot slot;
  AtomicWaker primitive;
  void put(std::uint64_t value) noexcept {
    slot.store(value);
    primitive.wake();
  }
  auto wait() {
    return primitive.wait_until([this] { return slot.take(); });
  }
  std::uint64_t recv() { return block_on(wait()); }
};

// What a C++20 user writes without a wake-up library: the value word is the
// futex word (32 bits, so libstdc++ waits on it directly, with no proxy).
struct AtomicWaitMailbox {
  std::atomic<std::uint32_t> value{0};
  void put(std::uint64_t v) noexcept {
    // Ordering: release, pairs with the acquire exchange in recv().
    value.store(static_cast<std::uint32_t>(v), std::memory_order_release);
    value.notify_one();
  }
  std::uint64_t recv() noexcept {
    for (;;) {
      // Ordering: acquire, pairs with the release store in put().
      if (const std::uint32_t v = value.exchange(0, std::memory_order_acquire)) return v;
      // Ordering: relaxed; the exchange above acquires once it sees a value.
      value.wait(0, std::memory_order_relaxed);
    }
  }
};

// The textbook monitor: a mutex, a condition variable, notify after unlock.
struct CondVarMailbox {
  std::mutex mutex;
  std::condition_variable ready;
  std::uint64_t value = 0;
  void put(std::uint64_t v) {
    {
      const std::lock_guard lock(mutex);
      value = v;
    }
    ready.notify_one();
  }
  std::uint64_t recv() {
    std::unique_lock lock(mutex);
    ready.wait(lock, [this] { return value != 0; });
    const std::uint64_t v = value;
    value = 0;
    return v;
  }
};

// The timing side of a blocking round trip (S7, T1): one op sends on `ping`
// and waits on `pong`; then kStop, echoed back, ends the partner.
template <class Mailbox>
void time_round_trips(benchmark::State& state, Mailbox& ping, Mailbox& pong) {
  for (auto _ : state) {
    ping.put(kBall);
    benchmark::DoNotOptimize(pong.recv());
  }
  ping.put(kStop);
  static_cast<void>(pong.recv());
}

// How a coroutine's co_await resumes it: inline, on the notifying thread, or
// on a RunLoop.
struct ResumeInline {
  template <class Wait>
  Wait operator()(Wait wait) const {
    return wait;
  }
};
struct ResumeOn {
  RunLoop* loop;
  template <class Wait>
  auto operator()(Wait wait) const {
    return std::move(wait).resume_on(loop->executor());
  }
};

// The partner of a coroutine round trip: echoes every value received on `in`
// back on `out`, until kStop.
template <class Mailbox, class Resume>
test::Task echo(Mailbox& in, Mailbox& out, Resume resume) {
  for (;;) {
    const std::uint64_t value = co_await resume(in.wait());
    out.put(value);
    if (value == kStop) co_return;
  }
}

}  // namespace diatomic::bench
