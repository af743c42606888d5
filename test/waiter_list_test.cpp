// SPDX-License-Identifier: MIT
// WaiterList: who a notification wakes, what a waiter that withdraws does
// with a notification it received, the waker copies it makes, block_on and
// co_await on it; then real threads: senders blocked on a bounded counter
// with random cancellations, and notify_all releasing every blocked sender.
// Suites 'core' and 'concurrency'.
#include <diatomic/diatomic.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <random>
#include <version>
#if defined(__cpp_lib_jthread)
#include <stop_token>
#endif
#include <thread>
#include <vector>

#include "coro_task.hpp"
#include "test_waker.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

using WaiterListTest = WakerBalanceTest;
using Waiter = WaiterList::Waiter;

// Two waiters registered in order: a (waking `first`), then b (`second`).
class TwoWaiters : public WakerBalanceTest {
 protected:
  void SetUp() override {
    WakerBalanceTest::SetUp();
    a.emplace(list);
    b.emplace(list);
    a->register_waker(first.waker());
    b->register_waker(second.waker());
  }
  // The waiters go first: they hold clones of the targets' wakers.
  void TearDown() override {
    a.reset();
    b.reset();
    WakerBalanceTest::TearDown();
  }

  WaiterList list;
  TestTarget first;
  TestTarget second;
  std::optional<Waiter> a;
  std::optional<Waiter> b;
};

TEST_F(WaiterListTest, notify_with_nobody_waiting_is_a_noop) {
  WaiterList list;
  list.notify_one();
  list.notify_all();
  EXPECT_EQ(list.waiting(), 0U);
}

TEST_F(TwoWaiters, notify_one_wakes_the_longest_registered_waiter_only) {
  EXPECT_EQ(list.waiting(), 2U);
  list.notify_one();
  EXPECT_EQ(first.wakes(), 1);
  EXPECT_EQ(second.wakes(), 0);
  EXPECT_EQ(list.waiting(), 1U);
  EXPECT_FALSE(a->idle());  // notified, not yet answered for
  a->begin_check();
  EXPECT_TRUE(a->idle());
  a->complete();
  EXPECT_EQ(second.wakes(), 0) << "a consumed notification is not passed on";
}

TEST_F(WaiterListTest, notify_all_wakes_every_waiter_registered_before_it) {
  WaiterList list;
  TestTarget targets[3];
  std::vector<Waiter> waiters;
  waiters.reserve(3);
  for (TestTarget& target : targets) waiters.emplace_back(list).register_waker(target.waker());
  list.notify_all();
  for (const TestTarget& target : targets) EXPECT_EQ(target.wakes(), 1);
  EXPECT_EQ(list.waiting(), 0U);
}

TEST_F(WaiterListTest, notify_all_leaves_a_waiter_that_registers_from_inside_a_wake) {
  WaiterList list;
  TestTarget woken;
  TestTarget late;
  Waiter a(list);
  Waiter c(list);
  // The hook runs in the notifier's wake loop, after the lock is released:
  // registering there must not deadlock, and the new waiter registered after
  // notify_all began, so its own re-check answers for what came before.
  woken.on_wake([&] {
    if (c.idle()) c.register_waker(late.waker());
  });
  a.register_waker(woken.waker());
  list.notify_all();
  EXPECT_EQ(woken.wakes(), 1);
  EXPECT_EQ(late.wakes(), 0);
  EXPECT_EQ(list.waiting(), 1U);
  c.unregister();
}

TEST_F(TwoWaiters, withdrawing_a_notified_waiter_passes_the_notification_on) {
  list.notify_one();
  a->unregister();  // a cancelled sender, chosen before it withdrew
  EXPECT_EQ(second.wakes(), 1);
  EXPECT_EQ(list.waiting(), 0U);
}

TEST_F(TwoWaiters, a_held_notification_is_passed_on_if_the_waiter_leaves_without_checking) {
  list.notify_one();
  a->begin_check();  // then a stop request: no check runs
  a->unregister();
  EXPECT_EQ(second.wakes(), 1);
}

TEST_F(TwoWaiters, a_failed_check_spends_the_notification_and_registers_again_at_the_back) {
  list.notify_one();
  a->begin_check();
  a->register_waker(first.waker());  // the check failed: someone else took it
  EXPECT_EQ(second.wakes(), 0);
  EXPECT_EQ(list.waiting(), 2U);
  list.notify_one();
  EXPECT_EQ(second.wakes(), 1) << "b registered first now";
  EXPECT_EQ(first.wakes(), 1);
  a->unregister();
  b->begin_check();
  b->complete();
}

