// SPDX-License-Identifier: MIT
// The order sweep: every atomic operation of the cores in kCores below has its
// memory order weakened one step at a time (acq_rel -> acquire, acq_rel ->
// release, acquire -> relaxed, release -> relaxed, seq_cst -> acq_rel; a
// compare-exchange's success and failure orders apart), and the explorer runs
// the core's scenarios in both memory models until one of them fails. The
// table of what each weakening breaks is written into docs/testing.md by this
// test, never by hand: the test fails if the committed copy differs, and
// DIATOMIC_UPDATE_DOCS=1 rewrites it.
//
// Operations are named by the tag of their Ordering comment, never by line:
//   // Ordering[try_lock.cas]: acq_rel on success. Acquire: ...
//   if (state_.compare_exchange_weak(old, next, std::memory_order_acq_rel, ...
// A tag is the nearest `// Ordering[TAG]:` above the operation (after the
// operation before it), unique in its file; by convention FUNCTION.OP, with a
// word of its own where one function makes the same operation twice
// (try_unlock.switch_cas). Every operation of a swept core needs a tag, and
// every tag an operation: the test fails otherwise. So moving lines changes
// nothing in docs/testing.md; renaming a tag or a function changes its row.
//
// To sweep a new core: write it over an atomic policy
// (detail/atomic_policy.hpp) as the cores are, tag each of its atomic
// operations, give it an explore_* function over a scenario type of its own
// (with the members `weaken`, `preemption_bound`, `stale_reads` and
// `spurious_failures` that with_stale_reads in scheduler.hpp sets, as
// ChannelScenario has; explore<Run> in policy.hpp runs it) and a few small
// scenarios (a Named array below) that between them reach every operation of
// its header, and add one row to kCores. Then rewrite the table (its heading comes from kCores too):
//   DIATOMIC_UPDATE_DOCS=1 BUILD/test/explorer/explorer_test --gtest_filter='OrderSweep.*'
#include "channel_scenarios.hpp"
#include "scenarios.hpp"
#include "waiter_list_scenarios.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "watchdog.hpp"

