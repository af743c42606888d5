// SPDX-License-Identifier: MIT
// Misuse and broken-invariant reporting: one exported, non-inline function so
// that every diagnostic reads the same and every abort goes through one place.
// Nothing here is API.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/export.hpp>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

// Prints "diatomic: <what>" on stderr and aborts. Called on misuse that would
// otherwise be undefined behaviour, and on impossible states in debug builds.
[[noreturn]] DIATOMIC_EXPORT void fatal(const char* what) noexcept;

}  // namespace detail
DIATOMIC_NAMESPACE_END

// Debug-only check: vanishes when NDEBUG is defined, aborts with `what` otherwise.
#ifdef NDEBUG
#define DIATOMIC_DEBUG_CHECK(cond, what) static_cast<void>(0)
#else
#define DIATOMIC_DEBUG_CHECK(cond, what) \
  ((cond) ? static_cast<void>(0) : ::diatomic::detail::fatal(what))
#endif
