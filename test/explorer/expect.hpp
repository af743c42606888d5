// SPDX-License-Identifier: MIT
// What an explorer test expects of an exploration, for scenarios of every
// kind: the explore_* function runs under a watchdog (a hang of the explorer
// itself aborts, naming the test), prints what it explored and whether the
// search was exhausted, and the algorithm is correct in every schedule, or a
// seeded bug is caught with the schedule that shows it. Tests only.
#pragma once

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "scheduler.hpp"
#include "watchdog.hpp"

namespace diatomic::explorer {

// "[explorer] TEST: N schedules, preemption bound B, OUTCOME", with the
// schedules that read a stale store and each other bound the scenario sets.
inline void report(const char* test, const Result& result, const Options& options) {
  std::string schedules = fmt::format("{} schedules", result.schedules);
  std::string bounds = fmt::format("preemption bound {}", options.preemption_bound);
  if (options.stale_reads != 0 || options.spurious_failures != 0) {
    schedules += fmt::format(" ({} with a stale read)", result.stale_schedules);
    bounds += fmt::format(", stale reads {}, spurious failures {}", options.stale_reads,
                          options.spurious_failures);
  }
  if (options.spurious_wakeups != 0) {
    bounds += fmt::format(", spurious wake-ups {}", options.spurious_wakeups);
  }
  if (options.timeouts != 0) bounds += fmt::format(", timeouts {}", options.timeouts);
  const char* outcome = result.failure     ? "stopped at the first failing schedule"
                        : result.exhausted ? "bound exhausted"
                                           : "NOT exhausted (schedule cap reached)";
  std::printf("[explorer] %s: %s, %s, %s\n", test, schedules.c_str(), bounds.c_str(), outcome);
}

template <class S>
Result explore_reported(Result (*explore)(const S&), const S& scenario) {
  const char* test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  const test::Watchdog watchdog(std::string("explorer: ") + test, std::chrono::seconds(300));
  Result result = explore(scenario);
  report(test, result, options_of(scenario));
  return result;
}

// The algorithm is correct in every schedule, and the search ran to the end.
template <class S>
void expect_correct(Result (*explore)(const S&), const S& scenario) {
  const Result result = explore_reported(explore, scenario);
  EXPECT_FALSE(result.failure.has_value()) << *result.failure;
  EXPECT_TRUE(result.exhausted) << "the search stopped before the bound was exhausted";
}

// A seeded bug: some schedule shows it, and that schedule is printed.
template <class S>
void expect_caught(Result (*explore)(const S&), const S& scenario) {
  const Result result = explore_reported(explore, scenario);
  ASSERT_TRUE(result.failure.has_value())
      << "the seeded bug went unnoticed in " << result.schedules << " schedules";
  std::printf("[explorer] caught: %s\n", result.failure->c_str());
}

// A seeded bug in both models, at the scenario's preemption bound: the
// stale-read model keeps every behaviour of the sequentially consistent one
// (each load may still read the latest store), so what one catches the other
// must catch too.
template <class S>
void expect_caught_in_both_models(Result (*explore)(const S&), const S& scenario) {
  expect_caught(explore, scenario);
  expect_caught(explore, with_stale_reads(scenario, scenario.preemption_bound));
}

}  // namespace diatomic::explorer
