// SPDX-License-Identifier: MIT
// How much the stress tests divide their work by under a sanitizer:
// ThreadSanitizer runs them about ten times slower, AddressSanitizer about
// five. Tests only.
#pragma once

#include <cstdint>

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

}  // namespace diatomic::test
