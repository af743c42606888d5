// SPDX-License-Identifier: MIT
// diatomic::channel on one thread (and a few threads joined before the
// checks): delivery in order across laps, full and closed sends handing their
// value back, close from either side and by dropping handles, the waits
// (block_on, co_await, stop, a destroyed coroutine), recv_many, messages
// destroyed with the channel, and the RMW counts. Suites 'core' and
// 'concurrency'.
#include <diatomic/block_on.hpp>
#include <diatomic/channel.hpp>
#include <diatomic/coro.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <version>
#if defined(__cpp_lib_jthread)
#include <stop_token>
#endif
#include <thread>
#include <vector>

#include "coro_task.hpp"
#include "counting_policy.hpp"
#include "test_waker.hpp"
#include "watchdog.hpp"

namespace diatomic::test {
namespace {

// A message that counts how many of its kind are alive.
struct Tracked {
  static inline std::atomic<int> alive{0};
  int value = 0;
  explicit Tracked(int v) noexcept : value(v) { alive.fetch_add(1, std::memory_order_relaxed); }
  Tracked(Tracked&& other) noexcept : value(other.value) {
    alive.fetch_add(1, std::memory_order_relaxed);
  }
  Tracked(const Tracked&) = delete;
  Tracked& operator=(const Tracked&) = delete;
  Tracked& operator=(Tracked&&) = delete;
  ~Tracked() { alive.fetch_sub(1, std::memory_order_relaxed); }
};

TEST(Channel, capacity_zero_is_refused) {
  EXPECT_THROW(static_cast<void>(channel<int>(0)), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(channel<int>(kMaxChannelCapacity + 1)), std::length_error);
}

TEST(Channel, messages_arrive_in_order_across_many_laps) {
  auto [tx, rx] = channel<int>(3);  // not a power of two: the lap skips indices
  EXPECT_EQ(tx.capacity(), 3u);
  int next_sent = 0;
  int next_received = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 1 + round % 3; ++i) EXPECT_TRUE(tx.try_send(next_sent++));
    while (Received<int> r = rx.try_recv()) EXPECT_EQ(*r, next_received++);
  }
  EXPECT_EQ(next_received, next_sent);
}

TEST(Channel, try_send_on_a_full_channel_hands_the_value_back) {
  auto [tx, rx] = channel<std::unique_ptr<int>>(2);
  EXPECT_TRUE(tx.try_send(std::make_unique<int>(1)));
  EXPECT_TRUE(tx.try_send(std::make_unique<int>(2)));
  SendResult<std::unique_ptr<int>> r = tx.try_send(std::make_unique<int>(3));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.full());
  EXPECT_FALSE(r.closed());
  EXPECT_EQ(*r.value(), 3);
  EXPECT_EQ(**rx.try_recv(), 1);
  EXPECT_TRUE(tx.try_send(std::move(r).value())) << "a slot was freed";
  EXPECT_EQ(**rx.try_recv(), 2);
  EXPECT_EQ(**rx.try_recv(), 3);
}

TEST(Channel, try_recv_on_an_open_empty_channel_is_empty_not_closed) {
  auto [tx, rx] = channel<int>(4);
  const Received<int> r = rx.try_recv();
  EXPECT_FALSE(r);
  EXPECT_FALSE(r.closed());
}

TEST(Channel, a_closed_channel_is_drained_before_it_reports_closed) {
  auto [tx, rx] = channel<int>(4);
  EXPECT_TRUE(tx.try_send(1));
  EXPECT_TRUE(tx.try_send(2));
  tx.close();
  SendResult<int> late = tx.try_send(3);
  EXPECT_TRUE(late.closed());
  EXPECT_EQ(late.value(), 3);
  EXPECT_EQ(*rx.try_recv(), 1);
  EXPECT_EQ(block_on(rx.recv()), std::optional<int>(2));
  EXPECT_TRUE(rx.try_recv().closed());
  EXPECT_EQ(block_on(rx.recv()), std::nullopt);
}

TEST(Channel, the_receiver_may_close_and_still_drain) {
  auto [tx, rx] = channel<int>(4);
  EXPECT_TRUE(tx.try_send(7));
  rx.close();
  rx.close();  // idempotent
  EXPECT_TRUE(tx.try_send(8).closed());
  EXPECT_EQ(*rx.try_recv(), 7);
  EXPECT_TRUE(rx.try_recv().closed());
}

