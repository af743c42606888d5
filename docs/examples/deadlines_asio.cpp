// SPDX-License-Identifier: MIT
// A wait with a deadline and a sleep, both on an asio io_context's timers.
#include <diatomic/asio.hpp>
#include <diatomic/diatomic.hpp>

#include <asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "../../examples/detached.hpp"

using namespace std::chrono_literals;

Detached on_asio(diatomic::WakeSink& sink, std::atomic<bool>& flag,
                 asio::io_context::executor_type ex) {
  const auto io = diatomic::asio_executor(ex);
  // Ordering: acquire, pairs with a producer's release store of the flag.
  const bool set = co_await sink.wait_until([&] { return flag.load(std::memory_order_acquire); })
                       .resume_on(io, 10ms);
  std::printf("co_await on asio, 10 ms, flag never set: %s\n", set ? "set" : "timed out");
  co_await diatomic::sleep_for(io, 1ms);
  std::printf("slept 1 ms on the io_context\n");
}

int main() {
  asio::io_context context;
  diatomic::WakeSink sink;
  std::atomic<bool> flag{false};
  on_asio(sink, flag, context.get_executor());
  context.run();  // runs the timers' handlers; returns when none is left
  std::printf("io_context::run() returned\n");
}
