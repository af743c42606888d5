// SPDX-License-Identifier: MIT
// How much the stress tests divide their work by: under a sanitizer,
// ThreadSanitizer runs them about ten times slower, AddressSanitizer about
// five; under an emulator (qemu-user, Wine), by DIATOMIC_STRESS_DIVISOR as
// well, which the top-level meson.build sets from the cross file's stress_divisor
// property. Tests only.
#pragma once

#include <cstdint>
#include <cstdlib>

#include "sanitizers.hpp"

namespace diatomic::test {

inline constexpr std::uint64_t kScale = kThreadSanitizer ? 10 : kAddressSanitizer ? 5 : 1;

// DIATOMIC_STRESS_DIVISOR, a positive integer; 1 if unset (a native run).
inline std::uint64_t emulation_divisor() {
  const char* env = std::getenv("DIATOMIC_STRESS_DIVISOR");
  const std::uint64_t divisor = env != nullptr ? std::strtoull(env, nullptr, 10) : 1;
  return divisor == 0 ? 1 : divisor;
}

// What a stress test divides its work by.
inline std::uint64_t stress_divisor() { return kScale * emulation_divisor(); }

}  // namespace diatomic::test