TEST(Channel, dropping_the_last_sender_closes_and_copies_keep_it_open) {
  auto [tx, rx] = channel<int>(4);
  std::optional<Sender<int>> copy(tx);
  { const Sender<int> gone = std::move(tx); }
  EXPECT_FALSE(rx.try_recv().closed()) << "a copy is still alive";
  EXPECT_TRUE(copy->try_send(5));
  Sender<int> assigned = *copy;
  copy.reset();
  EXPECT_FALSE(rx.try_recv().closed());  // takes the 5
  { const Sender<int> last = std::move(assigned); }
  EXPECT_TRUE(rx.try_recv().closed());
}

TEST(Channel, dropping_the_receiver_closes_and_destroys_the_messages) {
  {
    auto [tx, rx] = channel<Tracked>(4);
    EXPECT_TRUE(tx.try_send(Tracked(1)));
    EXPECT_TRUE(tx.try_send(Tracked(2)));
    EXPECT_EQ(Tracked::alive.load(), 2);
    { const Receiver<Tracked> gone = std::move(rx); }
    EXPECT_EQ(Tracked::alive.load(), 0);
    SendResult<Tracked> back = tx.try_send(Tracked(3));
    EXPECT_TRUE(back.closed());
    EXPECT_EQ(back.value().value, 3);
  }
  EXPECT_EQ(Tracked::alive.load(), 0);
}

TEST(Channel, messages_left_when_every_handle_goes_are_destroyed) {
  {
    auto [tx, rx] = channel<Tracked>(3);
    for (int i = 0; i < 5; ++i) {
      EXPECT_TRUE(tx.try_send(Tracked(i)));
      if (i % 2 == 1) {
        EXPECT_TRUE(rx.try_recv());
      }
    }
    EXPECT_EQ(Tracked::alive.load(), 3);
  }
  EXPECT_EQ(Tracked::alive.load(), 0);
}

#if defined(__cpp_lib_jthread)  // std::stop_token
TEST(Channel, a_stopped_recv_takes_no_message) {
  auto [tx, rx] = channel<int>(2);
  EXPECT_TRUE(tx.try_send(4));
  std::stop_source stop;
  stop.request_stop();
  EXPECT_EQ(block_on(rx.recv(stop.get_token())), std::nullopt);
  EXPECT_EQ(*rx.try_recv(), 4) << "the message stayed";
  const std::stop_source running;
  EXPECT_TRUE(tx.try_send(5));
  EXPECT_EQ(block_on(rx.recv(running.get_token())), std::optional<std::optional<int>>(5));
}
#endif  // __cpp_lib_jthread

