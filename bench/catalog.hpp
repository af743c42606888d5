// SPDX-License-Identifier: MIT
// The benchmarks the binary registers and the report reads back: names,
// what each measures, and every target of docs/benchmarks.md, in one place.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace diatomic::bench {

inline constexpr std::string_view kDiatomic = "DiatomicWaker";
inline constexpr std::string_view kAtomicWaker = "AtomicWaker";

// S1 to S7: each timed for both primitives ("S1/DiatomicWaker", "S1/AtomicWaker").
struct Scenario {
  std::string_view id;  // "S1"
  std::string_view title;
  std::string_view design_rmws;  // docs/design.md#5-the-rmw-budget, DiatomicWaker / AtomicWaker; empty: none
};

inline constexpr std::array kScenarios{
    Scenario{"S1", "notify, nobody registered", "1 / 2"},
    Scenario{"S2", "same waker again + notify", "4 / 7"},
    Scenario{"S3", "new waker + notify", "6 / 7"},
    Scenario{"S4", "ping-pong, parked threads (no spin)", ""},
    Scenario{"S5", "ping-pong, spinning waiters", ""},
    Scenario{"S6", "2 threads notify, nobody registered", ""},
    Scenario{"S7", "ping-pong, coroutine on a RunLoop", ""},
};

[[nodiscard]] inline std::string benchmark_name(std::string_view scenario,
                                                std::string_view primitive) {
  std::string name(scenario);
  name += '/';
  name += primitive;
  return name;
}

// The hardware floors.
inline constexpr std::string_view kFetchOrFloor = "S0/fetch_or";
// A lone compare-exchange, whose expected value never depends on a load.
inline constexpr std::string_view kCmpxchgFloor = "S0/cmpxchg";
// S1's floor: a relaxed load, then a compare-exchange loop that writes the
// loaded value back, the same dependency every CAS-based notify has.
inline constexpr std::string_view kLoadCmpxchgFloor = "S0/load+cmpxchg";
// fetch_or then fetch_and: AtomicWaker's two RMWs for S1. Divided by the
// cmpxchg floor, it bounds the S1 speed-up this machine allows.
inline constexpr std::string_view kTwoRmwFloor = "S0/fetch_or+fetch_and";
inline constexpr std::string_view kFutexFloor = "S4/raw_futex";
inline constexpr std::string_view kSpinFloor = "S5/raw_spin";
inline constexpr std::array kFloors{kFetchOrFloor, kCmpxchgFloor, kLoadCmpxchgFloor,
                                    kTwoRmwFloor,  kFutexFloor,   kSpinFloor};

// The counting runs' counter: RMWs per op, over CountingPolicy.
inline constexpr std::string_view kRmwCounter = "rmw/op";
// T1's counter: sleeps in the kernel (voluntary context switches) of both
// threads per round trip, the waits park()'s spin did not catch.
inline constexpr std::string_view kSleepsCounter = "sleeps/op";
// The channel's Q1/Q2 rows: how many times per message the receiver, and the
// senders, waited (parked, spinning or asleep) in block_on; Google
// Benchmark's output only.
inline constexpr std::string_view kWaitsCounter = "receiver_waits/op";
inline constexpr std::string_view kSenderWaitsCounter = "sender_waits/op";

// T1: a blocking round trip between two threads.
inline constexpr std::string_view kBlockOnDiatomic = "T1/DiatomicWaker";
inline constexpr std::string_view kBlockOnAtomicWaker = "T1/AtomicWaker";
inline constexpr std::string_view kBlockOnNoSpin = "T1/DiatomicWaker_nospin";
inline constexpr std::string_view kBlockOnDeadline = "T1/DiatomicWaker_deadline";
inline constexpr std::string_view kAtomicWait = "T1/std_atomic_wait";
inline constexpr std::string_view kCondVar = "T1/std_condition_variable";
// C1: a round trip between two coroutines.
inline constexpr std::string_view kCoInline = "C1/DiatomicWaker_inline";
inline constexpr std::string_view kCoRunLoop = "C1/DiatomicWaker_RunLoop";
inline constexpr std::string_view kAsio = "C1/asio";

