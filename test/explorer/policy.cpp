// SPDX-License-Identifier: MIT
// The explorer policy's configuration and trace helpers.
#include "policy.hpp"

namespace diatomic::explorer {

PolicyConfig& policy_config() noexcept {
  static PolicyConfig config;
  return config;
}

const char* order_name(std::memory_order order) noexcept {
  switch (order) {
    case std::memory_order_relaxed:
      return "relaxed";
    case std::memory_order_consume:
      return "consume";
    case std::memory_order_acquire:
      return "acquire";
    case std::memory_order_release:
      return "release";
    case std::memory_order_acq_rel:
      return "acq_rel";
    case std::memory_order_seq_cst:
      return "seq_cst";
  }
  return "?";
}

void Futex::wait(Atomic<std::uint32_t>& word, std::uint32_t expected) {
  if (!Scheduler::on_scenario_thread()) return;
  Scheduler& scheduler = *Scheduler::active();
  scheduler.point();
  if (word.peek() != expected) {
    scheduler.record("futex wait", word.name(), "returns: the word changed");
    return;
  }
  if (scheduler.spurious_wakeup()) {
    scheduler.record("futex wait", word.name(), "returns spuriously");
    return;
  }
  scheduler.record("futex wait", word.name(), "sleeps");
  scheduler.futex_wait(&word);
  scheduler.record("futex woken", word.name(), "");
}

bool Futex::wait_until(Atomic<std::uint32_t>& word, std::uint32_t expected, const Deadline&) {
  if (!Scheduler::on_scenario_thread()) return false;
  Scheduler& scheduler = *Scheduler::active();
  scheduler.point();
  if (scheduler.timeout()) {
    scheduler.record("futex wait", word.name(), "times out");
    return true;
  }
  wait(word, expected);
  return false;
}

void Futex::wake_one(Atomic<std::uint32_t>& word) {
  if (!Scheduler::on_scenario_thread()) return;
  Scheduler& scheduler = *Scheduler::active();
  scheduler.point();
  const bool woke = scheduler.futex_wake_one(&word);
  scheduler.record("futex wake", word.name(), woke ? "wakes the sleeper" : "nobody sleeps");
}

bool acquires(std::memory_order order) noexcept {
  return order == std::memory_order_acquire || order == std::memory_order_acq_rel ||
         order == std::memory_order_seq_cst || order == std::memory_order_consume;
}

bool releases(std::memory_order order) noexcept {
  return order == std::memory_order_release || order == std::memory_order_acq_rel ||
         order == std::memory_order_seq_cst;
}

}  // namespace diatomic::explorer
