// SPDX-License-Identifier: MIT
// The completion of a coroutine wait (diatomic/coro.hpp): what the last poll
// produced, the wait's output or the exception it threw, in one variant that
// await_resume() hands to the coroutine. Nothing here is API.
#pragma once

#include <diatomic/config.hpp>

#include <cstddef>
#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

// Empty until the wait completes, then a T or an exception, set once by the
// poll that completes it and taken once by await_resume(). T may be
// std::monostate (a wait that yields nothing).
template <class T>
class Completion {
 public:
  // Stores the wait's output. If T's move constructor throws, the completion
  // stays empty and the exception propagates (the poll then stores it with
  // set_error()).
  void set_value(T&& value) noexcept(std::is_nothrow_move_constructible_v<T>) {
    state_.template emplace<kValue>(std::move(value));
  }
  // Stores what the poll threw.
  void set_error(std::exception_ptr error) noexcept {
    state_.template emplace<kError>(std::move(error));
  }

  // A value or an error is stored.
  [[nodiscard]] bool done() const noexcept {
    return state_.index() == kValue || state_.index() == kError;
  }

  // Moves the value out, or rethrows the error. Only once, after done().
  T take() {
    if (state_.index() == kError) std::rethrow_exception(std::get<kError>(state_));
    return std::move(std::get<kValue>(state_));
  }

 private:
  static constexpr std::size_t kValue = 1;
  static constexpr std::size_t kError = 2;

  std::variant<std::monostate, T, std::exception_ptr> state_;
};

}  // namespace detail
DIATOMIC_NAMESPACE_END