// Q1 to Q5: diatomic::channel against the queues users pick instead, each
// benchmark named "<scenario>/<queue>" (benchmark_name).
inline constexpr std::string_view kQueueThroughput1 = "Q1";
inline constexpr std::string_view kQueueThroughput2 = "Q2";
inline constexpr std::string_view kQueuePingPong = "Q3";
inline constexpr std::string_view kQueueBursts = "Q4";
inline constexpr std::string_view kQueueCoroutine = "Q5";
inline constexpr std::string_view kQueueDiatomic = "diatomic_channel";
inline constexpr std::string_view kQueueMoodycamel = "moodycamel";
inline constexpr std::string_view kQueueTbb = "tbb_bounded_queue";
inline constexpr std::string_view kQueueMutex = "mutex_deque";
inline constexpr std::string_view kQueueAsio = "asio_channel";
// Q4's counter: both threads' CPU time per message, in ns.
inline constexpr std::string_view kCpuCounter = "cpu ns/msg";
// The channel's floors (bench/channels.cpp), "<scenario>/<floor>": its ring
// with both sides spinning instead of waiting, then with the send's
// DiatomicWaker notify(), then with the receive's WaiterList notify_one() too
// (the channel's try_send / try_recv as shipped); for Q2 also a ring per
// producer, sharing no claim word.
inline constexpr std::string_view kQueueThroughput1Floors = "Q1f";
inline constexpr std::string_view kQueueThroughput2Floors = "Q2f";
inline constexpr std::string_view kQueueBurstsFloors = "Q4f";
inline constexpr std::string_view kFloorRing = "ring";
inline constexpr std::string_view kFloorSendNotify = "ring+send_notify";
inline constexpr std::string_view kFloorBothNotifies = "ring+send_notify+recv_notify";
inline constexpr std::string_view kFloorRingPerProducer = "ring_per_producer";

// S5 layout experiments: the primitive's state word on the channel value's
// cache line (as DiatomicWaker had it before it took a line of its own, and
// as AtomicWaker still has it) or on a line of its own.
inline constexpr std::string_view kS5DiatomicSharedLine = "S5x/DiatomicWaker_shared_line";
inline constexpr std::string_view kS5AtomicWakerOwnLine = "S5x/AtomicWaker_own_line";
// DiatomicWaker's core 128 bytes from the value word: apart also for CPUs
// whose prefetcher pulls cache lines in aligned pairs (Intel's adjacent-line
// prefetch), where 64 bytes may not be enough.
inline constexpr std::string_view kS5DiatomicOtherPair = "S5x/DiatomicWaker_other_pair";
// No primitive: the raw spin plus one locked RMW on a second line that the
// receiver spins on (the least any waker-based wake-up adds).
inline constexpr std::string_view kS5WakeLineFloor = "S5x/floor_wake_line";
// The same plus the least a registration costs: a flag the receiver sets and
// the sender takes (three RMWs per hand-off).
inline constexpr std::string_view kS5RegisteredFloor = "S5x/floor_registered";
// Both primitives, as shipped, with the second waker: its wake count on a
// cache line of its own, away from its reference count. S5's waker shares
// one line between the two, as a small reference-counted waker does.
inline constexpr std::string_view kS5DiatomicCountOwnLine = "S5x/DiatomicWaker_count_own_line";
inline constexpr std::string_view kS5AtomicWakerCountOwnLine = "S5x/AtomicWaker_count_own_line";

