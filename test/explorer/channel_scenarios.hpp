// SPDX-License-Identifier: MIT
// The explorer's channel scenarios: producers send numbered messages into the
// channel's own ring (detail::ChannelCore over the explorer policy: slot
// stamps, the claim word with its close mark, the handle counts, the
// receiver's DiatomicCore), one receiver takes them through the library's
// own recv wait (Wait over detail::RecvOne, as block_on polls it), and the
// channel is closed or the receiver's wait cancelled at every point the
// bounds reach. Tests only.
#pragma once

#include "policy.hpp"
#include "scheduler.hpp"

#include <cstddef>
#include <vector>

namespace diatomic::explorer {

// What a producer does, in order. Each producer holds a Sender and drops it
// at its end (the last drop closes the channel).
enum class ChannelStep {
  kSend,   // try_send its next message until sent or closed (full: retry)
  kClose,  // close()
};

// A seeded bug in the receiver, outside the channel's atomics.
enum class ChannelBug {
  kNone,
  // A cancelled recv that still takes the message at the head (as a
  // cancelled wait whose last poll consumed and threw away its result).
  kCancelledWaitDropsItsMessage,
};

struct ChannelScenario {
  std::size_t capacity = 1;
  std::vector<std::vector<ChannelStep>> producers;
  // The receiver closes the channel after it took this many messages (0:
  // never).
  int receiver_closes_after = 0;
  // A canceller thread requests stop on the receiver's first wait (whose
  // stop callback wakes the receiver, as block_on's does); the receiver then
  // waits again without a stop token.
  bool cancel_first_wait = false;
  int preemption_bound = 2;
  int stale_reads = 0;
  int spurious_failures = 0;
  ChannelBug bug = ChannelBug::kNone;
  OrderMutation weaken = {};  // a seeded bug in the memory orders of the channel's atomics
};

// Explores every schedule of the scenario up to its bounds. A schedule fails
// if the receiver is left waiting (a lost wake-up), if a slot is accessed
// without happens-before from the previous conflicting access (a data race on
// a message), if a message the channel accepted is not received exactly once
// or a message handed back is received, if one producer's messages arrive out
// of order, if the receiver does not end with "closed", if the channel's
// state is not freed by the last handle, or is freed without happens-before
// from every store to its atomics, or, with one kClose step in the scenario,
// if the receive that reports the channel closed does not happen after what
// that step's thread did before its close() (the contract's memory clause).
[[nodiscard]] Result explore_channel(const ChannelScenario& scenario);

namespace bugs {
// The channel: a send publishes its message (the slot's stamp) with a
// relaxed store, so the receiver may move it out before seeing it written.
std::memory_order publish_message_relaxed(const Operation& op, OrderRole role,
                                          std::memory_order order);
}  // namespace bugs

}  // namespace diatomic::explorer
