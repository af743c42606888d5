// SPDX-License-Identifier: MIT
// asio's coroutines and concurrent_channel, for the benchmarks that compare
// with them (C1, Q5): DIATOMIC_BENCH_ASIO is defined where they are usable.
// asio 1.22 enables its coroutines with g++, and with clang only over libc++
// (<experimental/coroutine>): with clang and libstdc++ those rows are left out
// and the report says "not measured". ./scripts/run builds with g++.
#pragma once

#if __has_include(<asio.hpp>)
#include <asio/io_context.hpp>
#if defined(ASIO_HAS_CO_AWAIT)
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/use_awaitable.hpp>
#define DIATOMIC_BENCH_ASIO 1
#endif
#endif