// S5 paired: S5's comparisons made cycle by cycle. Each cycle times a short
// run of round trips of each of the raw spin, floor_registered, and
// DiatomicWaker and AtomicWaker (as shipped) with each of the two wakers,
// back to back, so that all six see the same state of the machine; round
// trips on a 2-vCPU guest switch between modes (per round trip, about 100 ns
// in some seconds, 450 ns in others) that medians over whole repetitions
// mix. Each counter is the median over the cycles of a ratio of the same
// cycle's times, with its first and third quartiles.
inline constexpr std::string_view kS5Paired = "S5p/cycles";
struct PairedRatio {
  std::string_view counter;  // the median's counter; the quartiles' add " q1", " q3"
  std::string_view what;
};
inline constexpr std::string_view kPairedAwOverDw = "AW/DW";
inline constexpr std::string_view kPairedAwOverDwOwnLine = "AW/DW count_own_line";
inline constexpr std::string_view kPairedDwOverFloor = "DW/floor_registered";
inline constexpr std::string_view kPairedDwOverFloorOwnLine = "DW/floor_registered count_own_line";
inline constexpr std::string_view kPairedFloorOverSpin = "floor_registered/raw_spin";
inline constexpr std::array kS5PairedRatios{
    PairedRatio{kPairedAwOverDw, "AtomicWaker / DiatomicWaker, by the refs"},
    PairedRatio{kPairedAwOverDwOwnLine, "AtomicWaker / DiatomicWaker, own line"},
    PairedRatio{kPairedDwOverFloor, "DiatomicWaker / floor_registered, by the refs"},
    PairedRatio{kPairedDwOverFloorOwnLine, "DiatomicWaker / floor_registered, own line"},
    PairedRatio{kPairedFloorOverSpin, "floor_registered / raw spin (no primitive)"},
};

// The read-only notify experiments: each against the shipped DiatomicWaker in
// the same scenario. Experiments, no target: the decision and
// its reasons are in docs/benchmarks.md.
inline constexpr std::string_view kS1ReadOnly = "S1x/read_only_notify";
inline constexpr std::string_view kS2Fenced = "S2x/DiatomicWaker_fenced_register";
inline constexpr std::string_view kS3Fenced = "S3x/DiatomicWaker_fenced_register";
inline constexpr std::string_view kS6ReadOnly = "S6x/read_only_notify";
struct Experiment {
  std::string_view what;
  std::string_view shipped;
  std::string_view variant;
  std::string_view criterion;  // the condition for adopting it
};
inline constexpr std::array kReadOnlyExperiments{
    Experiment{"S1 nobody registered: seq_cst fence + load, no RMW", "S1/DiatomicWaker",
               kS1ReadOnly, "<= 1.10x"},
    Experiment{"S2 same waker again, register + seq_cst fence", "S2/DiatomicWaker", kS2Fenced,
               "<= 1.10x"},
    Experiment{"S3 new waker, register + seq_cst fence", "S3/DiatomicWaker", kS3Fenced,
               "<= 1.10x"},
    Experiment{"S6 2 threads: seq_cst fence + load on one line", "S6/DiatomicWaker", kS6ReadOnly,
               "<= 0.67x (1.5x faster)"},
};

// A table of the report: benchmarks and what each one is.
struct Row {
  std::string_view name;
  std::string_view what;
};
struct Group {
  std::string_view title;
  std::array<Row, 10> rows;  // unused rows have an empty name
  std::string_view unit = "ns per round trip";  // what one op is
};

