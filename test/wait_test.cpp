// SPDX-License-Identifier: MIT
// wait_until, block_on and co_await on one thread (or with helper threads
// joined inside a predicate): completion rules, spurious wakes, exceptions,
// cancellation, inline resumption depth, and allocation. Suite 'core'.
#include <diatomic/diatomic.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <version>
#if defined(__cpp_lib_jthread)
#include <stop_token>
#endif
#include <thread>
#include <type_traits>
#include <vector>

#include "../../examples/detached.hpp"
#include "coro_task.hpp"
#include "counting_policy.hpp"
#include "sanitizers.hpp"
#include "test_waker.hpp"
#include "watchdog.hpp"

// Counts every allocation of this test program, to show that waits make none,
// by replacing the global operator new. ThreadSanitizer's runtime defines it
// too (the link would fail), so a TSan build skips that one test.
#define DIATOMIC_COUNT_ALLOCATIONS (!DIATOMIC_TEST_THREAD_SANITIZER)

namespace {
std::atomic<long> allocations{0};
}  // namespace

#if DIATOMIC_COUNT_ALLOCATIONS
// g++ pairs the inlined malloc/free below with new/delete expressions and
// warns; the replacement functions are the standard way to count.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace diatomic::test {
namespace {

struct Boom : std::runtime_error {
  Boom() : std::runtime_error("predicate threw on purpose") {}
};

// --- block_on -------------------------------------------------------------

TEST(BlockOn, returns_at_once_when_the_predicate_holds) {
  WakeSink sink;
  int calls = 0;
  block_on(sink.wait_until([&] { return ++calls > 0; }));
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(sink.state().registered());
}

TEST(BlockOn, yields_the_value_of_an_optional_predicate) {
  WakeSink sink;
  const std::uint64_t v = block_on(sink.wait_until([] { return std::optional<std::uint64_t>(42); }));
  EXPECT_EQ(v, 42u);
}

TEST(BlockOn, completes_when_the_first_failing_check_publishes_and_notifies_from_another_thread) {
  Watchdog watchdog("block_on with a predicate that publishes on its first failure");
  WakeSink sink;
  WakeSource source = sink.source();
  std::atomic<bool> ready{false};
  int calls = 0;
  block_on(sink.wait_until([&] {
    if (ready.load(std::memory_order_acquire)) return true;
    if (++calls == 1) {
      std::thread([&] {
        ready.store(true, std::memory_order_release);
        source.notify();
      }).join();
    }
    return false;
  }));
  EXPECT_TRUE(ready.load());
  EXPECT_EQ(calls, 1) << "the re-check after registering must see the value";
  EXPECT_FALSE(sink.state().registered());
}

TEST(BlockOn, predicate_exception_propagates_and_leaves_the_sink_unregistered) {
  WakeSink sink;
  int calls = 0;
  // Throws on the re-check, after the wait registered.
  EXPECT_THROW(block_on(sink.wait_until([&]() -> bool {
                 if (++calls == 2) throw Boom();
                 return false;
               })),
               Boom);
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(sink.state().registered());
}

// A T whose move constructor throws, as a predicate's item.
struct ThrowsOnMove {
  explicit ThrowsOnMove(int v) : value(v) {}
  ThrowsOnMove(ThrowsOnMove&&) noexcept(false) { throw Boom(); }
  int value;
};

// The wait contract's "Items": the wait moves the item the predicate took;
// a move that throws loses it, and the waiter gets the exception.
TEST(BlockOn, an_item_whose_move_throws_is_lost_and_the_sink_left_unregistered) {
  WakeSink sink;
  int items = 0;
  int calls = 0;
  EXPECT_THROW(block_on(sink.wait_until([&]() -> std::optional<ThrowsOnMove> {
                 // The item arrives between the first check and the re-check,
                 // after the wait registered.
                 if (++calls == 1) {
                   ++items;
                   return std::nullopt;
                 }
                 --items;
                 return std::optional<ThrowsOnMove>(std::in_place, 7);
               })),
               Boom);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(items, 0) << "the predicate took the item, and nobody holds it now";
  EXPECT_FALSE(sink.state().registered());
}

#if defined(__cpp_lib_jthread)  // std::stop_token
TEST(BlockOn, stop_requested_before_the_wait_completes_it_as_stopped) {
  WakeSink sink;
  std::stop_source stop;
  stop.request_stop();
  int calls = 0;
  EXPECT_FALSE(block_on(sink.wait_until([&] { return ++calls > 0; }, stop.get_token())));
  EXPECT_EQ(calls, 0) << "a stopped wait does not call the predicate";
  const auto value = block_on(
      sink.wait_until([] { return std::optional<int>(7); }, stop.get_token()));
  EXPECT_FALSE(value.has_value());
}

TEST(BlockOn, stop_requested_from_another_thread_while_parked_withdraws_the_registration) {
  Watchdog watchdog("block_on stopped while parked");
  WakeSink sink;
  std::stop_source stop;
  std::atomic<int> calls{0};
  std::thread stopper([&] {
    // Request stop only once the wait has registered (its second check ran).
    while (calls.load(std::memory_order_acquire) < 2) std::this_thread::yield();
    stop.request_stop();
  });
  const bool held = block_on(sink.wait_until(
      [&] {
        calls.fetch_add(1, std::memory_order_acq_rel);
        return false;
      },
      stop.get_token()));
  stopper.join();
  EXPECT_FALSE(held);
  EXPECT_FALSE(sink.state().registered());
  // A value published after the stop is seen by the next wait on the same sink.
  std::atomic<bool> ready{true};
  block_on(sink.wait_until([&] { return ready.load(std::memory_order_acquire); }));
}
#endif  // __cpp_lib_jthread

TEST(BlockOn, works_on_an_atomic_waker) {
  Watchdog watchdog("block_on on an AtomicWaker");
  AtomicWaker waker;
  std::atomic<int> value{0};
  std::thread producer([&] {
    value.store(5, std::memory_order_release);
    waker.wake();
  });
  const int got = block_on(waker.wait_until([&]() -> std::optional<int> {
    const int v = value.load(std::memory_order_acquire);
    if (v == 0) return std::nullopt;
    return v;
  }));
  producer.join();
  EXPECT_EQ(got, 5);
}

// The AtomicWaker contract's "One slot": two waiters, one wake. Each wait's
// poll stands for a thread in block_on that found the flag false, registered
// and parked; the second registration replaces the first waker, which is
// dropped unwoken and never woken, however many wakes follow.
using WaitAtomicWaker = WakerBalanceTest;

TEST_F(WaitAtomicWaker, only_the_last_of_two_waiters_is_ever_woken) {
  AtomicWaker waker;
  bool flag = false;
  auto first = waker.wait_until([&] { return flag; });
  auto second = waker.wait_until([&] { return flag; });
  TestTarget first_thread;
  TestTarget second_thread;
  EXPECT_FALSE(first.poll(first_thread.waker()));
  EXPECT_FALSE(second.poll(second_thread.waker()));
  EXPECT_EQ(first_thread.live(), 0) << "the replaced waker is dropped at once";
  flag = true;
  for (int i = 0; i < 101; ++i) waker.wake();
  EXPECT_EQ(second_thread.wakes(), 1);
  EXPECT_EQ(first_thread.wakes(), 0) << "a replaced waiter is never woken";
}

// --- co_await, resumed inline ----------------------------------------------

TEST(CoAwait, continues_without_suspending_when_the_predicate_holds) {
  WakeSink sink;
  Task task = [](WakeSink& s) -> Task { co_await s.wait_until([] { return true; }); }(sink);
  EXPECT_TRUE(task.finished());
  EXPECT_FALSE(sink.state().registered());
}

TEST(CoAwait, spurious_notification_never_resumes_the_coroutine) {
  WakeSink sink;
  WakeSource source = sink.source();
  bool ready = false;
  int calls = 0;
  Task task = [](WakeSink& s, bool& r, int& c) -> Task {
    co_await s.wait_until([&] {
      ++c;
      return r;
    });
  }(sink, ready, calls);
  EXPECT_FALSE(task.finished());
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(sink.state().registered());

  source.notify();  // predicate still false
  EXPECT_EQ(calls, 4) << "the wake re-polled (check, register, re-check)";
  EXPECT_FALSE(task.finished()) << "a spurious wake resumed the coroutine";
  EXPECT_TRUE(sink.state().registered());

  ready = true;
  source.notify();
  EXPECT_TRUE(task.finished());
  EXPECT_FALSE(sink.state().registered());
}

TEST(CoAwait, yields_the_value_and_rethrows_the_predicate_exception) {
  WakeSink sink;
  WakeSource source = sink.source();
  std::optional<int> slot;
  bool fail = false;
  int got = 0;
  bool caught = false;
  Task task = [](WakeSink& s, std::optional<int>& sl, bool& f, int& g, bool& c) -> Task {
    g = co_await s.wait_until([&] { return std::exchange(sl, std::nullopt); });
    try {
      co_await s.wait_until([&]() -> bool {
        if (f) throw Boom();
        return false;
      });
    } catch (const Boom&) {
      c = true;
    }
  }(sink, slot, fail, got, caught);
  slot = 9;
  source.notify();
  EXPECT_EQ(got, 9);
  EXPECT_FALSE(task.finished());
  fail = true;
  source.notify();
  EXPECT_TRUE(task.finished());
  EXPECT_TRUE(caught);
  EXPECT_FALSE(sink.state().registered());
}

TEST(CoAwait, completes_when_the_first_failing_check_publishes_and_notifies_from_another_thread) {
  Watchdog watchdog("co_await with a predicate that publishes on its first failure");
  WakeSink sink;
  WakeSource source = sink.source();
  std::atomic<bool> ready{false};
  Task task = [](WakeSink& s, WakeSource& src, std::atomic<bool>& r) -> Task {
    int calls = 0;
    co_await s.wait_until([&] {
      if (r.load(std::memory_order_acquire)) return true;
      if (++calls == 1) {
        std::thread([&] {
          r.store(true, std::memory_order_release);
          src.notify();
        }).join();
      }
      return false;
    });
  }(sink, source, ready);
  EXPECT_TRUE(task.finished());
}

// A chain of 1,000,000 coroutines: each waits on its own sink, then starts
// the next one and wakes it. Every wake resumes inline on this thread, inside
// the notify() of the coroutine before. Unguarded, each hop would nest inside
// the previous one (the stack overflows long before a million); the
// trampoline runs each next hop after the current one has returned.
struct Link {
  bool ready = false;
  WakeSink sink;
};

Detached hop(std::shared_ptr<Link> mine, std::uint64_t remaining, std::uint64_t& hops) {
  co_await mine->sink.wait_until([&mine] { return mine->ready; });
  ++hops;
  if (remaining == 0) co_return;
  auto next = std::make_shared<Link>();
  hop(next, remaining - 1, hops);  // suspends at once: not ready yet
  next->ready = true;
  next->sink.source().notify();
}

TEST(CoAwait, inline_resumption_along_a_chain_of_a_million_coroutines_keeps_the_stack_flat) {
  constexpr std::uint64_t kHops = 1'000'000;
  std::uint64_t hops = 0;
  auto first = std::make_shared<Link>();
  hop(first, kHops - 1, hops);
  first->ready = true;
  first->sink.source().notify();
  EXPECT_EQ(hops, kHops);
}

#if defined(__cpp_lib_jthread)  // std::stop_token
TEST(CoAwait, stop_before_the_wait_resumes_as_stopped_without_calling_the_predicate) {
  WakeSink sink;
  std::stop_source stop;
  stop.request_stop();
  bool held = true;
  Task task = [](WakeSink& s, std::stop_token t, bool& h) -> Task {
    h = co_await s.wait_until([] { return true; }, t);
  }(sink, stop.get_token(), held);
  EXPECT_TRUE(task.finished());
  EXPECT_FALSE(held);
}

TEST(CoAwait, stop_during_the_wait_withdraws_then_the_frame_can_go_before_a_notify) {
  WakeSink sink;
  WakeSource source = sink.source();
  std::stop_source stop;
  std::optional<int> slot;
  std::optional<int> got{-1};
  Task task = [](WakeSink& s, std::stop_token t, std::optional<int>& sl,
                 std::optional<int>& g) -> Task {
    g = co_await s.wait_until([&] { return std::exchange(sl, std::nullopt); }, t);
  }(sink, stop.get_token(), slot, got);
  EXPECT_TRUE(sink.state().registered());
  stop.request_stop();
  EXPECT_TRUE(task.finished());
  EXPECT_FALSE(got.has_value());
  EXPECT_FALSE(sink.state().registered());
  task.destroy();
  // Published during the cancel window: nobody is registered, the value stays.
  slot = 3;
  source.notify();
  // The same sink, at once: the next wait sees the value.
  Task next = [](WakeSink& s, std::optional<int>& sl, std::optional<int>& g) -> Task {
    g = co_await s.wait_until([&] { return std::exchange(sl, std::nullopt); });
  }(sink, slot, got);
  EXPECT_TRUE(next.finished());
  EXPECT_EQ(got, 3);
}

TEST(CoAwait, stop_after_the_notify_changes_nothing) {
  WakeSink sink;
  WakeSource source = sink.source();
  std::stop_source stop;
  bool ready = false;
  bool held = false;
  Task task = [](WakeSink& s, std::stop_token t, bool& r, bool& h) -> Task {
    h = co_await s.wait_until([&] { return r; }, t);
  }(sink, stop.get_token(), ready, held);
  ready = true;
  source.notify();
  EXPECT_TRUE(task.finished());
  EXPECT_TRUE(held);
  stop.request_stop();
  EXPECT_TRUE(held);
}
#endif  // __cpp_lib_jthread

TEST(CoAwait, destroying_a_suspended_coroutine_withdraws_its_registration) {
  WakeSink sink;
  WakeSource source = sink.source();
  Task task = [](WakeSink& s) -> Task { co_await s.wait_until([] { return false; }); }(sink);
  EXPECT_TRUE(sink.state().registered());
  task.destroy();
  EXPECT_FALSE(sink.state().registered());
  source.notify();  // must not reach the destroyed frame (AddressSanitizer would say)
}

// --- co_await on an AtomicWaker (relay mode) -----------------------------------

TEST(CoAwaitAtomicWaker, resumes_only_once_the_predicate_holds) {
  AtomicWaker waker;
  bool ready = false;
  int calls = 0;
  Task task = [](AtomicWaker& w, bool& r, int& c) -> Task {
    co_await w.wait_until([&] {
      ++c;
      return r;
    });
  }(waker, ready, calls);
  EXPECT_FALSE(task.finished());
  waker.wake();  // predicate still false: polls again, stays suspended
  EXPECT_EQ(calls, 4);
  EXPECT_FALSE(task.finished()) << "a spurious wake resumed the coroutine";
  ready = true;
  waker.wake();
  EXPECT_TRUE(task.finished());
}

// The wait completes on its re-check, so its waker stays registered in the
// AtomicWaker (which cannot unregister). Waking it after the frame is gone
// must touch only the relay (AddressSanitizer would report the frame).
TEST(CoAwaitAtomicWaker, a_wake_after_the_frame_is_gone_touches_only_the_relay) {
  AtomicWaker waker;
  int calls = 0;
  Task task = [](AtomicWaker& w, int& c) -> Task {
    co_await w.wait_until([&] { return ++c == 2; });  // false, then true on the re-check
  }(waker, calls);
  ASSERT_TRUE(task.finished());
  task.destroy();
  waker.wake();
  EXPECT_EQ(calls, 2);
}

#if defined(__cpp_lib_jthread)  // std::stop_token
TEST(CoAwaitAtomicWaker, stop_during_the_wait_resumes_as_stopped) {
  AtomicWaker waker;
  std::stop_source stop;
  bool held = true;
  Task task = [](AtomicWaker& w, std::stop_token t, bool& h) -> Task {
    h = co_await w.wait_until([] { return false; }, t);
  }(waker, stop.get_token(), held);
  EXPECT_FALSE(task.finished());
  stop.request_stop();
  EXPECT_TRUE(task.finished());
  EXPECT_FALSE(held);
  task.destroy();
  waker.wake();  // the stale registration: only the relay is touched
}
#endif  // __cpp_lib_jthread

// A user executor through the one-function concept: it only collects jobs.
struct CollectingExecutor {
  std::vector<Job>* jobs;
  void execute(Job job) const { jobs->push_back(job); }
};
static_assert(Executor<CollectingExecutor>);
// Only the library makes Jobs: their node constructor takes a key that
// user code cannot make.
static_assert(!std::is_constructible_v<Job, detail::JobNode&>);
static_assert(!std::is_default_constructible_v<detail::AwaiterKey>);

#if defined(__cpp_lib_jthread)  // std::stop_token
TEST(CoAwait, resumes_only_through_a_user_executor_and_a_stop_while_queued_adds_no_poll) {
  WakeSink sink;
  WakeSource source = sink.source();
  std::stop_source stop;
  std::vector<Job> jobs;
  bool held = true;
  Task task = [](WakeSink& s, std::stop_token t, CollectingExecutor ex, bool& h) -> Task {
    h = co_await s.wait_until([] { return false; }, t).resume_on(ex);
  }(sink, stop.get_token(), CollectingExecutor{&jobs}, held);
  source.notify();     // queues one poll
  stop.request_stop();  // a poll is already queued: it only asks it to look again
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_FALSE(task.finished()) << "resumed before the executor ran the job";
  const Job job = jobs.front();
  jobs.clear();
  job();
  EXPECT_TRUE(task.finished());
  EXPECT_FALSE(held);
  EXPECT_TRUE(jobs.empty());
  EXPECT_FALSE(sink.state().registered());
}
#endif  // __cpp_lib_jthread

TEST(CoAwaitDeathTest, destroying_a_coroutine_whose_poll_is_queued_aborts_with_a_message) {
  EXPECT_DEATH(
      {
        WakeSink sink;
        WakeSource source = sink.source();
        std::vector<Job> jobs;
        Task task = [](WakeSink& s, CollectingExecutor ex) -> Task {
          co_await s.wait_until([] { return false; }).resume_on(ex);
        }(sink, CollectingExecutor{&jobs});
        source.notify();  // queues a poll that will never run
        task.destroy();
      },
      "request stop on the wait's std::stop_token");
}

// The RMW budget of docs/design.md#5-the-rmw-budget with the coroutine waker (clone and drop
// free), on the library's own core, counted. A round resumed through a queue
// is the primitive's share for "register the same waker again + notify":
// 1 + 2. Resumed inline, the next registration lands while the notifier still
// holds the lock, so its unlock compare-exchange fails once and retries: 4.
template <class E>
Task counted_waiter(CountingDiatomicCore& core, int& turn, int& rounds, E executor) {
  auto due = [&turn] { return turn != 0; };
  for (;;) {
    co_await Wait<CountingDiatomicCore, decltype(due), false>(core, due).resume_on(executor);
    turn = 0;
    ++rounds;
  }
}

TEST(CoAwait, a_wait_round_costs_the_primitive_three_rmws_queued_and_four_inline) {
  {
    CountingDiatomicCore core;
    int turn = 0;
    int rounds = 0;
    Task task = counted_waiter(core, turn, rounds, InlineExecutor{});
    for (int i = 0; i < 100; ++i) {
      turn = 1;
      EXPECT_EQ(count_rmws([&core] { core.notify(); }), 4u) << "inline round " << i;
    }
    EXPECT_EQ(rounds, 100);
  }
  {
    CountingDiatomicCore core;
    int turn = 0;
    int rounds = 0;
    std::vector<Job> jobs;
    Task task = counted_waiter(core, turn, rounds, CollectingExecutor{&jobs});
    for (int i = 0; i < 100; ++i) {
      turn = 1;
      const std::uint64_t rmws = count_rmws([&] {
        core.notify();
        const Job job = jobs.at(0);
        jobs.clear();
        job();  // resumes, and the next wait registers
      });
      EXPECT_EQ(rmws, 3u) << "queued round " << i;
    }
    EXPECT_EQ(rounds, 100);
  }
}

TEST(CoAwait, waits_allocate_nothing_once_the_waker_is_cached) {
  if (!DIATOMIC_COUNT_ALLOCATIONS) GTEST_SKIP() << "operator new is not replaceable under TSan";
  {
    // The counter is live: an allocation is seen (a direct call, which the
    // compiler may not elide as it may a new-expression).
    const long probe = allocations.load();
    ::operator delete(::operator new(16));
    ASSERT_GT(allocations.load(), probe);
  }
  WakeSink sink;
  WakeSource source = sink.source();
  int turn = 0;
  int rounds = 0;
  Task task = [](WakeSink& s, int& t, int& r) -> Task {
    for (;;) {
      co_await s.wait_until([&] { return t != 0; });
      t = 0;
      ++r;
    }
  }(sink, turn, rounds);
  turn = 1;
  source.notify();  // the first wait completes; the next one is suspended
  const long before = allocations.load();
  for (int i = 0; i < 1000; ++i) {
    turn = 1;
    source.notify();
  }
  EXPECT_EQ(allocations.load() - before, 0);
  EXPECT_EQ(rounds, 1001);
}

}  // namespace
}  // namespace diatomic::test
