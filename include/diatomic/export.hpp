// SPDX-License-Identifier: MIT
/// \file
/// Symbol visibility for libdiatomic. The library is built with hidden
/// visibility; only declarations marked DIATOMIC_EXPORT enter its ABI.
#pragma once

/// Marks a declaration that libdiatomic exports. Every exported symbol is in
/// namespace diatomic (test/packaging checks the built library). On Windows
/// (MinGW and MSVC) it is `__declspec(dllexport)` while the DLL is built
/// (DIATOMIC_BUILDING, set by the library's build), `__declspec(dllimport)`
/// for the DLL's users, and nothing for users of the static library, who
/// define DIATOMIC_STATIC: the pkg-config file (with --static, or always for
/// a static-only install) and the CMake target diatomic::diatomic_static
/// define it for them.
#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(DIATOMIC_STATIC)
#define DIATOMIC_EXPORT
#elif defined(DIATOMIC_BUILDING)
#define DIATOMIC_EXPORT __declspec(dllexport)
#else
#define DIATOMIC_EXPORT __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define DIATOMIC_EXPORT __attribute__((visibility("default")))
#else
#define DIATOMIC_EXPORT
#endif
