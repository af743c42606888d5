// SPDX-License-Identifier: MIT
// A manually signalled flag awaited by a coroutine. wait_until registers the
// coroutine before it checks the flag again, so a set() that lands between
// the first check and the suspension is never lost.
#include <diatomic/diatomic.hpp>

#include <atomic>
#include <cstdio>
#include <thread>

#include "detached.hpp"

namespace {

class Flag {
 public:
  void set() {
    set_.store(true, std::memory_order_release);
    source_.notify();
  }
  [[nodiscard]] bool is_set() const { return set_.load(std::memory_order_acquire); }
  auto wait() {
    return sink_.wait_until([this] { return is_set(); });
  }

 private:
  std::atomic<bool> set_{false};
  diatomic::WakeSink sink_;
  diatomic::WakeSource source_ = sink_.source();
};

Detached waiter(Flag& flag, std::thread::id& resumed_on, std::atomic<bool>& finished) {
  std::printf("flag: coroutine waits (flag set: %s)\n", flag.is_set() ? "yes" : "no");
  co_await flag.wait();
  resumed_on = std::this_thread::get_id();
  std::printf("flag: coroutine resumed (flag set: %s)\n", flag.is_set() ? "yes" : "no");
  finished.store(true, std::memory_order_release);
}

}  // namespace

int main() {
  Flag flag;
  std::thread::id resumed_on;
  std::atomic<bool> finished{false};
  waiter(flag, resumed_on, finished);  // suspends: the flag is not set
  std::thread setter([&flag] { flag.set(); });
  const std::thread::id setter_id = setter.get_id();
  setter.join();
  std::printf("flag: set by another thread, which resumed the coroutine inline: %s\n",
              finished.load(std::memory_order_acquire) && resumed_on == setter_id ? "yes" : "NO");
  return finished.load(std::memory_order_acquire) && resumed_on == setter_id ? 0 : 1;
}
