// SPDX-License-Identifier: MIT
// The multi-waiter notifier (detail::WaiterListCore over the explorer policy,
// its list lock a mutex the scheduler runs): see waiter_list_scenarios.hpp.
// Suites WaiterListExplorer, WaiterListStaleReads and WaiterListSeededBugs.
#include "waiter_list_scenarios.hpp"

#include <diatomic/detail/waiter_list_core.hpp>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expect.hpp"
#include "wake_target.hpp"

namespace diatomic::explorer {
namespace {

// The list's lock, run by the scheduler: a thread that finds it taken blocks
// until the holder unlocks; unlock releases to the next lock's acquire.
class Mutex {
 public:
  void lock() {
    Scheduler* scheduler = scenario();
    if (scheduler == nullptr) return;
    scheduler->point();
    while (owner_ >= 0) {
      scheduler->record("lock", "mutex", "taken: blocks");
      sleepers_.push_back(Scheduler::self());
      scheduler->block();
    }
    owner_ = Scheduler::self();
    scheduler->acquire_from(released_);
    scheduler->record("lock", "mutex", "");
  }
  void unlock() {
    Scheduler* scheduler = scenario();
    if (scheduler == nullptr) return;
    scheduler->release_to(released_);
    owner_ = -1;
    if (!sleepers_.empty()) {
      scheduler->unblock(sleepers_.front());
      sleepers_.pop_front();
    }
    scheduler->record("unlock", "mutex", "");
    scheduler->point();
  }

 private:
  static Scheduler* scenario() {
    return Scheduler::on_scenario_thread() ? Scheduler::active() : nullptr;
  }
  // Touched only by the thread holding the scheduler's baton.
  int owner_ = -1;
  std::deque<int> sleepers_;
  View released_;
};

struct ListPolicy {
  template <class T>
  using Atomic = explorer::Atomic<T>;
  template <class T>
  using Cell = explorer::Cell<T>;
  using Mutex = explorer::Mutex;
};
using List = detail::WaiterListCore<ListPolicy>;

// A sender's waker target, whose park may return spuriously.
class Sender final : public WakeTarget {
 public:
  using WakeTarget::WakeTarget;

  void park() {
    Scheduler& scheduler = *Scheduler::active();
    scheduler.point();
    if (!token() && scheduler.spurious_wakeup()) {
      // As this_thread::park() may: back without a wake, so nothing
      // happens before; the wait polls again, still in the list.
      scheduler.record("park", name(), "returns spuriously");
      return;
    }
    finish_park(scheduler);
  }
};

class WaitRun final : public Execution {
 public:
  explicit WaitRun(const WaitScenario& scenario) : scenario_(scenario) {
    for (std::size_t i = 0; i < scenario.senders.size(); ++i) {
      senders_.push_back(std::make_unique<Sender>(fmt::format("sender{}", i)));
      if (scenario.senders[i] == Role::kSend) slots_ += scenario.sends_each;
    }
  }

  std::vector<Thread> threads() override {
    std::vector<Thread> threads;
    threads.push_back({"receiver", [this] { receive(); }});
    for (std::size_t i = 0; i < senders_.size(); ++i) {
      threads.push_back({senders_[i]->name(), [this, i] { send(i); }});
    }
    return threads;
  }

  std::optional<std::string> check() override {
    if (list_->waiting() != 0) return fmt::format("{} waiters left in the list", list_->waiting());
    list_.reset();
    for (const auto& sender : senders_) {
      if (sender->live() != 0) {
        return fmt::format("{}: {} waker references alive at the end", sender->name(),
                           sender->live());
      }
    }
    return std::nullopt;
  }

