// SPDX-License-Identifier: MIT
// The explorer's scenarios: one consumer and a few producers around one
// primitive (DiatomicWaker's or AtomicWaker's core, instantiated with the
// explorer policy), the wakers they use, and the seeded bugs that the
// explorer must catch. Tests only.
#pragma once

#include "policy.hpp"
#include "scheduler.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace diatomic::explorer {

// What a producer does, in order.
enum class Action {
  kToken,     // hands the consumer one token, then notifies
  kSpurious,  // notifies without a token
};

// The order of the consumer's poll. The consumer checks for its tokens once
// before its first registration; then each poll registers and re-checks, and
// it waits if the re-check finds a token missing (so one stale read of the
// re-check is enough to show a missing acquire or release).
enum class Protocol {
  kRegisterThenRecheck,  // register, then re-check (design.md, "No lost wake-up")
  // Each poll registers the previous poll's waker, then its own: a task
  // polled again with a new waker before it waited (3 wakers or more: the
  // second registration finds U and R both set and withdraws R first).
  kRegisterTwiceThenRecheck,
  kRecheckThenRegister,  // seeded bug: check, then register, then wait
  // DiatomicWaker only: a coroutine that co_awaits in a loop, one await per
  // token. Its frame does not move, so every await registers the same waker
  // (the cached one: register_waker's same-waker path); each await first
  // re-initialises the frame (a write of the checked frame that each wake
  // reads) and ends as kQuiesce does (unregister, wait until notifying() is
  // false), so no wake of the previous await may still read it.
  kAwaitEachToken,
  // The thread parker only (explore_parker): one producer writes a checked
  // payload before its wake; the consumer parks once, then reads it.
  kParkOnceThenRead,
  // The poll gate only (explore_poll_gate): after its first poll suspends,
  // the coroutine is destroyed while suspended (try_seize()), racing with the
  // wakes.
  kDestroyWhileSuspended,
};

// What the consumer does once it has every token (DiatomicWaker only, but
// for kUnregister).
enum class Ending {
  kUnregister,  // unregisters, if it registered since its last wake-up
  kClear,       // clear(): withdraws and drops both cached wakers
  // As the co_await awaiter before its frame goes: unregisters, waits until
  // notifying() is false, then retires the frames its wakers point into
  // (each wake reads its waker's frame, a checked cell): no notifier may be
  // inside a call of one, and the notifier's read must happen before.
  kQuiesce,
};

struct Scenario {
  std::vector<std::vector<Action>> producers;
  // Distinct wakers the consumer cycles through, a new one on every poll
  // (1: the same waker every time).
  int wakers = 1;
  // The consumer's first polls that do not wait when a token is missing:
  // it lets the others run and polls again with its next waker, as a task
  // polled for another reason (a select, another source) before it waited
  // here. No wake-up, and so no happens-before from a notifier, comes
  // between such polls: only the primitive orders them.
  int polls_without_parking = 0;
  int preemption_bound = 2;
  // The memory model: 0 and 0 is sequentially consistent (Options in
  // scheduler.hpp).
  int stale_reads = 0;
  int spurious_failures = 0;
  int spurious_wakeups = 0;  // futex waits that return spuriously (the parker's)
  // The parker only: the consumer parks with a deadline (park_until), and
  // at most this many of its futex waits time out.
  int timeouts = 0;
  Protocol protocol = Protocol::kRegisterThenRecheck;
  Ending ending = Ending::kUnregister;
  // DiatomicWaker and AtomicWaker: each re-check after a registration must
  // read at least the token count that the producer of any wake the
  // registration follows wrote before that wake (the memory clause); false
  // only to show what the other checks miss.
  bool memory_clause = true;
  Mutation mutation = nullptr;     // a seeded bug in the values the state word's RMWs write
  OrderMutation weaken = {};       // a seeded bug in the memory orders of the cores' atomics
};

