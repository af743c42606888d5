// SPDX-License-Identifier: MIT
// The channel in the interleaving explorer: two producers against a receiver,
// close racing send and recv (from a producer, from the receiver, from the
// last Sender's drop), a cancelled recv, in both memory models; and the
// seeded bugs a message lost on cancel and a message published relaxed, each
// caught with the schedule that shows it.
#include "channel_scenarios.hpp"

#include <gtest/gtest.h>

#include <utility>

#include "expect.hpp"

namespace diatomic::explorer {
namespace {

constexpr ChannelStep S = ChannelStep::kSend;
constexpr ChannelStep C = ChannelStep::kClose;

// Capacity 1: the second message finds the ring full until the receiver took
// the first, and the ring wraps to its next lap.
const ChannelScenario kTwoProducers{.capacity = 1, .producers = {{S}, {S}}};
// A third producer closes while the others send and the receiver receives.
const ChannelScenario kCloseRacesSendAndRecv{.capacity = 2, .producers = {{S, S}, {C}}};
// The receiver closes after its first message, while producer 0 sends.
const ChannelScenario kReceiverCloses{
    .capacity = 2, .producers = {{S, S}, {S}}, .receiver_closes_after = 1};
// The receiver's first wait is cancelled while a producer sends.
const ChannelScenario kCancelledRecv{.capacity = 1, .producers = {{S}}, .cancel_first_wait = true};

TEST(ChannelExplorer, two_producers_against_a_receiver_deliver_each_message_once) {
  expect_correct(explore_channel, kTwoProducers);
}
TEST(ChannelExplorer, close_racing_send_and_recv_delivers_what_was_accepted) {
  expect_correct(explore_channel, kCloseRacesSendAndRecv);
}
TEST(ChannelExplorer, receiver_closing_drains_what_was_accepted) {
  expect_correct(explore_channel, kReceiverCloses);
}
TEST(ChannelExplorer, cancelled_recv_loses_no_message) {
  expect_correct(explore_channel, kCancelledRecv);
}

TEST(ChannelStaleReads, two_producers_against_a_receiver_deliver_each_message_once) {
  expect_correct(explore_channel, with_stale_reads(kTwoProducers));
}
TEST(ChannelStaleReads, close_racing_send_and_recv_delivers_what_was_accepted) {
  expect_correct(explore_channel, with_stale_reads(kCloseRacesSendAndRecv));
}
TEST(ChannelStaleReads, receiver_closing_drains_what_was_accepted) {
  expect_correct(explore_channel, with_stale_reads(kReceiverCloses));
}
TEST(ChannelStaleReads, cancelled_recv_loses_no_message) {
  expect_correct(explore_channel, with_stale_reads(kCancelledRecv));
}

ChannelScenario with_bug(ChannelScenario scenario, ChannelBug bug) {
  scenario.bug = bug;
  return scenario;
}
ChannelScenario with_bug(ChannelScenario scenario, OrderMutation weaken) {
  scenario.weaken = std::move(weaken);
  return scenario;
}

TEST(ChannelSeededBugs, a_cancelled_recv_that_drops_its_message_is_caught) {
  expect_caught_in_both_models(explore_channel,
                               with_bug(kCancelledRecv, ChannelBug::kCancelledWaitDropsItsMessage));
}
TEST(ChannelSeededBugs, a_message_published_relaxed_is_caught) {
  expect_caught_in_both_models(explore_channel,
                               with_bug(kTwoProducers, &bugs::publish_message_relaxed));
}

}  // namespace
}  // namespace diatomic::explorer
