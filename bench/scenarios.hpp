// SPDX-License-Identifier: MIT
// The benchmark scenarios of docs/benchmarks.md, written once over a primitive
// kind and an atomic policy. The timed runs use StdAtomicPolicy, the code the
// library ships; the rmw/op counters run the same code over the test suite's
// CountingPolicy. The same waker (RcCountingWaker: clone, drop and wake one
// RMW each) serves both primitives.
#pragma once

#include <diatomic/atomic_waker.hpp>
#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/atomic_waker_core.hpp>
#include <diatomic/detail/diatomic_core.hpp>
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/thread_waker.hpp>
#include <diatomic/waker.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "catalog.hpp"
#include "counting_policy.hpp"

namespace diatomic::bench {

using Std = detail::StdAtomicPolicy;
using test::CountingPolicy;
using test::RcCountingWaker;

// kAlign: the alignment the public class gives its core, which the S5
// channels copy: DiatomicWaker puts it on a cache line of its own.
struct DiatomicKind {
  static constexpr std::string_view kName = kDiatomic;
  template <class Policy>
  using Core = detail::DiatomicCore<Policy>;
  static constexpr std::size_t kAlign = alignof(DiatomicWaker);
};

struct AtomicWakerKind {
  static constexpr std::string_view kName = kAtomicWaker;
  template <class Policy>
  using Core = detail::AtomicWakerCore<Policy>;
  static constexpr std::size_t kAlign = alignof(AtomicWaker);
};

// The layouts the S5 experiments compare: the core right after the channel's
// value word, on its cache line; on a cache line of its own; or in another
// aligned pair of lines.
inline constexpr std::size_t kSharedLine = alignof(std::uintptr_t);
inline constexpr std::size_t kOwnLine = 64;
inline constexpr std::size_t kOtherLinePair = 128;

// The producer's call of each primitive. Every call of the harness around a
// primitive's operation is forced inline (DIATOMIC_ALWAYS_INLINE), because
// g++ stops inlining in a unit as large as this benchmark's: the timed loop
// then holds the primitive's code as a caller of it gets it, and no call the
// harness adds.
template <class Policy>
DIATOMIC_ALWAYS_INLINE void signal(detail::DiatomicCore<Policy>& core) noexcept {
  core.notify();
}
template <class Policy>
DIATOMIC_ALWAYS_INLINE void signal(detail::AtomicWakerCore<Policy>& core) noexcept {
  core.wake();
}

// A consumer that found its condition true after registering withdraws the
// registration. AtomicWaker has no such call: the stale registration costs it
// a spurious wake later, which its users pay too.
template <class Policy>
void withdraw(detail::DiatomicCore<Policy>& core) noexcept {
  core.unregister();
}
template <class Policy>
void withdraw(detail::AtomicWakerCore<Policy>&) noexcept {}

// Spins politely: a pause instruction per turn, and the CPU handed over
// every 128 turns, so that with more runnable threads than cores (a shared
// 2-core machine) a spinner does not burn the time slice its partner needs.
class Backoff {
 public:
  void pause() noexcept {
    if (++turns_ % 128 == 0) {
      std::this_thread::yield();
    } else {
#if defined(__x86_64__) || defined(__i386__)
      _mm_pause();
#endif
    }
  }

