// SPDX-License-Identifier: MIT
// block_on and co_await across real threads: ping-pong of 1,000,000 round
// trips, resumption on a RunLoop's own thread, polls that never overlap on a
// multi-threaded executor, and stop requests racing notifications. Threads
// record into atomics; the main thread asserts. A lost wake-up is a watchdog
// abort naming the test. Suite 'concurrency' (also run under ThreadSanitizer).
#include <diatomic/diatomic.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <version>
#if defined(__cpp_lib_jthread)
#include <stop_token>
#endif
#include <thread>
#include <utility>

#include "coro_task.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

constexpr std::uint64_t kRoundTrips = 1'000'000;

// A capacity-1 slot of non-zero values with its sink: the unit of every test.
struct Mailbox {
  std::atomic<std::uint64_t> slot{0};
  WakeSink sink;
  WakeSource source = sink.source();

  void put(std::uint64_t v) {
    // Ordering: release, pairs with the acquire exchange in take().
    slot.store(v, std::memory_order_release);
    source.notify();
  }
  std::optional<std::uint64_t> take() {
    // Ordering: acquire, pairs with the release store in put().
    const std::uint64_t v = slot.exchange(0, std::memory_order_acquire);
    if (v == 0) return std::nullopt;
    return v;
  }
  auto wait() {
    return sink.wait_until([this] { return take(); });
  }
};

// Runs a RunLoop on its own thread for the length of a scope.
class LoopThread {
 public:
  LoopThread() : thread_([this] { loop_.run(); }) {}
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;
  ~LoopThread() { join(); }
  void join() {
    if (!thread_.joinable()) return;
    loop_.stop();
    thread_.join();
  }
  [[nodiscard]] RunLoopExecutor executor() noexcept { return loop_.executor(); }
  [[nodiscard]] std::thread::id id() const noexcept { return thread_.get_id(); }

 private:
  RunLoop loop_;
  std::thread thread_;
};

TEST(BlockOnThreads, ping_pong_of_a_million_round_trips_receives_every_value_in_order) {
  Watchdog watchdog("block_on ping-pong");
  Mailbox ping;
  Mailbox pong;
  std::atomic<std::uint64_t> out_of_order{0};
  std::thread echo([&] {
    for (std::uint64_t i = 1; i <= kRoundTrips; ++i) {
      const std::uint64_t v = block_on(ping.wait());
      if (v != i) out_of_order.fetch_add(1, std::memory_order_relaxed);
      pong.put(v);
    }
  });
  std::uint64_t wrong = 0;
  for (std::uint64_t i = 1; i <= kRoundTrips; ++i) {
    ping.put(i);
    if (block_on(pong.wait()) != i) ++wrong;
  }
  echo.join();
  EXPECT_EQ(out_of_order.load(), 0u);
  EXPECT_EQ(wrong, 0u);
}

TEST(BlockOnThreads, spurious_notification_never_returns_from_block_on) {
  Watchdog watchdog("block_on and a spurious notification");
  WakeSink sink;
  std::atomic<bool> ready{false};
  std::atomic<int> checks{0};
  std::atomic<bool> returned{false};
  std::atomic<bool> returned_on_spurious_wake{false};
  std::thread producer([&] {
    WakeSource source = sink.source();
    // Registered (check, register, re-check): wake it with the predicate false.
    while (checks.load(std::memory_order_acquire) < 2) std::this_thread::yield();
    source.notify();
    // Wait for the re-poll that wake causes (two more checks), or a return.
    while (checks.load(std::memory_order_acquire) < 4 && !returned.load(std::memory_order_acquire)) {
      std::this_thread::yield();
    }
    returned_on_spurious_wake.store(returned.load(std::memory_order_acquire),
                                    std::memory_order_relaxed);
    ready.store(true, std::memory_order_release);
    source.notify();
  });
  block_on(sink.wait_until([&] {
    checks.fetch_add(1, std::memory_order_acq_rel);
    return ready.load(std::memory_order_acquire);
  }));
  returned.store(true, std::memory_order_release);
  producer.join();
  EXPECT_FALSE(returned_on_spurious_wake.load());
  EXPECT_GE(checks.load(), 4);
}

