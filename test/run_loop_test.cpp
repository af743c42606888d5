// SPDX-License-Identifier: MIT
// RunLoop: jobs run in FIFO order, run_until_idle() drains the queue including
// jobs queued meanwhile and ignores stop(), stop() before run() sticks, jobs
// queued from other threads all run on the loop's thread, and destroying a
// loop with jobs queued aborts where checks are on. Jobs are real: each is the
// resumption of a coroutine that waits on its own gate and resumes on the
// loop. Suites 'core' and 'concurrency'.
#include <diatomic/diatomic.hpp>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

#include "coro_task.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

// A flag with its sink: opening it queues the resumption of the coroutine
// waiting on it (on the executor that coroutine chose).
struct Gate {
  std::atomic<bool> is_open{false};
  WakeSink sink;
  WakeSource source = sink.source();

  void open() {
    // Ordering: release, pairs with the acquire load in the waiting predicate.
    is_open.store(true, std::memory_order_release);
    source.notify();
  }
};

// The loop and what its jobs record; only the loop's thread touches `log`.
struct Recorder {
  RunLoop loop;
  std::vector<int> log;
  std::size_t stop_after = 0;  // the job that makes log this long stops the loop
};

// Waits until `gate` is open, resumed on the recorder's loop, then appends
// `id` to its log and opens `then`, if any.
Task record_when_open(Gate& gate, Recorder& rec, int id, Gate* then = nullptr) {
  co_await gate.sink
      .wait_until([&gate] {
        // Ordering: acquire, pairs with the release store in Gate::open().
        return gate.is_open.load(std::memory_order_acquire);
      })
      .resume_on(rec.loop.executor());
  rec.log.push_back(id);
  if (rec.log.size() == rec.stop_after) rec.loop.stop();
  if (then != nullptr) then->open();
}

TEST(RunLoop, jobs_run_in_the_order_they_were_queued) {
  constexpr std::array<int, 5> kOpenOrder{3, 0, 4, 1, 2};
  Recorder rec;
  std::array<Gate, kOpenOrder.size()> gates;
  std::vector<Task> tasks;
  for (std::size_t i = 0; i < gates.size(); ++i) {
    tasks.push_back(record_when_open(gates[i], rec, static_cast<int>(i)));
  }
  for (const int i : kOpenOrder) gates[static_cast<std::size_t>(i)].open();
  EXPECT_TRUE(rec.log.empty()) << "a job ran before the loop did";
  rec.loop.run_until_idle();
  EXPECT_EQ(rec.log, std::vector<int>(kOpenOrder.begin(), kOpenOrder.end()));
}

TEST(RunLoop, run_until_idle_runs_jobs_queued_while_it_runs_then_returns) {
  Watchdog watchdog("run_until_idle with a job that queues another");
  Recorder rec;
  Gate first;
  Gate second;
  Task b = record_when_open(second, rec, 2);
  Task a = record_when_open(first, rec, 1, &second);
  first.open();
  rec.loop.run_until_idle();  // runs a, which queues b; returns once b has run
  EXPECT_EQ(rec.log, (std::vector<int>{1, 2}));
  EXPECT_TRUE(a.finished());
  EXPECT_TRUE(b.finished());
  rec.loop.run_until_idle();  // nothing queued: returns at once, never waits
}

TEST(RunLoop, run_until_idle_ignores_stop) {
  Recorder rec;
  Gate gate;
  Task task = record_when_open(gate, rec, 7);
  rec.loop.stop();
  gate.open();
  rec.loop.run_until_idle();
  EXPECT_EQ(rec.log, std::vector<int>{7});
}

TEST(RunLoop, stop_before_run_sticks_and_leaves_jobs_queued) {
  Watchdog watchdog("run() after stop()");
  Recorder rec;
  Gate gate;
  Task task = record_when_open(gate, rec, 1);
  rec.loop.stop();
  rec.loop.run();  // returns at once: stopped before it was called
  gate.open();
  rec.loop.run();  // still stopped: returns without running the queued job
  EXPECT_TRUE(rec.log.empty()) << "run() ran a job after stop()";
  rec.loop.run_until_idle();  // the job is still queued, and runs here
  EXPECT_EQ(rec.log, std::vector<int>{1});
}

