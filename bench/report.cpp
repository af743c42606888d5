// SPDX-License-Identifier: MIT
// The benchmark report: runs every benchmark with repetitions, keeps each
// one's median, and prints what docs/benchmarks.md shows: the RMW table, the
// speed table (AtomicWaker / DiatomicWaker) and each scenario against its
// floor, each with its target. Writes the raw JSON, the text and a PNG chart.
#include "report.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog.hpp"

namespace diatomic::bench {
namespace {

// Seven repetitions of at least 0.2 s each: the whole suite, counting runs
// included, takes about a minute on a 2-core machine.
constexpr int kRepetitions = 7;
constexpr std::string_view kMinTime = "0.2";

struct Result {
  double ns_per_op = 0;  // median over the repetitions
  double cv = 0;         // coefficient of variation of ns/op over the repetitions
  // The benchmark's counters (rmw/op, sleeps/op, S5p's ratios), each the
  // median over the repetitions.
  std::map<std::string, double, std::less<>> counters;

  [[nodiscard]] std::optional<double> counter(std::string_view name) const {
    const auto it = counters.find(name);
    return it == counters.end() ? std::nullopt : std::optional<double>(it->second);
  }
};
using Results = std::map<std::string, Result, std::less<>>;

// The compiler this binary was built with, for the report's header.
#if defined(__clang__)
constexpr std::string_view kCompiler = "clang++ " __clang_version__;
#elif defined(__GNUC__)
constexpr std::string_view kCompiler = "g++ " __VERSION__;
#else
constexpr std::string_view kCompiler = "an unknown compiler";
#endif

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  constexpr std::string_view kKey = "model name";
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.starts_with(kKey)) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

// Prints one line per benchmark as its repetitions finish and keeps the
// medians; the raw runs go to the JSON file reporter.
class ProgressReporter final : public benchmark::BenchmarkReporter {
 public:
  ProgressReporter(Results& results, std::size_t total, std::string& machine)
      : results_(results), total_(total), machine_(machine) {}

  bool ReportContext(const Context& context) override {
    const auto& cpu = context.cpu_info;
    machine_ = fmt::format("{}, {} logical CPUs at {:.0f} MHz", cpu_model(), cpu.num_cpus,
                           cpu.cycles_per_second / 1e6);
    if (cpu.load_avg.size() == 3) {
      machine_ += fmt::format(", load average {:.2f} {:.2f} {:.2f} at start", cpu.load_avg[0],
                              cpu.load_avg[1], cpu.load_avg[2]);
    }
    fmt::print("machine: {}\n", machine_);
    std::fflush(stdout);
    return true;
  }

  // Called once with a benchmark's repetitions, then once with its
  // aggregates (mean, median, stddev, cv): the progress line comes with those.
  void ReportRuns(const std::vector<Run>& runs) override {
    const Result* finished = nullptr;
    std::string name;
    for (const Run& run : runs) {
      name = run.run_name.function_name;
      if (run.error_occurred) {
        fmt::print("  {}: error: {}\n", name, run.error_message);
        errors_ = true;
        continue;
      }
      if (run.run_type != Run::RT_Aggregate) continue;
      Result& result = results_[name];
      finished = &result;
      // The benchmark's own clock: wall-clock if it asked for real time, or
      // the time it set itself (manual time, kept where real time is).
      const bool wall =
          run.run_name.time_type == "real_time" || run.run_name.time_type == "manual_time";
      // A percentage aggregate holds its fraction in the accumulated time.
      if (run.aggregate_name == "cv") {
        result.cv = wall ? run.real_accumulated_time : run.cpu_accumulated_time;
      }
      if (run.aggregate_name != "median") continue;
      result.ns_per_op = wall ? run.GetAdjustedRealTime() : run.GetAdjustedCPUTime();
      for (const auto& [counter_name, counter] : run.counters) {
        result.counters[counter_name] = counter.value;
      }
    }
    if (finished == nullptr) return;
    ++done_;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    fmt::print("[{:2}/{}] {:5.0f} s  {:<24} {:9.1f} ns/op  (cv {:4.1f} %)\n", done_, total_,
               elapsed, name, finished->ns_per_op, 100 * finished->cv);
    std::fflush(stdout);
  }

  [[nodiscard]] bool errors() const noexcept { return errors_; }

