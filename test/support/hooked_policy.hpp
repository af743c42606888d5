// SPDX-License-Identifier: MIT
// A std::atomic policy whose slot cells run a one-shot hook at the start of
// the next exclusive access (with_mut) made on the same thread. It lets a
// single-threaded test act in the middle of a state transition -- for example
// call take() while a registration owns the slot -- and so pin an interleaving
// with no threads. The state machine code is the library's own. Tests only.
#pragma once

#include <diatomic/detail/atomic_policy.hpp>

#include <atomic>
#include <functional>
#include <utility>

namespace diatomic::test {

// Runs `hook` once, at the start of the next with_mut() of any HookedCell on
// the calling thread.
inline std::function<void()>& next_write_hook() {
  thread_local std::function<void()> hook;
  return hook;
}

template <class T>
class HookedCell {
 public:
  template <class F>
  decltype(auto) with(F&& f) const {
    return cell_.with(std::forward<F>(f));
  }
  template <class F>
  decltype(auto) with_mut(F&& f) {
    if (auto hook = std::exchange(next_write_hook(), nullptr)) hook();
    return cell_.with_mut(std::forward<F>(f));
  }

 private:
  detail::PlainCell<T> cell_;
};

struct HookedPolicy {
  template <class T>
  using Atomic = std::atomic<T>;
  template <class T>
  using Cell = HookedCell<T>;
};

static_assert(detail::AtomicPolicy<HookedPolicy>);

}  // namespace diatomic::test
