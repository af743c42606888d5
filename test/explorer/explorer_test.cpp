// SPDX-License-Identifier: MIT
// The interleaving explorer's runs: every scenario of DiatomicWaker and
// AtomicWaker explored up to its bounds over the library's own state
// machines, in both memory models (sequentially consistent; stale reads), and
// each seeded bug caught with the schedule that shows it.
// Each run prints how many schedules it explored and whether the search was
// exhausted (expect.hpp).
#include "scenarios.hpp"

#include <gtest/gtest.h>

#include "expect.hpp"

namespace diatomic::explorer {
namespace {

constexpr Action T = Action::kToken;
constexpr Action S = Action::kSpurious;

const Scenario kTwoProducers{.producers = {{T}, {T}}, .preemption_bound = 3};
const Scenario kSpuriousNotify{.producers = {{T}, {S, T}}, .preemption_bound = 2};
const Scenario kNewWakerEveryPoll{.producers = {{T}, {T}}, .wakers = 3, .preemption_bound = 3};
const Scenario kThreeProducers{.producers = {{T}, {T}, {T}}, .preemption_bound = 1};
const Scenario kSlotReuse{.producers = {{T, T}, {T}}, .wakers = 3, .preemption_bound = 2};
const Scenario kPolledAgain{
    .producers = {{T}, {T}}, .wakers = 3, .polls_without_parking = 2, .preemption_bound = 2};
const Scenario kAwaitEachToken{
    .producers = {{T}, {T}}, .preemption_bound = 2, .protocol = Protocol::kAwaitEachToken};

const Scenario kParkOnce{.producers = {{T}},
                         .preemption_bound = 3,
                         .spurious_wakeups = 1,
                         .protocol = Protocol::kParkOnceThenRead};
const Scenario kParkUntilTwoTokens{
    .producers = {{T}, {T}}, .preemption_bound = 3, .spurious_wakeups = 1};

// Parks with a deadline that may pass at up to two of the futex waits,
// racing the wakes: a wake that comes while the consumer times out is
// consumed or left for its next park, never lost, and no timeout leaves a
// token of its own.
const Scenario kParkOnceTimed{.producers = {{T}},
                              .preemption_bound = 3,
                              .spurious_wakeups = 1,
                              .timeouts = 2,
                              .protocol = Protocol::kParkOnceThenRead};
const Scenario kParkUntilTwoTokensTimed{
    .producers = {{T}, {T}}, .preemption_bound = 3, .timeouts = 2};

const Scenario kGateTwoWakes{.producers = {{T}, {T}}, .preemption_bound = 3};
const Scenario kGateDestroyed{.producers = {{T}, {T}},
                               .preemption_bound = 3,
                               .protocol = Protocol::kDestroyWhileSuspended};

// The relay: the two wakes hand over the tokens (the last one's clone woken
// by value, often after the wait completed and the frame went); a third
// producer only drops its clone, late or early.
const Scenario kRelayLateWakes{.producers = {{T}, {S, T}, {}}, .preemption_bound = 2};
const Scenario kRelayDestroyed{.producers = {{T}, {}},
                               .preemption_bound = 3,
                               .protocol = Protocol::kDestroyWhileSuspended};

Scenario with_bug(Scenario scenario, Mutation mutation) {
  scenario.mutation = mutation;
  return scenario;
}
Scenario with_bug(Scenario scenario, OrderMutation weaken) {
  scenario.weaken = weaken;
  return scenario;
}
Scenario with_recheck_before_register(Scenario scenario) {
  scenario.protocol = Protocol::kRecheckThenRegister;
  return scenario;
}

TEST(DiatomicExplorer, two_producers_one_token_each_never_lose_a_wakeup) {
  expect_correct(explore_diatomic, kTwoProducers);
}
TEST(DiatomicExplorer, two_tokens_and_a_spurious_notify_never_lose_a_wakeup) {
  expect_correct(explore_diatomic, kSpuriousNotify);
}
TEST(DiatomicExplorer, consumer_changing_its_waker_every_poll_is_always_woken) {
  expect_correct(explore_diatomic, kNewWakerEveryPoll);
}
TEST(DiatomicExplorer, three_producers_never_lose_a_wakeup) {
  expect_correct(explore_diatomic, kThreeProducers);
}
TEST(DiatomicExplorer, slot_reuse_with_three_wakers_and_three_notifies_is_race_free) {
  expect_correct(explore_diatomic, kSlotReuse);
}

TEST(DiatomicExplorer, consumer_polled_again_before_it_waits_is_race_free) {
  expect_correct(explore_diatomic, kPolledAgain);
}
TEST(DiatomicExplorer, awaiting_in_a_loop_with_the_same_waker_is_race_free) {
  expect_correct(explore_diatomic, kAwaitEachToken);
}

TEST(AtomicWakerExplorer, two_producers_one_token_each_never_lose_a_wakeup) {
  expect_correct(explore_atomic_waker, kTwoProducers);
}
TEST(AtomicWakerExplorer, two_tokens_and_a_spurious_notify_never_lose_a_wakeup) {
  expect_correct(explore_atomic_waker, kSpuriousNotify);
}
TEST(AtomicWakerExplorer, consumer_changing_its_waker_every_poll_is_always_woken) {
  expect_correct(explore_atomic_waker, kNewWakerEveryPoll);
}
TEST(AtomicWakerExplorer, three_producers_never_lose_a_wakeup) {
  expect_correct(explore_atomic_waker, kThreeProducers);
}
TEST(AtomicWakerExplorer, slot_reuse_with_three_wakers_and_three_notifies_is_race_free) {
  expect_correct(explore_atomic_waker, kSlotReuse);
}
TEST(AtomicWakerExplorer, consumer_polled_again_before_it_waits_is_race_free) {
  expect_correct(explore_atomic_waker, kPolledAgain);
}

TEST(DiatomicStaleReads, two_producers_one_token_each_never_lose_a_wakeup) {
  expect_correct(explore_diatomic, with_stale_reads(kTwoProducers));
}
TEST(DiatomicStaleReads, two_tokens_and_a_spurious_notify_never_lose_a_wakeup) {
  expect_correct(explore_diatomic, with_stale_reads(kSpuriousNotify));
}
TEST(DiatomicStaleReads, consumer_changing_its_waker_every_poll_is_always_woken) {
  expect_correct(explore_diatomic, with_stale_reads(kNewWakerEveryPoll));
}
TEST(DiatomicStaleReads, slot_reuse_with_three_wakers_and_three_notifies_is_race_free) {
  expect_correct(explore_diatomic, with_stale_reads(kSlotReuse));
}

TEST(DiatomicStaleReads, consumer_polled_again_before_it_waits_is_race_free) {
  expect_correct(explore_diatomic, with_stale_reads(kPolledAgain));
}
TEST(DiatomicStaleReads, awaiting_in_a_loop_with_the_same_waker_is_race_free) {
  expect_correct(explore_diatomic, with_stale_reads(kAwaitEachToken));
}

TEST(AtomicWakerStaleReads, two_producers_one_token_each_never_lose_a_wakeup) {
  expect_correct(explore_atomic_waker, with_stale_reads(kTwoProducers));
}
TEST(AtomicWakerStaleReads, two_tokens_and_a_spurious_notify_never_lose_a_wakeup) {
  expect_correct(explore_atomic_waker, with_stale_reads(kSpuriousNotify));
}
TEST(AtomicWakerStaleReads, consumer_changing_its_waker_every_poll_is_always_woken) {
  expect_correct(explore_atomic_waker, with_stale_reads(kNewWakerEveryPoll));
}
TEST(AtomicWakerStaleReads, slot_reuse_with_three_wakers_and_three_notifies_is_race_free) {
  expect_correct(explore_atomic_waker, with_stale_reads(kSlotReuse));
}
TEST(AtomicWakerStaleReads, consumer_polled_again_before_it_waits_is_race_free) {
  expect_correct(explore_atomic_waker, with_stale_reads(kPolledAgain));
}

TEST(ParkerExplorer, one_wake_unparks_and_hands_over_the_payload) {
  expect_correct(explore_parker, kParkOnce);
}
TEST(ParkerExplorer, two_wakes_never_leave_the_parker_parked) {
  expect_correct(explore_parker, kParkUntilTwoTokens);
}
TEST(ParkerExplorer, a_wake_racing_the_deadline_is_neither_lost_nor_invented) {
  expect_correct(explore_parker, kParkOnceTimed);
}
TEST(ParkerExplorer, two_wakes_racing_deadlines_never_leave_the_parker_parked) {
  expect_correct(explore_parker, kParkUntilTwoTokensTimed);
}
TEST(ParkerStaleReads, one_wake_unparks_and_hands_over_the_payload) {
  expect_correct(explore_parker, with_stale_reads(kParkOnce, 2));
}
TEST(ParkerStaleReads, two_wakes_never_leave_the_parker_parked) {
  expect_correct(explore_parker, with_stale_reads(kParkUntilTwoTokens, 2));
}
TEST(ParkerStaleReads, a_wake_racing_the_deadline_is_neither_lost_nor_invented) {
  expect_correct(explore_parker, with_stale_reads(kParkOnceTimed, 2));
}
TEST(ParkerStaleReads, two_wakes_racing_deadlines_never_leave_the_parker_parked) {
  expect_correct(explore_parker, with_stale_reads(kParkUntilTwoTokensTimed, 2));
}

TEST(PollGateExplorer, two_wakes_against_the_polls_complete_the_wait) {
  expect_correct(explore_poll_gate, kGateTwoWakes);
}
TEST(PollGateExplorer, destroyed_while_suspended_no_poll_runs_after) {
  expect_correct(explore_poll_gate, kGateDestroyed);
}
TEST(PollGateStaleReads, two_wakes_against_the_polls_complete_the_wait) {
  expect_correct(explore_poll_gate, with_stale_reads(kGateTwoWakes, 2));
}
TEST(PollGateStaleReads, destroyed_while_suspended_no_poll_runs_after) {
  expect_correct(explore_poll_gate, with_stale_reads(kGateDestroyed, 2));
}

TEST(RelayExplorer, late_wakes_and_drops_after_completion_touch_only_the_relay) {
  expect_correct(explore_relay, kRelayLateWakes);
}
TEST(RelayExplorer, destroyed_while_suspended_late_wakes_touch_only_the_relay) {
  expect_correct(explore_relay, kRelayDestroyed);
}
TEST(RelayStaleReads, late_wakes_and_drops_after_completion_touch_only_the_relay) {
  expect_correct(explore_relay, with_stale_reads(kRelayLateWakes));
}
TEST(RelayStaleReads, destroyed_while_suspended_late_wakes_touch_only_the_relay) {
  expect_correct(explore_relay, with_stale_reads(kRelayDestroyed, 2));
}

TEST(SeededBugs, diatomic_recheck_before_register_is_caught) {
  expect_caught_in_both_models(explore_diatomic, with_recheck_before_register(kTwoProducers));
}
TEST(SeededBugs, diatomic_skipping_the_n_bit_is_caught) {
  expect_caught_in_both_models(explore_diatomic, with_bug(kTwoProducers, &bugs::skip_notify_bit));
}
TEST(SeededBugs, diatomic_switch_without_flipping_the_index_is_caught) {
  expect_caught_in_both_models(explore_diatomic,
                               with_bug(kNewWakerEveryPoll, &bugs::switch_without_flipping_index));
}
TEST(SeededBugs, diatomic_publishing_a_new_waker_relaxed_is_caught) {
  expect_caught_in_both_models(explore_diatomic,
                               with_bug(kNewWakerEveryPoll, &bugs::publish_new_waker_relaxed));
}
TEST(SeededBugs, atomic_waker_recheck_before_register_is_caught) {
  expect_caught_in_both_models(explore_atomic_waker,
                               with_recheck_before_register(kTwoProducers));
}
TEST(SeededBugs, atomic_waker_take_without_the_waking_bit_is_caught) {
  expect_caught_in_both_models(explore_atomic_waker,
                               with_bug(kTwoProducers, &bugs::take_without_waking_bit));
}

// A bug that only the stale-read model sees: in the sequentially consistent
// model every load reads the latest token count, so the re-check never misses
// a token, whatever the registration acquires.
TEST(SeededBugs, diatomic_registering_again_without_acquire_passes_the_sc_model) {
  expect_correct(explore_diatomic, with_bug(kTwoProducers, &bugs::register_again_without_acquire));
}
TEST(SeededBugs, diatomic_registering_again_without_acquire_is_caught_with_stale_reads) {
  expect_caught(explore_diatomic,
                with_stale_reads(with_bug(kTwoProducers, &bugs::register_again_without_acquire)));
}
// A bug that only the memory clause sees: the registration that a take()
// interrupted wakes its own waker, so the consumer polls again and that
// registration acquires; no wake-up is lost and no slot access races, but
// the re-check right after the first registration may miss the token.
TEST(SeededBugs, atomic_waker_finishing_a_registration_without_acquire_loses_no_wakeup) {
  Scenario scenario = with_stale_reads(
      with_bug(kTwoProducers, &bugs::finish_registration_without_acquire));
  scenario.memory_clause = false;
  expect_correct(explore_atomic_waker, scenario);
}
TEST(SeededBugs, atomic_waker_finishing_a_registration_without_acquire_is_caught_by_the_clause) {
  expect_caught(explore_atomic_waker,
                with_stale_reads(with_bug(kTwoProducers, &bugs::finish_registration_without_acquire)));
}
TEST(SeededBugs, parker_withdrawal_leaving_a_token_is_caught) {
  expect_caught_in_both_models(explore_parker,
                               with_bug(kParkOnceTimed, &bugs::withdraw_leaving_a_token));
}
TEST(SeededBugs, relay_freed_without_acquire_is_caught) {
  expect_caught_in_both_models(explore_relay,
                               with_bug(kRelayLateWakes, &bugs::free_without_acquire));
}

}  // namespace
}  // namespace diatomic::explorer
