// SPDX-License-Identifier: MIT
// The order sweep: every atomic operation of DiatomicCore, AtomicWakerCore,
// ParkerCore, PollGate and the reference count of BasicRcWaker (as the
// awaiter's relay uses it) has its memory order weakened one step at a time (acq_rel -> acquire,
// acq_rel -> release, acquire -> relaxed, release -> relaxed, seq_cst ->
// acq_rel; a compare-exchange's success and failure orders apart), and the
// explorer runs the sweep's scenarios in both memory models until one of them
// fails. The table of what each weakening breaks is written into
// docs/testing.md by this test, never by hand: the test fails if the committed
// copy differs, and DIATOMIC_UPDATE_DOCS=1 rewrites it.
#include "scenarios.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "watchdog.hpp"

namespace diatomic::explorer {
namespace {

constexpr Action T = Action::kToken;

// The cores the sweep covers, as the call sites name their files.
constexpr std::string_view kCoreFiles[] = {"include/diatomic/detail/diatomic_core.hpp",
                                           "include/diatomic/detail/atomic_waker_core.hpp",
                                           "include/diatomic/detail/parker_core.hpp",
                                           "include/diatomic/detail/poll_gate.hpp",
                                           "include/diatomic/rc_waker.hpp"};

// A call site's file, from the repository root, if it is one of the cores.
std::string core_file(const char* file) {
  const std::string_view path(file);
  for (std::string_view core : kCoreFiles) {
    if (path.ends_with(core)) return std::string(core);
  }
  return {};
}

// A function's name as the table shows it: a member function template's
// name without the template arguments that __builtin_FUNCTION adds.
std::string function_name(const char* function) {
  const std::string_view name(function);
  return std::string(name.substr(0, name.find('<')));
}

struct SiteKey {
  std::string file;
  unsigned line;
  OrderRole role;
  friend auto operator<=>(const SiteKey&, const SiteKey&) = default;
};

// One atomic operation of a core, with one of its orders.
struct Row {
  std::string function;
  std::string op;
  std::memory_order order;
};

struct Named {
  const char* name;
  Scenario scenario;
};

// The sweep's scenarios, smaller than the explorer's: every one runs once per
// weakening that it does not catch. Between them they reach every atomic
// operation of both cores (the test checks it against the headers' text).
Scenario sweep_bounds(Scenario scenario) {
  scenario.preemption_bound = 2;
  return scenario;
}
const Named kDiatomic[] = {
    {"2 producers, clear()", sweep_bounds({.producers = {{T}, {T}}, .ending = Ending::kClear})},
    {"3 wakers, quiesce",
     sweep_bounds({.producers = {{T}, {T}}, .wakers = 3, .ending = Ending::kQuiesce})},
    {"3 wakers, polled twice",
     sweep_bounds({.producers = {{T}, {T}},
                   .wakers = 3,
                   .protocol = Protocol::kRegisterTwiceThenRecheck})},
    {"3 wakers, 2 polls without parking",
     sweep_bounds({.producers = {{T}, {T}}, .wakers = 3, .polls_without_parking = 2})},
    {"await each token, same waker",
     sweep_bounds({.producers = {{T}, {T}}, .protocol = Protocol::kAwaitEachToken})},
};
const Named kAtomicWaker[] = {
    {"2 producers", sweep_bounds({.producers = {{T}, {T}}})},
    {"3 wakers", sweep_bounds({.producers = {{T}, {T}}, .wakers = 3})},
};
const Named kParker[] = {
    {"park once, payload",
     sweep_bounds({.producers = {{T}},
                   .spurious_wakeups = 1,
                   .protocol = Protocol::kParkOnceThenRead})},
    {"2 wakes", sweep_bounds({.producers = {{T}, {T}}, .spurious_wakeups = 1})},
    {"park once with deadlines, payload",
     sweep_bounds({.producers = {{T}},
                   .timeouts = 2,
                   .protocol = Protocol::kParkOnceThenRead})},
};
const Named kPollGate[] = {
    {"2 wakes", sweep_bounds({.producers = {{T}, {T}}})},
    {"destroyed while suspended",
     sweep_bounds({.producers = {{T}, {T}}, .protocol = Protocol::kDestroyWhileSuspended})},
};
const Named kRelay[] = {
    {"late wakes and drops", sweep_bounds({.producers = {{T}, {T}, {}}})},
    {"destroyed while suspended",
     sweep_bounds({.producers = {{T}, {}}, .protocol = Protocol::kDestroyWhileSuspended})},
};

// The weakenings of one order, one step each.
std::vector<std::memory_order> weaker(std::memory_order order) {
  switch (order) {
    case std::memory_order_seq_cst:
      return {std::memory_order_acq_rel};
    case std::memory_order_acq_rel:
      return {std::memory_order_acquire, std::memory_order_release};
    case std::memory_order_acquire:
    case std::memory_order_release:
    case std::memory_order_consume:
      return {std::memory_order_relaxed};
    case std::memory_order_relaxed:
      return {};
  }
  return {};
}

// Which check a failure message comes from.
std::string check_of(const std::string& failure) {
  if (failure.starts_with("lost wake-up")) return "lost wake-up";
  if (failure.find("(a data race)") != std::string::npos) return "data race";
  if (failure.find("after its last reference") != std::string::npos) return "waker use after release";
  if (failure.find("still alive") != std::string::npos) return "waker leaked";
  if (failure.find(" while ") != std::string::npos) return "overlapping slot access";
  return failure.substr(0, failure.find(" (at step"));
}

// The schedule number in a failure report ("failing schedule #85 (...").
std::string schedule_of(const std::string& failure) {
  const auto at = failure.find("failing schedule #");
  if (at == std::string::npos) return "?";
  const auto start = at + std::string_view("failing schedule #").size();
  return failure.substr(start, failure.find(' ', start) - start);
}

using Explore = Result (*)(const Scenario&);

// Runs every scenario once unweakened in both models, recording the orders
// each core operation runs with; the algorithm must pass them all.
void discover(Explore explore, const Named* begin, const Named* end,
              std::map<SiteKey, Row>& rows) {
  for (const Named* named = begin; named != end; ++named) {
    for (Scenario scenario : {named->scenario, with_stale_reads(named->scenario)}) {
      scenario.weaken = [&rows](const Operation& op, OrderRole role, std::memory_order order) {
        const std::string file = core_file(op.site.file);
        if (!file.empty()) {
          rows.try_emplace(SiteKey{file, op.site.line, role},
                           Row{function_name(op.site.function), op.op, order});
        }
        return order;
      };
      const Result result = explore(scenario);
      EXPECT_FALSE(result.failure.has_value()) << named->name << ": " << *result.failure;
      EXPECT_TRUE(result.exhausted) << named->name;
    }
  }
}

// Explores the weakening of one operation's order until a scenario fails;
// returns what caught it, or "**not caught**".
std::string sweep_one(Explore explore, const Named* begin, const Named* end, const SiteKey& key,
                      std::memory_order to) {
  for (const Named* named = begin; named != end; ++named) {
    for (const bool stale_reads : {false, true}) {
      Scenario scenario = stale_reads ? with_stale_reads(named->scenario) : named->scenario;
      scenario.weaken = [&key, to](const Operation& op, OrderRole role, std::memory_order order) {
        const bool hit = role == key.role && op.site.line == key.line &&
                         core_file(op.site.file) == key.file;
        return hit ? to : order;
      };
      const Result result = explore(scenario);
      if (result.failure) {
        return fmt::format("{}: {}, {}, schedule #{}", check_of(*result.failure), named->name,
                           stale_reads ? "stale reads" : "SC", schedule_of(*result.failure));
      }
    }
  }
  return "**not caught**";
}

// True if `line` calls an operation of a state word ("state_.fetch_or(",
// the poll gate's "word_.fetch_or(", the reference count's
// "block->refs.fetch_sub(": use_count()'s relaxed snapshot, through block_,
// is no part of the relay and not swept).
// (No std::regex: g++ 12 warns inside it under -fsanitize=address.)
bool calls_an_operation(std::string_view line) {
  constexpr std::string_view kOperations[] = {"load(", "store(", "exchange(", "fetch_",
                                              "compare_exchange_"};
  for (std::string_view word : {std::string_view("state_."), std::string_view("word_."),
                                std::string_view("block->refs.")}) {
    for (auto at = line.find(word); at != std::string_view::npos; at = line.find(word, at + 1)) {
      const std::string_view rest = line.substr(at + word.size());
      for (std::string_view op : kOperations) {
        if (rest.starts_with(op)) return true;
      }
    }
  }
  return false;
}

// Every line of a core that calls an operation of its state word.
std::set<std::pair<std::string, unsigned>> operations_in_the_headers() {
  std::set<std::pair<std::string, unsigned>> found;
  for (std::string_view file : kCoreFiles) {
    std::ifstream in(std::string(DIATOMIC_SOURCE_ROOT) + "/" + std::string(file));
    EXPECT_TRUE(in.good()) << "cannot read " << file;
    std::string line;
    for (unsigned number = 1; std::getline(in, line); ++number) {
      if (calls_an_operation(line)) found.emplace(std::string(file), number);
    }
  }
  return found;
}

// The sentence with which an operation's `// Ordering:` comment justifies a
// strength that no scenario shows to be needed.
constexpr std::string_view kJustified = "The model cannot see this need";

// True if the comment just above line `line` of `file` (the lines from the
// operation up to the first line that is not a comment) says why the model
// cannot see the need of the operation's order.
bool justified_at(const std::string& file, unsigned line) {
  std::ifstream in(std::string(DIATOMIC_SOURCE_ROOT) + "/" + file);
  std::vector<std::string> lines;
  for (std::string text; std::getline(in, text);) lines.push_back(text);
  std::string comment;
  for (unsigned at = line - 1; at >= 1 && at <= lines.size(); --at) {
    const std::string& text = lines[at - 1];
    const auto start = text.find_first_not_of(' ');
    if (start == std::string::npos || text.compare(start, 2, "//") != 0) break;
    comment = text.substr(start + 2) + comment;
  }
  // A sentence may wrap: compare with the comment's words joined by one space.
  std::string joined;
  std::istringstream words(comment);
  for (std::string word; words >> word;) joined += (joined.empty() ? "" : " ") + word;
  return joined.find(kJustified) != std::string::npos;
}

std::string table(const std::map<SiteKey, Row>& rows,
                  const std::map<std::tuple<SiteKey, std::memory_order>, std::string>& caught) {
  std::string out =
      "| operation | order | weakened to | caught by (check: scenario, model, schedule) |\n"
      "|---|---|---|---|\n";
  for (const auto& [key, row] : rows) {
    const std::string base = key.file.substr(key.file.rfind('/') + 1);
    const std::string operation =
        fmt::format("`{}:{}` {}, {}{}", base, key.line, row.function, row.op,
                    row.op == "cas" ? (key.role == OrderRole::kSuccess ? " (success)"
                                                                       : " (failure)")
                                    : "");
    const std::vector<std::memory_order> steps = weaker(row.order);
    if (steps.empty()) {
      out += fmt::format("| {} | {} | — | nothing weaker |\n", operation, order_name(row.order));
    }
    for (std::memory_order to : steps) {
      out += fmt::format("| {} | {} | {} | {} |\n", operation, order_name(row.order),
                         order_name(to), caught.at({key, to}));
    }
  }
  return out;
}

constexpr std::string_view kBegin =
    "<!-- order sweep: begin (generated by OrderSweep.every_order_of_the_cores) -->\n";
constexpr std::string_view kEnd = "<!-- order sweep: end -->\n";

// Compares the table with docs/testing.md's copy (or rewrites the copy).
void check_docs(const std::string& generated) {
  const std::string path = std::string(DIATOMIC_SOURCE_ROOT) + "/docs/testing.md";
  std::stringstream buffer;
  buffer << std::ifstream(path).rdbuf();
  std::string page = buffer.str();
  const auto begin = page.find(kBegin);
  const auto end = page.find(kEnd);
  ASSERT_TRUE(begin != std::string::npos && end != std::string::npos && begin < end)
      << path << " lacks the order sweep's markers";
  const auto from = begin + kBegin.size();
  const char* update = std::getenv("DIATOMIC_UPDATE_DOCS");
  if (update != nullptr && std::string_view(update) == "1") {
    page.replace(from, end - from, generated);
    std::ofstream(path) << page;
    std::printf("[order sweep] rewrote the table in %s\n", path.c_str());
    return;
  }
  EXPECT_EQ(page.substr(from, end - from), generated)
      << "docs/testing.md's order sweep table is not what the sweep finds; if the change is "
         "right, rewrite it with: DIATOMIC_UPDATE_DOCS=1 BUILD/test/explorer/explorer_test "
         "--gtest_filter='OrderSweep.*'";
}

TEST(OrderSweep, every_order_of_the_cores) {
  const test::Watchdog watchdog("explorer: OrderSweep", std::chrono::seconds(900));
  std::map<SiteKey, Row> diatomic_rows;
  std::map<SiteKey, Row> atomic_waker_rows;
  std::map<SiteKey, Row> parker_rows;
  discover(explore_diatomic, std::begin(kDiatomic), std::end(kDiatomic), diatomic_rows);
  discover(explore_atomic_waker, std::begin(kAtomicWaker), std::end(kAtomicWaker),
           atomic_waker_rows);
  discover(explore_parker, std::begin(kParker), std::end(kParker), parker_rows);
  std::map<SiteKey, Row> gate_rows;
  discover(explore_poll_gate, std::begin(kPollGate), std::end(kPollGate), gate_rows);
  // The relay's scenarios reach the gate's operations too (swept above):
  // its own rows are the reference count's.
  std::map<SiteKey, Row> relay_rows;
  discover(explore_relay, std::begin(kRelay), std::end(kRelay), relay_rows);
  std::erase_if(relay_rows, [](const auto& entry) {
    return !entry.first.file.ends_with("rc_waker.hpp");
  });

  std::set<std::pair<std::string, unsigned>> reached;
  for (const auto* rows :
       {&diatomic_rows, &atomic_waker_rows, &parker_rows, &gate_rows, &relay_rows}) {
    for (const auto& entry : *rows) reached.emplace(entry.first.file, entry.first.line);
  }
  // Both ways: no operation unreached, and none reached that the text
  // search missed (so the search itself is seen to work).
  const auto in_text = operations_in_the_headers();
  for (const auto& [file, line] : in_text) {
    EXPECT_TRUE(reached.contains({file, line}))
        << file << ":" << line << " is an atomic operation that no sweep scenario reaches";
  }
  for (const auto& [file, line] : reached) {
    EXPECT_TRUE(in_text.contains({file, line}))
        << file << ":" << line << " ran an atomic operation that the text search missed";
  }

  std::map<std::tuple<SiteKey, std::memory_order>, std::string> caught;
  long not_caught = 0;
  auto sweep = [&](Explore explore, const Named* begin, const Named* end,
                   const std::map<SiteKey, Row>& rows) {
    for (const auto& [key, row] : rows) {
      for (std::memory_order to : weaker(row.order)) {
        const std::string by = sweep_one(explore, begin, end, key, to);
        if (by != "**not caught**") {
          caught[{key, to}] = by;
          continue;
        }
        ++not_caught;
        const bool justified = justified_at(key.file, key.line);
        EXPECT_TRUE(justified)
            << key.file << ":" << key.line << " weakened to " << order_name(to)
            << " is not caught: find a scenario that needs the order, weaken it, or say in its "
               "Ordering: comment why the model cannot see the need (\""
            << kJustified << "\")";
        caught[{key, to}] =
            justified ? "not caught; kept, its `Ordering:` comment says why the model cannot "
                        "see the need"
                      : "**not caught**";
      }
    }
  };
  sweep(explore_diatomic, std::begin(kDiatomic), std::end(kDiatomic), diatomic_rows);
  sweep(explore_atomic_waker, std::begin(kAtomicWaker), std::end(kAtomicWaker),
        atomic_waker_rows);
  sweep(explore_parker, std::begin(kParker), std::end(kParker), parker_rows);
  sweep(explore_poll_gate, std::begin(kPollGate), std::end(kPollGate), gate_rows);
  sweep(explore_relay, std::begin(kRelay), std::end(kRelay), relay_rows);

  const std::string generated =
      "DiatomicCore:\n\n" + table(diatomic_rows, caught) + "\nAtomicWakerCore:\n\n" +
      table(atomic_waker_rows, caught) + "\nParkerCore:\n\n" + table(parker_rows, caught) +
      "\nPollGate:\n\n" + table(gate_rows, caught) +
      "\nBasicRcWaker (the awaiter's relay):\n\n" + table(relay_rows, caught);
  std::printf("[order sweep] %zu weakenings, %ld not caught (each must be justified)\n%s",
              caught.size(), not_caught,
              generated.c_str());
  check_docs(generated);
}

}  // namespace
}  // namespace diatomic::explorer
