// SPDX-License-Identifier: MIT
// The explorer's atomic policy (docs/design.md#7-the-atomic-seam): plugged into the
// library's own state machines (detail::DiatomicCore, detail::AtomicWakerCore)
// in place of std::atomic. Every atomic operation is a scheduling point and a
// trace step; every waker-slot access is a span that reports any overlapping
// access in which one side writes. Tests only.
//
// Memory model: operations take effect in the order the scheduler runs them
// (every load reads the latest value). On top of that, the memory orders the
// code names build happens-before with vector clocks (release sequences made
// of RMWs included), and every slot access must happen after the previous
// conflicting one: a missing release or acquire shows as a data race in the
// schedules where it matters, although no schedule reads a stale value.
// Seq_cst counts as acq_rel. compare_exchange_weak never fails spuriously here:
// every caller in the library loops on failure, so a spurious failure is one
// more iteration that re-reads the same value.
#pragma once

#include "scheduler.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace diatomic::explorer {

// A seeded bug: rewrites the value an RMW writes to a state word (T =
// std::uintptr_t) from `desired` to something else. Null: the real algorithm.
using Mutation = std::uintptr_t (*)(std::uintptr_t old, std::uintptr_t desired);
// A seeded bug: the memory order an RMW of a state word runs with instead of
// `order` (op is "fetch_or", "cas", ...; operand is the value or-ed, and-ed,
// exchanged or, for a CAS, desired). Null: the orders the code names.
using OrderMutation = std::memory_order (*)(const char* op, std::uintptr_t operand,
                                            std::memory_order order);
// How a state word is shown in traces.
using WordFormat = std::string (*)(std::uintptr_t word);

// Set by the scenario runner for the duration of one exploration.
struct PolicyConfig {
  Mutation mutation = nullptr;
  OrderMutation weaken = nullptr;
  WordFormat format = nullptr;
};
PolicyConfig& policy_config() noexcept;

[[nodiscard]] const char* order_name(std::memory_order order) noexcept;
[[nodiscard]] bool acquires(std::memory_order order) noexcept;
[[nodiscard]] bool releases(std::memory_order order) noexcept;

template <class T>
[[nodiscard]] std::string show(T value) {
  if constexpr (std::is_same_v<T, std::uintptr_t>) {
    if (policy_config().format != nullptr) return policy_config().format(value);
  }
  return std::to_string(value);
}

template <class T>
class Atomic {
 public:
  explicit Atomic(T initial) noexcept : value_(initial), name_(make_name()) {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  [[nodiscard]] T load(std::memory_order order) const {
    point();
    if (acquires(order)) acquire();
    record("load", order, value_);
    return value_;
  }
  T exchange(T operand, std::memory_order order) {
    return rmw("exchange", operand, order, [operand](T) { return operand; });
  }
  T fetch_or(T operand, std::memory_order order) {
    return rmw("fetch_or", operand, order, [operand](T old) { return static_cast<T>(old | operand); });
  }
  T fetch_and(T operand, std::memory_order order) {
    return rmw("fetch_and", operand, order, [operand](T old) { return static_cast<T>(old & operand); });
  }
  T fetch_add(T operand, std::memory_order order) {
    return rmw("fetch_add", operand, order, [operand](T old) { return static_cast<T>(old + operand); });
  }
  T fetch_sub(T operand, std::memory_order order) {
    return rmw("fetch_sub", operand, order, [operand](T old) { return static_cast<T>(old - operand); });
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order success,
                               std::memory_order failure) {
    point();
    if (value_ != expected) {
      expected = value_;
      if (acquires(failure)) acquire();
      record("cas failed", failure, value_);
      return false;
    }
    success = weaken("cas", desired, success);
    if (acquires(success)) acquire();
    value_ = mutate(value_, desired);
    if (releases(success)) release();
    record("cas", success, value_);
    return true;
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order success,
                             std::memory_order failure) {
    return compare_exchange_strong(expected, desired, success, failure);
  }

 private:
  static std::string make_name() {
    const char* kind = std::is_same_v<T, std::uintptr_t> ? "state" : "count";
    Scheduler* scheduler = Scheduler::active();
    return scheduler != nullptr ? scheduler->name_object(kind) : kind;
  }
  static void point() {
    if (Scheduler* scheduler = Scheduler::active()) scheduler->point();
  }
  void record(const char* op, std::memory_order order, T now) const {
    if (!Scheduler::on_scenario_thread()) return;
    Scheduler::active()->record(op, name_, show(now) + " (" + order_name(order) + ")");
  }
  void acquire() const {
    if (Scheduler* scheduler = Scheduler::active()) scheduler->acquire_from(released_);
  }
  void release() {
    if (Scheduler* scheduler = Scheduler::active()) scheduler->release_to(released_);
  }
  static std::memory_order weaken(const char* op, T operand, std::memory_order order) {
    if constexpr (std::is_same_v<T, std::uintptr_t>) {
      if (OrderMutation weaken = policy_config().weaken) return weaken(op, operand, order);
    }
    static_cast<void>(op);
    static_cast<void>(operand);
    return order;
  }
  static T mutate(T old, T desired) {
    if constexpr (std::is_same_v<T, std::uintptr_t>) {
      if (Mutation mutation = policy_config().mutation) return mutation(old, desired);
    }
    static_cast<void>(old);
    return desired;
  }
  template <class F>
  T rmw(const char* op, T operand, std::memory_order order, F next) {
    point();
    order = weaken(op, operand, order);
    if (acquires(order)) acquire();
    const T old = value_;
    value_ = mutate(old, next(old));
    if (releases(order)) release();
    record(op, order, value_);
    return old;
  }

  // Only the thread holding the scheduler's baton runs, and the baton is
  // handed over under a mutex, so a plain value is race-free.
  T value_;
  std::string name_;
  // What the release RMWs so far published: every RMW continues the release
  // sequences before it, so an acquire that reads any later value gets all.
  VectorClock released_;
};

// A waker slot whose with()/with_mut() are access spans: scheduling points at
// the start and at the end of each span let any other thread run while the
// access (a waker call, a copy, a drop) is under way, and a span that overlaps
// another one in which either side writes is reported as a failure of the
// schedule.
template <class T>
class Cell {
 public:
  Cell() : name_(make_name()) {}
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

  static std::string make_name() {
    Scheduler* scheduler = Scheduler::active();
    return scheduler != nullptr ? scheduler->name_object("slot") : "slot";
  }

  // An access must happen after the last write by another thread and, if it
  // writes, after every other thread's last read.
  void check_order(Scheduler& scheduler, bool write) const {
    const int me = Scheduler::self();
    const VectorClock& now = scheduler.clock();
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
    const std::uint32_t epoch = scheduler.clock().at(me);
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

struct Policy {
  template <class T>
  using Atomic = explorer::Atomic<T>;
  template <class T>
  using Cell = explorer::Cell<T>;
};

}  // namespace diatomic::explorer