TEST_F(TwoWaiters, a_notification_after_the_check_began_is_passed_on_by_complete) {
  a->begin_check();  // a spurious poll: a is still in the list
  list.notify_one();  // reaches a while its check runs
  a->complete();  // the check held, but may have taken something older
  EXPECT_EQ(second.wakes(), 1);
}

TEST_F(WaiterListTest, registering_the_same_waker_again_does_not_clone) {
  WaiterList list;
  TestTarget target;
  Waiter a(list);
  const Waker waker = target.waker();
  a.register_waker(waker);
  a.register_waker(waker);
  EXPECT_EQ(target.clones(), 1);
  EXPECT_EQ(list.waiting(), 1U);
  a.unregister();
  a.register_waker(waker);  // withdrawn, the cached waker is kept
  EXPECT_EQ(target.clones(), 1);
  list.notify_one();  // moves the cached waker out to wake it
  a.begin_check();
  a.register_waker(waker);
  EXPECT_EQ(target.clones(), 2);
  a.unregister();
}

TEST_F(WaiterListTest, a_new_waker_replaces_the_cached_one) {
  WaiterList list;
  TestTarget old_target;
  TestTarget new_target;
  Waiter a(list);
  a.register_waker(old_target.waker());
  a.register_waker(new_target.waker());
  EXPECT_EQ(list.waiting(), 1U);
  EXPECT_EQ(old_target.live(), 0);
  list.notify_one();
  EXPECT_EQ(new_target.wakes(), 1);
  EXPECT_EQ(old_target.wakes(), 0);
}

TEST_F(TwoWaiters, a_failed_clone_leaves_the_waiter_unregistered_and_passes_on_what_it_took) {
  list.notify_one();  // a's waker is moved out: a must clone to register again
  first.fail_clone_at(1);
  EXPECT_THROW(a->register_waker(first.waker()), CloneFailure);
  EXPECT_TRUE(a->idle());
  EXPECT_EQ(second.wakes(), 1) << "no re-check follows a failed registration";
  EXPECT_EQ(list.waiting(), 0U);
}

TEST_F(WaiterListTest, destroying_a_registered_waiter_withdraws_it) {
  WaiterList list;
  TestTarget target;
  {
    Waiter a(list);
    a.register_waker(target.waker());
    EXPECT_EQ(list.waiting(), 1U);
  }
  EXPECT_EQ(list.waiting(), 0U);
  list.notify_one();
  EXPECT_EQ(target.wakes(), 0);
}

TEST(WaiterListWait, block_on_returns_once_another_thread_makes_room_and_notifies) {
  const Watchdog watchdog("block_on on a WaiterList");
  WaiterList list;
  std::atomic<bool> room{false};
  std::thread notifier([&] {
    // Ordering: relaxed: the list orders it (its contract).
    room.store(true, std::memory_order_relaxed);
    list.notify_one();
  });
  // Ordering: relaxed: the list orders the re-check (its contract).
  block_on(list.wait_until([&] { return room.load(std::memory_order_relaxed); }));
  notifier.join();
  EXPECT_EQ(list.waiting(), 0U);
}

#if defined(__cpp_lib_jthread)  // std::stop_token
TEST(WaiterListWait, a_stopped_wait_returns_false_and_leaves_the_list) {
  WaiterList list;
  std::stop_source stop;
  stop.request_stop();
  EXPECT_FALSE(block_on(list.wait_until([] { return false; }, stop.get_token())));
  EXPECT_EQ(list.waiting(), 0U);
}
#endif  // __cpp_lib_jthread

TEST(WaiterListWait, co_await_resumes_on_notify_and_a_destroyed_frame_leaves_the_list) {
  WaiterList list;
  bool ready = false;
  Task waits = [](WaiterList& l, bool& r) -> Task { co_await l.wait_until([&] { return r; }); }(
      list, ready);
  Task abandoned = [](WaiterList& l) -> Task { co_await l.wait_until([] { return false; }); }(list);
  EXPECT_EQ(list.waiting(), 2U);
  ready = true;
  list.notify_one();  // resumes `waits` inline
  EXPECT_TRUE(waits.finished());
  abandoned.destroy();
  EXPECT_EQ(list.waiting(), 0U);
}

