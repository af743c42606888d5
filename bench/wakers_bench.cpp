// SPDX-License-Identifier: MIT
// DiatomicWaker against AtomicWaker, same harness, same waker, one binary
// (docs/benchmarks.md). Plain Google Benchmark flags run it as any benchmark;
// `--report=DIR` runs the whole suite and prints the report (report.cpp).
#include <diatomic/atomic_waker.hpp>
#include <diatomic/block_on.hpp>
#include <diatomic/coro.hpp>
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/run_loop.hpp>
#include <diatomic/wait.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "catalog.hpp"
#include "coro_task.hpp"
#include "mailboxes.hpp"
#include "registry.hpp"
#include "report.hpp"
#include "scenarios.hpp"

namespace diatomic::bench {
namespace {

// S0: the floors, one uncontended RMW on a private cache line.
void floor_fetch_or(benchmark::State& state) {
  Padded<std::atomic<std::uintptr_t>> word;
  for (auto _ : state) {
    // Ordering: acq_rel, as register_waker's fetch_or(U|R); x86-64 emits the
    // same `lock or` for every order.
    word.value.fetch_or(4, std::memory_order_acq_rel);
  }
}

void floor_two_rmws(benchmark::State& state) {
  Padded<std::atomic<std::uintptr_t>> word;
  for (auto _ : state) {
    // Ordering: acq_rel then release, as AtomicWaker's take().
    word.value.fetch_or(2, std::memory_order_acq_rel);
    word.value.fetch_and(~std::uintptr_t{2}, std::memory_order_release);
  }
}

// A lone compare-exchange: its expected value is a constant, so the CPU
// issues it without waiting for any load.
void floor_cmpxchg(benchmark::State& state) {
  Padded<std::atomic<std::uintptr_t>> word;
  std::uintptr_t expected = 0;
  for (auto _ : state) {
    // Ordering: release on success, relaxed on failure, as notify()'s
    // write_back. It always succeeds: nobody else writes the word.
    word.value.compare_exchange_strong(expected, expected, std::memory_order_release,
                                       std::memory_order_relaxed);
  }
}

// S1's floor: what any compare-exchange-based notify must do, the notify()
// of S1 without the state machine: load the word, then compare-exchange it
// with the loaded value (a loop, retried if the word changed meanwhile). The
// compare-exchange depends on the load, as write_back's in notify().
void floor_load_cmpxchg(benchmark::State& state) {
  Padded<std::atomic<std::uintptr_t>> word;
  for (auto _ : state) {
    // Ordering: relaxed, then release on success, as notify()'s load and
    // write_back.
    std::uintptr_t old = word.value.load(std::memory_order_relaxed);
    while (!word.value.compare_exchange_weak(old, old, std::memory_order_release,
                                             std::memory_order_relaxed)) {
    }
  }
}

// S1 to S3, with the steady-state RMW count of the same round.
template <template <class, class> class Round, class Kind>
void one_thread(benchmark::State& state) {
  Round<Kind, Std> round;
  std::uint64_t i = 0;
  for (auto _ : state) round(i++);
  state.counters[std::string(kRmwCounter)] = rmw_per_round<Round, Kind>();
}

// S4, S5 and their floors: one op is one round trip.
template <class Channel>
void ping_pong(benchmark::State& state) {
  with_echo_partner<Channel>([&](Channel& ping, Channel& pong, auto& waiter) {
    for (auto _ : state) {
      ping.send(kBall);
      benchmark::DoNotOptimize(pong.recv(waiter));
    }
  });
}

// S4: the receivers park with spinning off, so that S4 measures a primitive
// over a futex sleep and wake-up, as its floor does.
template <class Kind>
void parked_ping_pong(benchmark::State& state) {
  const ParkSpinOff off;
  ping_pong<PrimitiveChannel<Kind, Std, ParkWaiter>>(state);
}

// S5 and its experiments (S5x): kCoreAlign places the primitive, Target is
// the waker's.
template <class Kind, std::size_t kCoreAlign = Kind::kAlign,
          template <class> class Target = test::WakeCounter>
void spin_ping_pong(benchmark::State& state) {
  ping_pong<PrimitiveChannel<Kind, Std, SpinWaiter<Std, Target>, kCoreAlign>>(state);
  state.counters[std::string(kRmwCounter)] = rmw_per_round_trip<
      PrimitiveChannel<Kind, CountingPolicy, SpinWaiter<CountingPolicy, Target>, kCoreAlign>>();
}

// S5p (catalog.hpp): one iteration is one cycle, a run of kRounds round
// trips of each of six ping-pongs, in the reverse order every other cycle so
// that a drift within a cycle favours none of them.
void s5_paired(benchmark::State& state) {
  constexpr std::uint64_t kRounds = 2000;
  using Diatomic = PrimitiveChannel<DiatomicKind, Std, SpinWaiter<Std>>;
  using Atomic = PrimitiveChannel<AtomicWakerKind, Std, SpinWaiter<Std>>;
  using DiatomicOwnLine = PrimitiveChannel<DiatomicKind, Std, SpinWaiter<Std, OwnLineWakeCounter>>;
  using AtomicOwnLine = PrimitiveChannel<AtomicWakerKind, Std, SpinWaiter<Std, OwnLineWakeCounter>>;
  std::map<std::string_view, std::vector<double>> ratios;
  // The six runs of a cycle: raw spin, floor_registered, then DiatomicWaker
  // and AtomicWaker with each waker.
  constexpr std::array<double (*)(std::uint64_t), 6> kRuns{
      &round_trip_ns<SpinChannel>,     &round_trip_ns<RegisteredWakeLineChannel>,
      &round_trip_ns<Diatomic>,        &round_trip_ns<Atomic>,
      &round_trip_ns<DiatomicOwnLine>, &round_trip_ns<AtomicOwnLine>};
  bool reverse = false;
  for (auto _ : state) {
    std::array<double, kRuns.size()> ns{};
    for (std::size_t i = 0; i < kRuns.size(); ++i) {
      const std::size_t k = reverse ? kRuns.size() - 1 - i : i;
      ns[k] = kRuns[k](kRounds);
    }
    reverse = !reverse;
    const auto [spin, registered, dw, aw, dw_own_line, aw_own_line] = ns;
    ratios[kPairedAwOverDw].push_back(aw / dw);
    ratios[kPairedAwOverDwOwnLine].push_back(aw_own_line / dw_own_line);
    ratios[kPairedDwOverFloor].push_back(dw / registered);
    ratios[kPairedDwOverFloorOwnLine].push_back(dw_own_line / registered);
    ratios[kPairedFloorOverSpin].push_back(registered / spin);
  }
  for (auto& entry : ratios) {
    std::vector<double>& values = entry.second;
    std::sort(values.begin(), values.end());
    const auto quantile = [&values](std::size_t num, std::size_t den) {
      return values[(values.size() - 1) * num / den];
    };
    const std::string name(entry.first);
    state.counters[name] = quantile(1, 2);
    state.counters[name + " q1"] = quantile(1, 4);
    state.counters[name + " q3"] = quantile(3, 4);
  }
}

// S6: ns/op of this thread while a second thread notifies the same primitive;
// rmw/op of this thread (compare-exchange retries included).
template <class Kind>
void contended_notify(benchmark::State& state) {
  Padded<typename Kind::template Core<Std>> timed;
  with_partner_notifying(timed.value, [&] {
    for (auto _ : state) signal(timed.value);
  });
  constexpr std::uint64_t kOps = 100000;
  Padded<typename Kind::template Core<CountingPolicy>> counted;
  std::uint64_t rmws = 0;
  with_partner_notifying(counted.value, [&] {
    rmws = test::count_rmws([&] {
      for (std::uint64_t i = 0; i < kOps; ++i) signal(counted.value);
    });
  });
  state.counters[std::string(kRmwCounter)] = static_cast<double>(rmws) / kOps;
}

// S7: the S4 ping-pong with the partner a coroutine that co_awaits on a
// RunLoop thread; the timing thread waits with block_on. Mailbox: a
// capacity-1 slot and a primitive, through the public API (mailboxes.hpp).
template <class Mailbox>
void coroutine_ping_pong(benchmark::State& state) {
  Padded<Mailbox> ping;
  Padded<Mailbox> pong;
  RunLoop loop;
  std::thread loop_thread([&] { loop.run(); });
  {
    test::Task partner = echo(ping.value, pong.value, ResumeOn{&loop});
    time_round_trips(state, ping.value, pong.value);
    loop.stop();
    loop_thread.join();  // the job that sent kStop back has returned: the frame is at its end
  }
}

template <class Kind>
void add_primitive(Registry& registry) {
  using Clock = Registry::Clock;
  registry.add(benchmark_name("S1", Kind::kName), &one_thread<NotifyNobody, Kind>, Clock::kCpu);
  registry.add(benchmark_name("S2", Kind::kName), &one_thread<SameWaker, Kind>, Clock::kCpu);
  registry.add(benchmark_name("S3", Kind::kName), &one_thread<NewWaker, Kind>, Clock::kCpu);
  registry.add(benchmark_name("S4", Kind::kName), &parked_ping_pong<Kind>, Clock::kWall);
  registry.add(benchmark_name("S5", Kind::kName), &spin_ping_pong<Kind>, Clock::kWall);
  registry.add(benchmark_name("S6", Kind::kName), &contended_notify<Kind>, Clock::kCpu);
  using Mailbox = std::conditional_t<std::is_same_v<Kind, DiatomicKind>, DiatomicMailbox,
                                     AtomicWakerMailbox>;
  registry.add(benchmark_name("S7", Kind::kName), &coroutine_ping_pong<Mailbox>, Clock::kWall);
}

// Returns how many benchmarks it registered.
std::size_t register_benchmarks() {
  Registry registry;
  using Clock = Registry::Clock;
  registry.add(kFetchOrFloor, &floor_fetch_or, Clock::kCpu);
  registry.add(kCmpxchgFloor, &floor_cmpxchg, Clock::kCpu);
  registry.add(kLoadCmpxchgFloor, &floor_load_cmpxchg, Clock::kCpu);
  registry.add(kTwoRmwFloor, &floor_two_rmws, Clock::kCpu);
  add_primitive<DiatomicKind>(registry);
  add_primitive<AtomicWakerKind>(registry);
  registry.add(kFutexFloor, &ping_pong<FutexChannel>, Clock::kWall);
  registry.add(kSpinFloor, &ping_pong<SpinChannel>, Clock::kWall);
  registry.add(kS5WakeLineFloor, &ping_pong<WakeLineChannel>, Clock::kWall);
  registry.add(kS5RegisteredFloor, &ping_pong<RegisteredWakeLineChannel>, Clock::kWall);
  registry.add(kS5DiatomicSharedLine, &spin_ping_pong<DiatomicKind, kSharedLine>, Clock::kWall);
  registry.add(kS5AtomicWakerOwnLine, &spin_ping_pong<AtomicWakerKind, kOwnLine>, Clock::kWall);
  registry.add(kS5DiatomicOtherPair, &spin_ping_pong<DiatomicKind, kOtherLinePair>, Clock::kWall);
  registry.add(kS5DiatomicCountOwnLine,
               &spin_ping_pong<DiatomicKind, DiatomicKind::kAlign, OwnLineWakeCounter>,
               Clock::kWall);
  registry.add(kS5AtomicWakerCountOwnLine,
               &spin_ping_pong<AtomicWakerKind, AtomicWakerKind::kAlign, OwnLineWakeCounter>,
               Clock::kWall);
  registry.add(kS5Paired, &s5_paired, Clock::kWall);
  registry.add(kS1ReadOnly, &one_thread<NotifyNobody, ReadOnlyNotifyKind>, Clock::kCpu);
  registry.add(kS2Fenced, &one_thread<SameWaker, FencedRegistrationKind>, Clock::kCpu);
  registry.add(kS3Fenced, &one_thread<NewWaker, FencedRegistrationKind>, Clock::kCpu);
  registry.add(kS6ReadOnly, &contended_notify<ReadOnlyNotifyKind>, Clock::kCpu);
  register_alternatives(registry);
  register_channels(registry);
  return registry.count();
}

}  // namespace

void FutexChannel::send(std::uint64_t value) noexcept {
  // Ordering: release, pairs with the acquire loads in recv().
  if (word_.exchange(static_cast<std::uint32_t>(value), std::memory_order_release) == kSleeping) {
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word_), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
#else
    word_.notify_one();
#endif
  }
}

