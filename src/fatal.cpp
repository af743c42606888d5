// SPDX-License-Identifier: MIT
// The one place libdiatomic reports misuse and aborts.
#include <diatomic/detail/fatal.hpp>

#include <cstdio>
#include <cstdlib>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

void fatal(const char* what) noexcept {
  std::fprintf(stderr, "diatomic: %s\n", what);
  std::fflush(stderr);
  std::abort();
}

}  // namespace detail
DIATOMIC_NAMESPACE_END
