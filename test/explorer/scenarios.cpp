// SPDX-License-Identifier: MIT
// Scenarios over the library's real state machines: the consumer runs the
// register / re-check / wait protocol against producers that hand it tokens
// and notify. Every wait goes through a Target's token, which only that
// target's wakers set: a wake-up delivered to a waker the consumer no longer
// waits on is lost, exactly as it is for a task that has moved on.
#include "scenarios.hpp"

#include <diatomic/detail/atomic_waker_core.hpp>
#include <diatomic/detail/diatomic_core.hpp>
#include <diatomic/fmt.hpp>

#include <fmt/format.h>

#include <memory>
#include <string>
#include <string_view>

namespace diatomic::explorer {
namespace {

using DiatomicCore = detail::DiatomicCore<Policy>;
using AtomicWakerCore = detail::AtomicWakerCore<Policy>;

// The target of one of the consumer's wakers: counts live references and
// holds a wake-up token that the consumer waits for.
class Target {
 public:
  // A target whose frame is checked: each wake reads it, retire() writes it.
  Target(std::string name, bool has_frame) : name_(std::move(name)), has_frame_(has_frame) {}
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  [[nodiscard]] Waker waker() {
    ++live_;
    return Waker::adopt(this, &kVTable);
  }
  [[nodiscard]] int live() const noexcept { return live_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  // The frame goes away: any wake still running, or not ordered before, is
  // a data race on it.
  void retire() {
    // Exclusive: the consumer retires a frame once no notifier may call it.
    frame_.with_mut([](bool& gone) { gone = true; });
  }

  // Waits until one of this target's wakers was called, and consumes the
  // token. A token already there is consumed at once and the consumer lets
  // the others run first (it would poll again straight away).
  void park() {
    Scheduler& scheduler = *Scheduler::active();
    scheduler.point();
    scheduler.record("park", name_, token_ ? "token already there" : "blocks");
    if (!token_) {
      waiter_ = Scheduler::self();
      scheduler.block();
      scheduler.record("unparked", name_, "");
    } else {
      scheduler.yield();
    }
    token_ = false;
    // As this_thread::park(): what the waking thread did before the wake
    // happens before the return.
    scheduler.acquire_from(woken_by_);
  }

 private:
  static Target& self(void* data) { return *static_cast<Target*>(data); }
  static void note(Target& target, const char* op) {
    if (Scheduler* scheduler = Scheduler::active()) {
      scheduler->record(op, target.name_, fmt::format("{} references", target.live_));
    }
  }
  static void check_alive(Target& target, const char* what) noexcept {
    if (target.live_ > 0) return;
    if (Scheduler* scheduler = Scheduler::active()) {
      scheduler->fail(fmt::format("{} {} after its last reference was released", target.name_,
                                  what));
    }
  }
  static void* clone_fn(void* data) {
    Target& target = self(data);
    check_alive(target, "cloned");
    ++target.live_;
    note(target, "clone");
    return data;
  }
  static void wake_by_ref_fn(void* data) noexcept {
    Target& target = self(data);
    check_alive(target, "woken");
    if (target.has_frame_) {
      // Shared: a waker call reads the frame it points into.
      target.frame_.with([](const bool&) {});
    }
    target.token_ = true;
    Scheduler* scheduler = Scheduler::active();
    scheduler->release_to(target.woken_by_);
    if (target.waiter_ >= 0) {
      scheduler->unblock(target.waiter_);
      target.waiter_ = -1;
    }
    note(target, "wake");
  }
  static void drop_fn(void* data) noexcept {
    Target& target = self(data);
    check_alive(target, "dropped");
    --target.live_;
    note(target, "drop");
  }
  static void wake_fn(void* data) noexcept {
    wake_by_ref_fn(data);
    drop_fn(data);
  }
  static constexpr WakerVTable kVTable{&clone_fn, &wake_fn, &wake_by_ref_fn, &drop_fn};

  // Touched only by the thread holding the scheduler's baton.
  std::string name_;
  bool has_frame_;
  Cell<bool> frame_{"frame"};
  int live_ = 0;
  bool token_ = false;
  int waiter_ = -1;
  View woken_by_;  // what the wakes published
};

void notify(DiatomicCore& core) {
  core.notify();
}
void notify(AtomicWakerCore& core) {
  core.wake();
}

// One schedule of a scenario over the primitive Core.
template <class Core>
class PrimitiveRun final : public Execution {
 public:
  explicit PrimitiveRun(const Scenario& scenario)
      : scenario_(scenario), core_(std::make_unique<Core>()) {
    for (int i = 0; i < scenario.wakers; ++i) {
      targets_.push_back(std::make_unique<Target>(fmt::format("waker{}", i),
                                                  scenario.ending == Ending::kQuiesce));
    }
    for (const auto& actions : scenario.producers) {
      for (Action action : actions) expected_ += action == Action::kToken ? 1 : 0;
    }
  }

