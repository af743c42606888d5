// SPDX-License-Identifier: MIT
// Scenarios over the library's real state machines: the consumer runs the
// register / re-check / wait protocol against producers that hand it tokens
// and notify. Every wait goes through a Target's token, which only that
// target's wakers set: a wake-up delivered to a waker the consumer no longer
// waits on is lost, exactly as it is for a task that has moved on.
#include "scenarios.hpp"

#include <diatomic/detail/atomic_waker_core.hpp>
#include <diatomic/detail/diatomic_core.hpp>
#include <diatomic/detail/poll_gate.hpp>
#include <diatomic/detail/waker_anchor.hpp>
#include <diatomic/fmt.hpp>

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "parker_core.hpp"
#include "wake_target.hpp"

namespace diatomic::explorer {
namespace {

using DiatomicCore = detail::DiatomicCore<Policy>;
using AtomicWakerCore = detail::AtomicWakerCore<Policy>;
using ParkerCore = detail::ParkerCore<Policy, Futex>;
using PollGate = detail::PollGate<Policy>;

// The target of one of the consumer's wakers, whose wake-up token the
// consumer waits for; with a frame that each wake reads.
class Target final : public WakeTarget {
 public:
  // A target whose frame is checked: each wake reads it, write_frame() writes it.
  Target(std::string name, bool has_frame) : WakeTarget(std::move(name)), has_frame_(has_frame) {}

  // The frame is re-initialised or goes away: any wake still running, or
  // not ordered before, is a data race on it.
  void write_frame() {
    // Exclusive: the consumer writes a frame only once no notifier may call
    // it, or before registering it again.
    frame_.with_mut([](bool& written) { written = true; });
  }

 private:
  void on_wake() override {
    if (has_frame_) {
      // Shared: a waker call reads the frame it points into.
      frame_.with([](const bool&) {});
    }
  }

  // Touched only by the thread holding the scheduler's baton.
  bool has_frame_;
  Cell<bool> frame_{"frame"};
};

void notify(DiatomicCore& core) {
  core.notify();
}
void notify(AtomicWakerCore& core) {
  core.wake();
}

// What every run of a scenario has: the consumer's thread, one thread per
// producer, and the number of tokens they hand over.
class ScenarioRun : public Execution {
 public:
  ScenarioRun(const Scenario& scenario, const char* consumer)
      : scenario_(scenario), consumer_(consumer) {
    for (const auto& actions : scenario.producers) {
      for (Action action : actions) expected_ += action == Action::kToken ? 1 : 0;
    }
  }

  std::vector<Thread> threads() final {
    std::vector<Thread> threads;
    threads.push_back({consumer_, [this] { consume(); }});
    for (std::size_t i = 0; i < scenario_.producers.size(); ++i) {
      threads.push_back({fmt::format("producer{}", i), [this, i] { produce(i); }});
    }
    return threads;
  }

 protected:
  virtual void consume() = 0;
  virtual void produce(std::size_t producer) = 0;

  const Scenario& scenario_;
  const char* consumer_;
  int expected_ = 0;
};

// One schedule of a scenario over the primitive Core.
template <class Core>
class PrimitiveRun final : public ScenarioRun {
 public:
  explicit PrimitiveRun(const Scenario& scenario)
      : ScenarioRun(scenario, "consumer"), core_(std::make_unique<Core>()) {
    for (int i = 0; i < scenario.wakers; ++i) {
      targets_.push_back(std::make_unique<Target>(
          fmt::format("waker{}", i), scenario.ending == Ending::kQuiesce ||
                                         scenario.protocol == Protocol::kAwaitEachToken));
    }
  }

  std::optional<std::string> check() override {
    core_.reset();
    for (const auto& target : targets_) {
      if (target->live() != 0) {
        return fmt::format("{}: {} references still alive once the primitive is destroyed",
                           target->name(), target->live());
      }
    }
    return std::nullopt;
  }

 private:
  // The consumer's check and re-check of the scenario's payload.
  [[nodiscard]] bool done() const {
    // Ordering: relaxed, so that only the primitive orders what the re-check
    // after a registration reads (the contract of docs/memory-ordering.md):
    // if register_waker or notify lacks an acquire or a release it needs,
    // the stale-read model lets the re-check miss a token, and the consumer
    // waits for a wake-up that never comes.
    return tokens() == expected_;
  }
  [[nodiscard]] int tokens() const {
    // Ordering: relaxed, as in done().
    return tokens_.load(std::memory_order_relaxed);
  }
  // The re-check after a registration: the token count, which must be at
  // least what every wake the registration follows was made after.
  [[nodiscard]] int recheck() const {
    const int seen = tokens();
    if (scenario_.memory_clause) tokens_.check_clause();
    return seen;
  }