std::uint64_t FutexChannel::recv(Waiter&) noexcept {
  // Ordering: acquire, pairs with the release exchange in send().
  std::uint32_t word = word_.load(std::memory_order_acquire);
  for (;;) {
    if (word != kEmpty && word != kSleeping) {
      // Ordering: relaxed, as in PrimitiveChannel::try_take().
      word_.store(kEmpty, std::memory_order_relaxed);
      return word;
    }
    // Ordering: acquire; on failure a value arrived: pairs with send().
    if (word == kEmpty && !word_.compare_exchange_strong(word, kSleeping, std::memory_order_acquire,
                                                         std::memory_order_acquire)) {
      continue;
    }
#if defined(__linux__)
    // The kernel sleeps only while the word is still kSleeping.
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word_), FUTEX_WAIT_PRIVATE, kSleeping,
            nullptr, nullptr, 0);
#else
    word_.wait(kSleeping, std::memory_order_relaxed);
#endif
    // Ordering: acquire, pairs with the release exchange in send().
    word = word_.load(std::memory_order_acquire);
  }
}

}  // namespace diatomic::bench

int main(int argc, char** argv) {
  const std::size_t benchmarks = diatomic::bench::register_benchmarks();
  constexpr std::string_view kReportFlag = "--report=";
  if (argc == 2 && std::string_view(argv[1]).starts_with(kReportFlag)) {
    const std::string dir(std::string_view(argv[1]).substr(kReportFlag.size()));
    return diatomic::bench::run_report(argv[0], dir, benchmarks);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
