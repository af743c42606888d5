// SPDX-License-Identifier: MIT
// A library that exports both what libdiatomic may and what it must not, so
// that the export check proves it tells them apart (test/packaging/meson.build).
// Tests only.
#include <diatomic/export.hpp>

namespace diatomic {
// Accepted: functions, a class's vtable and typeinfo, and a local static of an
// inline function (a local entity, with its guard variable), all in diatomic.
int accepted_seed() { return 1; }
DIATOMIC_EXPORT inline int& counter() {
  static int count = accepted_seed();
  return count;
}
DIATOMIC_EXPORT int accepted() { return counter(); }
struct DIATOMIC_EXPORT Accepted {
  virtual ~Accepted();
};
Accepted::~Accepted() = default;

// Rejected: a member of a state machine (the cores are header-only).
namespace detail {
template <class Policy>
struct DiatomicCore {
  DIATOMIC_EXPORT bool try_lock() { return true; }
};
template struct DiatomicCore<int>;
}  // namespace detail
}  // namespace diatomic

// Rejected: a C symbol, another namespace, and a namespace that only starts
// with "diatomic".
extern "C" DIATOMIC_EXPORT int leaked_c_symbol() { return 2; }
namespace other {
DIATOMIC_EXPORT int leaked() { return 3; }
}  // namespace other
namespace diatomic_extra {
DIATOMIC_EXPORT int leaked() { return 4; }
}  // namespace diatomic_extra
