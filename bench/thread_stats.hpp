// SPDX-License-Identifier: MIT
// What the kernel counts for the calling thread: its CPU time and how many
// times it slept. Benchmarks only.
#pragma once

#include <cstdint>
#include <ctime>

#if defined(__linux__)
#include <sys/resource.h>
#endif

namespace diatomic::bench {

// The calling thread's CPU time, in nanoseconds.
inline std::int64_t thread_cpu_ns() noexcept {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// The calling thread's voluntary context switches so far: each is a sleep in
// the kernel (a futex wait that blocked), which a wait the spin caught avoids.
// 0 on a system without RUSAGE_THREAD.
inline std::int64_t sleeps_so_far() noexcept {
#if defined(__linux__)
  rusage usage{};
  if (getrusage(RUSAGE_THREAD, &usage) == 0) return usage.ru_nvcsw;
#endif
  return 0;
}

}  // namespace diatomic::bench