#if defined(__cpp_lib_jthread)  // std::stop_token
// Senders take capacity from a counter (a bounded queue reduced to its
// count); one receiver gives it back and notifies. Each send is a block_on on
// the list, and every fourth one can be cancelled by a canceller thread: a
// cancelled send is retried, so every sender still sends all of its items.
// Fails (watchdog) if a sender stays blocked while capacity is free.
TEST(WaiterListThreads, blocked_senders_with_random_cancellations_send_every_item_once) {
  constexpr int kSenders = 4;
  constexpr int kItems = 20'000;
  constexpr int kCapacity = 2;
  const Watchdog watchdog("WaiterList senders with cancellations");
  WaiterList senders;
  WakeSink receiver;
  std::atomic<int> room{kCapacity};
  std::atomic<std::int64_t> queued{0};
  std::atomic<int> cancelled{0};
  std::atomic<bool> done{false};
  // The senders' current stop sources; a sender whose send was stopped
  // takes a new one. Guarded by `sources_mutex` (a stop_source is not for
  // concurrent assignment and use).
  std::mutex sources_mutex;
  std::vector<std::stop_source> sources(kSenders);
  auto token_of = [&](std::size_t sender) {
    const std::lock_guard lock(sources_mutex);
    return sources[sender].get_token();
  };

  auto take_room = [&] {
    int free = room.load(std::memory_order_relaxed);
    // Ordering: acquire, pairs with the receiver's release fetch_add: the
    // slot it freed is free for us.
    while (free > 0 && !room.compare_exchange_weak(free, free - 1, std::memory_order_acquire,
                                                   std::memory_order_relaxed)) {
    }
    return free > 0;
  };
  std::vector<std::thread> threads;
  for (int s = 0; s < kSenders; ++s) {
    threads.emplace_back([&, s = static_cast<std::size_t>(s), source = receiver.source()] {
      std::minstd_rand random(static_cast<unsigned>(s) + 1);
      for (int i = 0; i < kItems;) {
        bool sent = false;
        if (random() % 4 == 0) {
          sent = block_on(senders.wait_until(take_room, token_of(s)));
          if (!sent) {
            cancelled.fetch_add(1, std::memory_order_relaxed);
            const std::lock_guard lock(sources_mutex);
            sources[s] = std::stop_source();
          }
        } else {
          block_on(senders.wait_until(take_room));
          sent = true;
        }
        if (!sent) continue;
        // Ordering: release, pairs with the receiver's acquire load.
        queued.fetch_add(1, std::memory_order_release);
        source.notify();
        ++i;
      }
    });
  }
  std::thread canceller([&] {
    std::minstd_rand random(99);
    while (!done.load(std::memory_order_relaxed)) {
      {
        const std::lock_guard lock(sources_mutex);
        sources[random() % kSenders].request_stop();
      }
      std::this_thread::yield();
    }
  });
  std::int64_t received = 0;
  while (received < std::int64_t{kSenders} * kItems) {
    // Ordering: acquire, pairs with the senders' release fetch_add.
    block_on(receiver.wait_until([&] { return queued.load(std::memory_order_acquire) > 0; }));
    queued.fetch_sub(1, std::memory_order_relaxed);
    ++received;
    // Ordering: release, pairs with take_room's acquire CAS.
    room.fetch_add(1, std::memory_order_release);
    senders.notify_one();
  }
  done.store(true, std::memory_order_relaxed);
  for (std::thread& t : threads) t.join();
  canceller.join();
  EXPECT_EQ(received, std::int64_t{kSenders} * kItems);
  EXPECT_EQ(queued.load(), 0);
  EXPECT_EQ(room.load(), kCapacity);
  EXPECT_EQ(senders.waiting(), 0U);
  std::printf("%d sends cancelled and retried\n", cancelled.load());
}
#endif  // __cpp_lib_jthread

// Senders block on a counter that never has room; a closing flag and
// notify_all release them all, round after round.
TEST(WaiterListThreads, notify_all_releases_every_blocked_sender) {
  constexpr int kSenders = 4;
  constexpr int kRounds = 2'000;
  const Watchdog watchdog("WaiterList notify_all");
  for (int round = 0; round < kRounds; ++round) {
    WaiterList list;
    std::atomic<bool> closed{false};
    std::vector<std::thread> threads;
    for (int s = 0; s < kSenders; ++s) {
      threads.emplace_back([&] {
        // Ordering: relaxed: the list orders the re-check (its contract).
        block_on(list.wait_until([&] { return closed.load(std::memory_order_relaxed); }));
      });
    }
    // Ordering: relaxed: the list orders it (its contract).
    closed.store(true, std::memory_order_relaxed);
    list.notify_all();
    for (std::thread& t : threads) t.join();
    ASSERT_EQ(list.waiting(), 0U);
  }
}

}  // namespace
}  // namespace diatomic::test