 private:
  unsigned turns_ = 0;
};

// One object per cache line, so that what one thread writes never shares a
// line with what another thread writes.
template <class T>
struct alignas(64) Padded {
  T value{};
};

// The read-only notify experiments (S1x, S2x, S3x, S6x; docs/benchmarks.md,
// "The read-only notify experiments, rejected"): what a notify that writes nothing when nobody is
// registered would cost, built from the real code, without a second copy of
// the core.

// What a read-only notify would run when nobody is registered: a seq_cst
// fence, a load of the state word, a test of R; it writes nothing. (Nobody
// ever registers here: the experiment times that path alone.)
template <class Policy>
struct ReadOnlyNotifyCore {
  typename Policy::template Atomic<std::uintptr_t> state{0};
};
template <class Policy>
DIATOMIC_ALWAYS_INLINE void signal(ReadOnlyNotifyCore<Policy>& core) noexcept {
  // Ordering: the store-buffering pattern: a seq_cst fence before the load,
  // paired with the seq_cst fence a registration would need after its RMW
  // (FencedRegistrationCore); the load itself may be relaxed.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // Ordering: relaxed, see the fence above.
  const std::uintptr_t bits = core.state.load(std::memory_order_relaxed);
  benchmark::DoNotOptimize((bits & DiatomicState::kRegistered) != 0);
}

// The real DiatomicWaker core with the fence that registration would need
// for a read-only notify: register_waker, then a seq_cst fence, before the
// consumer's re-check. notify() is the shipped one.
template <class Policy>
struct FencedRegistrationCore {
  detail::DiatomicCore<Policy> core;
  void register_waker(const Waker& waker) {
    core.register_waker(waker);
    // Ordering: seq_cst fence, the registration's half of the store-buffering
    // pattern (see signal(ReadOnlyNotifyCore&)).
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
};
template <class Policy>
DIATOMIC_ALWAYS_INLINE void signal(FencedRegistrationCore<Policy>& fenced) noexcept {
  fenced.core.notify();
}

struct ReadOnlyNotifyKind {
  template <class Policy>
  using Core = ReadOnlyNotifyCore<Policy>;
};
struct FencedRegistrationKind {
  template <class Policy>
  using Core = FencedRegistrationCore<Policy>;
};

// S1 to S3: one op is one round on one thread.

// S1: notify with nobody registered.
template <class Kind, class Policy>
struct NotifyNobody {
  typename Kind::template Core<Policy> core;
  DIATOMIC_ALWAYS_INLINE void operator()(std::uint64_t) noexcept { signal(core); }
};

// S2: register the same waker again, then notify.
template <class Kind, class Policy>
struct SameWaker {
  RcCountingWaker<Policy> target = RcCountingWaker<Policy>::make();
  Waker waker = target.waker();
  typename Kind::template Core<Policy> core;
  DIATOMIC_ALWAYS_INLINE void operator()(std::uint64_t) {
    core.register_waker(waker);
    signal(core);
  }
};

// S3: register a new waker (two distinct ones alternating), then notify.
template <class Kind, class Policy>
struct NewWaker {
  RcCountingWaker<Policy> targets[2] = {RcCountingWaker<Policy>::make(),
                                        RcCountingWaker<Policy>::make()};
  Waker wakers[2] = {targets[0].waker(), targets[1].waker()};
  typename Kind::template Core<Policy> core;
  DIATOMIC_ALWAYS_INLINE void operator()(std::uint64_t i) {
    core.register_waker(wakers[i & 1]);
    signal(core);
  }
};

// RMWs per round of a one-thread scenario, counted over CountingPolicy in the
// steady state (after two warm-up rounds).
template <template <class, class> class Round, class Kind>
[[nodiscard]] double rmw_per_round() {
  constexpr std::uint64_t kWarmup = 2;
  constexpr std::uint64_t kRounds = 1000;
  Round<Kind, CountingPolicy> round;
  for (std::uint64_t i = 0; i < kWarmup; ++i) round(i);
  const std::uint64_t rmws = test::count_rmws([&] {
    for (std::uint64_t i = kWarmup; i < kWarmup + kRounds; ++i) round(i);
  });
  return static_cast<double>(rmws) / kRounds;
}

// Runs body() on the calling thread while a partner thread calls signal() on
// `core` in a loop (S6). Returns once the partner has stopped.
template <class Core, class Body>
void with_partner_notifying(Core& core, Body body) {
  Padded<std::atomic<bool>> started;
  Padded<std::atomic<bool>> stop;
  std::thread partner([&] {
    // Ordering: relaxed; both flags only start and stop a loop.
    started.value.store(true, std::memory_order_relaxed);
    while (!stop.value.load(std::memory_order_relaxed)) signal(core);
  });
  for (Backoff backoff; !started.value.load(std::memory_order_relaxed);) backoff.pause();
  body();
  stop.value.store(true, std::memory_order_relaxed);
  partner.join();
}

// Turns park()'s spin off for the length of a scope (S4, T1 "no spin").
class ParkSpinOff {
 public:
  ParkSpinOff() noexcept { this_thread::set_park_spin(std::chrono::nanoseconds(0)); }
  ParkSpinOff(const ParkSpinOff&) = delete;
  ParkSpinOff& operator=(const ParkSpinOff&) = delete;
  ~ParkSpinOff() { this_thread::set_park_spin(saved_); }

