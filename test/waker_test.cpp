// SPDX-License-Identifier: MIT
// Waker, RcWaker and the thread waker: reference balance, identity, noop.
#include <diatomic/rc_waker.hpp>
#include <diatomic/thread_waker.hpp>
#include <diatomic/waker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#endif

#include "test_waker.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

using WakerTest = WakerBalanceTest;

// Adopting a reference is spelled Waker::adopt(data, &table): no constructor
// takes the pair, so neither `Waker w(p, &table)` nor a braced pair passed
// where a Waker is expected (`take({p, &table})`) compiles.
template <class Data, class Table>
concept BracedPairMakesAWaker = requires(void (&take)(Waker), Data data, Table table) {
  take({data, table});
};
static_assert(!BracedPairMakesAWaker<void*, const WakerVTable*>);
static_assert(!std::is_constructible_v<Waker, void*, const WakerVTable*>);

TEST_F(WakerTest, empty_waker_wakes_nothing_and_is_false) {
  Waker empty;
  EXPECT_FALSE(empty);
  EXPECT_EQ(empty.data(), nullptr);
  EXPECT_EQ(empty.vtable(), nullptr);
  empty.wake_by_ref();
  Waker copy = empty;
  EXPECT_FALSE(copy);
  EXPECT_TRUE(copy.will_wake(empty));
  std::move(copy).wake();
}

TEST_F(WakerTest, null_vtable_makes_an_empty_waker) {
  int ignored = 0;
  const Waker waker = Waker::adopt(&ignored, nullptr);
  EXPECT_FALSE(waker);
  EXPECT_EQ(waker.data(), nullptr);
}

TEST_F(WakerTest, copy_clones_and_destruction_drops) {
  TestTarget target;
  {
    const Waker a = target.waker();
    EXPECT_EQ(target.live(), 1);
    {
      const Waker b = a;  // NOLINT(performance-unnecessary-copy-initialization)
      EXPECT_EQ(target.clones(), 1);
      EXPECT_EQ(target.live(), 2);
      EXPECT_TRUE(b.will_wake(a));
    }
    EXPECT_EQ(target.drops(), 1);
    EXPECT_EQ(target.live(), 1);
  }
  EXPECT_EQ(target.live(), 0);
}

TEST_F(WakerTest, move_transfers_without_clone_or_drop) {
  TestTarget target;
  Waker a = target.waker();
  Waker b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is specified empty
  EXPECT_TRUE(b);
  Waker c;
  c = std::move(b);
  EXPECT_EQ(target.clones(), 0);
  EXPECT_EQ(target.drops(), 0);
  EXPECT_EQ(target.live(), 1);
}

TEST_F(WakerTest, assignment_drops_the_old_reference) {
  TestTarget first;
  TestTarget second;
  Waker w = first.waker();
  const Waker other = second.waker();
  w = other;
  EXPECT_EQ(first.live(), 0);
  EXPECT_EQ(second.live(), 2);
}

TEST_F(WakerTest, wake_consumes_the_reference) {
  TestTarget target;
  Waker w = target.waker();
  std::move(w).wake();
  EXPECT_FALSE(w);  // NOLINT(bugprone-use-after-move): wake() is specified to empty it
  EXPECT_EQ(target.wakes(), 1);
  EXPECT_EQ(target.live(), 0);
}

TEST_F(WakerTest, wake_by_ref_keeps_the_reference) {
  TestTarget target;
  const Waker w = target.waker();
  w.wake_by_ref();
  w.wake_by_ref();
  EXPECT_EQ(target.wakes(), 2);
  EXPECT_EQ(target.live(), 1);
}

void* other_clone(void* data) { return data; }
void other_wake(void*) noexcept {}
constexpr WakerVTable kOtherVTable{&other_clone, &other_wake, &other_wake, &other_wake};

TEST_F(WakerTest, will_wake_is_identity_of_data_and_vtable) {
  TestTarget target;
  TestTarget other_target;
  const Waker w = target.waker();
  const Waker same = w;  // NOLINT(performance-unnecessary-copy-initialization)
  const Waker same_data_other_vtable = Waker::adopt(&target, &kOtherVTable);
  const Waker other_data_same_vtable = other_target.waker();
  EXPECT_TRUE(w.will_wake(same));
  EXPECT_FALSE(w.will_wake(same_data_other_vtable));
  EXPECT_FALSE(w.will_wake(other_data_same_vtable));
  EXPECT_FALSE(w.will_wake(Waker()));
}

TEST_F(WakerTest, noop_is_non_empty_free_and_will_wake_every_noop) {
  const Waker a = Waker::noop();
  const Waker b = Waker::noop();
  EXPECT_TRUE(a);
  EXPECT_TRUE(a.will_wake(b));
  a.wake_by_ref();
  Waker c = a;
  EXPECT_TRUE(c.will_wake(a));
  std::move(c).wake();
}