inline constexpr std::array kGroups{
    Group{"T1 blocking round trip between two threads, each waiting for the other\n"
          "(sleeps: how many times per round trip either thread slept in the kernel)",
          {{{kBlockOnDiatomic, "block_on(sink.wait_until), DiatomicWaker"},
            {kBlockOnAtomicWaker, "block_on(wait_until), AtomicWaker"},
            {kBlockOnNoSpin, "block_on, DiatomicWaker, park spin off"},
            {kAtomicWait, "std::atomic<uint32_t> wait / notify_one"},
            {kCondVar, "std::mutex + std::condition_variable"},
            {kBlockOnDeadline, "block_on(wait, 10 s), woken before its deadline"},
            {},
            {},
            {},
            {}}}},
    Group{"C1 round trip between two coroutines",
          {{{kCoInline, "co_await wait_until, resumed inline"},
            {kCoRunLoop, "co_await wait_until, a RunLoop thread per side"},
            {kAsio, "asio: io_context thread per side, concurrent_channel"},
            {},
            {},
            {},
            {},
            {},
            {},
            {}}}},
    Group{"Q1 throughput: 1 producer thread, the receiver blocks, capacity 1024\n"
          "(sleeps: how many times per message the threads slept in the kernel)",
          {{{"Q1/diatomic_channel", "diatomic::channel, block_on(send) / block_on(recv)"},
            {"Q1/moodycamel", "moodycamel BlockingConcurrentQueue (unbounded), token"},
            {"Q1/tbb_bounded_queue", "TBB concurrent_bounded_queue, push / pop"},
            {"Q1/mutex_deque", "std::mutex + 2 condition_variables + std::deque"},
            {}, {}, {}, {}, {}, {}}},
          "ns per message"},
    Group{"Q1 floors: the channel's ring, both threads spinning, its costs added one by one",
          {{{"Q1f/ring", "the ring alone: no notification, no sleep"},
            {"Q1f/ring+send_notify", "+ each send's DiatomicWaker notify() (1 RMW)"},
            {"Q1f/ring+send_notify+recv_notify",
             "+ each receive's WaiterList notify_one() (1 RMW)"},
            {"Q1/diatomic_channel", "+ waiting: block_on(send) / block_on(recv)"},
            {}, {}, {}, {}, {}, {}}},
          "ns per message"},
    Group{"Q2 throughput: 2 producer threads, the receiver blocks, capacity 1024",
          {{{"Q2/diatomic_channel", "diatomic::channel, block_on(send) / block_on(recv)"},
            {"Q2/moodycamel", "moodycamel BlockingConcurrentQueue (unbounded), tokens"},
            {"Q2/tbb_bounded_queue", "TBB concurrent_bounded_queue, push / pop"},
            {"Q2/mutex_deque", "std::mutex + 2 condition_variables + std::deque"},
            {}, {}, {}, {}, {}, {}}},
          "ns per message"},
    Group{"Q2 floors: as Q1's, 2 producers; and a ring per producer (no shared claim word)",
          {{{"Q2f/ring", "the ring alone: no notification, no sleep"},
            {"Q2f/ring_per_producer", "a ring alone per producer, the receiver tries each"},
            {"Q2f/ring+send_notify", "+ each send's DiatomicWaker notify() (1 RMW)"},
            {"Q2f/ring+send_notify+recv_notify",
             "+ each receive's WaiterList notify_one() (1 RMW)"},
            {"Q2/diatomic_channel", "+ waiting: block_on(send) / block_on(recv)"},
            {}, {}, {}, {}, {}}},
          "ns per message"},
    Group{"Q3 ping-pong between two threads over two capacity-1 queues",
          {{{"Q3/diatomic_channel", "diatomic::channel, capacity 1"},
            {"Q3/moodycamel", "moodycamel BlockingConcurrentQueue"},
            {"Q3/tbb_bounded_queue", "TBB concurrent_bounded_queue, capacity 1"},
            {"Q3/mutex_deque", "std::mutex + 2 condition_variables + std::deque"},
            {}, {}, {}, {}, {}, {}}},
          "ns per round trip"},
    Group{"Q4 bursts of 100 messages after an idle gap (the receiver sleeps between them);\n"
          "time from the burst's start to its last receipt, per message; cpu: both threads;\n"
          "sleeps: the receiver's, per message (0.01: once per burst)",
          {{{"Q4/diatomic_channel", "diatomic::channel"},
            {"Q4/moodycamel", "moodycamel BlockingConcurrentQueue"},
            {"Q4/tbb_bounded_queue", "TBB concurrent_bounded_queue"},
            {"Q4/mutex_deque", "std::mutex + 2 condition_variables + std::deque"},
            {}, {}, {}, {}, {}, {}}},
          "ns per message"},
    Group{"Q4 floor: the channel's receiver spinning through the gaps instead of sleeping",
          {{{"Q4f/ring+send_notify+recv_notify", "try_send / try_recv, both threads spinning"},
            {"Q4/diatomic_channel", "block_on(send) / block_on(recv): the receiver sleeps"},
            {}, {}, {}, {}, {}, {}, {}, {}}},
          "ns per message"},
    Group{"Q5 coroutine receiver: producer and receiver coroutines, an executor thread each,\n"
          "capacity 1024",
          {{{"Q5/diatomic_channel", "diatomic::channel, co_await, a RunLoop per side"},
            {"Q5/asio_channel", "asio concurrent_channel, an io_context per side"},
            {}, {}, {}, {}, {}, {}, {}, {}}},
          "ns per message"},
    Group{"S5 experiments: spinning ping-pong, the layout of the state word and of the waker",
          {{{"S5/DiatomicWaker", "DiatomicWaker, state on its own line (shipped)"},
            {kS5DiatomicSharedLine, "DiatomicWaker, state on the value's line"},
            {kS5DiatomicOtherPair, "DiatomicWaker, state 128 bytes from the value"},
            {"S5/AtomicWaker", "AtomicWaker, state on the value's line (shipped)"},
            {kS5AtomicWakerOwnLine, "AtomicWaker, state on its own line"},
            {kS5DiatomicCountOwnLine, "DiatomicWaker, the waker's count on its own line"},
            {kS5AtomicWakerCountOwnLine, "AtomicWaker, the waker's count on its own line"},
            {kS5RegisteredFloor, "no primitive: registration flag + wake line, 3 RMWs"},
            {kS5WakeLineFloor, "no primitive: value, then 1 RMW on a wake line"},
            {kSpinFloor, "no primitive: the receiver spins on the value"}}}},
};