TEST(CoAwaitThreads, ping_pong_of_a_million_round_trips_with_a_coroutine_on_a_run_loop) {
  Watchdog watchdog("co_await ping-pong on a RunLoop");
  Mailbox ping;
  Mailbox pong;
  std::atomic<std::uint64_t> out_of_order{0};
  std::atomic<std::uint64_t> wrong_thread{0};
  LoopThread loop;
  Task echo = [](Mailbox& in, Mailbox& out, LoopThread& l, std::atomic<std::uint64_t>& order,
                 std::atomic<std::uint64_t>& thread) -> Task {
    for (std::uint64_t i = 1; i <= kRoundTrips; ++i) {
      const std::uint64_t v = co_await in.wait().resume_on(l.executor());
      if (std::this_thread::get_id() != l.id()) thread.fetch_add(1, std::memory_order_relaxed);
      if (v != i) order.fetch_add(1, std::memory_order_relaxed);
      out.put(v);
    }
  }(ping, pong, loop, out_of_order, wrong_thread);
  std::uint64_t wrong = 0;
  for (std::uint64_t i = 1; i <= kRoundTrips; ++i) {
    ping.put(i);
    if (block_on(pong.wait()) != i) ++wrong;
  }
  loop.join();  // the job that sent the last reply has returned: the coroutine is at its end
  EXPECT_TRUE(echo.finished());
  EXPECT_EQ(out_of_order.load(), 0u);
  EXPECT_EQ(wrong_thread.load(), 0u) << "resumed off the RunLoop's thread";
  EXPECT_EQ(wrong, 0u);
}

TEST(CoAwaitThreads, two_coroutines_on_two_run_loops_ping_pong_in_order) {
  Watchdog watchdog("co_await ping-pong between two RunLoops");
  constexpr std::uint64_t kTrips = 100'000;
  Mailbox boxes[2];
  std::atomic<std::uint64_t> errors{0};
  LoopThread loops[2];
  auto player = [](int me, Mailbox& in, Mailbox& out, LoopThread& l,
                   std::atomic<std::uint64_t>& err) -> Task {
    for (std::uint64_t i = 1; i <= kTrips; ++i) {
      const std::uint64_t v = co_await in.wait().resume_on(l.executor());
      if (std::this_thread::get_id() != l.id() || v != 2 * i - (me == 0 ? 1 : 0)) {
        err.fetch_add(1, std::memory_order_relaxed);
      }
      if (me == 0) out.put(v + 1);
      else if (i < kTrips) out.put(v + 1);
    }
  };
  Task a = player(0, boxes[0], boxes[1], loops[0], errors);
  Task b = player(1, boxes[1], boxes[0], loops[1], errors);
  boxes[0].put(1);
  while (!(a.finished() && b.finished())) std::this_thread::yield();
  EXPECT_EQ(errors.load(), 0u);
}

TEST(CoAwaitThreads, atomic_waker_ping_pong_with_a_coroutine_on_a_run_loop) {
  Watchdog watchdog("co_await on an AtomicWaker, ping-pong");
  constexpr std::uint64_t kTrips = 100'000;
  AtomicWaker ping_waker;
  std::atomic<std::uint64_t> ping{0};
  Mailbox pong;
  std::atomic<std::uint64_t> errors{0};
  LoopThread loop;
  Task echo = [](AtomicWaker& w, std::atomic<std::uint64_t>& in, Mailbox& out, LoopThread& l,
                 std::atomic<std::uint64_t>& err) -> Task {
    for (std::uint64_t i = 1; i <= kTrips; ++i) {
      const std::uint64_t v = co_await w.wait_until([&]() -> std::optional<std::uint64_t> {
                                const std::uint64_t got = in.exchange(0, std::memory_order_acquire);
                                if (got == 0) return std::nullopt;
                                return got;
                              }).resume_on(l.executor());
      if (std::this_thread::get_id() != l.id() || v != i) err.fetch_add(1, std::memory_order_relaxed);
      out.put(v);
    }
  }(ping_waker, ping, pong, loop, errors);
  std::uint64_t wrong = 0;
  for (std::uint64_t i = 1; i <= kTrips; ++i) {
    ping.store(i, std::memory_order_release);
    ping_waker.wake();
    if (block_on(pong.wait()) != i) ++wrong;
  }
  loop.join();
  EXPECT_TRUE(echo.finished());
  EXPECT_EQ(errors.load(), 0u);
  EXPECT_EQ(wrong, 0u);
}

#if defined(__cpp_lib_jthread)  // std::stop_token
// --- quiesce: a completion waits for a notifier inside the waker ------------

// A policy for the library's own dual-slot core that pins one interleaving:
// a notifier's shared slot access (the waker call, under the lock) runs a
// per-thread hook first, and acquire loads of the state word are counted.
std::atomic<int> acquire_loads{0};

inline std::function<void()>& before_waker_call() {
  thread_local std::function<void()> hook;
  return hook;
}

template <class T>
struct LoadCountingAtomic : std::atomic<T> {
  using std::atomic<T>::atomic;
  T load(std::memory_order order) const noexcept {
    // Ordering: relaxed; a tally read by the hook, ordering nothing.
    if (order == std::memory_order_acquire) acquire_loads.fetch_add(1, std::memory_order_relaxed);
    return std::atomic<T>::load(order);
  }
};