TEST(RunLoop, jobs_queued_from_other_threads_all_run_on_the_loops_thread_in_each_threads_order) {
  Watchdog watchdog("RunLoop::run() with jobs queued from other threads");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  Recorder rec;
  rec.stop_after = kThreads * kPerThread;  // the last job stops the loop
  std::vector<Gate> gates(rec.stop_after);
  std::vector<Task> tasks;
  for (std::size_t i = 0; i < gates.size(); ++i) {
    tasks.push_back(record_when_open(gates[i], rec, static_cast<int>(i)));
  }
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&gates, t] {
      for (int k = 0; k < kPerThread; ++k) gates[static_cast<std::size_t>(t * kPerThread + k)].open();
    });
  }
  rec.loop.run();  // this thread is the loop's: every job's push_back happens here
  for (std::thread& p : producers) p.join();
  ASSERT_EQ(rec.log.size(), gates.size());
  std::array<int, kThreads> last{};
  last.fill(-1);
  int out_of_order = 0;
  for (const int id : rec.log) {
    int& prev = last[static_cast<std::size_t>(id / kPerThread)];
    if (id <= prev) ++out_of_order;
    prev = id;
  }
  EXPECT_EQ(out_of_order, 0) << "jobs queued by one thread ran out of its order";
  for (const Task& t : tasks) EXPECT_TRUE(t.finished());
}

void destroy_a_loop_with_a_job_queued() {
  auto* gate = new Gate();  // leaked on purpose, like the coroutine: the process aborts
  {
    Recorder rec;
    new Task(record_when_open(*gate, rec, 1));
    gate->open();  // queues the coroutine's resumption on the loop
  }
}

// Timers: each records its name in a log when it fires.
struct Fired {
  std::vector<int> log;
  RunLoop* stop = nullptr;  // stopped by the timer that fires, if set
};
struct NamedTimer {
  Fired* fired;
  int name;
  RunLoopExecutor::Timer timer;
  NamedTimer(RunLoop& loop, Fired& f, int n)
      : fired(&f), name(n), timer(loop.executor(), &NamedTimer::fire, this) {}
  static void fire(void* self) noexcept {
    auto* const t = static_cast<NamedTimer*>(self);
    t->fired->log.push_back(t->name);
    if (t->fired->stop != nullptr) t->fired->stop->stop();
  }
};

TEST(RunLoopTimers, due_timers_fire_in_deadline_order_whatever_order_they_were_started_in) {
  RunLoop loop;
  Fired fired;
  NamedTimer a(loop, fired, 1);
  NamedTimer b(loop, fired, 2);
  NamedTimer c(loop, fired, 3);
  const auto now = std::chrono::steady_clock::now();
  b.timer.start(now - std::chrono::seconds(1));
  a.timer.start(now - std::chrono::seconds(3));
  c.timer.start(now - std::chrono::seconds(2));
  loop.run_until_idle();
  EXPECT_EQ(fired.log, (std::vector<int>{1, 3, 2}));
}

TEST(RunLoopTimers, run_until_idle_leaves_a_timer_that_is_not_due_and_cancel_unlinks_it) {
  RunLoop loop;
  Fired fired;
  NamedTimer later(loop, fired, 1);
  later.timer.start(std::chrono::steady_clock::now() + std::chrono::hours(1));
  loop.run_until_idle();
  EXPECT_TRUE(fired.log.empty());
  later.timer.cancel();  // the loop's destructor checks that no timer is pending
  later.timer.cancel();  // idempotent
}

TEST(RunLoopTimers, a_timer_earlier_than_the_one_run_waits_for_wakes_it) {
  Watchdog watchdog("a RunLoop parked until a later timer");
  RunLoop loop;
  Fired fired;
  fired.stop = &loop;
  NamedTimer later(loop, fired, 1);
  NamedTimer now(loop, fired, 2);
  later.timer.start(std::chrono::steady_clock::now() + std::chrono::hours(1));
  // Started from another thread while run() parks until `later` (or before
  // it parks): either way run() fires it and the fire stops the loop.
  std::thread starter([&] { now.timer.start(std::chrono::steady_clock::now()); });
  loop.run();
  starter.join();
  later.timer.cancel();
  EXPECT_EQ(fired.log, (std::vector<int>{2}));
}

// The check is in the compiled library, so it follows the library's
// configuration (option `checks`), not a forced config.hpp.
TEST(RunLoopDeathTest, destroying_a_loop_with_jobs_queued_aborts_with_a_message) {
  if (DIATOMIC_CHECKS == 0) GTEST_SKIP() << "the library is built without misuse checks";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(destroy_a_loop_with_a_job_queued(), "RunLoop destroyed with jobs queued");
}

}  // namespace
}  // namespace diatomic::test
