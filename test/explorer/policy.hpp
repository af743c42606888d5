// SPDX-License-Identifier: MIT
// The explorer's atomic policy (docs/design.md#7-the-atomic-seam): plugged into the
// library's own state machines (detail::DiatomicCore, detail::AtomicWakerCore)
// in place of std::atomic. Every atomic operation is a scheduling point and a
// trace step; every waker-slot access is a span that reports any overlapping
// access in which one side writes. Tests only.
//
// Memory model (Options in scheduler.hpp picks one of two):
//
// Sequentially consistent (the fast default): operations take effect in the
// order the scheduler runs them, every load reads the latest value, and
// compare_exchange_weak never fails spuriously.
//
// Stale reads: each atomic keeps its modification order (every store, in
// order), and each thread a view (per atomic, the oldest store it may still
// read). A load may return any store from its view's floor to the latest,
// the choices explored like scheduling ones within the schedule's stale-read
// bound; an RMW always reads the latest store; a failed compare-exchange is
// a load and may read an older store whose value differs from `expected`;
// compare_exchange_weak may fail spuriously, within its own bound. A thread's
// view rises with what it reads and writes and with happens-before: an
// acquire that reads a store joins the view that store carries, which is the
// releasing thread's view for a release store, continued through every later
// RMW (release sequences; a plain store ends them). Seq_cst operations run in
// one total order, the scheduler's: a seq_cst load reads no older than the
// last seq_cst store to that atomic. Fences are not modelled: the cores use
// none and the policy seam has none.
//
// In both models, the views' vector clocks give happens-before, and every
// slot access must happen after the previous conflicting one: a missing
// release or acquire shows as a data race in the schedules where it matters.
// Every store also carries the memory clause's obligation (Obligation in
// scheduler.hpp): a re-check that reads older data than a registration owes
// fails, which only a stale read can do.
#pragma once

#include "scheduler.hpp"

#include <diatomic/detail/atomic_policy.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace diatomic::explorer {

// A seeded bug: rewrites the value an RMW writes to a state word (T =
// std::uintptr_t, or the parker's and the poll gate's std::uint32_t) from
// `desired` to something else. Null: the real algorithm.
using Mutation = std::uintptr_t (*)(std::uintptr_t old, std::uintptr_t desired);
// Where the code under test calls an atomic operation: the default argument
// of every operation of Atomic<T>, so the call site in the core names itself
// without any change to the core.
struct Site {
  // NOLINTNEXTLINE(google-explicit-constructor): built by default arguments
  Site(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE(),
       const char* function = __builtin_FUNCTION()) noexcept
      : file(file), line(line), function(function) {}
  const char* file;
  unsigned line;
  const char* function;
};

// One atomic operation as the policy runs it.
struct Operation {
  const char* op;            // "load", "store", "fetch_or", "cas", ...
  Site site;                 // its call in the code
  std::uintptr_t operand;    // value stored, or-ed, and-ed, added, exchanged or, for a CAS, desired
};
// Which order of an operation: a compare-exchange has two.
enum class OrderRole { kSuccess, kFailure };
// A seeded bug or an order sweep: the memory order an operation runs with
// instead of `order`. Empty: the orders the code names.
using OrderMutation =
    std::function<std::memory_order(const Operation& op, OrderRole role, std::memory_order order)>;
// How a state word is shown in traces.
using WordFormat = std::string (*)(std::uintptr_t word);

// Set by the scenario runner for the duration of one exploration.
struct PolicyConfig {
  Mutation mutation = nullptr;
  OrderMutation weaken = nullptr;
  WordFormat format = nullptr;
};
PolicyConfig& policy_config() noexcept;

// Explores every schedule of a scenario of any kind within its bounds
// (options_of, scheduler.hpp), one fresh Run(scenario) per schedule, with the
// policy configured as `config` for the duration.
template <class Run, class S>
[[nodiscard]] Result explore(const S& scenario, PolicyConfig config = {}) {
  policy_config() = std::move(config);
  Scheduler scheduler(options_of(scenario));
  Result result = scheduler.explore([&] { return std::make_unique<Run>(scenario); });
  policy_config() = PolicyConfig{};
  return result;
}

[[nodiscard]] const char* order_name(std::memory_order order) noexcept;
[[nodiscard]] bool acquires(std::memory_order order) noexcept;
[[nodiscard]] bool releases(std::memory_order order) noexcept;