TEST(Channel, recv_many_takes_what_is_there_up_to_max) {
  auto [tx, rx] = channel<int>(8);
  std::vector<int> out{-1};
  EXPECT_EQ(block_on(rx.recv_many(out, 0)), 0u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(tx.try_send(i));
  EXPECT_EQ(block_on(rx.recv_many(out, 3)), 3u);
  EXPECT_EQ(block_on(rx.recv_many(out, 100)), 2u);
  EXPECT_EQ(out, (std::vector<int>{-1, 0, 1, 2, 3, 4}));
  EXPECT_TRUE(tx.try_send(5));
  tx.close();
  EXPECT_EQ(block_on(rx.recv_many(out, 100)), 1u) << "drained first";
  EXPECT_EQ(block_on(rx.recv_many(out, 100)), 0u) << "then closed";
#if defined(__cpp_lib_jthread)
  std::stop_source stop;
  stop.request_stop();
  EXPECT_EQ(block_on(rx.recv_many(out, 1, stop.get_token())), std::nullopt);
#endif
}

Task receive_all(Receiver<int>& rx, std::vector<int>& got) {
  while (std::optional<int> v = co_await rx.recv()) got.push_back(*v);
}

TEST(Channel, a_coroutine_receiver_is_resumed_by_the_send_and_by_the_close) {
  auto [tx, rx] = channel<int>(2);
  std::vector<int> got;
  const Task task = receive_all(rx, got);
  EXPECT_FALSE(task.finished());
  EXPECT_TRUE(tx.try_send(1));  // resumes it inline
  EXPECT_TRUE(tx.try_send(2));
  EXPECT_EQ(got, (std::vector<int>{1, 2}));
  tx.close();
  EXPECT_TRUE(task.finished());
}

Task receive_one(Receiver<int>& rx, std::optional<int>& got) {
  got = co_await rx.recv();
}

TEST(Channel, a_coroutine_destroyed_while_waiting_takes_no_message) {
  auto [tx, rx] = channel<int>(2);
  std::optional<int> got;
  {
    Task task = receive_one(rx, got);
    EXPECT_FALSE(task.finished());
    task.destroy();
  }
  EXPECT_TRUE(tx.try_send(9));
  EXPECT_EQ(got, std::nullopt);
  EXPECT_EQ(*rx.try_recv(), 9) << "the message stayed in the channel";
}

TEST(Channel, send_with_room_completes_at_once_and_moves_the_value) {
  auto [tx, rx] = channel<std::unique_ptr<int>>(1);
  auto value = std::make_unique<int>(3);
  EXPECT_TRUE(block_on(tx.send(value)));
  EXPECT_EQ(value, nullptr) << "moved into the channel";
  EXPECT_EQ(**rx.try_recv(), 3);
}

TEST(Channel, send_of_an_rvalue_owns_it_until_sent) {
  auto [tx, rx] = channel<std::unique_ptr<int>>(1);
  EXPECT_TRUE(block_on(tx.send(std::make_unique<int>(4))));
  EXPECT_EQ(**rx.try_recv(), 4);
  rx.close();
  EXPECT_FALSE(block_on(tx.send(std::make_unique<int>(5))));
}

Task send_one(const Sender<std::unique_ptr<int>>& tx, std::unique_ptr<int>& value,
              std::optional<bool>& sent) {
  sent = co_await tx.send(value);
}

TEST(Channel, a_send_on_a_full_channel_is_resumed_by_the_receive_that_makes_room) {
  auto [tx, rx] = channel<std::unique_ptr<int>>(1);
  EXPECT_TRUE(tx.try_send(std::make_unique<int>(1)));
  auto value = std::make_unique<int>(2);
  std::optional<bool> sent;
  const Task task = send_one(tx, value, sent);
  EXPECT_FALSE(task.finished()) << "full: the send waits";
  EXPECT_NE(value, nullptr);
  EXPECT_EQ(**rx.try_recv(), 1);  // makes room: resumes the send inline
  EXPECT_TRUE(task.finished());
  EXPECT_EQ(sent, std::optional<bool>(true));
  EXPECT_EQ(value, nullptr);
  EXPECT_EQ(**rx.try_recv(), 2);
}

TEST(Channel, closing_wakes_a_waiting_send_which_keeps_its_value) {
  auto [tx, rx] = channel<std::unique_ptr<int>>(1);
  EXPECT_TRUE(tx.try_send(std::make_unique<int>(1)));
  auto value = std::make_unique<int>(2);
  std::optional<bool> sent;
  const Task task = send_one(tx, value, sent);
  EXPECT_FALSE(task.finished());
  { const Receiver<std::unique_ptr<int>> gone = std::move(rx); }  // closes
  EXPECT_TRUE(task.finished());
  EXPECT_EQ(sent, std::optional<bool>(false));
  ASSERT_NE(value, nullptr) << "the value stayed with the sender";
  EXPECT_EQ(*value, 2);
}

#if defined(__cpp_lib_jthread)  // std::stop_token
Task send_until_stopped(const Sender<int>& tx, int& value, std::stop_token token,
                        std::optional<std::optional<bool>>& sent) {
  sent = co_await tx.send(value, std::move(token));
}

TEST(Channel, a_stopped_send_keeps_its_value_and_sends_nothing) {
  auto [tx, rx] = channel<int>(1);
  EXPECT_TRUE(tx.try_send(1));
  int value = 2;
  std::stop_source stop;
  std::optional<std::optional<bool>> sent;
  const Task task = send_until_stopped(tx, value, stop.get_token(), sent);
  EXPECT_FALSE(task.finished());
  stop.request_stop();
  EXPECT_TRUE(task.finished());
  EXPECT_EQ(sent, std::optional<std::optional<bool>>(std::optional<bool>()));
  EXPECT_EQ(*rx.try_recv(), 1);
  EXPECT_FALSE(rx.try_recv()) << "the stopped send sent nothing";
}
#endif  // __cpp_lib_jthread

TEST(Channel, a_coroutine_destroyed_while_sending_sends_nothing) {
  auto [tx, rx] = channel<std::unique_ptr<int>>(1);
  EXPECT_TRUE(tx.try_send(std::make_unique<int>(1)));
  auto value = std::make_unique<int>(2);
  std::optional<bool> sent;
  {
    Task task = send_one(tx, value, sent);
    EXPECT_FALSE(task.finished());
    task.destroy();
  }
  EXPECT_EQ(**rx.try_recv(), 1);
  EXPECT_FALSE(rx.try_recv());
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(*value, 2);
}

TEST(Channel, recv_and_send_with_a_deadline_take_and_lose_nothing_when_they_time_out) {
  using namespace std::chrono_literals;
  auto [tx, rx] = channel<int>(1);
  EXPECT_EQ(block_on(rx.recv(), 1ms), std::nullopt) << "empty: timed out";
  EXPECT_TRUE(tx.try_send(1));
  EXPECT_EQ(block_on(rx.recv(), 1ms), std::optional<std::optional<int>>(1));
  EXPECT_TRUE(tx.try_send(2));
  int value = 3;
  EXPECT_EQ(block_on(tx.send(value), 1ms), std::nullopt) << "full: timed out";
  EXPECT_EQ(value, 3);
  EXPECT_EQ(*rx.try_recv(), 2);
  EXPECT_FALSE(rx.try_recv()) << "the timed-out send sent nothing";
}

TEST(ChannelThreads, four_senders_and_a_blocked_receiver_deliver_each_message_once) {
  const Watchdog watchdog("channel: four senders, one blocked receiver");
  constexpr int kSenders = 4;
  constexpr int kEach = 20000;
  auto [tx, rx] = channel<int>(16);
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([s, tx = tx] {
      for (int i = 0; i < kEach; ++i) {
        int v = s * kEach + i;
        for (;;) {
          SendResult<int> r = tx.try_send(v);
          if (r) break;
          v = r.value();
          std::this_thread::yield();
        }
      }
    });
  }
  { const Sender<int> mine = std::move(tx); }  // the threads' copies keep it open
  std::vector<int> seen(kSenders * kEach, 0);
  std::vector<int> batch;
  while (block_on(rx.recv_many(batch, 64)) > 0) {
    for (int v : batch) ++seen[static_cast<std::size_t>(v)];
    batch.clear();
  }
  for (auto& t : senders) t.join();
  int once = 0;
  for (int n : seen) once += n == 1 ? 1 : 0;
  EXPECT_EQ(once, kSenders * kEach);
}