  void consume() override {
    if (scenario_.protocol == Protocol::kAwaitEachToken) return await_each_token();
    if (done()) return finish(false);
    for (std::size_t poll = 0;; ++poll) {
      Target& target = *targets_[poll % targets_.size()];
      const Waker waker = target.waker();
      if (scenario_.protocol == Protocol::kRecheckThenRegister) {
        if (poll > 0 && done()) return finish(false);
        core_->register_waker(waker);
      } else {
        if (scenario_.protocol == Protocol::kRegisterTwiceThenRecheck) {
          const Waker previous = targets_[(poll + targets_.size() - 1) % targets_.size()]->waker();
          core_->register_waker(previous);
        }
        core_->register_waker(waker);
        if (recheck() == expected_) return finish(true);
      }
      if (poll < static_cast<std::size_t>(scenario_.polls_without_parking)) {
        Scheduler::active()->yield();
        continue;
      }
      target.park();
    }
  }

  // Protocol::kAwaitEachToken: the k-th await waits for k tokens.
  void await_each_token() {
    if constexpr (requires { core_->notifying(); }) {
      Target& target = *targets_.front();
      for (int k = 1; k <= expected_; ++k) {
        target.write_frame();
        for (;;) {
          const Waker waker = target.waker();
          core_->register_waker(waker);
          if (recheck() >= k) break;
          target.park();
        }
        quiesce();
      }
    } else {
      Scheduler::active()->fail("Protocol::kAwaitEachToken needs notifying() (DiatomicWaker)");
    }
  }

  // As the co_await awaiter before its frame is reused or goes: no notifier
  // is, or will be, inside a call of one of its wakers.
  void quiesce() {
    if constexpr (requires { core_->notifying(); }) {
      core_->unregister();
      while (core_->notifying()) Scheduler::active()->yield();
    }
  }

  // The consumer has every token; `registered`: since its last wake-up.
  void finish(bool registered) {
    if constexpr (requires { core_->clear(); }) {
      switch (scenario_.ending) {
        case Ending::kUnregister:
          if (registered) core_->unregister();
          return;
        case Ending::kClear:
          core_->clear();
          return;
        case Ending::kQuiesce:
          quiesce();
          for (const auto& target : targets_) target->write_frame();
          return;
      }
    }
    static_cast<void>(registered);
  }

  void produce(std::size_t producer) override {
    for (Action action : scenario_.producers[producer]) {
      // Ordering: relaxed, as the check in done(): the token reaches the
      // consumer through notify() alone.
      if (action == Action::kToken) {
        tokens_.fetch_add(1, std::memory_order_relaxed);
        tokens_.clause_data_written();
      }
      notify(*core_);
    }
  }

  std::vector<std::unique_ptr<Target>> targets_;
  std::unique_ptr<Core> core_;
  Atomic<int> tokens_{"count", 0};  // the payload: tokens handed to the consumer so far
};

// One schedule of a scenario over the thread parker.
class ParkerRun final : public ScenarioRun {
 public:
  explicit ParkerRun(const Scenario& scenario) : ScenarioRun(scenario, "parker") {}
  std::optional<std::string> check() override { return std::nullopt; }

 private:
  void consume() override {
    if (scenario_.protocol == Protocol::kParkOnceThenRead) {
      while (!park()) {
      }
      // Shared: the producer wrote it before its wake.
      payload_.with([](const bool&) {});
      return;
    }
    // Ordering: relaxed: only the parker orders what the re-check reads.
    while (tokens_.load(std::memory_order_relaxed) != expected_) static_cast<void>(park());
  }

  // One park, with a deadline if the scenario has timeouts; whether it
  // consumed a token.
  bool park() {
    const Parked parked =
        scenario_.timeouts > 0 ? core_.park_until(Deadline{}) : core_.park();
    if (parked == Parked::kTimedOut) return false;
    // Exclusive: only the thread holding the baton runs.
    if (++consumed_ > wakes_) {
      Scheduler::active()->fail(fmt::format(
          "invented token: park consumed token {} after only {} wake(s) began", consumed_,
          wakes_));
    }
    return true;
  }

