// SPDX-License-Identifier: MIT
// The interleaving explorer's scheduler: runs the threads of a scenario one at
// a time and explores, depth-first, every schedule up to a preemption bound
// (CHESS's iterative context bounding, as folly's DeterministicSchedule and
// Rust's loom do), replaying each schedule from the start. Tests only.
//
// A scenario thread is a real std::thread, but only the one holding the baton
// runs; it hands the baton on at each scheduling point (every operation of the
// deterministic policy, policy.hpp). Switching away from a thread that could
// go on costs one preemption; switching when it blocks, yields or ends is free.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace diatomic::explorer {

// Thrown inside a blocked thread to unwind it once its schedule has failed
// (every other thread ended or blocked: a lost wake-up).
struct ScheduleAborted {};

// One schedule's worth of a scenario: fresh objects, the threads' bodies, and
// the checks made once every thread has ended.
class Execution {
 public:
  Execution() = default;
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;
  virtual ~Execution() = default;

  struct Thread {
    std::string name;
    std::function<void()> body;
  };
  // Called once, before any thread starts.
  [[nodiscard]] virtual std::vector<Thread> threads() = 0;
  // Called on the main thread after every thread ended normally; returns a
  // description of what is wrong, if anything.
  [[nodiscard]] virtual std::optional<std::string> check() = 0;
};

// The memory model the policy gives a scenario's atomics (policy.hpp).
//   stale_reads == 0 && spurious_failures == 0: sequentially consistent, every
//     load reads the latest store (the fast default);
//   otherwise: a load may read any store that C++'s coherence rules permit,
//     but at most `stale_reads` reads per schedule return a store older than
//     the latest one; and at most `spurious_failures` compare_exchange_weak
//     calls per schedule fail although the value matched.
struct Options {
  int preemption_bound = 2;
  int stale_reads = 0;
  int spurious_failures = 0;
  // Futex waits (explorer::Futex) that return although nobody woke them, at
  // most this many per schedule; in either model.
  int spurious_wakeups = 0;
  // Futex waits with a deadline (explorer::Futex::wait_until) whose deadline
  // passes, at most this many per schedule; in either model.
  int timeouts = 0;
  long max_schedules = 2'000'000;  // a safety cap; reaching it means "not exhausted"
  long max_steps = 20'000;         // per schedule; beyond it the scenario livelocks
};

// The same scenario (any of the explorer's kinds: Scenario, ChannelScenario,
// WaitScenario) in the stale-read model: a load may return an older store
// once per schedule, and a compare_exchange_weak may fail spuriously once.
// Each stale read multiplies the schedules by the number of stores it could
// return, so the scenarios run with preemption bound 1 (at bound 2, two
// producers on DiatomicWaker alone take 45,360 schedules); a seeded bug may
// keep its scenario's bound, since the search stops at the first failure.
template <class S>
[[nodiscard]] S with_stale_reads(S scenario, int preemption_bound = 1) {
  scenario.stale_reads = 1;
  scenario.spurious_failures = 1;
  scenario.preemption_bound = preemption_bound;
  return scenario;
}

// The bounds a scenario of any kind explores within: every kind has the
// preemption bound and the two of the stale-read model; a kind that models
// spurious wake-ups or deadlines has their bounds too.
template <class S>
[[nodiscard]] Options options_of(const S& scenario) {
  Options options{.preemption_bound = scenario.preemption_bound,
                  .stale_reads = scenario.stale_reads,
                  .spurious_failures = scenario.spurious_failures};
  if constexpr (requires { scenario.spurious_wakeups; }) {
    options.spurious_wakeups = scenario.spurious_wakeups;
  }
  if constexpr (requires { scenario.timeouts; }) options.timeouts = scenario.timeouts;
  return options;
}

struct Result {
  long schedules = 0;
  long stale_schedules = 0;  // schedules in which some load read a stale store
  // Every schedule within the preemption bound was run (the search was not
  // cut short by max_schedules or by a failure).
  bool exhausted = false;
  // The first failure found, with the schedule that shows it.
  std::optional<std::string> failure;
};