// The RMWs of the channel's own atomics and of the receiver's waker, counted.
using CountedCore = detail::ChannelCore<int, CountingPolicy>;

TEST(ChannelRmws, a_send_is_one_claim_and_one_notify_and_a_receive_one_notify) {
  auto* core = new CountedCore(4);
  int v = 1;
  EXPECT_EQ(count_rmws([&] { EXPECT_EQ(core->try_send(v), CountedCore::Status::kDone); }), 2u)
      << "the claim's compare-exchange, and notify() with nobody registered";
  EXPECT_EQ(count_rmws([&] {
              EXPECT_EQ(core->try_recv([](int&&) noexcept {}), CountedCore::Status::kDone);
            }),
            1u)
      << "the senders' notify_one() with nobody waiting";
  EXPECT_EQ(count_rmws([&] { EXPECT_EQ(core->try_recv([](int&&) noexcept {}),
                                       CountedCore::Status::kEmpty); }),
            0u);
  EXPECT_EQ(count_rmws([&] { core->add_sender(); }), 1u) << "copying a Sender";
  EXPECT_EQ(count_rmws([&] { EXPECT_FALSE(core->drop_sender()); }), 1u) << "dropping a copy";
  EXPECT_FALSE(core->drop_receiver());
  EXPECT_TRUE(core->drop_sender());
  delete core;
}

TEST(ChannelRmws, a_busy_receiver_pays_no_registration) {
  auto* core = new CountedCore(4);
  int v = 1;
  EXPECT_EQ(core->try_send(v), CountedCore::Status::kDone);
  TestTarget target;
  const Waker waker = target.waker();
  {
    // The wait ends before the channel does: ~Wait ends the consumer's wait
    // on the channel's waker.
    Wait<CountedCore::RxWaker, detail::RecvOne<int, CountingPolicy>, false> wait(
        core->rx_waker(), detail::RecvOne<int, CountingPolicy>{core});
    EXPECT_EQ(count_rmws([&] { EXPECT_TRUE(wait.poll(waker)); }), 1u)
        << "a message was there: no registration, only the senders' notify_one()";
  }
  EXPECT_EQ(target.clones(), 0);
  EXPECT_FALSE(core->drop_receiver());
  EXPECT_TRUE(core->drop_sender());
  delete core;
}

}  // namespace
}  // namespace diatomic::test
