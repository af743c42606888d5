// SPDX-License-Identifier: MIT
// Debug builds turn consumer-side misuse into an abort with a message naming
// it. Release builds (NDEBUG) do not check, and these tests skip there.
#include <diatomic/diatomic_waker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <utility>

namespace diatomic::test {
namespace {

#ifdef NDEBUG
constexpr bool kChecks = false;
#else
constexpr bool kChecks = true;
#endif

// A waker whose clone announces itself and then never returns: a thread
// registering it stays inside register_waker for good.
std::atomic<bool> g_inside_clone{false};

void* blocking_clone(void*) {
  g_inside_clone.store(true, std::memory_order_release);
  g_inside_clone.notify_all();
  std::atomic<bool> never{false};
  never.wait(false, std::memory_order_acquire);
  return nullptr;
}
void ignore(void*) noexcept {}
constexpr WakerVTable kBlockingVTable{&blocking_clone, &ignore, &ignore, &ignore};

void register_from_two_threads_at_once() {
  auto* sink = new WakeSink();  // leaked on purpose: the process aborts
  std::thread([sink] {
    int target = 0;
    sink->register_waker(Waker::adopt(&target, &kBlockingVTable));
  }).detach();
  g_inside_clone.wait(false, std::memory_order_acquire);
  sink->register_waker(Waker::noop());
}

TEST(MisuseDeathTest, two_threads_registering_at_once_abort_with_a_message) {
  if (!kChecks) GTEST_SKIP() << "misuse checks are compiled out under NDEBUG";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(register_from_two_threads_at_once(),
               "diatomic: two threads are inside consumer-side calls");
}

TEST(MisuseDeathTest, a_moved_from_sink_aborts_with_a_message) {
  if (!kChecks) GTEST_SKIP() << "misuse checks are compiled out under NDEBUG";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        WakeSink sink;
        WakeSink other = std::move(sink);
        sink.register_waker(Waker::noop());  // NOLINT(bugprone-use-after-move)
      },
      "diatomic: WakeSink used after it was moved from");
}

}  // namespace
}  // namespace diatomic::test
