// SPDX-License-Identifier: MIT
// diatomic::channel against the queues a C++ user picks instead
// (docs/benchmarks.md), each behind the same small adapter:
//   Q1, Q2  throughput: 1 or 2 producer threads, one blocking receiver (the
//           timing thread), capacity 1024; one op = one message;
//   Q3      ping-pong latency: two capacity-1 queues between two threads; one
//           op = one round trip;
//   Q4      bursts: 100 messages, then an idle gap long enough that the
//           receiver goes to sleep; one op = one message, timed from the start
//           of its burst to the receipt of the burst's last message (divided
//           by 100), with the CPU time both threads spent per message;
//   Q5      a coroutine receiver: producer and receiver are coroutines, each
//           on its own executor thread (RunLoop; asio: io_context), capacity
//           1024; one op = one message.
// The alternatives: moodycamel::BlockingConcurrentQueue (unbounded: its
// enqueue never waits, so the capacity is only its initial size; a
// ProducerToken per producer, as its README advises for speed), TBB
// concurrent_bounded_queue, asio::experimental::concurrent_channel (Q5), and
// a std::mutex + two std::condition_variable + std::deque baseline written
// here. Each is registered only where its header is found.
// The floors Q1f, Q2f and Q4f time the channel's own ring with both sides
// spinning, its costs added one at a time, so that a missed target shows
// which cost makes the gap (docs/benchmarks.md).
#include <diatomic/block_on.hpp>
#include <diatomic/channel.hpp>
#include <diatomic/coro.hpp>
#include <diatomic/run_loop.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#if __has_include(<concurrentqueue/blockingconcurrentqueue.h>)
#include <concurrentqueue/blockingconcurrentqueue.h>
#define DIATOMIC_BENCH_MOODYCAMEL 1
#endif
#if defined(DIATOMIC_BENCH_TBB)
#include <tbb/concurrent_queue.h>
#endif

#include "asio_coroutines.hpp"
#include "catalog.hpp"
#include "coro_task.hpp"
#include "registry.hpp"
#include "scenarios.hpp"
#include "thread_stats.hpp"

namespace diatomic::bench {
namespace {

using Message = std::uint64_t;
constexpr std::size_t kThroughputCapacity = 1024;
constexpr int kBurst = 100;
// Long enough that the receiver's park() spin (5 us by default) ends and it
// sleeps in the kernel before the next burst.
constexpr auto kIdleGap = std::chrono::microseconds(200);
// Q4's time per repetition: the clock counts only the bursts, not the gaps
// between them (some 250 us of wall-clock time each): 0.05 s of it is a few
// hundred bursts, well under a second of wall-clock time.
constexpr double kBurstsMinTime = 0.05;
// Q4's floor: its receiver never sleeps, so a burst takes it a fraction of
// the channel's time, and Q4's clock time would mean several times the
// bursts, each with its idle gap: a fifth of it still counts a thousand
// bursts or more (at up to 100 ns per message).
constexpr double kSpinningBurstsMinTime = kBurstsMinTime / 5;

// Each adapter: Queue(capacity); queue.producer() returns what one producer
// thread sends with (send(m) waits while the queue is full); queue.recv()
// waits for a message.

// diatomic::channel: block_on(tx.send(m)) and block_on(rx.recv()); Q5
// co_awaits tx.send(m).resume_on(executor).
template <class S = Sender<Message>>
concept ChannelSends = requires(const S& tx, RunLoop& loop) {
  block_on(tx.send(Message{}));
  tx.send(Message{}).resume_on(loop.executor());
};

// A wait that counts its waits and is otherwise `W`: block_on polls once,
// then once more after each park, so every poll after the first is a wait.
template <class W>
struct CountedWaits {
  using output_type = typename W::output_type;
  using result_type = typename W::result_type;
  static constexpr bool kStoppable = W::kStoppable;

  std::optional<output_type> poll(const Waker& waker) {
    if (polled) ++*waits;
    polled = true;
    return wait.poll(waker);
  }
  std::optional<output_type> expire() { return wait.expire(); }
  static result_type into_result(output_type&& out) { return W::into_result(std::move(out)); }

