// SPDX-License-Identifier: MIT
// A bounded channel: two producer threads send 1000 numbers each through 16
// slots, each send() waiting while the channel is full; the receiver takes
// them with block_on(rx.recv()) until the last Sender is gone and every
// message was taken. Then: what a send gets back from a closed channel.
#include <diatomic/diatomic.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

int main() {
  auto [tx, rx] = diatomic::channel<int>(16);
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back([sender = tx] {  // a copy of the Sender per thread
      for (int i = 1; i <= 1000; ++i) {
        int value = i;
        diatomic::block_on(sender.send(value));  // waits while all 16 slots are full
      }
    });  // the thread's Sender goes here
  }
  { const diatomic::Sender<int> mine = std::move(tx); }  // main's goes now

  int count = 0;
  long sum = 0;
  while (std::optional<int> value = diatomic::block_on(rx.recv())) {  // empty: closed, drained
    ++count;
    sum += *value;
  }
  for (auto& t : producers) t.join();
  std::printf("received %d messages, sum %ld, then the channel reported closed\n", count, sum);

  auto [tx2, rx2] = diatomic::channel<std::string>(4);
  rx2.close();
  diatomic::SendResult<std::string> result = tx2.try_send("late");
  std::printf("try_send after close: %s, \"%s\" handed back\n",
              result.closed() ? "closed" : "sent", result.value().c_str());
  std::string kept = "kept";
  const bool sent = diatomic::block_on(tx2.send(kept));
  std::printf("send after close: %s, \"%s\" still the caller's\n", sent ? "true" : "false",
              kept.c_str());
}
