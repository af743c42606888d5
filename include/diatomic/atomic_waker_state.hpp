// SPDX-License-Identifier: MIT
/// \file
/// diatomic::AtomicWakerState: what AtomicWaker::state() returns, a snapshot
/// of the single-slot state word with its flags and the table of valid
/// states. The transitions between them are in
/// diatomic/detail/atomic_waker_core.hpp, next to the code that makes them.
#pragma once

#include <diatomic/config.hpp>

#include <cstdint>

DIATOMIC_NAMESPACE_BEGIN

/// A snapshot of an AtomicWaker state word, for diagnostics and tests.
///
/// Valid states:
///   WAITING                 idle; the slot holds the registered waker, if any
///   REGISTERING             a register_waker call owns the slot
///   WAKING                  a take() owns the slot
///   REGISTERING | WAKING    a take() arrived during a registration; the
///                           registrant will wake the new waker itself
struct AtomicWakerState {
  static constexpr std::uintptr_t kWaiting = 0;            ///< WAITING
  static constexpr std::uintptr_t kRegistering = 1u << 0;  ///< REGISTERING
  static constexpr std::uintptr_t kWaking = 1u << 1;       ///< WAKING

  std::uintptr_t bits = 0;  ///< The state word's value.

  /// REGISTERING is set.
  [[nodiscard]] constexpr bool registering() const noexcept { return (bits & kRegistering) != 0; }
  /// WAKING is set.
  [[nodiscard]] constexpr bool waking() const noexcept { return (bits & kWaking) != 0; }
  /// One of the valid states above.
  [[nodiscard]] constexpr bool valid() const noexcept {
    return (bits & ~(kRegistering | kWaking)) == 0;
  }
  /// Same bits.
  friend constexpr bool operator==(AtomicWakerState, AtomicWakerState) = default;
};

DIATOMIC_NAMESPACE_END
