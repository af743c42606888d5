// SPDX-License-Identifier: MIT
// The explorer's scenarios: one consumer and a few producers around one
// primitive (DiatomicWaker's or AtomicWaker's core, instantiated with the
// explorer policy), the wakers they use, and the seeded bugs that the
// explorer must catch. Tests only.
#pragma once

#include "policy.hpp"
#include "scheduler.hpp"

#include <cstdint>
#include <vector>

namespace diatomic::explorer {

// What a producer does, in order.
enum class Action {
  kToken,     // hands the consumer one token, then notifies
  kSpurious,  // notifies without a token
};

// The order of the consumer's poll.
enum class Protocol {
  kRegisterThenRecheck,  // docs/design.md#3-no-lost-wake-up: register, then re-check
  kRecheckThenRegister,  // seeded bug: re-check, then register, then wait
};

struct Scenario {
  std::vector<std::vector<Action>> producers;
  // Distinct wakers the consumer cycles through, a new one on every poll
  // (1: the same waker every time).
  int wakers = 1;
  int preemption_bound = 2;
  // The memory model: 0 and 0 is sequentially consistent (Options in
  // scheduler.hpp).
  int stale_reads = 0;
  int spurious_failures = 0;
  Protocol protocol = Protocol::kRegisterThenRecheck;
  Mutation mutation = nullptr;     // a seeded bug in the values the state word's RMWs write
  OrderMutation weaken = {};       // a seeded bug in the memory orders of the cores' atomics
};

// Explores every schedule of the scenario, up to its preemption bound, over
// detail::DiatomicCore<Policy> or detail::AtomicWakerCore<Policy>. A schedule
// fails if the consumer is left waiting while it lacks a token (lost
// wake-up), if a waker slot is read while written or written while read, if a
// waker is called or dropped after its last reference was released, if a
// slot access does not happen after the previous conflicting one (the memory
// orders the code names do not order them), or if a waker reference is still
// alive once the primitive is destroyed.
[[nodiscard]] Result explore_diatomic(const Scenario& scenario);
[[nodiscard]] Result explore_atomic_waker(const Scenario& scenario);

// Seeded bugs, injected through the seam as a rewrite of the value written.
namespace bugs {
// DiatomicWaker: a notifier that finds the lock taken never sets N.
std::uintptr_t skip_notify_bit(std::uintptr_t old, std::uintptr_t desired);
// DiatomicWaker: switching to the newer slot clears U but leaves I unflipped
// in the state word; the lock holder calls the new slot while the word calls
// it 1-I, free for the consumer to overwrite.
std::uintptr_t switch_without_flipping_index(std::uintptr_t old, std::uintptr_t desired);
// AtomicWaker: take() never sets WAKING, so it does not exclude a registrant.
std::uintptr_t take_without_waking_bit(std::uintptr_t old, std::uintptr_t desired);
// DiatomicWaker: register_waker publishes a new waker (fetch_or(U|R)) with
// relaxed instead of acq_rel, so the notifier that switches to it may read a
// slot whose write it has not seen.
std::memory_order publish_new_waker_relaxed(const Operation& op, OrderRole role,
                                            std::memory_order order);
// DiatomicWaker: register_waker of the waker already registered sets R with
// release instead of acq_rel, so the consumer's re-check may read a token
// count older than the one a notifier published before it found R clear.
std::memory_order register_again_without_acquire(const Operation& op, OrderRole role,
                                                 std::memory_order order);
}  // namespace bugs

}  // namespace diatomic::explorer
