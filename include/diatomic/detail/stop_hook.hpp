// SPDX-License-Identifier: MIT
// The stop callback of a coroutine wait (diatomic/coro.hpp), stored only when
// the wait takes a std::stop_token: StopHook<false, F> is empty, so a plain
// co_await carries no std::stop_callback. Nothing here is API.
#pragma once

#include <diatomic/config.hpp>

#include <optional>
#include <utility>
#include <version>
#if defined(__cpp_lib_jthread)
#include <stop_token>
#endif

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

// Calls F (a noexcept callable) on a stop request between arm() and disarm().
// disarm() waits for a call running on another thread to return (as
// std::stop_callback's destructor does), so after it F is not running and
// will not run. Both are consumer-side: one thread at a time.
template <bool Stoppable, class F>
class StopHook;

#if defined(__cpp_lib_jthread)
template <class F>
class StopHook<true, F> {
 public:
  // From now on, a stop request on `token` calls `f`; if stop was already
  // requested, calls it here.
  void arm(std::stop_token token, F f) noexcept { callback_.emplace(std::move(token), std::move(f)); }
  // No call after this returns.
  void disarm() noexcept { callback_.reset(); }

 private:
  std::optional<std::stop_callback<F>> callback_;
};
#endif

// A wait without a stop token: nothing to call, nothing stored.
template <class F>
class StopHook<false, F> {
 public:
  void disarm() noexcept {}
};

}  // namespace detail
DIATOMIC_NAMESPACE_END