template <class T>
[[nodiscard]] std::string show(T value) {
  if constexpr (std::is_same_v<T, std::uintptr_t> || std::is_same_v<T, std::uint32_t>) {
    if (policy_config().format != nullptr) return policy_config().format(value);
  }
  return std::to_string(value);
}

// The name of a new atomic or cell in the traces of this schedule: `kind`
// and a number, "state0", "slot1", ...
[[nodiscard]] inline std::string object_name(const char* kind) {
  Scheduler* scheduler = Scheduler::active();
  return scheduler != nullptr ? scheduler->name_object(kind) : kind;
}

// An atomic word of the code under test: every operation is a scheduling
// point and a trace step, and reads and writes its modification order as the
// memory model above says. Its owner names it: a core where it declares it
// (detail::named, atomic_policy.hpp), a scenario as it does its cells.
template <class T>
class Atomic {
 public:
  Atomic(const char* kind, T initial) : name_(object_name(kind)), location_(make_location()) {
    history_.push_back(Store{initial, View{}});
  }
  explicit Atomic(detail::Named<T> named) : Atomic(named.name, named.value) {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;
  // Destroyed on a scenario thread (a reference count's last release frees
  // the object it counts for): every store by another thread must happen
  // before, or the free races with it. (Loads are not checked: the objects
  // freed so, the relay's gate and count, are only read by RMWs.)
  ~Atomic() {
    Scheduler* scheduler = scenario();
    if (scheduler == nullptr) return;
    const int me = Scheduler::self();
    for (const Store& store : history_) {
      if (store.writer >= 0 && store.writer != me &&
          scheduler->view().at(store.writer) < store.epoch) {
        scheduler->fail(name_ + " destroyed by " + scheduler->thread_name(me) +
                        " with no happens-before from its store by " +
                        scheduler->thread_name(store.writer) + " (a data race)");
        return;
      }
    }
  }

  [[nodiscard]] T load(std::memory_order order, Site site = {}) const {
    point();
    order = weaken(Operation{"load", site, 0}, OrderRole::kSuccess, order);
    std::vector<std::uint32_t> readable;
    for (std::uint32_t i = latest() + 1; i-- > floor(order);) readable.push_back(i);
    const std::uint32_t index = readable[pick(readable.size())];
    read(index, order);
    record("load", order, index);
    return history_[index].value;
  }
  void store(T value, std::memory_order order, Site site = {}) {
    point();
    order = weaken(Operation{"store", site, static_cast<std::uintptr_t>(value)},
                   OrderRole::kSuccess, order);
    // A plain store heads a new release sequence (or none): it carries only
    // what it releases itself.
    write(value, order, View{});
    record("store", order, latest());
  }
  T exchange(T operand, std::memory_order order, Site site = {}) {
    return rmw(Operation{"exchange", site, static_cast<std::uintptr_t>(operand)}, order,
               [operand](T) { return operand; });
  }
  T fetch_or(T operand, std::memory_order order, Site site = {}) {
    return rmw(Operation{"fetch_or", site, static_cast<std::uintptr_t>(operand)}, order,
               [operand](T old) { return static_cast<T>(old | operand); });
  }
  T fetch_and(T operand, std::memory_order order, Site site = {}) {
    return rmw(Operation{"fetch_and", site, static_cast<std::uintptr_t>(operand)}, order,
               [operand](T old) { return static_cast<T>(old & operand); });
  }
  T fetch_add(T operand, std::memory_order order, Site site = {}) {
    return rmw(Operation{"fetch_add", site, static_cast<std::uintptr_t>(operand)}, order,
               [operand](T old) { return static_cast<T>(old + operand); });
  }
  T fetch_sub(T operand, std::memory_order order, Site site = {}) {
    return rmw(Operation{"fetch_sub", site, static_cast<std::uintptr_t>(operand)}, order,
               [operand](T old) { return static_cast<T>(old - operand); });
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order success,
                               std::memory_order failure, Site site = {}) {
    return compare_exchange(expected, desired, success, failure, false, site);
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order success,
                             std::memory_order failure, Site site = {}) {
    return compare_exchange(expected, desired, success, failure, true, site);
  }

  // The memory clause (Obligation in scheduler.hpp), for the atomic that
  // holds a scenario's data. The calling thread has written the data that a
  // registration after its wake must see: its stores from now on carry the
  // latest store of this atomic it has seen.
  void clause_data_written() const {
    Scheduler* scheduler = scenario();
    if (scheduler == nullptr) return;
    scheduler->carry(
        Obligation{location_, scheduler->view().floor(location_), Scheduler::self(), 0});
  }
  // The calling thread's re-check after a registration has just loaded this
  // atomic: fails the schedule if it read an older store than it owes.
  void check_clause() const {
    Scheduler* scheduler = scenario();
    if (scheduler == nullptr) return;
    const Obligation& owed = scheduler->owed();
    const std::uint32_t seen = scheduler->view().floor(location_);
    if (owed.location != location_ || seen >= owed.index) return;
    scheduler->fail("memory clause violated: " + scheduler->thread_name(Scheduler::self()) +
                    "'s re-check after registering read " + name_ + " = " +
                    show(history_[seen].value) + ", not the " + show(history_[owed.index].value) +
                    " that " + scheduler->thread_name(owed.by) + " wrote before its wake (step " +
                    std::to_string(owed.step) + "), which the registration follows");
  }

  // For the modelled futex: the latest store (the kernel compares with it
  // atomically with going to sleep), read with no scheduling point and no
  // happens-before; and the word's name in traces.
  [[nodiscard]] T peek() const noexcept { return history_.back().value; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  // One store of the modification order: its value, and what an acquire that
  // reads it synchronises with (its release sequence's views).
  struct Store {
    T value;
    View published;
    int writer = -1;          // the scenario thread that stored it, if any
    std::uint32_t epoch = 0;  // and its clock when it did
    Obligation owed{};        // the greatest its writer and the stores before it carried
  };

  static int make_location() {
    Scheduler* scheduler = Scheduler::active();
    return scheduler != nullptr ? scheduler->new_location() : 0;
  }
  // The scheduler, when called from a scenario thread (the main thread
  // builds and destroys the objects outside any schedule: it reads the
  // latest store and joins nothing).
  static Scheduler* scenario() noexcept {
    return Scheduler::on_scenario_thread() ? Scheduler::active() : nullptr;
  }
  static void point() {
    if (Scheduler* scheduler = Scheduler::active()) scheduler->point();
  }
  [[nodiscard]] std::uint32_t latest() const noexcept {
    return static_cast<std::uint32_t>(history_.size() - 1);
  }
  // The oldest store the calling thread may read with `order`.
  [[nodiscard]] std::uint32_t floor(std::memory_order order) const {
    Scheduler* scheduler = scenario();
    if (scheduler == nullptr) return latest();
    const std::uint32_t seen = scheduler->view().floor(location_);
    return order == std::memory_order_seq_cst ? std::max(seen, last_seq_cst_) : seen;
  }
  // Which of `count` readable stores (the latest first) a read takes.
  static std::size_t pick(std::size_t count) {
    Scheduler* scheduler = scenario();
    return scheduler != nullptr ? scheduler->pick_store(count) : 0;
  }
  // The calling thread reads store `index` with `order`.
  void read(std::uint32_t index, std::memory_order order) const {
    Scheduler* scheduler = scenario();
    if (scheduler == nullptr) return;
    scheduler->saw(location_, index);
    scheduler->owe(history_[index].owed);
    if (acquires(order)) scheduler->acquire_from(history_[index].published);
  }
  // The calling thread appends a store; `carried` is the release sequence it
  // continues (an RMW's) or nothing (a plain store's).
  void write(T value, std::memory_order order, View carried) {
    history_.push_back(Store{value, std::move(carried)});
    if (order == std::memory_order_seq_cst) last_seq_cst_ = latest();
    Scheduler* scheduler = scenario();
    if (scheduler == nullptr) return;
    history_.back().writer = Scheduler::self();
    history_.back().epoch = scheduler->view().at(Scheduler::self());
    scheduler->saw(location_, latest());
    // The memory clause: the store follows the one before it in the
    // modification order, and adds what its writer carries (from its first
    // store on: its wake).
    Obligation brings = scheduler->carried();
    if (brings.location >= 0 && brings.step == 0) {
      brings.step = scheduler->next_step();
      scheduler->carry(brings);
    }
    history_.back().owed = later(history_[latest() - 1].owed, brings);
    scheduler->owe(history_.back().owed);
    if (releases(order)) scheduler->release_to(history_.back().published);
  }
  void record(const char* op, std::memory_order order, std::uint32_t index) const {
    Scheduler* scheduler = scenario();
    if (scheduler == nullptr) return;
    std::string detail = show(history_[index].value) + " (" + order_name(order) + ")";
    if (index < latest()) {
      const std::uint32_t newer = latest() - index;
      detail += " stale: " + std::to_string(newer) + (newer == 1 ? " newer store" : " newer stores");
    }
    scheduler->record(op, name_, std::move(detail));
  }
  static std::memory_order weaken(const Operation& op, OrderRole role, std::memory_order order) {
    const OrderMutation& weaken = policy_config().weaken;
    return weaken ? weaken(op, role, order) : order;
  }
  static T mutate(T old, T desired) {
    if constexpr (std::is_same_v<T, std::uintptr_t> || std::is_same_v<T, std::uint32_t>) {
      if (Mutation mutation = policy_config().mutation) {
        return static_cast<T>(mutation(old, desired));
      }
    }
    static_cast<void>(old);
    return desired;
  }
  template <class F>
  T rmw(const Operation& op, std::memory_order order, F next) {
    point();
    order = weaken(op, OrderRole::kSuccess, order);
    const std::uint32_t last = latest();
    read(last, order);
    const T old = history_[last].value;
    write(mutate(old, next(old)), order, history_[last].published);
    record(op.op, order, latest());
    return old;
  }
  bool compare_exchange(T& expected, T desired, std::memory_order success,
                        std::memory_order failure, bool weak, Site site) {
    point();
    const Operation op{"cas", site, static_cast<std::uintptr_t>(desired)};
    success = weaken(op, OrderRole::kSuccess, success);
    failure = weaken(op, OrderRole::kFailure, failure);
    // The latest store, or an older one the thread may still read whose value
    // differs from `expected` (a failed compare-exchange is a load; one that
    // compares equal writes, so it read the latest store).
    std::vector<std::uint32_t> readable{latest()};
    for (std::uint32_t i = latest(); i-- > floor(failure);) {
      if (history_[i].value != expected) readable.push_back(i);
    }
    const std::uint32_t index = readable[pick(readable.size())];
    const bool spurious = history_[index].value == expected && weak && scenario() != nullptr &&
                          scenario()->spurious_failure();
    if (history_[index].value != expected || spurious) {
      expected = history_[index].value;
      read(index, failure);
      record(spurious ? "cas spurious" : "cas failed", failure, index);
      return false;
    }
    read(index, success);
    write(mutate(expected, desired), success, history_[index].published);
    record("cas", success, latest());
    return true;
  }

  // Only the thread holding the scheduler's baton runs, and the baton is
  // handed over under a mutex, so plain members are race-free.
  std::vector<Store> history_;  // the modification order, oldest first
  std::uint32_t last_seq_cst_ = 0;  // index of the last seq_cst store
  std::string name_;
  int location_;
};

// A cell (a waker slot, a list's links, a message) whose with()/with_mut()
// are access spans: scheduling points at the start and at the end of each
// span let any other thread run while the access (a waker call, a copy, a
// drop) is under way, and a span that overlaps another one in which either
// side writes is reported as a failure of the schedule.
template <class T>
class Cell {
 public:
  // `kind` names the cell in traces: "slot0", "links1", "frame1", ... A core
  // names its cells through detail::named (atomic_policy.hpp), a scenario
  // here; a waker slot keeps the default.
  explicit Cell(const char* kind = "slot") : name_(object_name(kind)) {}
  Cell(const Cell&) = delete;
  Cell& operator=(const Cell&) = delete;

  template <class F>
  decltype(auto) with(F&& f) const {
    Span span(*this, false);
    return std::forward<F>(f)(static_cast<const T&>(value_));
  }
  template <class F>
  decltype(auto) with_mut(F&& f) {
    Span span(*this, true);
    return std::forward<F>(f)(value_);
  }

 private:
  class Span {
   public:
    Span(const Cell& cell, bool write) : cell_(cell), write_(write) {
      if (!active_) return;
      Scheduler& scheduler = *Scheduler::active();
      scheduler.record(write ? "write begin" : "read begin", cell.name_, "");
      if (cell.writer_ >= 0 || (write && cell.readers_ > 0)) {
        const bool by_writer = cell.writer_ >= 0;
        scheduler.fail(cell.name_ + (write ? " written by " : " read by ") +
                       scheduler.thread_name(Scheduler::self()) + " while " +
                       scheduler.thread_name(by_writer ? cell.writer_ : cell.last_reader_) +
                       (by_writer ? " writes it" : " reads it"));
      }
      cell.check_order(scheduler, write);
      if (write) {
        cell.writer_ = Scheduler::self();
      } else {
        ++cell.readers_;
        cell.last_reader_ = Scheduler::self();
      }
      scheduler.point();
    }
    ~Span() {
      if (!active_) return;
      Scheduler& scheduler = *Scheduler::active();
      scheduler.point();
      if (write_) {
        cell_.writer_ = -1;
      } else {
        --cell_.readers_;
      }
      cell_.stamp(scheduler, write_);
      scheduler.record(write_ ? "write end" : "read end", cell_.name_, "");
    }
    Span(const Span&) = delete;
    Span& operator=(const Span&) = delete;

   private:
    const Cell& cell_;
    bool write_;
    bool active_ = Scheduler::on_scenario_thread();
  };

  // An access must happen after the last write by another thread and, if it
  // writes, after every other thread's last read.
  void check_order(Scheduler& scheduler, bool write) const {
    const int me = Scheduler::self();
    const View& now = scheduler.view();
    const char* what = write ? " written by " : " read by ";
    if (last_writer_ >= 0 && last_writer_ != me && now.at(last_writer_) < write_epoch_) {
      scheduler.fail(name_ + what + scheduler.thread_name(me) +
                     " with no happens-before from its write by " +
                     scheduler.thread_name(last_writer_) + " (a data race)");
    }
    if (!write) return;
    for (std::size_t reader = 0; reader < read_epochs_.size(); ++reader) {
      const int id = static_cast<int>(reader);
      if (id != me && now.at(id) < read_epochs_[reader]) {
        scheduler.fail(name_ + what + scheduler.thread_name(me) +
                       " with no happens-before from its read by " + scheduler.thread_name(id) +
                       " (a data race)");
      }
    }
  }
  // Records the access as the calling thread's latest, at its current epoch.
  void stamp(const Scheduler& scheduler, bool write) const {
    const int me = Scheduler::self();
    const std::uint32_t epoch = scheduler.view().at(me);
    if (write) {
      last_writer_ = me;
      write_epoch_ = epoch;
    } else {
      const auto i = static_cast<std::size_t>(me);
      if (read_epochs_.size() <= i) read_epochs_.resize(i + 1, 0);
      read_epochs_[i] = epoch;
    }
  }

  T value_{};
  std::string name_;
  mutable int writer_ = -1;  // thread id of the writer inside a span, or -1
  mutable int readers_ = 0;
  mutable int last_reader_ = -1;
  mutable int last_writer_ = -1;  // of the last finished write by a scenario thread
  mutable std::uint32_t write_epoch_ = 0;
  mutable std::vector<std::uint32_t> read_epochs_;  // per thread, its last finished read
};

// The deadline of a modelled timed wait: it may pass at any futex wait.
struct Deadline {};

// The futex of detail::ParkerCore, modelled: wait() is a scheduling point;
// if the word still holds `expected` it either returns spuriously (a choice,
// within the schedule's spurious wake-up bound) or sleeps until a
// wake_one() on the word picks it. wait_until() first chooses whether the
// deadline has passed (within the schedule's timeout bound): if so it
// returns true at once, whatever the word holds; else it is wait() and
// returns false. A thread that times out after sleeping a while is the same
// as one that timed out at once and was preempted before its next step,
// which the scheduler explores. Neither orders memory, as the kernel's does
// not promise to: ParkerCore's own acquire must.
struct Futex {
  static void wait(Atomic<std::uint32_t>& word, std::uint32_t expected);
  static bool wait_until(Atomic<std::uint32_t>& word, std::uint32_t expected, const Deadline&);
  static void wake_one(Atomic<std::uint32_t>& word);
};

struct Policy {
  template <class T>
  using Atomic = explorer::Atomic<T>;
  template <class T>
  using Cell = explorer::Cell<T>;
};

}  // namespace diatomic::explorer