  void produce(std::size_t producer) override {
    for (Action action : scenario_.producers[producer]) {
      if (action == Action::kToken) {
        if (scenario_.protocol == Protocol::kParkOnceThenRead) {
          // Exclusive: one producer, and the parker reads it after its wake.
          payload_.with_mut([](bool& written) { written = true; });
        }
        // Ordering: relaxed, as the re-check: the token reaches the parker
        // through wake() and park() alone.
        tokens_.fetch_add(1, std::memory_order_relaxed);
      }
      ++wakes_;  // Exclusive: only the thread holding the baton runs.
      core_.wake();
    }
  }

  using Parked = ParkerCore::Parked;
  ParkerCore core_;
  int wakes_ = 0;     // wake() calls begun
  int consumed_ = 0;  // tokens the consumer's parks consumed
  Cell<bool> payload_{"payload"};
  Atomic<int> tokens_{"count", 0};
};

// One schedule of a scenario over the awaiter's poll gate.
class GateRun final : public ScenarioRun {
 public:
  explicit GateRun(const Scenario& scenario) : ScenarioRun(scenario, "awaiter") {}

  std::optional<std::string> check() override {
    const bool destroys = scenario_.protocol == Protocol::kDestroyWhileSuspended;
    if (!destroys && !complete_) {
      return "lost wake-up: every token was handed over, but the wait never completed";
    }
    return std::nullopt;
  }

 private:
  // The first poll, made by co_await itself (the gate starts owned).
  void consume() override {
    if (drive() || scenario_.protocol != Protocol::kDestroyWhileSuspended) return;
    // The coroutine is destroyed while suspended. If a wake has queued a
    // poll meanwhile, the real destructor aborts (misuse): nothing to check.
    if (!gate_.try_seize()) return;
    // Exclusive: the destructor withdraws the registration.
    calls_.with_mut([](bool&) {});
    destroyed_ = true;
  }

  void produce(std::size_t producer) override {
    for (Action action : scenario_.producers[producer]) {
      // Ordering: relaxed, as the poll's re-check: the token reaches the
      // poll through the gate alone.
      if (action == Action::kToken) tokens_.fetch_add(1, std::memory_order_relaxed);
      if (gate_.claim()) {
        // Exclusive: queue() links the awaiter's job node into the
        // executor's queue (and the executor unlinks it before the poll
        // runs); the last poll's executor may have done so on another thread.
        job_.with_mut([](bool&) {});
        static_cast<void>(drive());
      }
    }
  }

  // As the awaiter's drive(): polls while it owns the gate; true once the
  // wait completed (the gate stays held).
  bool drive() {
    for (;;) {
      if (destroyed_) Scheduler::active()->fail("a poll ran after the coroutine was destroyed");
      gate_.start_poll();
      // Exclusive: the poll's consumer-side calls (register, re-check).
      const bool done = calls_.with_mut([this](bool&) {
        // Ordering: relaxed: only the gate orders what the re-check reads.
        return tokens_.load(std::memory_order_relaxed) == expected_;
      });
      if (done) {
        complete_ = true;
        return true;
      }
      if (gate_.try_suspend()) return false;
    }
  }