 private:
  std::chrono::nanoseconds saved_ = this_thread::park_spin();
};

// S4 and S5: ping-pong between two threads through two capacity-1 channels.
// A channel carries one non-zero value at a time from one sender to one
// receiver, which waits through a primitive. Each thread owns a Waiter: how
// it waits (park or spin) and the waker that ends the wait.

// Waits by parking the thread; woken by this_thread::waker() (S4).
class ParkWaiter {
 public:
  void prepare() noexcept {}
  void wait() noexcept { this_thread::park(); }
  [[nodiscard]] const Waker& waker() const noexcept { return waker_; }

 private:
  Waker waker_ = this_thread::waker();
};

// S5's second waker: the count on a cache line of its own. The waker's heap
// block holds the reference count, then the target: WakeCounter shares the
// count's line (a small waker's usual layout), this one starts the next line,
// so a wake and a clone or drop no longer write one line.
template <class Policy>
struct alignas(64) OwnLineWakeCounter : test::WakeCounter<Policy> {};

// Spins until its waker has been called (S5): the waker is an RcCountingWaker
// over Target (by default S1 to S3's), whose wake() increments a count the
// waiter watches.
template <class Policy, template <class> class Target = test::WakeCounter>
class SpinWaiter {
 public:
  // Ordering (both loads): relaxed; the count only ends the spin. The
  // receiver then re-reads the channel, and the primitive's contract makes
  // that re-read, or the one after the next registration, see the value.
  void prepare() noexcept { seen_ = target_->wakes.load(std::memory_order_relaxed); }
  void wait() noexcept {
    for (Backoff backoff; target_->wakes.load(std::memory_order_relaxed) == seen_;) {
      backoff.pause();
    }
  }
  [[nodiscard]] const Waker& waker() const noexcept { return waker_; }

 private:
  using Handle = RcCountingWaker<Policy, Target<Policy>>;
  Handle target_ = Handle::make();
  Waker waker_ = target_.waker();
  std::uint64_t seen_ = 0;
};

// A channel through a primitive: the value word, then the primitive, as a
// user's channel would declare them. With the primitive's own alignment
// (kCoreAlign = Kind::kAlign) a DiatomicWaker's core lands on the next cache
// line and an AtomicWaker's on the value word's; the S5 experiments force
// either layout on either primitive.
template <class Kind, class Policy, class WaiterT, std::size_t kCoreAlign = Kind::kAlign>
class alignas(kCoreAlign > 64 ? kCoreAlign : 64) PrimitiveChannel {
 public:
  using Waiter = WaiterT;

  void send(std::uint64_t value) noexcept {
    // Ordering: release, pairs with the acquire load in try_take(); the
    // primitive's notification orders it against the receiver's re-check.
    slot_.store(value, std::memory_order_release);
    signal(core_);
  }

  // Register before the re-check, so a send between the two is never lost.
  [[nodiscard]] std::uint64_t recv(Waiter& waiter) {
    for (;;) {
      if (const std::uint64_t value = try_take()) return value;
      waiter.prepare();
      core_.register_waker(waiter.waker());
      if (const std::uint64_t value = try_take()) {
        withdraw(core_);
        return value;
      }
      waiter.wait();
    }
  }

 private:
  std::uint64_t try_take() noexcept {
    // Ordering: acquire, pairs with the release store in send(). One sender
    // and strict alternation: the slot is empty whenever send() writes it.
    const std::uint64_t value = slot_.load(std::memory_order_acquire);
    // Ordering: relaxed; the emptied slot is published to the sender by our
    // own next send on the other channel (release there).
    if (value != 0) slot_.store(0, std::memory_order_relaxed);
    return value;
  }