// Explores every schedule of the scenario, up to its preemption bound, over
// detail::DiatomicCore<Policy> or detail::AtomicWakerCore<Policy>. A schedule
// fails if the consumer is left waiting while it lacks a token (lost
// wake-up), if a waker slot is read while written or written while read, if a
// waker is called or dropped after its last reference was released, if a
// slot access does not happen after the previous conflicting one (the memory
// orders the code names do not order them), if a waker reference is still
// alive once the primitive is destroyed, or if a re-check after a
// registration reads an older token count than a wake the registration
// follows on the state word was made after (the memory clause).
[[nodiscard]] Result explore_diatomic(const Scenario& scenario);
[[nodiscard]] Result explore_atomic_waker(const Scenario& scenario);
// The thread parker (detail::ParkerCore<Policy, Futex>): the consumer is the
// thread that parks, each producer's action a wake (after adding a token to a
// relaxed count, for kToken). kRegisterThenRecheck: the consumer parks until
// its re-check of the count finds every token; kParkOnceThenRead (one
// producer): parks until woken, then reads the payload the producer wrote.
// With `timeouts`, each park has a deadline that may pass (park_until), and
// a park that timed out is followed by another. Fails on a consumer left
// parked (lost wake-up), a payload read that does not happen after its
// write, or a park that consumed more tokens than wakes had begun (an
// invented token).
[[nodiscard]] Result explore_parker(const Scenario& scenario);
// The awaiter's poll gate (detail::PollGate<Policy>): the consumer is the
// co_await, whose first poll owns the gate; each producer's action is a
// wake (after adding a token to a relaxed count, for kToken) that claims the
// gate and, if it took it from idle, runs the queued poll itself (an inline
// executor: polls run on the waking threads; the job node it queues is a
// checked cell, written by each queueing). A poll clears W, makes the
// wait's consumer-side calls (a checked cell: one poll at a time, each after
// the last) with the re-check of the count, and completes, or gives the
// gate up unless a wake came meanwhile. kRegisterThenRecheck: fails if
// every token was handed over but the wait never completed (a lost wake-up);
// kDestroyWhileSuspended: fails if a poll runs after a successful seize, or
// the destructor's withdrawal does not happen after the last poll.
[[nodiscard]] Result explore_poll_gate(const Scenario& scenario);
// The awaiter's relay on an AtomicWaker (detail::BasicRelayAnchor<Owner, Policy>:
// its poll gate and its RcWaker's reference count) as the gate's scenario,
// but each producer holds a clone of the relay's waker, as the AtomicWaker
// does: its actions wake by reference, its last one by value, and a producer
// with no action drops its clone. The poll that completes the wait (or, for
// kDestroyWhileSuspended, where the wait never completes, the destructor
// that seized the gate) retires the
// anchor, releases the awaiter's references and frees the frame (a checked
// cell), so the clones wake or drop the relay late. Fails on a wake that
// reaches the awaiter after its frame went, a frame access or a free of the
// relay's atomics that does not happen after the last conflicting access, a
// wait that never completes (kRegisterThenRecheck), or a relay left alive.
[[nodiscard]] Result explore_relay(const Scenario& scenario);

// DiatomicWaker's state word in traces: its flags only ("{I=0 U R}"), for
// every scenario over its core.
[[nodiscard]] std::string diatomic_word(std::uintptr_t word);

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
// AtomicWaker: a registration that a take() interrupted ends with a release
// exchange instead of acq_rel. It still wakes its own waker, so no wake-up is
// lost, but its re-check may miss the token that take()'s producer wrote.
std::memory_order finish_registration_without_acquire(const Operation& op, OrderRole,
                                                      std::memory_order order);
// The thread parker: a park whose deadline passed withdraws by writing
// kNotified instead of kEmpty, leaving a token that no wake left.
std::uintptr_t withdraw_leaving_a_token(std::uintptr_t old, std::uintptr_t desired);
// RcWaker: the release of a reference decrements with release instead of
// acq_rel, so the thread that drops the last one frees the relay without
// seeing the other owners' uses of it.
std::memory_order free_without_acquire(const Operation& op, OrderRole role,
                                       std::memory_order order);
}  // namespace bugs

}  // namespace diatomic::explorer