 private:
  using Clock = std::chrono::steady_clock;
  Results& results_;
  std::size_t total_;
  std::string& machine_;
  std::size_t done_ = 0;
  bool errors_ = false;
  Clock::time_point start_ = Clock::now();
};

const Result* find(const Results& results, std::string_view name) {
  const auto it = results.find(name);
  return it == results.end() ? nullptr : &it->second;
}

const Result* find(const Results& results, std::string_view scenario, std::string_view kind) {
  return find(results, benchmark_name(scenario, kind));
}

void rmw_table(fmt::memory_buffer& out, const Results& results) {
  fmt::format_to(std::back_inserter(out),
                 "\nRMWs per op, counted (the library's state machines over CountingPolicy,\n"
                 "RcWaker: clone, drop and wake 1 RMW each; S5 both threads, S6 one thread)\n"
                 "{:<42} {:>13} {:>13} {:>14}\n",
                 "scenario", kDiatomic, kAtomicWaker, "docs/design.md");
  for (const Scenario& s : kScenarios) {
    const Result* dw = find(results, s.id, kDiatomic);
    const Result* aw = find(results, s.id, kAtomicWaker);
    if (dw == nullptr || aw == nullptr) continue;
    const std::optional<double> dw_rmw = dw->counter(kRmwCounter);
    const std::optional<double> aw_rmw = aw->counter(kRmwCounter);
    if (!dw_rmw || !aw_rmw) continue;
    fmt::format_to(std::back_inserter(out), "{:<3}{:<39} {:>13.2f} {:>13.2f} {:>14}\n", s.id,
                   s.title, *dw_rmw, *aw_rmw, s.design_rmws);
  }
}

// "12.3 (4%)": ns/op and the coefficient of variation over the repetitions.
std::string with_cv(const Result& r) {
  return fmt::format("{:.1f} ({:.0f}%)", r.ns_per_op, 100 * r.cv);
}

void speed_table(fmt::memory_buffer& out, const Results& results) {
  fmt::format_to(std::back_inserter(out),
                 "\nSpeed, ns/op: median of {} repetitions (cv: their spread), interleaved.\n"
                 "CPU time of the timing thread, except round trips (S4, S5, S7, T1, C1: one\n"
                 "op = one round trip), in wall-clock time\n"
                 "{:<42} {:>15} {:>15} {:>8}\n",
                 kRepetitions, "scenario", kDiatomic, kAtomicWaker, "AW/DW");
  for (const Scenario& s : kScenarios) {
    const Result* dw = find(results, s.id, kDiatomic);
    const Result* aw = find(results, s.id, kAtomicWaker);
    if (dw == nullptr || aw == nullptr) continue;
    fmt::format_to(std::back_inserter(out), "{:<3}{:<39} {:>15} {:>15} {:>7.2f}x\n", s.id,
                   s.title, with_cv(*dw), with_cv(*aw), aw->ns_per_op / dw->ns_per_op);
  }
}

void floor_table(fmt::memory_buffer& out, const Results& results) {
  fmt::format_to(std::back_inserter(out), "\nFloors, ns/op\n");
  for (const std::string_view floor : kFloors) {
    if (const Result* r = find(results, floor)) {
      fmt::format_to(std::back_inserter(out), "{:<42} {:>15}\n", floor, with_cv(*r));
    }
  }
  const Result* two_rmws = find(results, kTwoRmwFloor);
  const Result* cmpxchg = find(results, kCmpxchgFloor);
  const Result* load_cmpxchg = find(results, kLoadCmpxchgFloor);
  if (two_rmws != nullptr && cmpxchg != nullptr) {
    fmt::format_to(std::back_inserter(out),
                   "S1 AW/DW this machine allows (1 vs 2 RMWs at the floor): {:.2f}x\n",
                   two_rmws->ns_per_op / cmpxchg->ns_per_op);
  }
  if (load_cmpxchg != nullptr && cmpxchg != nullptr) {
    fmt::format_to(std::back_inserter(out),
                   "load + compare-exchange loop / lone compare-exchange: {:.2f}x\n",
                   load_cmpxchg->ns_per_op / cmpxchg->ns_per_op);
  }
}

// The comparisons with what users pick instead (and any other group): each
// benchmark with what it is, and its time over the group's fastest.
void group_tables(fmt::memory_buffer& out, const Results& results) {
  for (const Group& group : kGroups) {
    double fastest = 0;
    for (const Row& row : group.rows) {
      if (const Result* r = row.name.empty() ? nullptr : find(results, row.name)) {
        fastest = fastest == 0 ? r->ns_per_op : std::min(fastest, r->ns_per_op);
      }
    }
    if (fastest == 0) continue;
    fmt::format_to(std::back_inserter(out), "\n{}, {}\n", group.title, group.unit);
    for (const Row& row : group.rows) {
      const Result* r = row.name.empty() ? nullptr : find(results, row.name);
      if (r == nullptr) continue;
      const std::optional<double> sleeps = r->counter(kSleepsCounter);
      const std::optional<double> cpu = r->counter(kCpuCounter);
      fmt::format_to(std::back_inserter(out), "{:<32} {:<50} {:>15} {:>7.3g}x{}{}\n", row.name,
                     row.what, with_cv(*r), r->ns_per_op / fastest,
                     sleeps ? fmt::format("  {:.3f} sleeps", *sleeps) : "",
                     cpu ? fmt::format("  {:.1f} cpu ns/msg", *cpu) : "");
    }
  }
}

// S5p's ratios: the median over the cycles and the quartiles (median over
// the repetitions of each).
void paired_table(fmt::memory_buffer& out, const Results& results) {
  const Result* paired = find(results, kS5Paired);
  if (paired == nullptr) return;
  fmt::format_to(std::back_inserter(out),
                 "\nS5 cycle by cycle ({}): six ping-pongs back to back per cycle; ratios of one\n"
                 "cycle's times, as named (AtomicWaker / DiatomicWaker above 1: DiatomicWaker\n"
                 "faster); the waker's wake count 'by the refs' or on its 'own line'\n"
                 "{:<52} {:>8} {:>8} {:>8}\n",
                 kS5Paired, "ratio", "median", "q1", "q3");
  for (const PairedRatio& ratio : kS5PairedRatios) {
    const std::string name(ratio.counter);
    const std::optional<double> median = paired->counter(name);
    const std::optional<double> q1 = paired->counter(name + " q1");
    const std::optional<double> q3 = paired->counter(name + " q3");
    if (!median || !q1 || !q3) continue;
    fmt::format_to(std::back_inserter(out), "{:<52} {:>7.3f}x {:>7.3f}x {:>7.3f}x\n", ratio.what,
                   *median, *q1, *q3);
  }
}

// The read-only notify experiments: each variant's time over the shipped
// DiatomicWaker in the same scenario, with the condition for adopting it.
void experiment_table(fmt::memory_buffer& out, const Results& results) {
  fmt::format_to(std::back_inserter(out),
                 "\nRead-only notify experiments (no target; docs/benchmarks.md), ns/op, CPU time\n"
                 "{:<52} {:>11} {:>11} {:>8}  {}\n",
                 "scenario: the variant", "shipped", "variant", "var/ship", "to adopt");
  for (const Experiment& e : kReadOnlyExperiments) {
    const Result* shipped = find(results, e.shipped);
    const Result* variant = find(results, e.variant);
    if (shipped == nullptr || variant == nullptr) continue;
    fmt::format_to(std::back_inserter(out), "{:<52} {:>11} {:>11} {:>8.2f}x  {}\n", e.what,
                   with_cv(*shipped), with_cv(*variant), variant->ns_per_op / shipped->ns_per_op,
                   e.criterion);
  }
}

// A target's speed-up (references' ns / subject's ns, the faster reference),
// or its paired counter; nothing if a benchmark is missing.
std::optional<double> speedup_of(const Target& t, const Results& results) {
  const Result* subject = find(results, t.subject);
  if (subject == nullptr) return std::nullopt;
  if (!t.paired.empty()) return subject->counter(t.paired);
  const Result* reference = nullptr;
  for (const std::string_view name : t.references) {
    const Result* r = name.empty() ? nullptr : find(results, name);
    if (r != nullptr && (reference == nullptr || r->ns_per_op < reference->ns_per_op)) {
      reference = r;
    }
  }
  if (reference == nullptr) return std::nullopt;
  return reference->ns_per_op / subject->ns_per_op;
}

// Every target, with its verdict; returns the chart's data: per target,
// the speed-up (references' ns / subject's ns) and the speed-up it must reach.
std::string target_table(fmt::memory_buffer& out, const Results& results) {
  fmt::format_to(std::back_inserter(out),
                 "\nTargets (x: libdiatomic's time over the reference's, or the speed-up)\n");
  std::string plot_data;
  for (const Target& t : kTargets) {
    const std::optional<double> measured = speedup_of(t, results);
    if (!measured) {
      fmt::format_to(std::back_inserter(out), "{:<86} not measured\n", t.label);
      continue;
    }
    const double speedup = *measured;
    const bool faster_by = t.kind == TargetKind::kFasterBy;
    const bool met = faster_by ? speedup >= t.bound : 1 / speedup <= t.bound;
    fmt::format_to(std::back_inserter(out), "{:<86} {:>7.3g}x  {} {:.2f}x  {}\n", t.label,
                   faster_by ? speedup : 1 / speedup, faster_by ? ">=" : "<=", t.bound,
                   met ? "met" : "MISSED");
    if (!met && !t.if_missed.empty()) {
      fmt::format_to(std::back_inserter(out), "    why: {}\n", t.if_missed);
    }
    plot_data += fmt::format("\"{}\" {:.3f} {:.3f}\n", t.label, speedup,
                             faster_by ? t.bound : 1 / t.bound);
  }
  return plot_data;
}

// Writes ratios.dat and ratios.gp into dir and runs gnuplot; true on success.
// One horizontal bar per target, labelled with what it measures: how many
// times faster libdiatomic is than the reference, the target as a mark.
bool plot(const std::filesystem::path& dir, const std::string& data, const std::string& machine) {
  const auto data_file = dir / "ratios.dat";
  const auto script_file = dir / "ratios.gp";
  const auto png_file = dir / "ratios.png";
  std::ofstream(data_file) << "# target  reference-ns/libdiatomic-ns  needed\n" << data;
  std::ofstream(script_file) << fmt::format(
      "set terminal pngcairo size 1500,{} font 'sans,11' noenhanced\n"
      "set output '{}'\n"
      "set title \"libdiatomic against each reference: reference ns / libdiatomic ns"
      "\\n{}\"\n"
      "set style fill solid 0.7 border -1\n"
      "set logscale x 10\n"
      // Room right of the longest bar for its label: up to the decade above
      // four times the largest value or target.
      "stats '{}' using ($2 > $3 ? $2 : $3) nooutput\n"
      "set xrange [0.1:10**ceil(log10(STATS_max * 4))]\n"
      "set yrange [{}:-0.7]\n"
      "set ytics nomirror\n"
      "set grid xtics\n"
      "set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb 'black' dashtype 2\n"
      "set key outside below horizontal\n"
      "set xlabel 'times faster (log scale; right of the dashed 1: libdiatomic faster)'\n"
      "plot '{}' using (1):0:(1):2:($0-0.35):($0+0.35):ytic(1) with boxxyerror "
      "lc rgb '#4a7ab5' title 'measured', "
      "'' using 3:0 with points pt 7 ps 1.8 lc rgb '#c0392b' title 'target: at least this', "
      // The value's label right of the bar, the target mark and the line at 1.
      "'' using (($2 > $3 ? ($2 > 1 ? $2 : 1) : ($3 > 1 ? $3 : 1)) * 1.12):0:"
      "(sprintf('%.3gx', $2)) with labels left notitle\n",
      160 + 48 * kTargets.size(), png_file.string(), machine, data_file.string(),
      kTargets.size() - 0.3, data_file.string());
  const std::string command = fmt::format("gnuplot '{}'", script_file.string());
  return std::system(command.c_str()) == 0 && std::filesystem::exists(png_file);
}

}  // namespace