struct CountingTarget {
  std::atomic<int>* wakes;
  void wake() noexcept { wakes->fetch_add(1, std::memory_order_relaxed); }
};

TEST_F(WakerTest, rc_waker_shares_one_count_and_frees_with_the_last_reference) {
  std::atomic<int> wakes{0};
  Waker w;
  {
    const auto rc = RcWaker<CountingTarget>::make(CountingTarget{&wakes});
    EXPECT_EQ(rc.use_count(), 1u);
    w = rc.waker();
    EXPECT_EQ(rc.use_count(), 2u);
    {
      const Waker copy = w;  // NOLINT(performance-unnecessary-copy-initialization)
      EXPECT_EQ(rc.use_count(), 3u);
      EXPECT_TRUE(copy.will_wake(w));
    }
    EXPECT_EQ(rc.use_count(), 2u);
    w.wake_by_ref();
    EXPECT_EQ(wakes.load(), 1);
    EXPECT_EQ(rc->wakes, &wakes);
  }
  // The handle is gone; the Waker keeps the object alive until it wakes.
  std::move(w).wake();
  EXPECT_EQ(wakes.load(), 2);
}

TEST_F(WakerTest, thread_wakers_of_one_thread_are_the_same_and_of_two_are_not) {
  const Waker mine = this_thread::waker();
  const Waker again = this_thread::waker();
  Waker theirs;
  std::thread([&theirs] { theirs = this_thread::waker(); }).join();
  EXPECT_TRUE(mine.will_wake(again));
  EXPECT_FALSE(mine.will_wake(theirs));
}

// waker_ref() lends one object per thread, the thread's own waker: the same
// on every call, waking what waker() wakes, and another thread's is another.
TEST_F(WakerTest, waker_ref_lends_the_threads_one_waker) {
  const Waker& lent = this_thread::waker_ref();
  EXPECT_EQ(&lent, &this_thread::waker_ref());
  EXPECT_TRUE(lent.will_wake(this_thread::waker()));
  bool same_object = true;
  Waker theirs;
  std::thread([&] {
    same_object = &this_thread::waker_ref() == &lent;
    theirs = this_thread::waker_ref();
  }).join();
  EXPECT_FALSE(same_object);
  EXPECT_FALSE(lent.will_wake(theirs));
  // It wakes this thread: park() consumes its token (the watchdog aborts if
  // it sleeps instead). Drop a token an earlier test may have left first.
  Watchdog watchdog("park after waker_ref's wake");
  while (this_thread::park_until(std::chrono::steady_clock::time_point::min())) {
  }
  lent.wake_by_ref();
  this_thread::park();
}

// A wake before park() leaves one token, which park() consumes at once (a
// lost token leaves park() asleep: the watchdog then aborts). park_until with
// a past deadline only looks for a token, so it shows what is left.
TEST_F(WakerTest, a_wake_before_park_leaves_one_token_that_park_consumes) {
  Watchdog watchdog("park after a wake");
  constexpr auto kPast = std::chrono::steady_clock::time_point::min();
  // Drop a token an earlier test may have left on this thread.
  while (this_thread::park_until(kPast)) {
  }
  this_thread::waker().wake_by_ref();
  this_thread::waker().wake_by_ref();
  this_thread::park();
  EXPECT_FALSE(this_thread::park_until(kPast)) << "two wakes left two tokens, or park() none";
  Waker w = this_thread::waker();
  std::move(w).wake();
  this_thread::park();
  EXPECT_FALSE(this_thread::park_until(kPast)) << "park() left the token of wake()";
}

#if defined(__linux__)
// The system call a thread of this process is blocked in, -1 while it runs
// (/proc/self/task/TID/syscall: "running", or its number, then arguments);
// nullopt where the kernel does not show it.
std::optional<long> blocked_syscall(pid_t tid) {
  std::ifstream file("/proc/self/task/" + std::to_string(tid) + "/syscall");
  std::string first;
  file >> first;
  if (!file) return std::nullopt;
  return first == "running" ? -1 : std::stol(first);
}

// Whether /proc shows this program's own system calls: a thread blocked in
// read() on an empty pipe must show SYS_read there. Under an emulator
// (qemu-user) it shows the emulator's calls, numbered for the host's CPU;
// nullopt where the kernel shows none.
std::optional<bool> proc_shows_our_system_calls() {
  int fds[2];
  if (pipe(fds) != 0) return std::nullopt;
  std::atomic<pid_t> reader_tid{0};
  std::thread reader([&] {
    // Ordering: release, pairs with the acquire load below (the id only).
    reader_tid.store(static_cast<pid_t>(syscall(SYS_gettid)), std::memory_order_release);
    char byte = 0;
    // After publishing its id the reader makes no system call but this one.
    static_cast<void>(read(fds[0], &byte, 1));
  });
  pid_t tid = 0;
  // Ordering: acquire, pairs with the release store of the reader.
  while ((tid = reader_tid.load(std::memory_order_acquire)) == 0) std::this_thread::yield();
  std::optional<long> call;
  while ((call = blocked_syscall(tid)) && *call == -1) std::this_thread::yield();
  const char byte = 0;
  static_cast<void>(write(fds[1], &byte, 1));
  reader.join();
  close(fds[0]);
  close(fds[1]);
  if (!call) return std::nullopt;
  return *call == SYS_read;
}
#endif