  std::atomic<std::uint64_t> slot_{0};
  alignas(kCoreAlign) typename Kind::template Core<Policy> core_;
};

// The raw futex floor of S4: the receiver sleeps on the value word itself,
// the sender wakes it; no primitive, no waker.
class alignas(64) FutexChannel {
 public:
  class Waiter {};

  void send(std::uint64_t value) noexcept;
  [[nodiscard]] std::uint64_t recv(Waiter&) noexcept;

 private:
  static constexpr std::uint32_t kEmpty = 0;
  static constexpr std::uint32_t kSleeping = ~std::uint32_t{0};
  std::atomic<std::uint32_t> word_{kEmpty};
};

// The raw spin floor of S5: the receiver spins on the value word itself.
class alignas(64) SpinChannel {
 public:
  class Waiter {};

  void send(std::uint64_t value) noexcept {
    // Ordering: release, pairs with the acquire load in recv().
    slot_.store(value, std::memory_order_release);
  }
  [[nodiscard]] std::uint64_t recv(Waiter&) noexcept {
    for (Backoff backoff;; backoff.pause()) {
      // Ordering: acquire, pairs with the release store in send().
      if (const std::uint64_t value = slot_.load(std::memory_order_acquire)) {
        // Ordering: relaxed, as in PrimitiveChannel::try_take().
        slot_.store(0, std::memory_order_relaxed);
        return value;
      }
    }
  }

 private:
  std::atomic<std::uint64_t> slot_{0};
};

// A floor for S5 with a wake-up (S5x): the raw spin plus what any waker-based
// wake-up adds at the least. The sender stores the value, then makes one
// locked RMW on a second cache line (the receiver's wake count, as the S5
// waker's wake()); the receiver spins on that count, then reads the value.
// No primitive, no registration.
class alignas(64) WakeLineChannel {
 public:
  class Waiter {};

  void send(std::uint64_t value) noexcept {
    // Ordering: release, pairs with the acquire load in recv().
    slot_.value.store(value, std::memory_order_release);
    // Ordering: release, pairs with the acquire load in recv().
    wakes_.value.fetch_add(1, std::memory_order_release);
  }
  [[nodiscard]] std::uint64_t recv(Waiter&) noexcept {
    for (;;) {
      // Ordering: acquire, pairs with the release fetch_add in send().
      const std::uint64_t seen = wakes_.value.load(std::memory_order_acquire);
      // Ordering: acquire, pairs with the release store in send().
      if (const std::uint64_t value = slot_.value.load(std::memory_order_acquire)) {
        // Ordering: relaxed, as in PrimitiveChannel::try_take().
        slot_.value.store(0, std::memory_order_relaxed);
        return value;
      }
      // Ordering: relaxed; the acquire load above, on the next turn, orders.
      for (Backoff backoff; wakes_.value.load(std::memory_order_relaxed) == seen;) {
        backoff.pause();
      }
    }
  }

 private:
  Padded<std::atomic<std::uint64_t>> slot_;
  Padded<std::atomic<std::uint64_t>> wakes_;
};

// The least a registration adds to WakeLineChannel (S5x): the receiver sets a
// flag on a third cache line before it re-checks and spins (one RMW), and the
// sender wakes it only if the flag was set, taking it with one RMW; a stale
// flag costs a spurious wake later, as with AtomicWaker. Three RMWs per
// hand-off, against DiatomicWaker's four (try_lock, wake, try_unlock, the
// registration).
class alignas(64) RegisteredWakeLineChannel {
 public:
  class Waiter {};