namespace diatomic::explorer {
namespace {

constexpr Action T = Action::kToken;

// A swept operation: the tag of its Ordering comment, in its core's header,
// and which of a compare-exchange's orders is weakened.
struct SiteKey {
  std::string file;
  std::string tag;
  OrderRole role;
  // Ordered by hand, not by a defaulted <=>: libc++ 14's std::string has no <=>.
  friend bool operator<(const SiteKey& a, const SiteKey& b) {
    return std::tie(a.file, a.tag, a.role) < std::tie(b.file, b.tag, b.role);
  }
};

// One atomic operation of a core, with one of its orders.
struct Row {
  std::string op;
  std::memory_order order;
};

// One sweep scenario: its name, and its exploration in the first model or
// the stale-read one, with a weakening of the cores' orders.
struct Named {
  const char* name;
  std::function<Result(bool stale_reads, const OrderMutation& weaken)> explore;
};

// A scenario of any of the explorer's kinds (Scenario, ChannelScenario,
// WaitScenario) with the function that explores it; in the stale-read model
// with at most `stale_preemption_bound` preemptions (each stale read
// multiplies the schedules by the stores it could return).
template <class S>
Named named(const char* name, S scenario, Result (*explore)(const S&),
            int stale_preemption_bound = 1) {
  return {name, [scenario = std::move(scenario), explore, stale_preemption_bound](
                    bool stale_reads, const OrderMutation& weaken) {
            S run = stale_reads ? with_stale_reads(scenario, stale_preemption_bound) : scenario;
            run.weaken = weaken;
            return explore(run);
          }};
}

// The sweep's scenarios, smaller than the explorer's: every one runs once per
// weakening that it does not catch. Between them they reach every atomic
// operation of their core (the test checks it against the headers' text).
Named sweep(const char* name, Scenario scenario, Result (*explore)(const Scenario&)) {
  scenario.preemption_bound = 2;
  return named(name, std::move(scenario), explore);
}
const Named kDiatomic[] = {
    sweep("2 producers, clear()", {.producers = {{T}, {T}}, .ending = Ending::kClear},
          explore_diatomic),
    sweep("3 wakers, quiesce", {.producers = {{T}, {T}}, .wakers = 3, .ending = Ending::kQuiesce},
          explore_diatomic),
    sweep("3 wakers, polled twice",
          {.producers = {{T}, {T}}, .wakers = 3, .protocol = Protocol::kRegisterTwiceThenRecheck},
          explore_diatomic),
    sweep("3 wakers, 2 polls without parking",
          {.producers = {{T}, {T}}, .wakers = 3, .polls_without_parking = 2}, explore_diatomic),
    sweep("await each token, same waker",
          {.producers = {{T}, {T}}, .protocol = Protocol::kAwaitEachToken}, explore_diatomic),
};
const Named kAtomicWaker[] = {
    sweep("2 producers", {.producers = {{T}, {T}}}, explore_atomic_waker),
    sweep("3 wakers", {.producers = {{T}, {T}}, .wakers = 3}, explore_atomic_waker),
};
const Named kParker[] = {
    sweep("park once, payload",
          {.producers = {{T}}, .spurious_wakeups = 1, .protocol = Protocol::kParkOnceThenRead},
          explore_parker),
    sweep("2 wakes", {.producers = {{T}, {T}}, .spurious_wakeups = 1}, explore_parker),
    sweep("park once with deadlines, payload",
          {.producers = {{T}}, .timeouts = 2, .protocol = Protocol::kParkOnceThenRead},
          explore_parker),
};
const Named kPollGate[] = {
    sweep("2 wakes", {.producers = {{T}, {T}}}, explore_poll_gate),
    sweep("destroyed while suspended",
          {.producers = {{T}, {T}}, .protocol = Protocol::kDestroyWhileSuspended},
          explore_poll_gate),
};
const Named kRelay[] = {
    sweep("late wakes and drops", {.producers = {{T}, {T}, {}}}, explore_relay),
    sweep("destroyed while suspended",
          {.producers = {{T}, {}}, .protocol = Protocol::kDestroyWhileSuspended}, explore_relay),
};
// The channel's: every weakening of its orders shows as a data race on a
// message or on the freed state, or as a receive that reports the channel
// closed without seeing what the closer did before close(), within the first
// preemption (two sends through one slot wrap the ring to its next lap), so
// its scenarios run at the smallest bounds: at 2 preemptions, and 1 with a
// stale read, they take 40 times the schedules and catch nothing more.
constexpr ChannelStep S = ChannelStep::kSend;
constexpr ChannelStep C = ChannelStep::kClose;
const Named kChannel[] = {
    named("a close racing a send",
          ChannelScenario{.capacity = 1, .producers = {{S}, {C}}, .preemption_bound = 1},
          explore_channel, 0),
    named("2 producers, capacity 1",
          ChannelScenario{.capacity = 1, .producers = {{S}, {S}}, .preemption_bound = 1},
          explore_channel, 0),
};
// The waiter list's: the spurious wake-up makes a sender check again while
// still in the list, so that a notification can take its node between that
// check and its next registration (register_waker and begin_check then find
// NOTIFIED without a wake-up that orders the notifier's writes).
const Named kWaiterList[] = {
    named("a full queue, a sender that sends twice",
          WaitScenario{.senders = {Role::kSend}, .sends_each = 2, .preemption_bound = 2},
          explore_waiter_list),
    named("a spurious wake-up, then notify_one",
          WaitScenario{.senders = {Role::kSend}, .preemption_bound = 2, .spurious_wakeups = 1},
          explore_waiter_list),
    named("a stop racing notify_one",
          WaitScenario{.senders = {Role::kStop, Role::kSend}, .preemption_bound = 1},
          explore_waiter_list),
};

// One swept core: its table's heading in docs/testing.md, its header (from
// the repository root; its operations are the rows, whatever other header
// the scenarios also reach), its scenarios, and the tags of operations in
// its header that are no part of it (a snapshot for users that the core
// itself never takes).
struct Core {
  const char* heading;
  std::string_view file;
  std::span<const Named> scenarios;
  std::vector<std::string_view> unswept = {};
};
const Core kCores[] = {
    {"DiatomicCore", "include/diatomic/detail/diatomic_core.hpp", kDiatomic},
    {"AtomicWakerCore", "include/diatomic/detail/atomic_waker_core.hpp", kAtomicWaker},
    {"ParkerCore", "src/parker/parker_core.hpp", kParker},
    {"PollGate", "include/diatomic/detail/poll_gate.hpp", kPollGate},
    {"BasicRcWaker (the awaiter's relay)", "include/diatomic/rc_waker.hpp", kRelay,
     {"use_count.load"}},
    {"ChannelCore", "include/diatomic/detail/channel_core.hpp", kChannel},
    {"WaiterListCore", "include/diatomic/detail/waiter_list_core.hpp", kWaiterList},
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
  if (failure.starts_with("memory clause violated")) return "memory clause";
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

// The tagged operations of one header: for each line that calls an atomic
// operation, its tag and the text of its Ordering comment (from the tag's
// line to the end of that comment).
struct Tagged {
  std::string tag;
  std::string comment;
};
struct Header {
  std::map<unsigned, Tagged> at_line;
  std::vector<std::string> problems;  // untagged operations, unused or repeated tags
};

// True if `line` is code (not a comment) that calls an atomic operation:
// `.load(`, `->fetch_or(`, ... (No std::regex: g++ 12 warns inside it under
// -fsanitize=address.)
bool calls_an_operation(std::string_view line) {
  const auto start = line.find_first_not_of(' ');
  if (start == std::string_view::npos || line.substr(start).starts_with("//")) return false;
  constexpr std::string_view kOperations[] = {"load(", "store(", "exchange(", "fetch_",
                                              "compare_exchange_"};
  for (std::size_t at = 0; at < line.size(); ++at) {
    std::size_t after = 0;
    if (line[at] == '.') after = at + 1;
    else if (line.substr(at).starts_with("->")) after = at + 2;
    else continue;
    for (std::string_view op : kOperations) {
      if (line.substr(after).starts_with(op)) return true;
    }
  }
  return false;
}

// The tag of a comment line "// Ordering[TAG]: ...", or empty.
std::string tag_of(std::string_view line) {
  constexpr std::string_view kTag = "// Ordering[";
  const auto at = line.find(kTag);
  if (at == std::string_view::npos) return {};
  const auto end = line.find("]:", at);
  if (end == std::string_view::npos) return {};
  return std::string(line.substr(at + kTag.size(), end - at - kTag.size()));
}

Header read_header(std::string_view file) {
  Header header;
  std::ifstream in(std::string(DIATOMIC_SOURCE_ROOT) + "/" + std::string(file));
  if (!in.good()) header.problems.push_back("cannot read " + std::string(file));
  std::optional<Tagged> pending;
  bool in_comment = false;  // still inside the pending tag's comment
  std::set<std::string> tags;
  std::string line;
  for (unsigned number = 1; std::getline(in, line); ++number) {
    const auto start = line.find_first_not_of(' ');
    const bool comment = start != std::string::npos && line.compare(start, 2, "//") == 0;
    if (const std::string tag = tag_of(line); !tag.empty()) {
      if (pending) {
        header.problems.push_back(fmt::format("{}:{}: Ordering[{}] names no operation", file,
                                              number, pending->tag));
      }
      if (!tags.insert(tag).second) {
        header.problems.push_back(fmt::format("{}:{}: Ordering[{}] is used twice", file,
                                              number, tag));
      }
      pending = Tagged{tag, ""};
      in_comment = true;
    }
    if (pending && in_comment && comment) pending->comment += line.substr(start + 2) + " ";
    else in_comment = false;
    if (calls_an_operation(line)) {
      if (!pending) {
        header.problems.push_back(fmt::format(
            "{}:{}: an atomic operation without an `// Ordering[TAG]:` comment above it", file,
            number));
        continue;
      }
      header.at_line.emplace(number, *pending);
      pending.reset();
    }
  }
  if (pending) {
    header.problems.push_back(fmt::format("{}: Ordering[{}] names no operation", file,
                                          pending->tag));
  }
  return header;
}

// The tag of the operation at a call site, if it is one of `core`'s.
const Tagged* tagged(const Core& core, const Header& header, const Site& site) {
  if (!std::string_view(site.file).ends_with(core.file)) return nullptr;
  const auto found = header.at_line.find(site.line);
  return found == header.at_line.end() ? nullptr : &found->second;
}

// Runs every scenario of `core` once unweakened in both models, recording
// the orders each of its operations runs with; the algorithm must pass them
// all. Returns the lines of `core`'s header that ran an operation.
std::set<unsigned> discover(const Core& core, const Header& header,
                            std::map<SiteKey, Row>& rows) {
  std::set<unsigned> ran;
  for (const Named& named : core.scenarios) {
    for (const bool stale_reads : {false, true}) {
      const OrderMutation record = [&](const Operation& op, OrderRole role,
                                       std::memory_order order) {
        if (!std::string_view(op.site.file).ends_with(core.file)) return order;
        ran.insert(op.site.line);
        const Tagged* site = tagged(core, header, op.site);
        if (site != nullptr && std::ranges::find(core.unswept, site->tag) == core.unswept.end()) {
          rows.try_emplace(SiteKey{std::string(core.file), site->tag, role}, Row{op.op, order});
        }
        return order;
      };
      const Result result = named.explore(stale_reads, record);
      EXPECT_FALSE(result.failure.has_value()) << named.name << ": " << *result.failure;
      EXPECT_TRUE(result.exhausted) << named.name;
    }
  }
  return ran;
}

// Explores the weakening of one operation's order until a scenario fails;
// returns what caught it, or "**not caught**".
std::string sweep_one(const Core& core, const Header& header, const SiteKey& key,
                      std::memory_order to) {
  for (const Named& named : core.scenarios) {
    for (const bool stale_reads : {false, true}) {
      const OrderMutation weaken = [&](const Operation& op, OrderRole role,
                                       std::memory_order order) {
        const Tagged* site = role == key.role ? tagged(core, header, op.site) : nullptr;
        return site != nullptr && site->tag == key.tag ? to : order;
      };
      const Result result = named.explore(stale_reads, weaken);
      if (result.failure) {
        return fmt::format("{}: {}, {}, schedule #{}", check_of(*result.failure), named.name,
                           stale_reads ? "stale reads" : "SC", schedule_of(*result.failure));
      }
    }
  }
  return "**not caught**";
}

// The sentence with which an operation's Ordering comment justifies a
// strength that no scenario shows to be needed.
constexpr std::string_view kJustified = "The model cannot see this need";

// True if the comment (its words joined by one space: a sentence may wrap)
// says why the model cannot see the need of the operation's order.
bool justified(const std::string& comment) {
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
    const std::string operation = fmt::format(
        "`{}`{}", key.tag,
        row.op == "cas" ? (key.role == OrderRole::kSuccess ? " (success)" : " (failure)") : "");
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
  std::string generated;
  long weakenings = 0;
  long not_caught = 0;
  for (const Core& core : kCores) {
    const Header header = read_header(core.file);
    for (const std::string& problem : header.problems) ADD_FAILURE() << problem;
    std::map<SiteKey, Row> rows;
    const std::set<unsigned> ran = discover(core, header, rows);
    // Both ways: no operation unreached, and none reached that the text
    // search missed (so the search itself is seen to work).
    for (const auto& [line, site] : header.at_line) {
      if (std::ranges::find(core.unswept, site.tag) != core.unswept.end()) continue;
      EXPECT_TRUE(ran.contains(line)) << core.file << ": Ordering[" << site.tag
                                      << "] is an atomic operation that no sweep scenario reaches";
    }
    for (unsigned line : ran) {
      EXPECT_TRUE(header.at_line.contains(line))
          << core.file << ":" << line << " ran an atomic operation that the text search missed";
    }

    std::map<std::tuple<SiteKey, std::memory_order>, std::string> caught;
    for (const auto& [key, row] : rows) {
      std::string comment;
      for (const auto& entry : header.at_line) {
        if (entry.second.tag == key.tag) comment = entry.second.comment;
      }
      for (std::memory_order to : weaker(row.order)) {
        ++weakenings;
        const std::string by = sweep_one(core, header, key, to);
        if (by != "**not caught**") {
          caught[{key, to}] = by;
          continue;
        }
        ++not_caught;
        const bool kept = justified(comment);
        EXPECT_TRUE(kept)
            << core.file << ": Ordering[" << key.tag << "] weakened to " << order_name(to)
            << " is not caught: find a scenario that needs the order, weaken it, or say in its "
               "Ordering comment why the model cannot see the need (\""
            << kJustified << "\")";
        caught[{key, to}] =
            kept ? "not caught; kept, its `Ordering` comment says why the model cannot see the "
                   "need"
                 : "**not caught**";
      }
    }
    generated += fmt::format("{}{}:\n\n{}", generated.empty() ? "" : "\n", core.heading,
                             table(rows, caught));
  }
  std::printf("[order sweep] %ld weakenings, %ld not caught (each must be justified)\n%s",
              weakenings, not_caught, generated.c_str());
  check_docs(generated);
}

}  // namespace
}  // namespace diatomic::explorer
