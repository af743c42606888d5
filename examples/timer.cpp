// SPDX-License-Identifier: MIT
// A timer future: a thread sleeps for the requested duration, marks the timer
// done and wakes whoever waits. Awaited with block_on, then from a coroutine
// (resumed inline, on the timer's thread once it fires). Prints what happened.
#include <diatomic/diatomic.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "detached.hpp"

namespace {

using Clock = std::chrono::steady_clock;

class Timer {
 public:
  explicit Timer(Clock::duration duration)
      : thread_([this, duration, source = sink_.source()] {
          std::this_thread::sleep_for(duration);
          done_.store(true, std::memory_order_release);
          source.notify();
        }) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer() { thread_.join(); }

  // The wait: block_on(timer.wait()) or co_await timer.wait().
  auto wait() {
    return sink_.wait_until([this] { return done_.load(std::memory_order_acquire); });
  }

 private:
  std::atomic<bool> done_{false};
  diatomic::WakeSink sink_;
  std::thread thread_;  // last: starts once the members it uses exist
};

constexpr auto kDuration = std::chrono::milliseconds(20);

Detached sleeper(Timer& timer, Clock::time_point start, std::atomic<bool>& finished) {
  co_await timer.wait();
  std::printf("timer (co_await): resumed after at least 20 ms: %s\n",
              Clock::now() - start >= kDuration ? "yes" : "NO");
  finished.store(true, std::memory_order_release);
}

}  // namespace

int main() {
  {
    const Clock::time_point start = Clock::now();
    Timer timer(kDuration);
    diatomic::block_on(timer.wait());
    std::printf("timer (block_on): returned after at least 20 ms: %s\n",
                Clock::now() - start >= kDuration ? "yes" : "NO");
  }
  std::atomic<bool> finished{false};
  {
    const Clock::time_point start = Clock::now();
    Timer timer(kDuration);
    sleeper(timer, start, finished);
  }  // ~Timer joins the timer's thread, which resumed the coroutine to its end
  return finished.load(std::memory_order_acquire) ? 0 : 1;
}