  PollGate gate_;
  Cell<bool> calls_{"calls"};
  Cell<bool> job_{"job"};
  Atomic<int> tokens_{"count", 0};
  bool complete_ = false;   // touched only by the thread holding the baton
  bool destroyed_ = false;
};

// The explorer policy, but the atomics it makes count themselves while they
// live: the relay's gate word and reference count are freed with it, so
// none alive once every thread ended means the relay was freed.
int& live_relay_atomics() noexcept {
  static int live = 0;
  return live;
}
template <class T>
class CountedAtomic final : public Atomic<T> {
 public:
  explicit CountedAtomic(detail::Named<T> named) : Atomic<T>(named) { ++live_relay_atomics(); }
  CountedAtomic(const CountedAtomic&) = delete;
  CountedAtomic& operator=(const CountedAtomic&) = delete;
  ~CountedAtomic() { --live_relay_atomics(); }
};
struct RelayPolicy {
  template <class T>
  using Atomic = CountedAtomic<T>;
  template <class T>
  using Cell = explorer::Cell<T>;
};

// One schedule of a scenario over the awaiter's relay on an AtomicWaker
// (detail::BasicRelayAnchor<Owner, Policy>: its poll gate and the reference count
// of the RcWaker that owns it). The awaiter is this run: its frame is a
// checked cell, written by each poll's consumer-side calls and by queue()
// (the job node), and written once more when the frame goes. Before the
// threads start, the awaiter attached its relay and registered its waker:
// each producer holds a clone of it, as the AtomicWaker does. Each producer's
// action is a wake by reference (after adding a token to a relaxed count,
// for kToken), its last one a wake by value; a producer with no action drops
// its clone. The poll that completes the wait (or the destructor that seizes
// the gate, kDestroyWhileSuspended) retires the anchor and lets the frame
// go: the awaiter's own references go with it, and the clones it left with
// the producers wake or drop the relay late. Fails if a wake reaches the
// awaiter after its frame went, a frame access or the relay's free does not
// happen after the last conflicting access, the wait never completes
// (kRegisterThenRecheck), or the relay outlives its last reference.
class RelayRun final : public ScenarioRun {
 public:
  explicit RelayRun(const Scenario& scenario) : ScenarioRun(scenario, "awaiter") {
    live_relay_atomics() = 0;
    anchor_.emplace(*this);
    anchor_->attach(*this);
    for (std::size_t i = 0; i < scenario.producers.size(); ++i) clones_.push_back(anchor_->waker());
  }

  std::optional<std::string> check() override {
    if (!destroys_ && !complete_) {
      return "lost wake-up: every token was handed over, but the wait never completed";
    }
    // The abort path keeps the awaiter's references (the run's destructor
    // releases them).
    if ((!destroys_ || seized_) && live_relay_atomics() != 0) {
      return "the relay is still alive once every thread ended (a leaked reference)";
    }
    return std::nullopt;
  }

  // As the awaiter's queue() on an inline executor: links the job node, and
  // the executor runs the poll at once.
  void queue() {
    if (gone_) Scheduler::active()->fail("a wake reached the awaiter after its frame went");
    // Exclusive: queue() links the awaiter's job node (in its frame).
    frame_.with_mut([](bool&) {});
    if (drive()) retire();
  }

 private:
  // The first poll, made by co_await itself (the gate starts owned).
  void consume() override {
    if (drive()) {
      retire();
      return;
    }
    // Destroyed while suspended (its wait never completes); if a wake has
    // queued a poll meanwhile, the real destructor aborts (misuse): nothing
    // to check.
    if (scenario_.protocol != Protocol::kDestroyWhileSuspended) return;
    seized_ = anchor_->gate().try_seize();
    if (seized_) retire();
  }

  void produce(std::size_t producer) override {
    Waker clone = std::move(clones_[producer]);
    const std::vector<Action>& actions = scenario_.producers[producer];
    for (std::size_t i = 0; i < actions.size(); ++i) {
      // Ordering: relaxed, as the poll's re-check: the token reaches the
      // poll through the relay's gate alone.
      if (actions[i] == Action::kToken) tokens_.fetch_add(1, std::memory_order_relaxed);
      if (i + 1 < actions.size()) {
        clone.wake_by_ref();
      } else {
        std::move(clone).wake();
      }
    }
  }  // a producer with no action drops its clone here

  // As the awaiter's drive(): polls while it owns the gate; true once the
  // wait completed (the gate stays held).
  bool drive() {
    for (;;) {
      anchor_->gate().start_poll();
      // Exclusive: the poll's consumer-side calls (register, re-check).
      const bool done = frame_.with_mut([this](bool&) {
        // Ordering: relaxed: only the gate orders what the re-check reads.
        return tokens_.load(std::memory_order_relaxed) == expected_;
      });
      if (done && !destroys_) {
        complete_ = true;
        return true;
      }
      if (anchor_->gate().try_suspend()) return false;
    }
  }

  // The coroutine resumes and its frame goes: the anchor retires, its
  // references (the handle and the waker) are released, the frame is freed.
  void retire() {
    anchor_->retire(*this);
    anchor_.reset();
    // Exclusive: the frame goes; no wake may reach it any more.
    frame_.with_mut([](bool&) {});
    gone_ = true;
  }