  W wait;
  std::int64_t* waits;
  bool polled = false;
};

template <class S>
class ChannelQueue {
 public:
  explicit ChannelQueue(std::size_t capacity) : ends_(channel<Message>(capacity)) {}
  // One producer thread's; it adds its waits to the queue's count when it
  // goes (one RMW per producer, none per message).
  class Producer {
   public:
    Producer(S tx, std::atomic<std::int64_t>* total) : tx_(std::move(tx)), total_(total) {}
    Producer(const Producer&) = delete;
    Producer& operator=(const Producer&) = delete;
    ~Producer() {
      // Ordering: relaxed; read after the producers are joined.
      total_->fetch_add(waits_, std::memory_order_relaxed);
    }
    void send(Message m) {
      using Wait = decltype(tx_.send(m));
      static_cast<void>(block_on(CountedWaits<Wait>{tx_.send(m), &waits_}));
    }

   private:
    S tx_;
    std::atomic<std::int64_t>* total_;
    std::int64_t waits_ = 0;
  };
  [[nodiscard]] Producer producer() { return Producer(ends_.first, &sender_waits_); }
  Message recv() {
    using Wait = decltype(ends_.second.recv());
    return *block_on(CountedWaits<Wait>{ends_.second.recv(), &receiver_waits_});
  }
  // How many times the receiver, and the producers that have gone, waited
  // (parked) so far.
  [[nodiscard]] std::int64_t receiver_waits() const noexcept { return receiver_waits_; }
  [[nodiscard]] std::int64_t sender_waits() const noexcept {
    // Ordering: relaxed, as the producers' adds.
    return sender_waits_.load(std::memory_order_relaxed);
  }

 private:
  std::int64_t receiver_waits_ = 0;
  std::atomic<std::int64_t> sender_waits_{0};
  std::pair<S, Receiver<Message>> ends_;
};

// The baseline: one lock, a condition variable per side.
class MutexQueue {
 public:
  explicit MutexQueue(std::size_t capacity) : capacity_(capacity) {}
  struct Producer {
    MutexQueue* queue;
    void send(Message m) const { queue->send(m); }
  };
  [[nodiscard]] Producer producer() { return Producer{this}; }
  void send(Message m) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_; });
    items_.push_back(m);
    lock.unlock();
    not_empty_.notify_one();
  }
  Message recv() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    const Message m = items_.front();
    items_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return m;
  }

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<Message> items_;
};

#if defined(DIATOMIC_BENCH_MOODYCAMEL)
class MoodycamelQueue {
 public:
  explicit MoodycamelQueue(std::size_t capacity) : queue_(capacity) {}
  struct Producer {
    moodycamel::BlockingConcurrentQueue<Message>* queue;
    moodycamel::ProducerToken token{*queue};
    void send(Message m) { queue->enqueue(token, m); }
  };
  [[nodiscard]] Producer producer() { return Producer{&queue_}; }
  Message recv() {
    Message m = 0;
    queue_.wait_dequeue(m);
    return m;
  }

 private:
  moodycamel::BlockingConcurrentQueue<Message> queue_;
};
#endif

#if defined(DIATOMIC_BENCH_TBB)
class TbbQueue {
 public:
  explicit TbbQueue(std::size_t capacity) {
    queue_.set_capacity(static_cast<std::ptrdiff_t>(capacity));
  }
  struct Producer {
    tbb::concurrent_bounded_queue<Message>* queue;
    void send(Message m) const { queue->push(m); }
  };
  [[nodiscard]] Producer producer() { return Producer{&queue_}; }
  Message recv() {
    Message m = 0;
    queue_.pop(m);
    return m;
  }

 private:
  tbb::concurrent_bounded_queue<Message> queue_;
};
#endif

std::int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The floors: the channel's own ring (ChannelCore, the code that
// Sender::try_send and Receiver::try_recv run) with both sides spinning
// (Backoff) instead of waiting, so that no registration, sleep or wake-up is
// timed. Over the std policy it makes both notifications, as shipped: the
// receiver's DiatomicWaker notify() per send, the senders' WaiterList
// notify_one() per receive. The policies below keep only the first, or
// neither; each floor then differs from the next by one cost.
struct SkipNotify {
  void notify() noexcept {}
  void notify_one() noexcept {}
  void notify_all() noexcept {}
};
struct RingOnlyPolicy : detail::StdAtomicPolicy {
  using ChannelRxWaker = SkipNotify;
  using ChannelTxWaiters = SkipNotify;
};
struct RingAndRxWakerPolicy : detail::StdAtomicPolicy {
  using ChannelRxWaker = DiatomicWaker;
  using ChannelTxWaiters = SkipNotify;
};