template <class T>
class PausingCell {
 public:
  template <class F>
  decltype(auto) with(F&& f) const {
    if (auto hook = std::exchange(before_waker_call(), nullptr)) hook();
    return cell_.with(std::forward<F>(f));
  }
  template <class F>
  decltype(auto) with_mut(F&& f) {
    return cell_.with_mut(std::forward<F>(f));
  }

 private:
  detail::PlainCell<T> cell_;
};

struct PausingPolicy {
  template <class T>
  using Atomic = LoadCountingAtomic<T>;
  template <class T>
  using Cell = PausingCell<T>;
};
static_assert(detail::AtomicPolicy<PausingPolicy>);

// A notifier holds the lock and is about to call the coroutine's waker when a
// stop request on another thread completes the wait. The coroutine must not
// resume (its frame could go) until that waker call has returned: the stopping
// thread spins in quiesce(), which the paused notifier observes as acquire
// loads of the state word, and only then lets its waker call proceed.
TEST(CoAwaitThreads, completion_waits_for_a_notifier_inside_the_waker_call) {
  Watchdog watchdog("quiesce against a paused notifier");
  using Core = detail::DiatomicCore<PausingPolicy>;
  Core core;
  std::stop_source stop;
  bool held = true;
  auto never = [] { return false; };
  Task waiter = [](Core& c, std::stop_token t, decltype(never) pred, bool& h) -> Task {
    h = co_await Wait<Core, decltype(never), true>(c, pred, std::move(t));
  }(core, stop.get_token(), never, held);
  ASSERT_TRUE(core.state().registered());

  std::atomic<bool> paused{false};
  std::atomic<bool> resumed_while_notifier_inside{false};
  std::thread notifier([&] {
    before_waker_call() = [&] {
      const int base = acquire_loads.load(std::memory_order_relaxed);
      paused.store(true, std::memory_order_release);
      // Wait until the stopping thread polls the lock twice (it is in
      // quiesce), or until the coroutine finished (it did not wait: a bug).
      while (acquire_loads.load(std::memory_order_relaxed) < base + 2 && !waiter.finished()) {
        std::this_thread::yield();
      }
      resumed_while_notifier_inside.store(waiter.finished(), std::memory_order_relaxed);
    };
    core.notify();
  });
  std::thread stopper([&] {
    while (!paused.load(std::memory_order_acquire)) std::this_thread::yield();
    stop.request_stop();  // polls here, inline: stopped, then quiesce()
  });
  notifier.join();
  stopper.join();
  EXPECT_FALSE(resumed_while_notifier_inside.load());
  EXPECT_TRUE(waiter.finished());
  EXPECT_FALSE(held);
  EXPECT_FALSE(core.state().registered());
}
#endif  // __cpp_lib_jthread

// An executor that alternates between two RunLoop threads: a wake that
// arrived while a poll was queued on one must not start another on the other.
struct Alternating {
  LoopThread* loops;
  std::atomic<unsigned>* next;
  void execute(Job job) const noexcept {
    // Ordering: relaxed; only spreads jobs, orders nothing.
    loops[next->fetch_add(1, std::memory_order_relaxed) % 2].executor().execute(job);
  }
};

TEST(CoAwaitThreads, polls_never_overlap_on_a_multi_threaded_executor) {
  Watchdog watchdog("serial polls under a wake storm");
  constexpr int kNotifiers = 3;
  constexpr std::uint64_t kValues = 20'000;
  WakeSink sink;
  std::atomic<std::uint64_t> published{0};
  std::atomic<int> inside{0};
  std::atomic<std::uint64_t> overlaps{0};
  std::atomic<unsigned> next{0};
  LoopThread loops[2];
  Task consumer = [](WakeSink& s, std::atomic<std::uint64_t>& pub, std::atomic<int>& in,
                     std::atomic<std::uint64_t>& ov, Alternating ex) -> Task {
    for (std::uint64_t seen = 1; seen <= kValues; ++seen) {
      co_await s.wait_until([&] {
                  if (in.fetch_add(1, std::memory_order_acq_rel) != 0) {
                    ov.fetch_add(1, std::memory_order_relaxed);
                  }
                  const bool ok = pub.load(std::memory_order_acquire) >= seen;
                  in.fetch_sub(1, std::memory_order_acq_rel);
                  return ok;
                }).resume_on(ex);
    }
  }(sink, published, inside, overlaps, Alternating{loops, &next});
  std::thread publisher([&] {
    WakeSource source = sink.source();
    for (std::uint64_t v = 1; v <= kValues; ++v) {
      published.store(v, std::memory_order_release);
      source.notify();
    }
  });
  std::vector<std::thread> storm;
  std::atomic<bool> calm{false};
  for (int n = 0; n < kNotifiers; ++n) {
    storm.emplace_back([&] {
      WakeSource source = sink.source();
      while (!calm.load(std::memory_order_acquire)) source.notify();
    });
  }
  publisher.join();
  while (!consumer.finished()) std::this_thread::yield();
  calm.store(true, std::memory_order_release);
  for (auto& t : storm) t.join();
  EXPECT_EQ(overlaps.load(), 0u);
}
#if defined(__cpp_lib_jthread)  // std::stop_token