  std::optional<detail::BasicRelayAnchor<RelayRun, RelayPolicy>> anchor_;
  std::vector<Waker> clones_;  // one per producer, moved out by its thread
  Cell<bool> frame_{"frame"};
  Atomic<int> tokens_{"count", 0};
  // Destroyed while suspended: the wait never completes, so the frame goes
  // only by the destructor's seize (a coroutine resumed by its completion
  // is not destroyed while suspended).
  const bool destroys_ = scenario_.protocol == Protocol::kDestroyWhileSuspended;
  bool complete_ = false;  // touched only by the thread holding the baton
  bool gone_ = false;
  bool seized_ = false;
};

// Trace formats of the state words: the flags only (as diatomic_word).
std::string strip_type(std::string text) {
  return text.substr(text.find('{'));
}
std::string atomic_waker_word(std::uintptr_t word) {
  return strip_type(fmt::format("{}", AtomicWakerState{word}));
}
std::string parker_word(std::uintptr_t word) {
  switch (word) {
    case ParkerCore::kEmpty:
      return "empty";
    case ParkerCore::kNotified:
      return "notified";
    case ParkerCore::kParked:
      return "parked";
    default:
      return fmt::format("{:#x}", word);
  }
}

std::string gate_word(std::uintptr_t word) {
  std::string flags;
  if ((word & PollGate::kWoken) != 0) flags += " W";
  if ((word & PollGate::kPolling) != 0) flags += " P";
  return "{" + (flags.empty() ? std::string() : flags.substr(1)) + "}";
}

template <class Run>
Result run(const Scenario& scenario, WordFormat format) {
  return explore<Run>(
      scenario, {.mutation = scenario.mutation, .weaken = scenario.weaken, .format = format});
}

}  // namespace

std::string diatomic_word(std::uintptr_t word) {
  return strip_type(fmt::format("{}", DiatomicState{word}));
}

Result explore_diatomic(const Scenario& scenario) {
  return run<PrimitiveRun<DiatomicCore>>(scenario, &diatomic_word);
}

Result explore_atomic_waker(const Scenario& scenario) {
  return run<PrimitiveRun<AtomicWakerCore>>(scenario, &atomic_waker_word);
}

Result explore_parker(const Scenario& scenario) {
  return run<ParkerRun>(scenario, &parker_word);
}

Result explore_poll_gate(const Scenario& scenario) {
  return run<GateRun>(scenario, &gate_word);
}

Result explore_relay(const Scenario& scenario) {
  // No word format: the count (std::size_t) is std::uintptr_t's type here,
  // so both words are shown as numbers (the gate's: W = 2, P = 1).
  return run<RelayRun>(scenario, nullptr);
}

namespace bugs {

std::uintptr_t skip_notify_bit(std::uintptr_t, std::uintptr_t desired) {
  return desired & ~DiatomicState::kNotifyAgain;
}

std::uintptr_t switch_without_flipping_index(std::uintptr_t old, std::uintptr_t desired) {
  const bool switches = (old & DiatomicState::kUpdate) != 0 && (desired & DiatomicState::kUpdate) == 0 &&
                        ((old ^ desired) & DiatomicState::kIndex) != 0;
  return switches ? desired ^ DiatomicState::kIndex : desired;
}

std::uintptr_t withdraw_leaving_a_token(std::uintptr_t old, std::uintptr_t desired) {
  const bool withdraws = old == ParkerCore::kParked && desired == ParkerCore::kEmpty;
  return withdraws ? ParkerCore::kNotified : desired;
}

std::uintptr_t take_without_waking_bit(std::uintptr_t, std::uintptr_t desired) {
  return desired & ~AtomicWakerState::kWaking;
}

std::memory_order publish_new_waker_relaxed(const Operation& op, OrderRole,
                                            std::memory_order order) {
  const bool publishes =
      std::string_view(op.op) == "fetch_or" && (op.operand & DiatomicState::kUpdate) != 0;
  return publishes ? std::memory_order_relaxed : order;
}

std::memory_order register_again_without_acquire(const Operation& op, OrderRole,
                                                 std::memory_order order) {
  const bool registers_again =
      std::string_view(op.op) == "fetch_or" && op.operand == DiatomicState::kRegistered;
  return registers_again ? std::memory_order_release : order;
}

std::memory_order finish_registration_without_acquire(const Operation& op, OrderRole,
                                                      std::memory_order order) {
  return std::string_view(op.op) == "exchange" ? std::memory_order_release : order;
}

std::memory_order free_without_acquire(const Operation& op, OrderRole,
                                       std::memory_order order) {
  return std::string_view(op.op) == "fetch_sub" ? std::memory_order_release : order;
}

}  // namespace bugs
}  // namespace diatomic::explorer