template <class Policy>
class SpinningRing {
  using Core = detail::ChannelCore<Message, Policy>;

 public:
  explicit SpinningRing(std::size_t capacity) : core_(capacity) {}
  struct Producer {
    Core* core;
    void send(Message m) const {
      for (Backoff backoff; core->try_send(m) != Core::Status::kDone;) backoff.pause();
    }
  };
  [[nodiscard]] Producer producer() { return Producer{&core_}; }
  // The one receiver's: takes the next message, if one is there.
  [[nodiscard]] bool try_recv(Message& out) noexcept {
    return core_.try_recv([&](Message&& m) noexcept { out = m; }) == Core::Status::kDone;
  }
  Message recv() {
    Message out = 0;
    for (Backoff backoff; !try_recv(out);) backoff.pause();
    return out;
  }

 private:
  Core core_;
};

// Q2's floor without the claim word the producers share: a ring alone
// (RingOnlyPolicy) per producer, as moodycamel's queue keeps a sub-queue per
// producer, the receiver trying them in turn.
class RingPerProducer {
  static constexpr int kRings = 2;  // Q2's producers

 public:
  explicit RingPerProducer(std::size_t capacity) {
    for (auto& ring : rings_) ring = std::make_unique<SpinningRing<RingOnlyPolicy>>(capacity);
  }
  [[nodiscard]] SpinningRing<RingOnlyPolicy>::Producer producer() {
    // Ordering: relaxed; a counter that hands each producer thread its ring.
    return rings_[next_producer_.fetch_add(1, std::memory_order_relaxed) % kRings]->producer();
  }
  Message recv() {
    Message out = 0;
    for (Backoff backoff;; backoff.pause()) {
      for (int i = 0; i < kRings; ++i) {
        next_ring_ = (next_ring_ + 1) % kRings;
        if (rings_[next_ring_]->try_recv(out)) return out;
      }
    }
  }

 private:
  std::unique_ptr<SpinningRing<RingOnlyPolicy>> rings_[kRings];
  std::atomic<int> next_producer_{0};
  int next_ring_ = 0;
};

// Q1, Q2: `Producers` threads send the run's messages between them; the
// timing thread receives them. Counter "sleeps/op": how many times per
// message the threads slept in the kernel, between them.
template <class Queue, int Producers>
void throughput(benchmark::State& state) {
  Queue queue(kThroughputCapacity);
  const auto total = static_cast<std::int64_t>(state.max_iterations);
  std::atomic<std::int64_t> producer_sleeps{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < Producers; ++p) {
    const std::int64_t share = total / Producers + (p < total % Producers ? 1 : 0);
    producers.emplace_back([&queue, &producer_sleeps, share] {
      const std::int64_t before = sleeps_so_far();
      auto producer = queue.producer();
      for (std::int64_t i = 0; i < share; ++i) producer.send(static_cast<Message>(i + 1));
      // Ordering: relaxed; read after the join, which orders it.
      producer_sleeps.fetch_add(sleeps_so_far() - before, std::memory_order_relaxed);
    });
  }
  const std::int64_t before = sleeps_so_far();
  for (auto _ : state) benchmark::DoNotOptimize(queue.recv());
  const std::int64_t receiver_sleeps = sleeps_so_far() - before;
  for (std::thread& t : producers) t.join();
  const auto per_message = [&state](std::int64_t n) {
    return static_cast<double>(n) /
           static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
  };
  // Ordering: relaxed, as the producers' adds; the joins order them.
  state.counters[std::string(kSleepsCounter)] =
      per_message(receiver_sleeps + producer_sleeps.load(std::memory_order_relaxed));
  if constexpr (requires { queue.receiver_waits(); }) {
    state.counters[std::string(kWaitsCounter)] = per_message(queue.receiver_waits());
    state.counters[std::string(kSenderWaitsCounter)] = per_message(queue.sender_waits());
  }
}