// What one point of an execution knows of the others.
//   A vector clock: for each scenario thread, how many of its epochs happen
//   before this point. Threads start at epoch 1, so that nothing a thread does
//   is taken as known to the others before it publishes.
//   A view: for each atomic location, the index in its modification order of
//   the oldest store this point may still read (coherence: nothing older than
//   what it read or wrote itself, or what happens before it).
class View {
 public:
  [[nodiscard]] std::uint32_t at(int thread) const noexcept { return get(ticks_, thread); }
  [[nodiscard]] std::uint32_t floor(int location) const noexcept {
    return get(floors_, location);
  }
  void join(const View& other);
  void tick(int thread);
  void raise(int location, std::uint32_t index);

 private:
  static std::uint32_t get(const std::vector<std::uint32_t>& v, int i) noexcept {
    const auto at = static_cast<std::size_t>(i);
    return at < v.size() ? v[at] : 0;
  }
  std::vector<std::uint32_t> ticks_;
  std::vector<std::uint32_t> floors_;
};

// The memory clause of the primitives' headers: a registration that follows
// a wake (in the modification order of the word they both write) acquires what
// that wake released, so the re-check after it sees the data its producer
// wrote before waking. A scenario names that data: after writing it, the
// producer calls Atomic::clause_data_written(), and from then on every store
// it makes to any atomic carries an obligation: the store of the data it wrote
// (or read last). An atomic's stores carry the greatest obligation of their
// modification order so far, and a thread that reads or writes one owes it;
// Atomic::check_clause() fails the schedule if the thread's re-check read
// older data than it owes.
struct Obligation {
  int location = -1;        // the data's atomic location; -1: nothing owed
  std::uint32_t index = 0;  // the store of it that must be seen, in its modification order
  int by = -1;              // the thread that wrote it
  std::size_t step = 0;     // the trace step of the first store (its wake's) that carried it
};
// The greater of two obligations (of one scenario's data location).
[[nodiscard]] inline const Obligation& later(const Obligation& a, const Obligation& b) noexcept {
  if (b.location < 0) return a;
  return a.location < 0 || (a.location == b.location && b.index > a.index) ? b : a;
}

// What each step of the trace recorded: who did what to which object.
struct Step {
  int thread = 0;
  const char* op = "";
  std::string object;
  std::string detail;
};

