// SPDX-License-Identifier: MIT
// The RMW-counting atomic (docs/design.md#7-the-atomic-seam): CountingPolicy plugs into the
// library's own state machines (detail::DiatomicCore, detail::AtomicWakerCore,
// detail::BasicRcWaker) and tallies every atomic read-modify-write they make on
// the calling thread. The RMW unit test and the benchmarks' rmw/op counters
// read this tally. Tests and benchmarks only.
#pragma once

#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/atomic_waker_core.hpp>
#include <diatomic/detail/diatomic_core.hpp>
#include <diatomic/rc_waker.hpp>
#include <diatomic/waker.hpp>

#include <atomic>
#include <cstdint>

namespace diatomic::test {

// RMWs made through any CountingAtomic by the calling thread. Thread-local so
// that counting adds no shared write of its own; a multi-threaded count sums
// each thread's tally.
inline std::uint64_t& rmw_tally() noexcept {
  thread_local std::uint64_t tally = 0;
  return tally;
}

// std::atomic<T> with the interface the cores use. Every RMW counts once, and
// so does every compare-exchange attempt, failed or not: on x86-64 a failed
// `lock cmpxchg` costs what a successful one does. Loads and stores are free.
template <class T>
class CountingAtomic {
 public:
  // Implicit, as std::atomic's: `Atomic<T> word{0}` reads the same for both.
  constexpr CountingAtomic(T value) noexcept : value_(value) {}
  CountingAtomic(const CountingAtomic&) = delete;
  CountingAtomic& operator=(const CountingAtomic&) = delete;

  [[nodiscard]] T load(std::memory_order order) const noexcept { return value_.load(order); }
  void store(T value, std::memory_order order) noexcept { value_.store(value, order); }

  T exchange(T value, std::memory_order order) noexcept {
    return counted(value_.exchange(value, order));
  }
  T fetch_or(T value, std::memory_order order) noexcept {
    return counted(value_.fetch_or(value, order));
  }
  T fetch_and(T value, std::memory_order order) noexcept {
    return counted(value_.fetch_and(value, order));
  }
  T fetch_add(T value, std::memory_order order) noexcept {
    return counted(value_.fetch_add(value, order));
  }
  T fetch_sub(T value, std::memory_order order) noexcept {
    return counted(value_.fetch_sub(value, order));
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order success,
                             std::memory_order failure) noexcept {
    return counted(value_.compare_exchange_weak(expected, desired, success, failure));
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order success,
                               std::memory_order failure) noexcept {
    return counted(value_.compare_exchange_strong(expected, desired, success, failure));
  }

 private:
  template <class R>
  static R counted(R result) noexcept {
    ++rmw_tally();
    return result;
  }

  std::atomic<T> value_;
};

struct CountingPolicy {
  template <class T>
  using Atomic = CountingAtomic<T>;
  template <class T>
  using Cell = detail::PlainCell<T>;
};

static_assert(detail::AtomicPolicy<CountingPolicy>);

// A wake target whose wake() is one RMW on a Policy atomic: with
// BasicRcWaker it makes the waker of docs/design.md#5-the-rmw-budget (clone 1, drop 1,
// wake_by_ref 1, all counted under CountingPolicy).
template <class Policy>
struct WakeCounter {
  typename Policy::template Atomic<std::uint64_t> wakes{0};
  void wake() noexcept {
    // Ordering: relaxed; the count is read after the threads that wake have
    // been joined (or on the waking thread itself).
    wakes.fetch_add(1, std::memory_order_relaxed);
  }
};

template <class Policy, class Target = WakeCounter<Policy>>
using RcCountingWaker = detail::BasicRcWaker<Target, Policy>;

// A waker whose clone, drop and wake cost no RMW (as the coroutine waker of
// docs/waiting.md#co_await): it measures a primitive's own share. Each FreeWaker
// object is a distinct identity; it must outlive its Wakers.
class FreeWaker {
 public:
  [[nodiscard]] Waker waker() noexcept { return Waker::adopt(this, &kVTable); }

 private:
  static void* clone_fn(void* data) { return data; }
  static void nothing_fn(void*) noexcept {}
  static constexpr WakerVTable kVTable{&clone_fn, &nothing_fn, &nothing_fn, &nothing_fn};
};

// The two primitives' state machines, as the library compiles them, counted.
using CountingDiatomicCore = detail::DiatomicCore<CountingPolicy>;
using CountingAtomicWakerCore = detail::AtomicWakerCore<CountingPolicy>;

// RMWs the calling thread makes while running f().
template <class F>
[[nodiscard]] std::uint64_t count_rmws(F&& f) {
  const std::uint64_t before = rmw_tally();
  static_cast<F&&>(f)();
  return rmw_tally() - before;
}

}  // namespace diatomic::test
