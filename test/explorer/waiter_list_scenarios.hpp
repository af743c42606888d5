// SPDX-License-Identifier: MIT
// The explorer's waiter-list scenarios: senders wait for room in a queue
// reduced to a counter of free slots, on the library's own notifier
// (detail::WaiterListCore over the explorer policy, its lock a mutex the
// scheduler runs); a receiver frees slots and calls notify_one(). Tests only.
#pragma once

#include "policy.hpp"
#include "scheduler.hpp"

#include <vector>

namespace diatomic::explorer {

// What a sender does.
enum class Role {
  kSend,  // waits for a slot and takes it
  // Registers, then is stopped before any slot is freed for it (the wait's
  // stop path: begin_check, unregister, complete), racing the notifications.
  kStop,
  // Registers, then its frame is destroyed (unregister alone).
  kDrop,
  // Seeded bug: as kStop, but it reports the check done (complete() instead
  // of unregister()), so a notification it received before the stop is
  // swallowed.
  kStopSwallowing,
};

struct WaitScenario {
  std::vector<Role> senders;
  int sends_each = 1;  // slots each kSend sender takes, one wait each
  int preemption_bound = 2;
  int stale_reads = 0;
  int spurious_failures = 0;
  // Parks that return although nobody woke the sender, as this_thread::park()
  // may, at most this many per schedule: the wait then polls again while its
  // Waiter is still in the list, and a notification may take it in between.
  int spurious_wakeups = 0;
  OrderMutation weaken = {};  // a seeded bug in the orders of the list's atomics
};

// Explores every schedule of the scenario up to its bounds. Each sender runs
// the protocol of the wait (diatomic/wait.hpp, Registrar<WaiterList>):
// begin_check, check, register, re-check, park. A schedule fails if a sender
// stays parked while a slot it could take was freed for it (a lost wake-up),
// if a re-check after a registration misses a slot freed before a
// notification that the registration follows on the list's count (the
// memory clause), if a node's waker, links or the list's ends are touched
// without happens-before from the last conflicting access (the lock or the
// node state's orders missing), if waiters are left in the list, or if a
// waker reference outlives the run.
[[nodiscard]] Result explore_waiter_list(const WaitScenario& scenario);

}  // namespace diatomic::explorer
