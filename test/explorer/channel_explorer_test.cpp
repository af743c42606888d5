// SPDX-License-Identifier: MIT
// The channel in the interleaving explorer: two producers against a receiver,
// close racing send and recv (from a producer, from the receiver, from the
// last Sender's drop), a cancelled recv, in both memory models; and the
// seeded bugs a message lost on cancel and a message published relaxed, each
// caught with the schedule that shows it.
#include "channel_scenarios.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "watchdog.hpp"

namespace diatomic::explorer {
namespace {

constexpr ChannelStep S = ChannelStep::kSend;
constexpr ChannelStep C = ChannelStep::kClose;

// Explores the scenario under a watchdog and prints what it explored.
Result explore_logged(const ChannelScenario& scenario) {
  const char* name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  const test::Watchdog watchdog(std::string("explorer: ") + name, std::chrono::seconds(300));
  const Result result = explore_channel(scenario);
  std::printf("[explorer] %s: %ld schedules (%ld with a stale read), preemption bound %d, %s\n",
              name, result.schedules, result.stale_schedules, scenario.preemption_bound,
              result.failure     ? "stopped at the first failing schedule"
              : result.exhausted ? "bound exhausted"
                                 : "NOT exhausted (schedule cap reached)");
  return result;
}

void expect_correct(const ChannelScenario& scenario) {
  const Result result = explore_logged(scenario);
  EXPECT_FALSE(result.failure.has_value()) << *result.failure;
  EXPECT_TRUE(result.exhausted) << "the search stopped before the bound was exhausted";
}

void expect_caught(const ChannelScenario& scenario) {
  const Result result = explore_logged(scenario);
  ASSERT_TRUE(result.failure.has_value())
      << "the seeded bug went unnoticed in " << result.schedules << " schedules";
  std::printf("[explorer] caught: %s\n", result.failure->c_str());
}

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
  expect_correct(kTwoProducers);
}
TEST(ChannelExplorer, close_racing_send_and_recv_delivers_what_was_accepted) {
  expect_correct(kCloseRacesSendAndRecv);
}
TEST(ChannelExplorer, receiver_closing_drains_what_was_accepted) {
  expect_correct(kReceiverCloses);
}
TEST(ChannelExplorer, cancelled_recv_loses_no_message) {
  expect_correct(kCancelledRecv);
}

TEST(ChannelStaleReads, two_producers_against_a_receiver_deliver_each_message_once) {
  expect_correct(with_stale_reads(kTwoProducers));
}
TEST(ChannelStaleReads, close_racing_send_and_recv_delivers_what_was_accepted) {
  expect_correct(with_stale_reads(kCloseRacesSendAndRecv));
}
TEST(ChannelStaleReads, receiver_closing_drains_what_was_accepted) {
  expect_correct(with_stale_reads(kReceiverCloses));
}
TEST(ChannelStaleReads, cancelled_recv_loses_no_message) {
  expect_correct(with_stale_reads(kCancelledRecv));
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
  const ChannelScenario buggy = with_bug(kCancelledRecv, ChannelBug::kCancelledWaitDropsItsMessage);
  expect_caught(buggy);
  expect_caught(with_stale_reads(buggy, buggy.preemption_bound));
}
TEST(ChannelSeededBugs, a_message_published_relaxed_is_caught) {
  const ChannelScenario buggy = with_bug(kTwoProducers, &bugs::publish_message_relaxed);
  expect_caught(buggy);
  expect_caught(with_stale_reads(buggy, buggy.preemption_bound));
}

}  // namespace
}  // namespace diatomic::explorer
