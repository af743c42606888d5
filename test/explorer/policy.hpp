// The explorer's atomic policy (DESIGN.md section 5): plugged into the
// library's own state machines (detail::DiatomicCore, detail::AtomicWakerCore)
// in place of std::atomic. Every atomic operation is a scheduling point and a
// trace step; every waker-slot access is a span that reports any overlapping
// access in which one side writes. Tests only.
//
// Memory model: operations take effect in the order the scheduler runs them
// (sequential consistency). The explorer checks the protocol's logic under
// every interleaving; the memory orderings are checked by ThreadSanitizer on
// the std::atomic build. compare_exchange_weak never fails spuriously here:
// every caller in the library loops on failure, so a spurious failure is one
// more iteration that re-reads the same value.
#pragma once

#include "scheduler.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace diatomic::explorer {

// A seeded bug: rewrites the value an RMW writes to a state word (T =
// std::uintptr_t) from `desired` to something else. Null: the real algorithm.
using Mutation = std::uintptr_t (*)(std::uintptr_t old, std::uintptr_t desired);
// How a state word is shown in traces.
using WordFormat = std::string (*)(std::uintptr_t word);

// Set by the scenario runner for the duration of one exploration.
struct PolicyConfig {
  Mutation mutation = nullptr;
  WordFormat format = nullptr;
};
PolicyConfig& policy_config() noexcept;

[[nodiscard]] const char* order_name(std::memory_order order) noexcept;

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
    record("load", order, value_);
    return value_;
  }
  T exchange(T operand, std::memory_order order) {
    return rmw("exchange", order, [operand](T) { return operand; });
  }
  T fetch_or(T operand, std::memory_order order) {
    return rmw("fetch_or", order, [operand](T old) { return static_cast<T>(old | operand); });
  }
  T fetch_and(T operand, std::memory_order order) {
    return rmw("fetch_and", order, [operand](T old) { return static_cast<T>(old & operand); });
  }
  T fetch_add(T operand, std::memory_order order) {
    return rmw("fetch_add", order, [operand](T old) { return static_cast<T>(old + operand); });
  }
  T fetch_sub(T operand, std::memory_order order) {
    return rmw("fetch_sub", order, [operand](T old) { return static_cast<T>(old - operand); });
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order success,
                               std::memory_order failure) {
    point();
    if (value_ != expected) {
      expected = value_;
      record("cas failed", failure, value_);
      return false;
    }
    value_ = mutate(value_, desired);
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
  static T mutate(T old, T desired) {
    if constexpr (std::is_same_v<T, std::uintptr_t>) {
      if (Mutation mutation = policy_config().mutation) return mutation(old, desired);
    }
    static_cast<void>(old);
    return desired;
  }
  template <class F>
  T rmw(const char* op, std::memory_order order, F next) {
    point();
    const T old = value_;
    value_ = mutate(old, next(old));
    record(op, order, value_);
    return old;
  }

  // Only the thread holding the scheduler's baton runs, and the baton is
  // handed over under a mutex, so a plain value is race-free.
  T value_;
  std::string name_;
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
      if (cell.writer_ >= 0 || (write && cell.readers_ > 0)) {
        const bool by_writer = cell.writer_ >= 0;
        scheduler.fail(cell.name_ + (write ? " written by " : " read by ") +
                       scheduler.thread_name(Scheduler::self()) + " while " +
                       scheduler.thread_name(by_writer ? cell.writer_ : cell.last_reader_) +
                       (by_writer ? " writes it" : " reads it"));
      }
      if (write) {
        cell.writer_ = Scheduler::self();
      } else {
        ++cell.readers_;
        cell.last_reader_ = Scheduler::self();
      }
      scheduler.record(write ? "write begin" : "read begin", cell.name_, "");
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

  T value_{};
  std::string name_;
  mutable int writer_ = -1;  // thread id of the writer inside a span, or -1
  mutable int readers_ = 0;
  mutable int last_reader_ = -1;
};

struct Policy {
  template <class T>
  using Atomic = explorer::Atomic<T>;
  template <class T>
  using Cell = explorer::Cell<T>;
};

}  // namespace diatomic::explorer