int run_report(const char* argv0, const std::string& dir, std::size_t benchmarks) {
  const std::filesystem::path out_dir = std::filesystem::absolute(dir);
  std::filesystem::create_directories(out_dir);
  const auto json_file = out_dir / "benchmarks.json";

  std::vector<std::string> args{
      argv0,
      "--benchmark_out=" + json_file.string(),
      "--benchmark_out_format=json",
      fmt::format("--benchmark_repetitions={}", kRepetitions),
      fmt::format("--benchmark_min_time={}", kMinTime),
      // Repetitions of all benchmarks in random order: what the machine does
      // meanwhile spreads over every figure alike, and each comparison is A/B.
      "--benchmark_enable_random_interleaving=true",
  };
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  int argc = static_cast<int>(argv.size());
  benchmark::Initialize(&argc, argv.data());

  Results results;
  std::string machine;
  ProgressReporter progress(results, benchmarks, machine);
  benchmark::RunSpecifiedBenchmarks(&progress);
  benchmark::Shutdown();

  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out),
                 "\nlibdiatomic benchmark report\nmachine: {}\nbuilt with: {}\n", machine,
                 kCompiler);
  rmw_table(out, results);
  speed_table(out, results);
  floor_table(out, results);
  group_tables(out, results);
  paired_table(out, results);
  experiment_table(out, results);
  const std::string plot_data = target_table(out, results);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::ofstream(out_dir / "report.txt").write(out.data(), static_cast<std::streamsize>(out.size()));

  const bool plotted = plot(out_dir, plot_data, machine);
  fmt::print("\nresults in {}/: benchmarks.json (raw Google Benchmark JSON), report.txt, {}\n",
             out_dir.string(),
             plotted ? "ratios.png (chart of the targets)" : "NO ratios.png (gnuplot failed)");
  return progress.errors() || !plotted || results.size() != benchmarks ? 1 : 0;
}

}  // namespace diatomic::bench
