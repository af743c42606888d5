// SPDX-License-Identifier: MIT
// libdiatomic's waits against what a C++ user picks instead (docs/benchmarks.md):
//   T1  a blocking round trip between two threads: block_on over DiatomicWaker
//       and AtomicWaker (and with a deadline that does not come), std::atomic
//       wait/notify_one, std::condition_variable;
//   C1  a round trip between two coroutines: co_await resumed inline and on a
//       RunLoop per side, against asio (an io_context per side, co_spawn,
//       asio::experimental::concurrent_channel).
// One op is one round trip, in wall-clock time.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>

#include "asio_coroutines.hpp"
#include "catalog.hpp"
#include "coro_task.hpp"
#include "mailboxes.hpp"
#include "registry.hpp"
#include "scenarios.hpp"
#include "thread_stats.hpp"

namespace diatomic::bench {
namespace {

// T1: this thread sends on `ping` and waits on `pong`; the partner echoes.
// Counter "sleeps/op": how many times per round trip either thread slept in
// the kernel (0 on a system without RUSAGE_THREAD).
template <class Mailbox>
void thread_round_trip(benchmark::State& state) {
  Padded<Mailbox> ping;
  Padded<Mailbox> pong;
  std::int64_t partner_sleeps = 0;
  std::thread partner([&] {
    const std::int64_t before = sleeps_so_far();
    for (;;) {
      const std::uint64_t value = ping.value.recv();
      pong.value.put(value);
      if (value == kStop) break;
    }
    partner_sleeps = sleeps_so_far() - before;
  });
  const std::int64_t before = sleeps_so_far();
  time_round_trips(state, ping.value, pong.value);
  const std::int64_t own_sleeps = sleeps_so_far() - before;
  partner.join();
  // The kStop round trip and the partner's start add at most a few sleeps.
  state.counters[std::string(kSleepsCounter)] =
      static_cast<double>(own_sleeps + partner_sleeps) /
      static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
}

void thread_round_trip_no_spin(benchmark::State& state) {
  const ParkSpinOff off;
  thread_round_trip<DiatomicMailbox>(state);
}

// C1: the timing side, a coroutine; `done` runs once it has finished.
template <class Resume, class Done>
test::Task pinger(benchmark::State& state, DiatomicMailbox& ping, DiatomicMailbox& pong,
                  Resume resume, Done done) {
  for (auto _ : state) {
    ping.put(kBall);
    benchmark::DoNotOptimize(co_await resume(pong.wait()));
  }
  ping.put(kStop);
  static_cast<void>(co_await resume(pong.wait()));
  done();
}

// Inline: each coroutine is started on its own thread, then resumed inside its
// partner's notify(), on the partner's thread: the round trip never hops.
void coroutine_round_trip_inline(benchmark::State& state) {
  Padded<DiatomicMailbox> ping;
  Padded<DiatomicMailbox> pong;
  std::optional<test::Task> partner;
  std::thread([&] { partner.emplace(echo(ping.value, pong.value, ResumeInline{})); }).join();
  const test::Task timing = pinger(state, ping.value, pong.value, ResumeInline{}, [] {});
  if (!timing.finished() || !partner->finished()) {
    state.SkipWithError("an inline round trip suspended: a resumption was lost");
  }
}

// A RunLoop per side: this thread runs the timing coroutine's loop, a second
// thread the partner's; every resumption is a job queued on the other loop.
void coroutine_round_trip_run_loops(benchmark::State& state) {
  Padded<DiatomicMailbox> ping;
  Padded<DiatomicMailbox> pong;
  RunLoop mine;
  RunLoop theirs;
  std::thread partner_thread([&] { theirs.run(); });
  {
    const test::Task partner = echo(ping.value, pong.value, ResumeOn{&theirs});
    const test::Task timing =
        pinger(state, ping.value, pong.value, ResumeOn{&mine}, [&mine] { mine.stop(); });
    mine.run();  // until the timing coroutine has finished
    theirs.stop();
    partner_thread.join();  // the partner's last job has returned: its frame is at its end
  }
}

#if defined(DIATOMIC_BENCH_ASIO)
// What an asio user writes today (asio 1.22): an io_context per side, each
// run by its own thread, a co_spawned coroutine per side, and a channel per
// direction. concurrent_channel, as the two sides run on different threads
// (asio::experimental::channel is for one thread).
using AsioChannel = asio::experimental::concurrent_channel<void(asio::error_code, std::uint64_t)>;

asio::awaitable<void> asio_echo(AsioChannel& in, AsioChannel& out) {
  for (;;) {
    const std::uint64_t value = co_await in.async_receive(asio::use_awaitable);
    co_await out.async_send(asio::error_code{}, value, asio::use_awaitable);
    if (value == kStop) co_return;
  }
}

asio::awaitable<void> asio_pinger(benchmark::State& state, AsioChannel& ping, AsioChannel& pong) {
  for (auto _ : state) {
    co_await ping.async_send(asio::error_code{}, kBall, asio::use_awaitable);
    benchmark::DoNotOptimize(co_await pong.async_receive(asio::use_awaitable));
  }
  co_await ping.async_send(asio::error_code{}, kStop, asio::use_awaitable);
  static_cast<void>(co_await pong.async_receive(asio::use_awaitable));
}

void asio_round_trip(benchmark::State& state) {
  asio::io_context mine(1);  // concurrency hint: one thread runs each context
  asio::io_context theirs(1);
  AsioChannel ping(theirs, 1);  // capacity 1, as the mailboxes
  AsioChannel pong(mine, 1);
  auto keep_running = asio::make_work_guard(theirs);
  std::thread partner_thread([&] { theirs.run(); });
  asio::co_spawn(theirs, asio_echo(ping, pong), asio::detached);
  asio::co_spawn(mine, asio_pinger(state, ping, pong), asio::detached);
  mine.run();  // until the timing coroutine has finished
  keep_running.reset();
  partner_thread.join();
}
#endif

}  // namespace

void register_alternatives(Registry& registry) {
  using Clock = Registry::Clock;
  registry.add(kBlockOnDiatomic, &thread_round_trip<DiatomicMailbox>, Clock::kWall);
  registry.add(kBlockOnAtomicWaker, &thread_round_trip<AtomicWakerMailbox>, Clock::kWall);
  registry.add(kBlockOnNoSpin, &thread_round_trip_no_spin, Clock::kWall);
  registry.add(kBlockOnDeadline, &thread_round_trip<TimedDiatomicMailbox>, Clock::kWall);
  registry.add(kAtomicWait, &thread_round_trip<AtomicWaitMailbox>, Clock::kWall);
  registry.add(kCondVar, &thread_round_trip<CondVarMailbox>, Clock::kWall);
  registry.add(kCoInline, &coroutine_round_trip_inline, Clock::kWall);
  registry.add(kCoRunLoop, &coroutine_round_trip_run_loops, Clock::kWall);
#if defined(DIATOMIC_BENCH_ASIO)
  registry.add(kAsio, &asio_round_trip, Clock::kWall);
#endif
}

}  // namespace diatomic::bench
