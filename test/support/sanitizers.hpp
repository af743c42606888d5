// SPDX-License-Identifier: MIT
// Which sanitizer a test program is built with, for the tests that must
// know: g++ says so with __SANITIZE_THREAD__ / __SANITIZE_ADDRESS__, clang
// with __has_feature. A macro too, for what only the preprocessor can leave
// out. Tests only.
#pragma once

#if defined(__has_feature)
#define DIATOMIC_TEST_HAS_FEATURE(feature) __has_feature(feature)
#else
#define DIATOMIC_TEST_HAS_FEATURE(feature) 0
#endif

#if defined(__SANITIZE_THREAD__) || DIATOMIC_TEST_HAS_FEATURE(thread_sanitizer)
#define DIATOMIC_TEST_THREAD_SANITIZER 1
#else
#define DIATOMIC_TEST_THREAD_SANITIZER 0
#endif

#if defined(__SANITIZE_ADDRESS__) || DIATOMIC_TEST_HAS_FEATURE(address_sanitizer)
#define DIATOMIC_TEST_ADDRESS_SANITIZER 1
#else
#define DIATOMIC_TEST_ADDRESS_SANITIZER 0
#endif

namespace diatomic::test {

inline constexpr bool kThreadSanitizer = DIATOMIC_TEST_THREAD_SANITIZER;
inline constexpr bool kAddressSanitizer = DIATOMIC_TEST_ADDRESS_SANITIZER;

}  // namespace diatomic::test