class Scheduler {
 public:
  explicit Scheduler(Options options) : options_(options) {}
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs every schedule of the scenario made by `make` (one Execution per
  // schedule) until the search is exhausted or a schedule fails.
  [[nodiscard]] Result explore(const std::function<std::unique_ptr<Execution>()>& make);

  // The scheduler running on this thread, or null outside an exploration.
  [[nodiscard]] static Scheduler* active() noexcept;
  // True on a scenario thread of the active schedule (not on the main thread,
  // which builds and checks the objects outside any schedule).
  [[nodiscard]] static bool on_scenario_thread() noexcept;

  // A scheduling point: the calling thread may be preempted here.
  void point();
  // Appends a step to the trace of this schedule.
  void record(const char* op, std::string object, std::string detail);
  // Reports a failure of this schedule (the first one wins); the schedule
  // runs on, and the search stops after it.
  void fail(std::string what);

  // The calling thread lets the others run first (a free switch): used when
  // it found its wake-up token already there, so that a consumer that polls
  // again and again cannot starve everybody under a preemption bound.
  void yield();
  // The calling thread cannot run until unblock(its id); throws
  // ScheduleAborted if the schedule fails while it waits.
  void block();
  // Makes a blocked thread runnable again (it runs when scheduled).
  void unblock(int thread) noexcept;
  // The calling scenario thread's id.
  [[nodiscard]] static int self() noexcept;

  // Happens-before, tracked with views over the memory orders the code
  // names: release publishes the calling thread's view into `sync` (joining
  // it, as a release sequence continues through later RMWs) and starts a new
  // epoch; acquire joins `sync` into the calling thread's view.
  void release_to(View& sync);
  void acquire_from(const View& sync);
  // The calling thread's view, to stamp and check a slot access and to pick
  // the stores an atomic load may read.
  [[nodiscard]] const View& view() const;
  // The calling thread read or wrote store `index` of `location`: it may
  // never read an older one again.
  void saw(int location, std::uint32_t index);
  // The memory clause (Obligation above): what the calling thread's stores
  // carry from now on, what it owes, and the trace step its next record
  // will have.
  void carry(const Obligation& obligation);
  [[nodiscard]] const Obligation& carried() const;
  void owe(const Obligation& obligation);
  [[nodiscard]] const Obligation& owed() const;
  [[nodiscard]] std::size_t next_step() const noexcept { return trace_.size() + 1; }
  // A fresh id for an atomic location of this schedule.
  [[nodiscard]] int new_location() noexcept { return locations_++; }

  // Choice points of the memory model, explored like the scheduling ones.
  // Which of `count` stores a load reads: 0 is the latest (free), i > 0 the
  // i-th older one, each costing one of the schedule's stale reads; 0 when
  // no stale read is left.
  [[nodiscard]] std::size_t pick_store(std::size_t count);
  // Whether a compare_exchange_weak that would succeed fails spuriously
  // (costing one of the schedule's spurious failures).
  [[nodiscard]] bool spurious_failure();
  // Whether a futex wait returns spuriously (costing one of the schedule's
  // spurious wake-ups).
  [[nodiscard]] bool spurious_wakeup();
  // Whether a futex wait with a deadline times out (costing one of the
  // schedule's timeouts).
  [[nodiscard]] bool timeout();

  // The modelled futex (explorer::Futex): the calling thread sleeps on
  // `word` until futex_wake_one(word) picks it; futex_wake_one returns
  // whether it woke a thread.
  void futex_wait(const void* word);
  bool futex_wake_one(const void* word);

  // The name a scenario gave to thread `thread`.
  [[nodiscard]] const std::string& thread_name(int thread) const;

  // A name for the next object of a kind in this schedule ("slot0", ...).
  [[nodiscard]] std::string name_object(const char* kind);

 private:
  enum class Status { kRunnable, kBlocked, kDone };
  enum class Leave { kContinue, kYield, kBlockOrEnd };
  struct Choice {
    std::vector<int> options;  // first = the default (no preemption if possible)
    std::size_t next = 0;
  };
  static constexpr int kMain = -1;

  void run_one(Execution& execution);
  void thread_main(int id, const std::function<void()>& body);
  // Picks who runs after `current` leaves in the given way; -1 if nobody can.
  int choose(int current, Leave how);
  // A choice point over `options` (first = the default): explores each of
  // them in turn and returns the one this schedule takes.
  int branch(std::vector<int> options);
  // A yes-or-no choice point (no is the default) of a kind that may say yes
  // at most `bound` times per schedule; `taken` counts the yeses so far.
  bool bounded_choice(int& taken, int bound);
  // Hands the baton from `current` to `next` and waits for it to come back.
  void switch_to(int current, int next, std::unique_lock<std::mutex>& lock);
  [[nodiscard]] std::string format_trace() const;
  bool advance();

  Options options_;
  std::vector<Choice> stack_;  // the choices of the current schedule, in order
  std::size_t depth_ = 0;      // choice points met so far in this schedule
  int preemptions_ = 0;
  int stale_reads_ = 0;
  int spurious_failures_ = 0;
  int spurious_wakeups_ = 0;
  int timeouts_ = 0;
  std::vector<std::pair<const void*, int>> futex_sleepers_;  // word, thread; oldest first
  int locations_ = 0;
  long steps_ = 0;
  bool aborting_ = false;
  std::optional<std::string> failure_;
  std::vector<Step> trace_;
  std::vector<std::string> names_;
  std::vector<Status> status_;
  std::vector<View> views_;
  std::vector<Obligation> carried_;  // per thread: what its stores carry
  std::vector<Obligation> owed_;     // per thread: what its re-check must see
  std::vector<std::pair<std::string, int>> object_counts_;

  std::mutex mutex_;
  std::condition_variable turn_;
  int running_ = kMain;  // who holds the baton
};

}  // namespace diatomic::explorer
