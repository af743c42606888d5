// SPDX-License-Identifier: MIT
// The scenarios the benchmark binary registers and the report reads back:
// names, floors and the targets of docs/benchmarks.md, in one table.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace diatomic::bench {

inline constexpr std::string_view kDiatomic = "DiatomicWaker";
inline constexpr std::string_view kAtomicWaker = "AtomicWaker";

// How a scenario compares with its floor: the primitive's time divided by the
// floor's (a ratio) or minus it (nanoseconds over).
enum class FloorKind { kNone, kRatio, kDifference };

struct Scenario {
  std::string_view id;         // "S1"; benchmarks are named "S1/DiatomicWaker" etc.
  std::string_view title;
  double min_speedup;          // target for AtomicWaker / DiatomicWaker; 0: none
  std::string_view floor;      // the floor benchmark's full name; empty: none
  FloorKind floor_kind;
  double floor_bound;          // target: ratio at most, or nanoseconds over at most
  std::string_view design_rmws;  // docs/design.md#5-the-rmw-budget, DiatomicWaker / AtomicWaker; empty: none
};

inline constexpr std::string_view kFetchOrFloor = "S0/fetch_or";
inline constexpr std::string_view kCmpxchgFloor = "S0/cmpxchg";
// fetch_or then fetch_and: AtomicWaker's two RMWs for S1. Divided by the
// cmpxchg floor, it bounds the S1 speed-up this machine allows.
inline constexpr std::string_view kTwoRmwFloor = "S0/fetch_or+fetch_and";
inline constexpr std::string_view kFutexFloor = "S4/raw_futex";
inline constexpr std::string_view kSpinFloor = "S5/raw_spin";

inline constexpr std::array kScenarios{
    Scenario{"S1", "notify, nobody registered", 1.8, kCmpxchgFloor, FloorKind::kRatio, 1.15,
             "1 / 2"},
    Scenario{"S2", "same waker again + notify", 1.6, "", FloorKind::kNone, 0, "4 / 7"},
    Scenario{"S3", "new waker + notify", 1.1, "", FloorKind::kNone, 0, "6 / 7"},
    Scenario{"S4", "ping-pong, parked threads", 0, kFutexFloor, FloorKind::kRatio, 1.05, ""},
    Scenario{"S5", "ping-pong, spinning waiters", 0, kSpinFloor, FloorKind::kDifference, 15, ""},
    Scenario{"S6", "2 threads notify, nobody registered", 1.8, "", FloorKind::kNone, 0, ""},
    Scenario{"S7", "ping-pong, coroutine on a RunLoop", 0, kFutexFloor, FloorKind::kRatio, 0, ""},
};

[[nodiscard]] inline std::string benchmark_name(std::string_view scenario,
                                                std::string_view primitive) {
  std::string name(scenario);
  name += '/';
  name += primitive;
  return name;
}

}  // namespace diatomic::bench
