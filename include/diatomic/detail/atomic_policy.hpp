// SPDX-License-Identifier: MIT
// The atomic seam (docs/design.md#7-the-atomic-seam). The state machines of DiatomicWaker
// and AtomicWaker are written once over a Policy that supplies the atomic type
// and the cell that holds a waker slot. The library instantiates them with
// StdAtomicPolicy; tests plug in a counting and a deterministic policy.
#pragma once

#include <diatomic/config.hpp>

#include <atomic>
#include <concepts>
#include <cstdint>
#include <type_traits>
#include <utility>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

// A waker slot. Every access names its kind, as loom's UnsafeCell does, so an
// instrumented policy can check that no read overlaps a write:
//   with(f)      shared access: f(const T&); other readers may be present;
//   with_mut(f)  exclusive access: f(T&); nobody else may touch the cell.
// PlainCell is the zero-cost version: both are a direct call.
template <class T>
class PlainCell {
 public:
  constexpr PlainCell() = default;
  PlainCell(const PlainCell&) = delete;
  PlainCell& operator=(const PlainCell&) = delete;

  template <class F>
  decltype(auto) with(F&& f) const {
    return std::forward<F>(f)(static_cast<const T&>(value_));
  }
  template <class F>
  decltype(auto) with_mut(F&& f) {
    return std::forward<F>(f)(value_);
  }

 private:
  T value_{};
};

// What a policy must provide: an atomic word with the std::atomic interface
// the cores use, and a slot cell with with()/with_mut().
template <class P>
concept AtomicPolicy = requires(typename P::template Atomic<std::uintptr_t>& a,
                                std::uintptr_t v) {
  // Ordering: none; unevaluated requirements, not operations: they check
  // that each call compiles (with any order), and order nothing.
  { a.load(std::memory_order_relaxed) } -> std::convertible_to<std::uintptr_t>;
  { a.fetch_or(v, std::memory_order_relaxed) } -> std::convertible_to<std::uintptr_t>;
  { a.fetch_and(v, std::memory_order_relaxed) } -> std::convertible_to<std::uintptr_t>;
  { a.exchange(v, std::memory_order_relaxed) } -> std::convertible_to<std::uintptr_t>;
  // Ordering: none, as above (unevaluated).
  { a.compare_exchange_weak(v, v, std::memory_order_relaxed, std::memory_order_relaxed) }
      -> std::convertible_to<bool>;
  { a.compare_exchange_strong(v, v, std::memory_order_relaxed, std::memory_order_relaxed) }
      -> std::convertible_to<bool>;
};

// A core names each of its atomics where it declares it, so that a policy
// that traces them (the interleaving explorer's) shows "tail0", "refs0", ...
// rather than one name per type:
//   typename Policy::template Atomic<std::size_t> tail_{named<Policy>("tail", std::size_t{0})};
// named() hands the name on to a policy whose atomic is constructible from
// Named<T>; to any other (std::atomic) it gives the initial value alone, at
// compile time, so the name costs nothing there.
template <class T>
struct Named {
  const char* name;
  T value;
};
template <class Policy, class T>
[[nodiscard]] constexpr auto named(const char* name, T value) noexcept {
  if constexpr (std::is_constructible_v<typename Policy::template Atomic<T>, Named<T>>) {
    return Named<T>{name, value};
  } else {
    static_cast<void>(name);
    return value;
  }
}

// A core names its cells the same way, but for its waker slots (the cell's
// own name, "slot"): named<Policy, T>() makes the policy's cell of T with the
// name if it takes one, or default-constructs it (PlainCell). The cell is not
// movable: copy-initialization (`=`) from the returned prvalue builds it in
// place, which the standard guarantees (braces around it would not):
//   typename Policy::template Cell<Links> links_ = named<Policy, Links>("links");
template <class Policy, class T, class C = typename Policy::template Cell<T>>
[[nodiscard]] constexpr C named(const char* name) noexcept(
    !std::is_constructible_v<C, const char*> && std::is_nothrow_default_constructible_v<C>) {
  if constexpr (std::is_constructible_v<C, const char*>) {
    return C(name);
  } else {
    static_cast<void>(name);
    return C();
  }
}

struct StdAtomicPolicy {
  template <class T>
  using Atomic = std::atomic<T>;
  template <class T>
  using Cell = PlainCell<T>;
};

static_assert(AtomicPolicy<StdAtomicPolicy>);
static_assert(std::atomic<std::uintptr_t>::is_always_lock_free,
              "the state word must be a lock-free atomic");

}  // namespace detail
DIATOMIC_NAMESPACE_END