// Every target. `subject` is libdiatomic's benchmark, `references` what it is
// held against (the fastest of them counts; empty ones are unused); `if_missed`,
// when not empty, is printed under a missed verdict: the known reason.
//   kFasterBy:   references' ns / subject's ns >= bound
//   kAtMostTimes: subject's ns / references' ns <= bound
enum class TargetKind { kFasterBy, kAtMostTimes };
// A target with a `paired` counter reads its speed-up from that counter of the
// subject (S5p) instead of from the medians of two benchmarks.
struct Target {
  std::string_view label;  // what the bar measures, readable without the docs
  std::string_view subject;
  std::array<std::string_view, 3> references;
  TargetKind kind;
  double bound;
  std::string_view paired = {};
  std::string_view if_missed = {};
};

// Why diatomic::channel misses a target, printed under the verdict: which
// floor rows (Q1f, Q2f, Q4f) show the cost that makes the gap.
// Q1 and Q2 against moodycamel's queue: it gives each producer a sub-queue of
// its own (no claim shared between producers) and never waits for room (it
// allocates), where the channel's producers claim slots of one ring and wait
// when it is full.
inline constexpr std::string_view kMoodycamelMiss =
    "moodycamel: a sub-queue per producer and no bound (its enqueue allocates instead of "
    "waiting), against one bounded ring whose slots every producer claims; Q2 floors: "
    "Q2f/ring against Q2f/ring_per_producer is the shared claim word";
// Against the mutex baseline: the line crossings a ring of 8-byte messages
// pays, and the two modes runs of one binary land in.
inline constexpr std::string_view kMutexMiss =
    "Q1/Q2: runs of one binary land in a fast mode, near a quarter of S5/raw_spin (two line "
    "crossings: a slot line holds four messages and crosses to the receiver and back), or a "
    "slow one, where the sender keeps finding the ring full (sender_waits/op in Google "
    "Benchmark's output); the mutex's deque moves eight messages per line, which its "
    "receiver only reads (docs/benchmarks.md, Q1 to Q5)";
// Q3: each round trip is two wake-ups of a thread that spins before it
// sleeps, in both queues; which is ahead changes between runs.
inline constexpr std::string_view kPingPongMiss =
    "Q3: two wake-ups per round trip, each of a thread spinning before it sleeps, as "
    "moodycamel's semaphore does; S5/raw_spin is the round trip with no queue at all";
inline constexpr std::string_view kBurstsMiss =
    "Q4 floor: the receiver that spins through the gaps shows what sleeping costs; the "
    "sleeps column counts the receiver's sleeps per message (0.01: once per burst)";