// Q3: this thread sends on `ping` and waits on `pong`; the partner echoes.
constexpr Message kBall = 1;
constexpr Message kStop = 2;
template <class Queue>
void ping_pong(benchmark::State& state) {
  Queue ping(1);
  Queue pong(1);
  std::thread partner([&] {
    auto back = pong.producer();
    for (;;) {
      const Message m = ping.recv();
      back.send(m);
      if (m == kStop) return;
    }
  });
  auto out = ping.producer();
  for (auto _ : state) {
    out.send(kBall);
    benchmark::DoNotOptimize(pong.recv());
  }
  out.send(kStop);
  static_cast<void>(pong.recv());
  partner.join();
}

// Q4: the producer sleeps kIdleGap, then sends a burst whose first message
// carries the burst's start time; the receiver times each message as its
// share of the burst. Counter "cpu ns/msg": both threads' CPU time per
// message; "sleeps/op": how many times per message the receiver slept in the
// kernel (0.01: once per burst).
template <class Queue>
void bursts(benchmark::State& state) {
  Queue queue(kThroughputCapacity);
  const auto total = static_cast<std::int64_t>(state.max_iterations);
  const auto burst_count = (total + kBurst - 1) / kBurst;
  std::int64_t producer_cpu = 0;
  std::thread producer_thread([&] {
    const std::int64_t cpu_before = thread_cpu_ns();
    auto producer = queue.producer();
    for (std::int64_t b = 0; b < burst_count; ++b) {
      std::this_thread::sleep_for(kIdleGap);
      producer.send(static_cast<Message>(steady_ns()));
      for (int i = 1; i < kBurst; ++i) producer.send(0);
    }
    producer_cpu = thread_cpu_ns() - cpu_before;
  });
  const std::int64_t cpu_before = thread_cpu_ns();
  const std::int64_t sleeps_before = sleeps_so_far();
  std::int64_t received = 0;
  while (state.KeepRunningBatch(kBurst)) {
    const auto start = static_cast<std::int64_t>(queue.recv());
    for (int i = 1; i < kBurst; ++i) benchmark::DoNotOptimize(queue.recv());
    // The batch's time: Google Benchmark divides it among its kBurst iterations.
    state.SetIterationTime(static_cast<double>(steady_ns() - start) * 1e-9);
    received += kBurst;
  }
  const std::int64_t receiver_cpu = thread_cpu_ns() - cpu_before;
  const std::int64_t receiver_sleeps = sleeps_so_far() - sleeps_before;
  // Messages the producer sent beyond the run's batches.
  for (; received < burst_count * kBurst; ++received) static_cast<void>(queue.recv());
  producer_thread.join();
  state.counters[std::string(kCpuCounter)] =
      static_cast<double>(receiver_cpu + producer_cpu) / static_cast<double>(received);
  state.counters[std::string(kSleepsCounter)] =
      static_cast<double>(receiver_sleeps) / static_cast<double>(received);
}

// Q5 over diatomic::channel: a producer coroutine on one RunLoop, the
// receiving coroutine on another, run by the timing thread.
template <class S>
void coroutine_receiver(benchmark::State& state) {
  auto [tx, rx] = channel<Message>(kThroughputCapacity);
  const auto total = static_cast<std::int64_t>(state.max_iterations);
  RunLoop producer_loop;
  RunLoop receiver_loop;
  std::thread producer_thread([&] { producer_loop.run(); });
  {
    const test::Task producer = [](S out, RunLoop& loop, std::int64_t count) -> test::Task {
      for (std::int64_t i = 0; i < count; ++i) {
        static_cast<void>(co_await out.send(static_cast<Message>(i + 1)).resume_on(loop.executor()));
      }
    }(tx, producer_loop, total);
    const test::Task receiver = [](benchmark::State& s, Receiver<Message>& in,
                                   RunLoop& loop) -> test::Task {
      for (auto _ : s) benchmark::DoNotOptimize(co_await in.recv().resume_on(loop.executor()));
      loop.stop();
    }(state, rx, receiver_loop);
    receiver_loop.run();  // until the receiver has finished
    producer_loop.stop();
    producer_thread.join();
  }
}

#if defined(DIATOMIC_BENCH_ASIO)
// Q5 over asio: an io_context per side, each run by its own thread, a
// co_spawned coroutine per side.
using AsioChannel = asio::experimental::concurrent_channel<void(asio::error_code, Message)>;

asio::awaitable<void> asio_producer(AsioChannel& out, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) {
    co_await out.async_send(asio::error_code{}, static_cast<Message>(i + 1), asio::use_awaitable);
  }
}