// Many rounds of: a coroutine waits on a RunLoop with a stop token; one thread
// publishes a value and notifies while another requests stop. Each round ends
// with the value received, or stopped with the value still in the slot for the
// next wait: nothing is lost or received twice.
TEST(CoAwaitThreads, stop_racing_a_notify_loses_no_value) {
  Watchdog watchdog("stop racing notify");
  constexpr std::uint64_t kRounds = 5'000;
  Mailbox box;
  LoopThread loop;
  std::uint64_t received = 0;
  std::uint64_t stopped = 0;
  for (std::uint64_t round = 1; round <= kRounds; ++round) {
    std::stop_source stop;
    std::optional<std::uint64_t> got;
    Task waiter = [](Mailbox& b, std::stop_token t, LoopThread& l,
                     std::optional<std::uint64_t>& g) -> Task {
      g = co_await b.sink.wait_until([&b] { return b.take(); }, t).resume_on(l.executor());
    }(box, stop.get_token(), loop, got);
    std::thread producer([&] { box.put(round); });
    std::thread canceller([&] { stop.request_stop(); });
    producer.join();
    canceller.join();
    while (!waiter.finished()) std::this_thread::yield();
    if (got) {
      received += (*got == round) ? 1 : 0;
    } else {
      ++stopped;
      // Stopped: the value stays for the next wait on the same sink.
      if (block_on(box.wait()) == round) ++received;
    }
  }
  EXPECT_EQ(received, kRounds);
  RecordProperty("stopped_rounds", static_cast<int>(stopped));
}

// A wait that never holds, stoppable, on either primitive.
auto never_wait(WakeSink& sink, std::stop_token stop) {
  return sink.wait_until([] { return false; }, std::move(stop));
}
auto never_wait(AtomicWaker& waker, std::stop_token stop) {
  return waker.wait_until([] { return false; }, std::move(stop));
}

// Rounds of: a coroutine waits on a RunLoop while another thread runs `wake`
// in a loop; stop is requested and the frame is destroyed as soon as the
// coroutine finished. AddressSanitizer reports any touch of a gone frame.
// Returns how many rounds ended stopped.
constexpr int kStopRounds = 500;

template <class Primitive, class Wake>
int stopped_rounds_under_wakes(Primitive& primitive, Wake wake) {
  std::atomic<bool> calm{false};
  std::thread notifier([&] {
    while (!calm.load(std::memory_order_acquire)) wake();
  });
  LoopThread loop;
  int stopped = 0;
  for (int round = 0; round < kStopRounds; ++round) {
    std::stop_source stop;
    bool held = true;
    Task waiter = [](Primitive& p, std::stop_token t, LoopThread& l, bool& h) -> Task {
      h = co_await never_wait(p, std::move(t)).resume_on(l.executor());
    }(primitive, stop.get_token(), loop, held);
    stop.request_stop();
    while (!waiter.finished()) std::this_thread::yield();
    stopped += held ? 0 : 1;
    waiter.destroy();
  }
  calm.store(true, std::memory_order_release);
  notifier.join();
  return stopped;
}

TEST(CoAwaitThreads, destroying_the_coroutine_after_stop_while_notifiers_run_is_safe) {
  Watchdog watchdog("destroy after stop under notifications");
  WakeSink sink;
  WakeSource source = sink.source();
  EXPECT_EQ(stopped_rounds_under_wakes(sink, [&source] { source.notify(); }), kStopRounds);
  EXPECT_FALSE(sink.state().registered());
}

TEST(CoAwaitThreads, destroying_an_atomic_waker_coroutine_after_stop_while_wakes_run_is_safe) {
  Watchdog watchdog("AtomicWaker: destroy after stop under wakes");
  AtomicWaker waker;
  EXPECT_EQ(stopped_rounds_under_wakes(waker, [&waker] { waker.wake(); }), kStopRounds);
}
#endif  // __cpp_lib_jthread

}  // namespace
}  // namespace diatomic::test