  std::vector<Thread> threads() override {
    std::vector<Thread> threads;
    threads.push_back({"consumer", [this] { consume(); }});
    for (std::size_t i = 0; i < scenario_.producers.size(); ++i) {
      threads.push_back({fmt::format("producer{}", i), [this, i] { produce(i); }});
    }
    return threads;
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
    return tokens_.load(std::memory_order_relaxed) == expected_;
  }

  void consume() {
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
        if (done()) return finish(true);
      }
      target.park();
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
          core_->unregister();
          while (core_->notifying()) Scheduler::active()->yield();
          for (const auto& target : targets_) target->retire();
          return;
      }
    }
    static_cast<void>(registered);
  }

  void produce(std::size_t producer) {
    for (Action action : scenario_.producers[producer]) {
      // Ordering: relaxed, as the check in done(): the token reaches the
      // consumer through notify() alone.
      if (action == Action::kToken) tokens_.fetch_add(1, std::memory_order_relaxed);
      notify(*core_);
    }
  }

  const Scenario& scenario_;
  std::vector<std::unique_ptr<Target>> targets_;
  std::unique_ptr<Core> core_;
  Atomic<int> tokens_{0};  // the payload: tokens handed to the consumer so far
  int expected_ = 0;
};

// Trace formats of the two state words: the flags only.
std::string strip_type(std::string text) {
  return text.substr(text.find('{'));
}
std::string diatomic_word(std::uintptr_t word) {
  return strip_type(fmt::format("{}", DiatomicState{word}));
}
std::string atomic_waker_word(std::uintptr_t word) {
  return strip_type(fmt::format("{}", AtomicWakerState{word}));
}

template <class Core>
Result run(const Scenario& scenario, WordFormat format) {
  policy_config() =
      PolicyConfig{.mutation = scenario.mutation, .weaken = scenario.weaken, .format = format};
  Scheduler scheduler(Options{.preemption_bound = scenario.preemption_bound,
                              .stale_reads = scenario.stale_reads,
                              .spurious_failures = scenario.spurious_failures});
  Result result =
      scheduler.explore([&] { return std::make_unique<PrimitiveRun<Core>>(scenario); });
  policy_config() = PolicyConfig{};
  return result;
}

}  // namespace

Scenario with_stale_reads(Scenario scenario, int preemption_bound) {
  scenario.stale_reads = 1;
  scenario.spurious_failures = 1;
  scenario.preemption_bound = preemption_bound;
  return scenario;
}

Result explore_diatomic(const Scenario& scenario) {
  return run<DiatomicCore>(scenario, &diatomic_word);
}

Result explore_atomic_waker(const Scenario& scenario) {
  return run<AtomicWakerCore>(scenario, &atomic_waker_word);
}

namespace bugs {

std::uintptr_t skip_notify_bit(std::uintptr_t, std::uintptr_t desired) {
  return desired & ~DiatomicState::kNotify;
}

std::uintptr_t switch_without_flipping_index(std::uintptr_t old, std::uintptr_t desired) {
  const bool switches = (old & DiatomicState::kUpdate) != 0 && (desired & DiatomicState::kUpdate) == 0 &&
                        ((old ^ desired) & DiatomicState::kIndex) != 0;
  return switches ? desired ^ DiatomicState::kIndex : desired;
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

}  // namespace bugs
}  // namespace diatomic::explorer