// The consumer is seen asleep in park()'s futex wait before the wake, so the
// wake must reach a sleeping thread; if it is lost, the consumer sleeps for
// good and the watchdog aborts.
TEST_F(WakerTest, thread_waker_unparks_a_thread_asleep_in_park) {
#if !defined(__linux__)
  GTEST_SKIP() << "sees the thread asleep through /proc";
#else
  const std::optional<bool> own_calls = proc_shows_our_system_calls();
  if (!own_calls) GTEST_SKIP() << "this kernel does not show a thread's system call in /proc";
  if (!*own_calls) {
    GTEST_SKIP() << "/proc/self/task/TID/syscall shows another program's system calls here "
                    "(an emulator's, such as qemu-user's), not this program's";
  }
  Watchdog watchdog("thread waker unpark");
  std::atomic<pid_t> consumer_tid{0};
  std::atomic<bool> returned{false};
  Waker consumer_waker;
  std::thread consumer([&] {
    this_thread::set_park_spin(std::chrono::nanoseconds(0));  // straight to the futex
    consumer_waker = this_thread::waker();
    // Ordering: release, pairs with the acquire load below: publishes
    // consumer_waker.
    consumer_tid.store(static_cast<pid_t>(syscall(SYS_gettid)), std::memory_order_release);
    this_thread::park();  // a new thread's parker: only our wake leaves a token
    // Ordering: release, pairs with the acquire loads below.
    returned.store(true, std::memory_order_release);
  });
  pid_t tid = 0;
  // Ordering: acquire, pairs with the release store of the consumer.
  while ((tid = consumer_tid.load(std::memory_order_acquire)) == 0) std::this_thread::yield();
  // After it published its id the consumer makes no system call but park()'s.
  std::optional<long> call;
  while ((call = blocked_syscall(tid)) && *call != SYS_futex) std::this_thread::yield();
  // Ordering: acquire, pairs with the consumer's release store.
  EXPECT_FALSE(returned.load(std::memory_order_acquire)) << "park() returned with no token";
  consumer_waker.wake_by_ref();
  consumer.join();
  if (!call) GTEST_SKIP() << "this kernel does not show a thread's system call in /proc";
  // Ordering: acquire, pairs with the consumer's release store (join orders too).
  EXPECT_TRUE(returned.load(std::memory_order_acquire));
#endif
}

TEST_F(WakerTest, thread_waker_outlives_its_thread) {
  Waker w;
  std::thread([&w] { w = this_thread::waker(); }).join();
  // The thread is gone; its parker is not: these touch only live memory
  // (AddressSanitizer checks that).
  w.wake_by_ref();
  Waker copy = w;
  std::move(copy).wake();
  EXPECT_TRUE(w);
}

// Threads that park, are woken and exit, a batch at a time: each exit
// releases the thread's own reference to its parker while the test still
// holds a Waker to it. Released by a thread_local destructor, it was read
// from freed memory under MinGW-w64's emulated TLS, which corrupted the heap
// and crashed this test under Wine (src/thread_owned.hpp).
TEST_F(WakerTest, threads_that_park_and_exit_release_their_parkers) {
  constexpr int kRounds = 50;
  constexpr int kBatch = 8;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<Waker> wakers(kBatch);
    std::atomic<int> registered{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kBatch; ++i) {
      threads.emplace_back([&wakers, &registered, &go, i] {
        wakers[static_cast<std::size_t>(i)] = this_thread::waker();
        // Ordering: release, pairs with the acquire load below: publishes the waker.
        registered.fetch_add(1, std::memory_order_release);
        // Ordering: acquire, pairs with the release store below.
        while (!go.load(std::memory_order_acquire)) this_thread::park();
      });
    }
    // Ordering: acquire, pairs with the threads' release increments.
    while (registered.load(std::memory_order_acquire) < kBatch) std::this_thread::yield();
    // Ordering: release, pairs with the threads' acquire loads.
    go.store(true, std::memory_order_release);
    for (const Waker& w : wakers) w.wake_by_ref();
    for (std::thread& t : threads) t.join();
    // The threads are gone, their parkers are not: these touch only live
    // memory (AddressSanitizer checks that), and drop the last references.
    for (Waker& w : wakers) {
      ASSERT_TRUE(w);
      std::move(w).wake();
    }
  }
}

}  // namespace
}  // namespace diatomic::test
