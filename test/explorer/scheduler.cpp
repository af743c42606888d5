// SPDX-License-Identifier: MIT
// The explorer's scheduler: the baton, the depth-first search over choice
// points, and the trace printed with a failing schedule.
#include "scheduler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <utility>

namespace diatomic::explorer {
namespace {

Scheduler* g_active = nullptr;
thread_local int t_self = -1;

// The explorer itself is broken (not the code under test): say so and stop.
[[noreturn]] void explorer_bug(const std::string& what) {
  std::fprintf(stderr, "explorer: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

Scheduler* Scheduler::active() noexcept {
  return g_active;
}

bool Scheduler::on_scenario_thread() noexcept {
  return g_active != nullptr && t_self >= 0;
}

int Scheduler::self() noexcept {
  return t_self;
}

const std::string& Scheduler::thread_name(int thread) const {
  return names_.at(static_cast<std::size_t>(thread));
}

std::string Scheduler::name_object(const char* kind) {
  auto it = std::find_if(object_counts_.begin(), object_counts_.end(),
                         [&](const auto& entry) { return entry.first == kind; });
  if (it == object_counts_.end()) it = object_counts_.insert(it, {kind, 0});
  return fmt::format("{}{}", kind, it->second++);
}

Result Scheduler::explore(const std::function<std::unique_ptr<Execution>()>& make) {
  if (g_active != nullptr) explorer_bug("explorations cannot nest");
  g_active = this;
  stack_.clear();
  Result result;
  for (;;) {
    depth_ = 0;
    preemptions_ = 0;
    stale_reads_ = 0;
    spurious_failures_ = 0;
    spurious_wakeups_ = 0;
    timeouts_ = 0;
    futex_sleepers_.clear();
    locations_ = 0;
    steps_ = 0;
    aborting_ = false;
    failure_.reset();
    trace_.clear();
    object_counts_.clear();
    {
      std::unique_ptr<Execution> execution = make();
      run_one(*execution);
      if (!failure_) {
        if (std::optional<std::string> bad = execution->check()) failure_ = std::move(*bad);
      }
    }
    ++result.schedules;
    if (stale_reads_ > 0) ++result.stale_schedules;
    if (failure_) {
      result.failure = fmt::format(
          "{}\nfailing schedule #{} ({} preemption{}, {} stale read{}, {} spurious failure{}):\n{}",
          *failure_, result.schedules, preemptions_, preemptions_ == 1 ? "" : "s", stale_reads_,
          stale_reads_ == 1 ? "" : "s", spurious_failures_, spurious_failures_ == 1 ? "" : "s",
          format_trace());
      break;
    }
    if (!advance()) {
      result.exhausted = true;
      break;
    }
    if (result.schedules >= options_.max_schedules) break;
  }
  g_active = nullptr;
  return result;
}

// Backtracks to the deepest choice point with an option not yet tried.
bool Scheduler::advance() {
  while (!stack_.empty() && stack_.back().next + 1 >= stack_.back().options.size()) {
    stack_.pop_back();
  }
  if (stack_.empty()) return false;
  ++stack_.back().next;
  return true;
}

void Scheduler::run_one(Execution& execution) {
  std::vector<Execution::Thread> threads = execution.threads();
  names_.clear();
  for (const auto& thread : threads) names_.push_back(thread.name);
  status_.assign(threads.size(), Status::kRunnable);
  views_.assign(threads.size(), View{});
  carried_.assign(threads.size(), Obligation{});
  owed_.assign(threads.size(), Obligation{});
  for (std::size_t i = 0; i < views_.size(); ++i) views_[i].tick(static_cast<int>(i));

  std::vector<std::thread> workers;
  workers.reserve(threads.size());
  for (std::size_t i = 0; i < threads.size(); ++i) {
    workers.emplace_back([this, i, &threads] { thread_main(static_cast<int>(i), threads[i].body); });
  }
  {
    std::unique_lock lock(mutex_);
    const int first = choose(kMain, Leave::kBlockOrEnd);
    switch_to(kMain, first, lock);
    // Back on the main thread: every thread ended, or the rest are blocked.
    std::vector<int> blocked;
    for (std::size_t i = 0; i < status_.size(); ++i) {
      if (status_[i] == Status::kBlocked) blocked.push_back(static_cast<int>(i));
    }
    if (!blocked.empty()) {
      std::string who;
      for (int id : blocked) who += (who.empty() ? "" : ", ") + names_[static_cast<std::size_t>(id)];
      fail(fmt::format("lost wake-up: {} blocked forever, every other thread has ended", who));
      aborting_ = true;
      for (int id : blocked) switch_to(kMain, id, lock);
    }
  }
  for (auto& worker : workers) worker.join();
}

void Scheduler::thread_main(int id, const std::function<void()>& body) {
  {
    std::unique_lock lock(mutex_);
    turn_.wait(lock, [&] { return running_ == id; });
  }
  t_self = id;
  try {
    body();
  } catch (const ScheduleAborted&) {
    // Unwound on purpose: the schedule has already failed.
  }
  t_self = -1;
  std::unique_lock lock(mutex_);
  status_[static_cast<std::size_t>(id)] = Status::kDone;
  const int next = aborting_ ? -1 : choose(id, Leave::kBlockOrEnd);
  running_ = next < 0 ? kMain : next;
  turn_.notify_all();
}

int Scheduler::choose(int current, Leave how) {
  std::vector<int> options;
  const bool can_continue = how == Leave::kContinue;
  if (can_continue) options.push_back(current);
  const bool preemption_left = !can_continue || preemptions_ < options_.preemption_bound;
  for (std::size_t i = 0; i < status_.size(); ++i) {
    if (static_cast<int>(i) == current || status_[i] != Status::kRunnable) continue;
    if (!preemption_left) break;
    options.push_back(static_cast<int>(i));
  }
  if (how == Leave::kYield && options.empty()) options.push_back(current);
  if (options.empty()) return -1;
  const int chosen = branch(std::move(options));
  if (can_continue && chosen != current) ++preemptions_;
  return chosen;
}

int Scheduler::branch(std::vector<int> options) {
  if (options.size() == 1) return options.front();
  int chosen = options.front();
  if (depth_ < stack_.size()) {
    const Choice& replay = stack_[depth_];
    if (replay.options != options) {
      explorer_bug(fmt::format("the scenario is not deterministic: choice point {} differs "
                               "on replay\n{}",
                               depth_, format_trace()));
    }
    chosen = replay.options[replay.next];
  } else {
    stack_.push_back(Choice{std::move(options), 0});
  }
  ++depth_;
  return chosen;
}

std::size_t Scheduler::pick_store(std::size_t count) {
  if (count <= 1 || stale_reads_ >= options_.stale_reads) return 0;
  std::vector<int> options(count);
  for (std::size_t i = 0; i < count; ++i) options[i] = static_cast<int>(i);
  const auto chosen = static_cast<std::size_t>(branch(std::move(options)));
  if (chosen != 0) ++stale_reads_;
  return chosen;
}

bool Scheduler::bounded_choice(int& taken, int bound) {
  if (taken >= bound) return false;
  const bool yes = branch({0, 1}) == 1;
  if (yes) ++taken;
  return yes;
}

bool Scheduler::spurious_failure() {
  return bounded_choice(spurious_failures_, options_.spurious_failures);
}

bool Scheduler::spurious_wakeup() {
  return bounded_choice(spurious_wakeups_, options_.spurious_wakeups);
}

bool Scheduler::timeout() {
  return bounded_choice(timeouts_, options_.timeouts);
}

void Scheduler::futex_wait(const void* word) {
  futex_sleepers_.emplace_back(word, self());
  block();
}

bool Scheduler::futex_wake_one(const void* word) {
  const auto it = std::find_if(futex_sleepers_.begin(), futex_sleepers_.end(),
                               [word](const auto& sleeper) { return sleeper.first == word; });
  if (it == futex_sleepers_.end()) return false;
  unblock(it->second);
  futex_sleepers_.erase(it);
  return true;
}

void Scheduler::switch_to(int current, int next, std::unique_lock<std::mutex>& lock) {
  running_ = next < 0 ? kMain : next;
  turn_.notify_all();
  turn_.wait(lock, [&] { return running_ == current; });
}

void Scheduler::point() {
  if (!on_scenario_thread() || aborting_) return;
  if (++steps_ > options_.max_steps) {
    explorer_bug(fmt::format("a schedule ran {} steps: the scenario livelocks\n{}",
                             options_.max_steps, format_trace()));
  }
  std::unique_lock lock(mutex_);
  const int next = choose(t_self, Leave::kContinue);
  if (next != t_self) switch_to(t_self, next, lock);
}

void Scheduler::yield() {
  if (!on_scenario_thread()) return;
  std::unique_lock lock(mutex_);
  const int next = choose(t_self, Leave::kYield);
  if (next != t_self) switch_to(t_self, next, lock);
}

void Scheduler::block() {
  if (!on_scenario_thread()) explorer_bug("block() outside a scenario thread");
  std::unique_lock lock(mutex_);
  status_[static_cast<std::size_t>(t_self)] = Status::kBlocked;
  switch_to(t_self, choose(t_self, Leave::kBlockOrEnd), lock);
  if (aborting_) throw ScheduleAborted{};
}

void Scheduler::unblock(int thread) noexcept {
  auto& status = status_[static_cast<std::size_t>(thread)];
  if (status == Status::kBlocked) status = Status::kRunnable;
}

namespace {

void join_into(std::vector<std::uint32_t>& mine, const std::vector<std::uint32_t>& other) {
  if (mine.size() < other.size()) mine.resize(other.size(), 0);
  for (std::size_t i = 0; i < other.size(); ++i) mine[i] = std::max(mine[i], other[i]);
}

void raise_at(std::vector<std::uint32_t>& v, int i, std::uint32_t value) {
  const auto at = static_cast<std::size_t>(i);
  if (v.size() <= at) v.resize(at + 1, 0);
  v[at] = std::max(v[at], value);
}

}  // namespace

void View::join(const View& other) {
  join_into(ticks_, other.ticks_);
  join_into(floors_, other.floors_);
}

void View::tick(int thread) {
  raise_at(ticks_, thread, at(thread) + 1);
}

void View::raise(int location, std::uint32_t index) {
  raise_at(floors_, location, index);
}

void Scheduler::release_to(View& sync) {
  if (!on_scenario_thread()) return;
  View& mine = views_[static_cast<std::size_t>(t_self)];
  sync.join(mine);
  mine.tick(t_self);
}

void Scheduler::acquire_from(const View& sync) {
  if (!on_scenario_thread()) return;
  views_[static_cast<std::size_t>(t_self)].join(sync);
}

const View& Scheduler::view() const {
  return views_.at(static_cast<std::size_t>(t_self));
}

void Scheduler::carry(const Obligation& obligation) {
  if (!on_scenario_thread()) return;
  carried_[static_cast<std::size_t>(t_self)] = obligation;
}

const Obligation& Scheduler::carried() const {
  return carried_.at(static_cast<std::size_t>(t_self));
}

void Scheduler::owe(const Obligation& obligation) {
  if (!on_scenario_thread()) return;
  Obligation& mine = owed_[static_cast<std::size_t>(t_self)];
  mine = later(mine, obligation);
}

const Obligation& Scheduler::owed() const {
  return owed_.at(static_cast<std::size_t>(t_self));
}

void Scheduler::saw(int location, std::uint32_t index) {
  if (!on_scenario_thread()) return;
  views_[static_cast<std::size_t>(t_self)].raise(location, index);
}

void Scheduler::record(const char* op, std::string object, std::string detail) {
  if (!on_scenario_thread()) return;
  trace_.push_back(Step{t_self, op, std::move(object), std::move(detail)});
}

void Scheduler::fail(std::string what) {
  if (failure_) return;
  failure_ = fmt::format("{} (at step {})", what, trace_.size());
}

std::string Scheduler::format_trace() const {
  std::string out;
  for (std::size_t i = 0; i < trace_.size(); ++i) {
    const Step& step = trace_[i];
    std::string line = fmt::format("  {:>3}  {:<10} {:<14} {:<7} {}", i + 1,
                                   names_[static_cast<std::size_t>(step.thread)], step.op,
                                   step.object, step.detail);
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + '\n';
  }
  return out;
}

}  // namespace diatomic::explorer
