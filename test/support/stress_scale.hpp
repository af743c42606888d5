// SPDX-License-Identifier: MIT
// How much the stress tests divide their work by: under a sanitizer,
// ThreadSanitizer runs them about ten times slower, AddressSanitizer about
// five; under an emulator (qemu-user, Wine), by DIATOMIC_STRESS_DIVISOR as
// well, which the top-level meson.build sets from the cross file's stress_divisor
// property. Tests only.
#pragma once

#include <cstdint>
#include <cstdlib>

namespace diatomic::test {

#if defined(__SANITIZE_THREAD__)
inline constexpr std::uint64_t kScale = 10;
#elif defined(__SANITIZE_ADDRESS__)
inline constexpr std::uint64_t kScale = 5;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr std::uint64_t kScale = 10;
#elif __has_feature(address_sanitizer)
inline constexpr std::uint64_t kScale = 5;
#else
inline constexpr std::uint64_t kScale = 1;
#endif
#else
inline constexpr std::uint64_t kScale = 1;
#endif

// DIATOMIC_STRESS_DIVISOR, a positive integer; 1 if unset (a native run).
inline std::uint64_t emulation_divisor() {
  const char* env = std::getenv("DIATOMIC_STRESS_DIVISOR");
  const std::uint64_t divisor = env != nullptr ? std::strtoull(env, nullptr, 10) : 1;
  return divisor == 0 ? 1 : divisor;
}

// What a stress test divides its work by.
inline std::uint64_t stress_divisor() { return kScale * emulation_divisor(); }

}  // namespace diatomic::test