 private:
  // The check of a send: takes a free slot, if any. `recheck`: the check
  // after a registration, which must see every slot freed before a
  // notification that the registration follows on the list's count (the
  // memory clause).
  bool take(bool recheck) {
    // Ordering: relaxed, so that only the list orders what the re-check
    // after a registration reads: a missing acquire or release in it lets
    // the re-check miss a freed slot, and the sender parks for good.
    std::uint32_t free = room_.load(std::memory_order_relaxed);
    if (recheck) room_.check_clause();
    while (free != 0) {
      // Ordering: relaxed, as the load above.
      if (room_.compare_exchange_weak(free, free - 1, std::memory_order_relaxed,
                                      std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }

  void receive() {
    for (int i = 0; i < slots_; ++i) {
      // Ordering: relaxed: the slot reaches the senders through the list alone.
      room_.fetch_add(1, std::memory_order_relaxed);
      room_.clause_data_written();
      list_->notify_one();
    }
  }

  void send(std::size_t i) {
    Sender& sender = *senders_[i];
    List::Node node(*list_);
    switch (scenario_.senders[i]) {
      case Role::kSend:
        for (int k = 0; k < scenario_.sends_each; ++k) wait_for_a_slot(node, sender);
        return;
      case Role::kStop:
        node.register_waker(sender.waker());
        node.begin_check();
        node.withdraw();
        node.complete();
        return;
      case Role::kDrop:
        node.register_waker(sender.waker());
        return;  // the node's destructor withdraws
      case Role::kStopSwallowing:
        node.register_waker(sender.waker());
        node.begin_check();
        node.complete();
        return;
    }
  }

  // Wait::poll over Registrar<WaiterList>, then park, until a slot is taken.
  void wait_for_a_slot(List::Node& node, Sender& sender) {
    const Waker waker = sender.waker();
    for (;;) {
      node.begin_check();
      if (take(false)) {
        node.complete();
        return;
      }
      node.register_waker(waker);
      if (take(true)) {
        node.withdraw();
        node.complete();
        return;
      }
      sender.park();
    }
  }

  const WaitScenario& scenario_;
  std::vector<std::unique_ptr<Sender>> senders_;
  int slots_ = 0;
  std::unique_ptr<List> list_ = std::make_unique<List>();
  Atomic<std::uint32_t> room_{"room", 0};  // free slots: the queue starts full
};

}  // namespace

Result explore_waiter_list(const WaitScenario& scenario) {
  return explore<WaitRun>(scenario, {.weaken = scenario.weaken});
}

namespace {

constexpr Role kSend = Role::kSend;

// Two senders wait on a full queue; the receiver frees two slots.
const WaitScenario kTwoWaiters{.senders = {kSend, kSend}, .preemption_bound = 2};
// A sender stopped while it waits, and one that waits: the receiver frees one
// slot, whose notification may choose the stopped sender first.
const WaitScenario kStopRacesNotify{.senders = {Role::kStop, kSend}, .preemption_bound = 2};
const WaitScenario kDropRacesNotify{.senders = {Role::kDrop, kSend}, .preemption_bound = 2};
// A full queue and a sender that sends twice: it waits, is woken, and waits again.
const WaitScenario kFullQueue{.senders = {kSend}, .sends_each = 2, .preemption_bound = 3};

TEST(WaiterListExplorer, two_waiters_and_a_notifier) {
  expect_correct(explore_waiter_list, kTwoWaiters);
}
TEST(WaiterListExplorer, a_stop_racing_notify_one_passes_the_wake_on) {
  expect_correct(explore_waiter_list, kStopRacesNotify);
}
TEST(WaiterListExplorer, a_dropped_waiter_racing_notify_one_passes_the_wake_on) {
  expect_correct(explore_waiter_list, kDropRacesNotify);
}
TEST(WaiterListExplorer, a_full_queue_with_a_waiting_sender) {
  expect_correct(explore_waiter_list, kFullQueue);
}

TEST(WaiterListStaleReads, two_waiters_and_a_notifier) {
  expect_correct(explore_waiter_list, with_stale_reads(kTwoWaiters));
}
TEST(WaiterListStaleReads, a_stop_racing_notify_one_passes_the_wake_on) {
  expect_correct(explore_waiter_list, with_stale_reads(kStopRacesNotify));
}
TEST(WaiterListStaleReads, a_full_queue_with_a_waiting_sender) {
  expect_correct(explore_waiter_list, with_stale_reads(kFullQueue));
}

// Seeded bugs: a lost sender wake-up, each way the store-buffering proof
// (detail/waiter_list_core.hpp) can break.
bool in_list_core(const Operation& op) {
  return std::string_view(op.site.file).ends_with("waiter_list_core.hpp");
}
// The registration counts itself with a relaxed RMW: its re-check may read
// the room from before a notification that found nobody in the list.
std::memory_order register_without_acquire(const Operation& op, OrderRole,
                                           std::memory_order order) {
  const bool counts = in_list_core(op) && std::string_view(op.op) == "fetch_add" && op.operand == 1;
  return counts ? std::memory_order_relaxed : order;
}
// The notifier's RMW is relaxed: a registration that reads it does not see
// the slot freed before it.
std::memory_order announce_without_release(const Operation& op, OrderRole,
                                           std::memory_order order) {
  const bool announces =
      in_list_core(op) && std::string_view(op.op) == "fetch_add" && op.operand == 0;
  return announces ? std::memory_order_relaxed : order;
}

TEST(WaiterListSeededBugs, a_stopped_waiter_that_swallows_its_notification_loses_a_wake_up) {
  WaitScenario scenario = kStopRacesNotify;
  scenario.senders.front() = Role::kStopSwallowing;
  expect_caught(explore_waiter_list, scenario);
}
TEST(WaiterListSeededBugs, registration_without_acquire_loses_a_sender_wake_up) {
  WaitScenario scenario = with_stale_reads(kFullQueue);
  scenario.weaken = &register_without_acquire;
  expect_caught(explore_waiter_list, scenario);
}
TEST(WaiterListSeededBugs, notification_without_release_loses_a_sender_wake_up) {
  WaitScenario scenario = with_stale_reads(kFullQueue);
  scenario.weaken = &announce_without_release;
  expect_caught(explore_waiter_list, scenario);
}

}  // namespace
}  // namespace diatomic::explorer
