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
// otherwise be undefined behaviour, and on impossible states where checks are on.
[[noreturn]] DIATOMIC_EXPORT void fatal(const char* what) noexcept;

}  // namespace detail
DIATOMIC_NAMESPACE_END

// Misuse check: compiled in when DIATOMIC_CHECKS (diatomic/config.hpp) is 1,
// whatever NDEBUG says; aborts with `what` when `cond` is false.
#if DIATOMIC_CHECKS
#define DIATOMIC_CHECK(cond, what) \
  ((cond) ? static_cast<void>(0) : ::diatomic::detail::fatal(what))
#else
#define DIATOMIC_CHECK(cond, what) static_cast<void>(0)
#endif
