// SPDX-License-Identifier: MIT
// The RMW budget of docs/design.md#5-the-rmw-budget, counted: both primitives' own
// state machines run over CountingPolicy, with the reference-counted waker
// (clone 1, drop 1, wake_by_ref 1 RMW) and with a waker whose clone, drop and
// wake are free (the primitive's own share). Exact integers, one thread.
#include <diatomic/waker.hpp>

#include <gtest/gtest.h>

#include <cstdint>

#include "counting_policy.hpp"

namespace diatomic::test {
namespace {

using Rc = RcCountingWaker<CountingPolicy>;

// The notification call of each primitive.
void signal(CountingDiatomicCore& core) noexcept { core.notify(); }
void signal(CountingAtomicWakerCore& core) noexcept { core.wake(); }

// RMWs of one round in the steady state: two rounds of warm-up (so the slots
// hold what they hold forever after), then three rounds counted one by one,
// which must agree: a budget is a property of every round, not an average.
template <class Round>
std::uint64_t steady_round_rmws(Round round) {
  round(0);
  round(1);
  const std::uint64_t first = count_rmws([&] { round(2); });
  EXPECT_EQ(count_rmws([&] { round(3); }), first) << "rounds 3 and 2 differ";
  EXPECT_EQ(count_rmws([&] { round(4); }), first) << "rounds 4 and 2 differ";
  return first;
}

// The three scenarios of the table, for one primitive and one kind of waker;
// `a` and `b` are two distinct wakers.
struct Budget {
  std::uint64_t nobody_registered;
  std::uint64_t same_waker;
  std::uint64_t new_waker;
};

template <class Core>
Budget measure(const Waker& a, const Waker& b) {
  Budget budget{};
  {
    Core core;
    budget.nobody_registered = steady_round_rmws([&](int) { signal(core); });
  }
  {
    Core core;
    budget.same_waker = steady_round_rmws([&](int) {
      core.register_waker(a);
      signal(core);
    });
  }
  {
    Core core;
    budget.new_waker = steady_round_rmws([&](int i) {
      core.register_waker(i % 2 == 0 ? a : b);
      signal(core);
    });
  }
  return budget;
}

class RmwBudget : public ::testing::Test {
 protected:
  Rc target_a_ = Rc::make();
  Rc target_b_ = Rc::make();
  const Waker rc_a_ = target_a_.waker();
  const Waker rc_b_ = target_b_.waker();
  FreeWaker free_a_;
  FreeWaker free_b_;

  // Wake calls received by the reference-counted targets: every round that
  // registers must have woken its waker exactly once (5 rounds per scenario).
  [[nodiscard]] std::uint64_t rc_wakes() const {
    return target_a_->wakes.load(std::memory_order_relaxed) +
           target_b_->wakes.load(std::memory_order_relaxed);
  }
};

TEST_F(RmwBudget, diatomic_waker_with_rc_waker_costs_1_4_6) {
  const Budget budget = measure<CountingDiatomicCore>(rc_a_, rc_b_);
  EXPECT_EQ(budget.nobody_registered, 1u) << "one CAS that writes the state back";
  EXPECT_EQ(budget.same_waker, 4u) << "fetch_or(R), lock CAS, wake_by_ref, unlock CAS";
  EXPECT_EQ(budget.new_waker, 6u) << "clone, drop of the old slot, fetch_or(U|R), then 3";
  EXPECT_EQ(rc_wakes(), 10u);
}

TEST_F(RmwBudget, atomic_waker_with_rc_waker_costs_2_7_7) {
  const Budget budget = measure<CountingAtomicWakerCore>(rc_a_, rc_b_);
  EXPECT_EQ(budget.nobody_registered, 2u) << "fetch_or(WAKING), fetch_and(~WAKING)";
  EXPECT_EQ(budget.same_waker, 7u) << "CAS, clone, CAS; fetch_or, fetch_and, wake = 2";
  EXPECT_EQ(budget.new_waker, 7u) << "the slot is empty after each wake: always a clone";
  EXPECT_EQ(rc_wakes(), 10u);
}

TEST_F(RmwBudget, diatomic_waker_own_share_is_1_3_3) {
  const Budget budget = measure<CountingDiatomicCore>(free_a_.waker(), free_b_.waker());
  EXPECT_EQ(budget.nobody_registered, 1u);
  EXPECT_EQ(budget.same_waker, 3u) << "fetch_or(R), lock CAS, unlock CAS";
  EXPECT_EQ(budget.new_waker, 3u) << "fetch_or(U|R), lock CAS, unlock CAS";
}

TEST_F(RmwBudget, atomic_waker_own_share_is_2_4_4) {
  const Budget budget = measure<CountingAtomicWakerCore>(free_a_.waker(), free_b_.waker());
  EXPECT_EQ(budget.nobody_registered, 2u);
  EXPECT_EQ(budget.same_waker, 4u) << "two CASes to register, fetch_or and fetch_and to take";
  EXPECT_EQ(budget.new_waker, 4u);
}

// The reference-counted waker's own costs, which the table above assumes.
TEST_F(RmwBudget, rc_waker_clone_drop_and_wake_by_ref_cost_one_rmw_each) {
  EXPECT_EQ(count_rmws([&] { Waker copy(rc_a_); }), 2u) << "clone + drop";
  EXPECT_EQ(count_rmws([&] { rc_a_.wake_by_ref(); }), 1u);
  EXPECT_EQ(count_rmws([&] { Waker(rc_a_).wake(); }), 3u) << "clone, then wake_by_ref + drop";
  EXPECT_EQ(count_rmws([&] { Waker copy(free_a_.waker()); }), 0u) << "the free waker is free";
}

}  // namespace
}  // namespace diatomic::test
