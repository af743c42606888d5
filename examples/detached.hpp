// SPDX-License-Identifier: MIT
// The smallest coroutine type the examples need: it starts at once and frees
// its own frame when its body ends. co_await on a diatomic wait works in any
// coroutine; this one only has to exist. Signal completion from the body.
#pragma once

#include <coroutine>
#include <exception>

struct Detached {
  struct promise_type {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};
