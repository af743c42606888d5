// SPDX-License-Identifier: MIT
// Registers the benchmarks of the binary and counts them, for the report's
// progress lines.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace diatomic::bench {

class Registry {
 public:
  // What a benchmark's ns/op is: the CPU time of the timing thread, which on
  // a shared machine leaves out the time other processes held the core; or
  // wall-clock time, for round trips, where threads sleep; or the time the
  // benchmark sets for each iteration itself (SetIterationTime).
  enum class Clock { kCpu, kWall, kManual };

  // `min_time` (seconds of the benchmark's clock per repetition), if not 0,
  // replaces --benchmark_min_time for this benchmark.
  void add(std::string_view name, void (*function)(benchmark::State&), Clock clock,
           double min_time = 0) {
    auto* registered = benchmark::RegisterBenchmark(std::string(name).c_str(), function);
    if (clock == Clock::kWall) registered->UseRealTime();
    if (clock == Clock::kManual) registered->UseManualTime();
    if (min_time != 0) registered->MinTime(min_time);
    ++count_;
  }

  [[nodiscard]] std::size_t count() const noexcept { return count_; }

 private:
  std::size_t count_ = 0;
};

// T1 and C1 (alternatives.cpp): libdiatomic's waits against what a C++ user
// picks instead.
void register_alternatives(Registry& registry);
// Q1 to Q5 (channels.cpp): diatomic::channel against the queues a C++ user
// picks instead.
void register_channels(Registry& registry);

}  // namespace diatomic::bench
