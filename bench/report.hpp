// SPDX-License-Identifier: MIT
// The benchmark report (docs/benchmarks.md): the README's first command runs it.
#pragma once

#include <cstddef>
#include <string>

namespace diatomic::bench {

// Runs the `benchmarks` registered benchmarks with repetitions, printing a
// progress line for each, then prints the RMW table, the speed table and the
// floors, and writes benchmarks.json (raw Google Benchmark output),
// report.txt and ratios.png (gnuplot) into `dir`, created if missing.
// Returns the process exit status: 0 if everything ran and was written.
[[nodiscard]] int run_report(const char* argv0, const std::string& dir, std::size_t benchmarks);

}  // namespace diatomic::bench
