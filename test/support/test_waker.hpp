// SPDX-License-Identifier: MIT
// Test wakers: a TestTarget hands out Wakers that count every clone, drop and
// wake, keep a live-reference count (per target and process-wide), can be
// told to throw on the Nth clone, and can run a hook inside wake_by_ref (to
// pin an interleaving with latches). Tests only.
#pragma once

#include <diatomic/waker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <stdexcept>

namespace diatomic::test {

// Thrown by a TestTarget's clone when told to fail.
struct CloneFailure : std::runtime_error {
  CloneFailure() : std::runtime_error("test waker: clone failed on purpose") {}
};

class TestTarget {
 public:
  TestTarget() = default;
  TestTarget(const TestTarget&) = delete;
  TestTarget& operator=(const TestTarget&) = delete;

  // A new reference to this target (not counted as a clone).
  [[nodiscard]] Waker waker() {
    acquire_ref();
    return Waker::adopt(this, &kVTable);
  }

  [[nodiscard]] int wakes() const { return wakes_.load(std::memory_order_acquire); }
  [[nodiscard]] int clones() const { return clones_.load(std::memory_order_relaxed); }
  [[nodiscard]] int drops() const { return drops_.load(std::memory_order_relaxed); }
  [[nodiscard]] long live() const { return live_.load(std::memory_order_relaxed); }

  // The n-th clone from now (1 = the next) throws CloneFailure; 0 disables.
  void fail_clone_at(int n) { clone_countdown_.store(n, std::memory_order_relaxed); }

  // Runs inside every wake / wake_by_ref, after the wake is counted. Set it
  // before the target is shared with other threads.
  void on_wake(std::function<void()> hook) { hook_ = std::move(hook); }

  // References alive across all targets; a test fixture checks it is zero.
  static std::atomic<long>& global_live() {
    static std::atomic<long> live{0};
    return live;
  }

 private:
  void acquire_ref() {
    live_.fetch_add(1, std::memory_order_relaxed);
    global_live().fetch_add(1, std::memory_order_relaxed);
  }
  void release_ref() {
    drops_.fetch_add(1, std::memory_order_relaxed);
    live_.fetch_sub(1, std::memory_order_relaxed);
    global_live().fetch_sub(1, std::memory_order_relaxed);
  }

  static void* clone_fn(void* data) {
    auto* self = static_cast<TestTarget*>(data);
    const int countdown = self->clone_countdown_.load(std::memory_order_relaxed);
    if (countdown > 0) {
      self->clone_countdown_.store(countdown - 1, std::memory_order_relaxed);
      if (countdown == 1) throw CloneFailure();
    }
    self->clones_.fetch_add(1, std::memory_order_relaxed);
    self->acquire_ref();
    return data;
  }
  static void wake_by_ref_fn(void* data) noexcept {
    auto* self = static_cast<TestTarget*>(data);
    self->wakes_.fetch_add(1, std::memory_order_release);
    if (self->hook_) self->hook_();
  }
  static void wake_fn(void* data) noexcept {
    wake_by_ref_fn(data);
    static_cast<TestTarget*>(data)->release_ref();
  }
  static void drop_fn(void* data) noexcept { static_cast<TestTarget*>(data)->release_ref(); }

  static constexpr WakerVTable kVTable{&clone_fn, &wake_fn, &wake_by_ref_fn, &drop_fn};

  std::atomic<int> wakes_{0};
  std::atomic<int> clones_{0};
  std::atomic<int> drops_{0};
  std::atomic<long> live_{0};
  std::atomic<int> clone_countdown_{0};
  std::function<void()> hook_;
};

// Fixture: every test ends with every waker reference released.
class WakerBalanceTest : public ::testing::Test {
 protected:
  void SetUp() override { live_at_start_ = TestTarget::global_live().load(); }
  void TearDown() override {
    EXPECT_EQ(TestTarget::global_live().load(), live_at_start_)
        << "waker references leaked or dropped twice";
  }

 private:
  long live_at_start_ = 0;
};

}  // namespace diatomic::test
