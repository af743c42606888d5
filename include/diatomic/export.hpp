// SPDX-License-Identifier: MIT
/// \file
/// Symbol visibility for libdiatomic. The library is built with hidden
/// visibility; only declarations marked DIATOMIC_EXPORT enter its ABI.
#pragma once

/// Marks a declaration that libdiatomic.so exports. Every exported symbol is
/// in namespace diatomic (test/packaging checks the built library).
#if defined(_WIN32)
#define DIATOMIC_EXPORT
#elif defined(__GNUC__) || defined(__clang__)
#define DIATOMIC_EXPORT __attribute__((visibility("default")))
#else
#define DIATOMIC_EXPORT
#endif
