// Symbol visibility for libdiatomic. The library is built with hidden
// visibility; only declarations marked DIATOMIC_EXPORT enter its ABI.
#pragma once

#if defined(_WIN32)
#define DIATOMIC_EXPORT
#elif defined(__GNUC__) || defined(__clang__)
#define DIATOMIC_EXPORT __attribute__((visibility("default")))
#else
#define DIATOMIC_EXPORT
#endif