asio::awaitable<void> asio_receiver(benchmark::State& state, AsioChannel& in) {
  for (auto _ : state) benchmark::DoNotOptimize(co_await in.async_receive(asio::use_awaitable));
}

void asio_coroutine_receiver(benchmark::State& state) {
  asio::io_context producer_context(1);
  asio::io_context receiver_context(1);
  AsioChannel messages(receiver_context, kThroughputCapacity);
  asio::co_spawn(producer_context,
                 asio_producer(messages, static_cast<std::int64_t>(state.max_iterations)),
                 asio::detached);
  std::thread producer_thread([&] { producer_context.run(); });
  asio::co_spawn(receiver_context, asio_receiver(state, messages), asio::detached);
  receiver_context.run();  // until the receiver has finished
  producer_thread.join();
}
#endif

// Registers the four scenarios of the threads for the queue behind `Queue`.
template <class Queue>
void add_thread_scenarios(Registry& registry, std::string_view who) {
  using Clock = Registry::Clock;
  registry.add(benchmark_name(kQueueThroughput1, who), &throughput<Queue, 1>, Clock::kWall);
  registry.add(benchmark_name(kQueueThroughput2, who), &throughput<Queue, 2>, Clock::kWall);
  registry.add(benchmark_name(kQueuePingPong, who), &ping_pong<Queue>, Clock::kWall);
  registry.add(benchmark_name(kQueueBursts, who), &bursts<Queue>, Clock::kManual,
               kBurstsMinTime);
}

// diatomic::channel's rows, once its Sender has send() (a template, so that
// the rows compile away without it).
template <class S = Sender<Message>>
void add_channel(Registry& registry) {
  if constexpr (ChannelSends<S>) {
    add_thread_scenarios<ChannelQueue<S>>(registry, kQueueDiatomic);
    registry.add(benchmark_name(kQueueCoroutine, kQueueDiatomic), &coroutine_receiver<S>,
                 Registry::Clock::kWall);
  }
}

// The floors of Q1 and Q2 (Producers 1, 2): the channel's ring with both
// sides spinning, its notifications added one at a time (docs/benchmarks.md
// says which gap each shows).
template <int Producers>
void add_throughput_floors(Registry& registry, std::string_view scenario) {
  using Clock = Registry::Clock;
  registry.add(benchmark_name(scenario, kFloorRing),
               &throughput<SpinningRing<RingOnlyPolicy>, Producers>, Clock::kWall);
  registry.add(benchmark_name(scenario, kFloorSendNotify),
               &throughput<SpinningRing<RingAndRxWakerPolicy>, Producers>, Clock::kWall);
  registry.add(benchmark_name(scenario, kFloorBothNotifies),
               &throughput<SpinningRing<detail::StdAtomicPolicy>, Producers>, Clock::kWall);
}

void add_channel_floors(Registry& registry) {
  add_throughput_floors<1>(registry, kQueueThroughput1Floors);
  add_throughput_floors<2>(registry, kQueueThroughput2Floors);
  registry.add(benchmark_name(kQueueThroughput2Floors, kFloorRingPerProducer),
               &throughput<RingPerProducer, 2>, Registry::Clock::kWall);
  // Q4's: the channel as shipped, its receiver spinning through the gaps
  // instead of sleeping.
  registry.add(benchmark_name(kQueueBurstsFloors, kFloorBothNotifies),
               &bursts<SpinningRing<detail::StdAtomicPolicy>>, Registry::Clock::kManual,
               kSpinningBurstsMinTime);
}

}  // namespace

void register_channels(Registry& registry) {
  add_channel(registry);
  add_channel_floors(registry);
  add_thread_scenarios<MutexQueue>(registry, kQueueMutex);
#if defined(DIATOMIC_BENCH_MOODYCAMEL)
  add_thread_scenarios<MoodycamelQueue>(registry, kQueueMoodycamel);
#endif
#if defined(DIATOMIC_BENCH_TBB)
  add_thread_scenarios<TbbQueue>(registry, kQueueTbb);
#endif
#if defined(DIATOMIC_BENCH_ASIO)
  registry.add(benchmark_name(kQueueCoroutine, kQueueAsio), &asio_coroutine_receiver,
               Registry::Clock::kWall);
#endif
}

}  // namespace diatomic::bench
