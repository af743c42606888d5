// SPDX-License-Identifier: MIT
/// \file
/// diatomic::DiatomicState: what DiatomicWaker::state() (and WakeSink's,
/// WakeSinkRef's) returns, a snapshot of the dual-slot state word with its
/// flags and the table of valid states. The transitions between them are in
/// diatomic/detail/diatomic_core.hpp, next to the code that makes them.
#pragma once

#include <diatomic/config.hpp>

#include <cstdint>

DIATOMIC_NAMESPACE_BEGIN

/// A snapshot of a dual-slot state word, for diagnostics and tests.
///
/// Flags (key letters of the transition tables):
///   I kIndex        index of the current slot, the one notifiers call
///   U kUpdate       slot[1-I] holds a newer waker; the next locking notifier switches to it
///   R kRegistered   the consumer is registered and wants one notification
///   L kLocked       a notifier holds the notification lock and calls slot[I]
///   N kNotifyAgain  a notifier found L taken while R was set: the holder notifies again
///
/// Valid states (N implies L and R; I, U, R, L otherwise free):
///   N L R U I
///   0 0 r u i   nobody holds the lock
///   0 1 r u i   a notifier holds the lock and is calling slot[I]
///   1 1 1 u i   ... and must call again once it is done
struct DiatomicState {
  static constexpr std::uintptr_t kIndex = 1u << 0;        ///< I
  static constexpr std::uintptr_t kUpdate = 1u << 1;       ///< U
  static constexpr std::uintptr_t kRegistered = 1u << 2;   ///< R
  static constexpr std::uintptr_t kLocked = 1u << 3;       ///< L
  static constexpr std::uintptr_t kNotifyAgain = 1u << 4;  ///< N
  /// Every flag; no other bit is ever set.
  static constexpr std::uintptr_t kAll = kIndex | kUpdate | kRegistered | kLocked | kNotifyAgain;

  std::uintptr_t bits = 0;  ///< The state word's value.

  /// I: the current slot, 0 or 1.
  [[nodiscard]] constexpr unsigned index() const noexcept { return (bits & kIndex) ? 1u : 0u; }
  /// U is set.
  [[nodiscard]] constexpr bool update() const noexcept { return (bits & kUpdate) != 0; }
  /// R is set.
  [[nodiscard]] constexpr bool registered() const noexcept { return (bits & kRegistered) != 0; }
  /// L is set.
  [[nodiscard]] constexpr bool locked() const noexcept { return (bits & kLocked) != 0; }
  /// N is set.
  [[nodiscard]] constexpr bool notify_again() const noexcept { return (bits & kNotifyAgain) != 0; }
  /// One of the valid states above.
  [[nodiscard]] constexpr bool valid() const noexcept {
    return (bits & ~kAll) == 0 && (!notify_again() || (locked() && registered()));
  }
  /// Same bits.
  friend constexpr bool operator==(DiatomicState, DiatomicState) = default;
};

static_assert(DiatomicState::kAll < (std::uintptr_t{1} << 5), "five flags fit the low bits");

DIATOMIC_NAMESPACE_END