inline constexpr std::array kTargets{
    Target{"S1 notify, nobody registered: AtomicWaker / DiatomicWaker",
           "S1/DiatomicWaker", {"S1/AtomicWaker", ""}, TargetKind::kFasterBy, 1.8},
    Target{"S2 same waker again + notify: AtomicWaker / DiatomicWaker",
           "S2/DiatomicWaker", {"S2/AtomicWaker", ""}, TargetKind::kFasterBy, 1.6},
    Target{"S3 new waker + notify: AtomicWaker / DiatomicWaker",
           "S3/DiatomicWaker", {"S3/AtomicWaker", ""}, TargetKind::kFasterBy, 1.1},
    Target{"S6 2 threads notify, nobody registered: AtomicWaker / DiatomicWaker",
           "S6/DiatomicWaker", {"S6/AtomicWaker", ""}, TargetKind::kFasterBy, 1.8},
    Target{"S1 notify vs its floor, a load + compare-exchange loop",
           "S1/DiatomicWaker", {kLoadCmpxchgFloor, ""}, TargetKind::kAtMostTimes, 1.15},
    Target{"S4 parked ping-pong (no spin) vs a bare futex ping-pong",
           "S4/DiatomicWaker", {kFutexFloor, ""}, TargetKind::kAtMostTimes, 1.05},
    Target{"S5 spinning ping-pong: AtomicWaker / DiatomicWaker, cycle by cycle, count by the refs",
           kS5Paired, {}, TargetKind::kFasterBy, 1.0, kPairedAwOverDw},
    Target{"S5 spinning ping-pong: AtomicWaker / DiatomicWaker, cycle by cycle, count own line",
           kS5Paired, {}, TargetKind::kFasterBy, 1.0, kPairedAwOverDwOwnLine},
    Target{"T1 thread hand-off, block_on vs the faster of std::atomic::wait, condition_variable",
           kBlockOnDiatomic, {kAtomicWait, kCondVar}, TargetKind::kAtMostTimes, 0.5},
    Target{"T1 a timed wait woken before its deadline vs the untimed wait",
           kBlockOnDeadline, {kBlockOnDiatomic, ""}, TargetKind::kAtMostTimes, 1.1},
    Target{"C1 coroutine hand-off, co_await resumed inline vs asio",
           kCoInline, {kAsio, ""}, TargetKind::kAtMostTimes, 0.5},
    Target{"C1 coroutine hand-off, co_await on RunLoops vs asio",
           kCoRunLoop, {kAsio, ""}, TargetKind::kAtMostTimes, 1.0},
    Target{"Q1 throughput, 1 producer: the fastest of moodycamel, TBB, mutex / channel",
           "Q1/diatomic_channel", {"Q1/moodycamel", "Q1/tbb_bounded_queue", "Q1/mutex_deque"},
           TargetKind::kFasterBy, 1.0, {}, kMoodycamelMiss},
    Target{"Q1 throughput, 1 producer: mutex + condition_variable / channel",
           "Q1/diatomic_channel", {"Q1/mutex_deque"}, TargetKind::kFasterBy, 2.0, {},
           kMutexMiss},
    Target{"Q2 throughput, 2 producers: the fastest of moodycamel, TBB, mutex / channel",
           "Q2/diatomic_channel", {"Q2/moodycamel", "Q2/tbb_bounded_queue", "Q2/mutex_deque"},
           TargetKind::kFasterBy, 1.0, {}, kMoodycamelMiss},
    Target{"Q2 throughput, 2 producers: mutex + condition_variable / channel",
           "Q2/diatomic_channel", {"Q2/mutex_deque"}, TargetKind::kFasterBy, 2.0, {},
           kMutexMiss},
    Target{"Q3 ping-pong: the fastest of moodycamel, TBB, mutex / channel",
           "Q3/diatomic_channel", {"Q3/moodycamel", "Q3/tbb_bounded_queue", "Q3/mutex_deque"},
           TargetKind::kFasterBy, 1.0, {}, kPingPongMiss},
    Target{"Q3 ping-pong: mutex + condition_variable / channel",
           "Q3/diatomic_channel", {"Q3/mutex_deque"}, TargetKind::kFasterBy, 2.0},
    Target{"Q4 bursts, time per message: the fastest of moodycamel, TBB, mutex / channel",
           "Q4/diatomic_channel", {"Q4/moodycamel", "Q4/tbb_bounded_queue", "Q4/mutex_deque"},
           TargetKind::kFasterBy, 1.0, {}, kBurstsMiss},
    Target{"Q4 bursts, time per message: mutex + condition_variable / channel",
           "Q4/diatomic_channel", {"Q4/mutex_deque"}, TargetKind::kFasterBy, 2.0, {},
           kBurstsMiss},
    Target{"Q5 coroutine receiver: asio concurrent_channel / diatomic::channel",
           "Q5/diatomic_channel", {"Q5/asio_channel"}, TargetKind::kFasterBy, 2.0},
};

}  // namespace diatomic::bench