  void send(std::uint64_t value) noexcept {
    // Ordering: release, pairs with the acquire loads in recv().
    slot_.value.store(value, std::memory_order_release);
    // Ordering: acq_rel, against the receiver's fetch_or: one of the two RMWs
    // reads the other, so either we see the flag or its re-check sees the value.
    if (registered_.value.exchange(false, std::memory_order_acq_rel)) {
      // Ordering: release, pairs with the acquire load in recv().
      wakes_.value.fetch_add(1, std::memory_order_release);
    }
  }
  [[nodiscard]] std::uint64_t recv(Waiter&) noexcept {
    for (;;) {
      if (const std::uint64_t value = try_take()) return value;
      // Ordering: acquire, pairs with the release fetch_add in send().
      const std::uint64_t seen = wakes_.value.load(std::memory_order_acquire);
      // Ordering: acq_rel, pairs with the sender's exchange (see send()).
      registered_.value.exchange(true, std::memory_order_acq_rel);
      if (const std::uint64_t value = try_take()) return value;
      // Ordering: relaxed; the next turn's loads order.
      for (Backoff backoff; wakes_.value.load(std::memory_order_relaxed) == seen;) {
        backoff.pause();
      }
    }
  }

 private:
  std::uint64_t try_take() noexcept {
    // Ordering: acquire, pairs with the release store in send().
    const std::uint64_t value = slot_.value.load(std::memory_order_acquire);
    // Ordering: relaxed, as in PrimitiveChannel::try_take().
    if (value != 0) slot_.value.store(0, std::memory_order_relaxed);
    return value;
  }

  Padded<std::atomic<std::uint64_t>> slot_;
  Padded<std::atomic<bool>> registered_;
  Padded<std::atomic<std::uint64_t>> wakes_;
};

// Ping-pong values: any non-zero value but kStop continues the game.
inline constexpr std::uint64_t kBall = 1;
inline constexpr std::uint64_t kStop = 2;

// Runs body(ping, pong, waiter) on the calling thread while a partner thread
// echoes every value received on `ping` back on `pong`, until kStop. Returns
// the RMWs (CountingPolicy) the partner made.
template <class Channel, class Body>
std::uint64_t with_echo_partner(Body body) {
  Channel ping;
  Channel pong;
  std::uint64_t partner_rmws = 0;
  std::thread partner([&] {
    typename Channel::Waiter waiter;
    partner_rmws = test::count_rmws([&] {
      for (;;) {
        const std::uint64_t value = ping.recv(waiter);
        pong.send(value);
        if (value == kStop) return;
      }
    });
  });
  typename Channel::Waiter waiter;
  body(ping, pong, waiter);
  ping.send(kStop);
  static_cast<void>(pong.recv(waiter));
  partner.join();
  return partner_rmws;
}

// Wall-clock nanoseconds per round trip over `rounds` round trips of a
// ping-pong through Channel, after a warm-up (S5p: one run of a cycle).
template <class Channel>
[[nodiscard]] double round_trip_ns(std::uint64_t rounds) {
  constexpr std::uint64_t kWarmup = 100;
  double ns = 0;
  with_echo_partner<Channel>([&](Channel& ping, Channel& pong, auto& waiter) {
    for (std::uint64_t i = 0; i < kWarmup; ++i) {
      ping.send(kBall);
      static_cast<void>(pong.recv(waiter));
    }
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < rounds; ++i) {
      ping.send(kBall);
      benchmark::DoNotOptimize(pong.recv(waiter));
    }
    const std::chrono::duration<double, std::nano> elapsed =
        std::chrono::steady_clock::now() - start;
    ns = elapsed.count() / static_cast<double>(rounds);
  });
  return ns;
}

// RMWs per round trip of a ping-pong over CountingPolicy, both threads.
template <class Channel>
[[nodiscard]] double rmw_per_round_trip() {
  constexpr std::uint64_t kRounds = 2000;
  std::uint64_t own = 0;
  const std::uint64_t partner =
      with_echo_partner<Channel>([&](Channel& ping, Channel& pong, auto& waiter) {
        own = test::count_rmws([&] {
          for (std::uint64_t i = 0; i < kRounds; ++i) {
            ping.send(kBall);
            static_cast<void>(pong.recv(waiter));
          }
        });
      });
  // The partner's count includes the kStop round trip: under 0.1 % more.
  return static_cast<double>(own + partner) / kRounds;
}

}  // namespace diatomic::bench
