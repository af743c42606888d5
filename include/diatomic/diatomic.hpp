// SPDX-License-Identifier: MIT
// Everything libdiatomic offers, in one include, but the adapters, which need
// a library of their own: diatomic/asio.hpp (asio) and diatomic/fmt.hpp (fmt).
#pragma once

#include <diatomic/atomic_waker.hpp>
#include <diatomic/block_on.hpp>
#include <diatomic/channel.hpp>
#include <diatomic/coro.hpp>
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/executor.hpp>
#include <diatomic/rc_waker.hpp>
#include <diatomic/run_loop.hpp>
#include <diatomic/thread_waker.hpp>
#include <diatomic/version.hpp>
#include <diatomic/wait.hpp>
#include <diatomic/waiter_list.hpp>
#include <diatomic/waker.hpp>
