// SPDX-License-Identifier: MIT
// Waiting on one WakeSink four ways: block_on on a thread, co_await resumed
// inline by the notifying thread, co_await resumed on a RunLoop, and a wait
// cancelled through its std::stop_token.
#include <diatomic/diatomic.hpp>

#include <atomic>
#include <cstdio>
#include <optional>
#include <stop_token>
#include <thread>

#include "../../examples/detached.hpp"

struct Mailbox {
  std::atomic<int> slot{0};
  diatomic::WakeSink sink;
  diatomic::WakeSource source = sink.source();

  void put(int v) {
    // Ordering: release, pairs with the acquire exchange in take().
    slot.store(v, std::memory_order_release);
    source.notify();
  }
  std::optional<int> take() {
    // Ordering: acquire, pairs with the release store in put().
    const int v = slot.exchange(0, std::memory_order_acquire);
    if (v == 0) return std::nullopt;
    return v;
  }
  auto recv() {
    return sink.wait_until([this] { return take(); });
  }
  auto recv(std::stop_token stop) {
    return sink.wait_until([this] { return take(); }, stop);
  }
};

Detached inline_receiver(Mailbox& box, std::thread::id& resumed_on) {
  const int v = co_await box.recv();
  resumed_on = std::this_thread::get_id();
  std::printf("co_await (inline) received %d\n", v);
}

Detached loop_receiver(Mailbox& box, diatomic::RunLoop& loop) {
  const int v = co_await box.recv().resume_on(loop.executor());
  std::printf("co_await (RunLoop) received %d\n", v);
}

Detached stoppable_receiver(Mailbox& box, std::stop_token stop) {
  const std::optional<int> v = co_await box.recv(stop);
  std::printf("co_await (stop_token) %s\n", v ? "received a value" : "was stopped");
}

int main() {
  Mailbox box;

  std::thread producer([&box] { box.put(1); });
  std::printf("block_on received %d\n", diatomic::block_on(box.recv()));
  producer.join();

  std::thread::id resumed_on;
  inline_receiver(box, resumed_on);  // suspends: the slot is empty
  std::thread notifier([&box] { box.put(2); });
  const std::thread::id notifier_id = notifier.get_id();
  notifier.join();
  std::printf("  ... on the notifying thread: %s\n", resumed_on == notifier_id ? "yes" : "no");

  diatomic::RunLoop loop;
  loop_receiver(box, loop);
  box.put(3);  // queues the poll on the loop; nothing runs yet
  std::printf("put 3; running the loop\n");
  loop.run_until_idle();

  std::stop_source stop;
  stoppable_receiver(box, stop.get_token());
  stop.request_stop();
  box.put(4);  // nobody waits now: the value stays for the next wait
  std::printf("the next wait receives %d\n", diatomic::block_on(box.recv()));
}
