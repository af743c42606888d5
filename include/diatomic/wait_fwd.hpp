// SPDX-License-Identifier: MIT
/// \file
/// What a primitive header needs to declare `wait_until`, and nothing more:
/// the predicate concepts and a declaration of the Wait class template. The
/// waits themselves (diatomic/wait.hpp) sit above the primitives; include
/// diatomic/block_on.hpp or diatomic/coro.hpp (or wait.hpp) to run one.
#pragma once

#include <diatomic/config.hpp>

#include <concepts>
#include <type_traits>
#include <utility>

DIATOMIC_NAMESPACE_BEGIN

/// An optional-like predicate result: tested for emptiness, then dereferenced.
template <class R>
concept OptionalLike = !std::same_as<R, bool> && requires(R r) {
  static_cast<bool>(r);
  *std::move(r);
};

/// What wait_until accepts: a callable returning bool or an OptionalLike value.
template <class P>
concept WaitPredicate = std::invocable<P&> && (std::same_as<std::invoke_result_t<P&>, bool> ||
                                               OptionalLike<std::invoke_result_t<P&>>);

/// One wait for Pred on a primitive (defined in diatomic/wait.hpp).
template <class Primitive, WaitPredicate Pred, bool Stoppable>
class Wait;

namespace detail {
/// How a wait registers on a Primitive (defined in diatomic/wait.hpp).
template <class Primitive>
class Registrar;
}  // namespace detail

DIATOMIC_NAMESPACE_END
