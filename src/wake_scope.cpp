// SPDX-License-Identifier: MIT
// The per-thread stack of detail::WakeScope (detail/wake_scope.hpp). Plain
// thread_local pointers: only the owning thread reads or writes them.
#include <diatomic/detail/wake_scope.hpp>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {
namespace {
thread_local WakeScope* innermost = nullptr;
}  // namespace

WakeScope::WakeScope(const void* primitive) noexcept : primitive_(primitive), outer_(innermost) {
  innermost = this;
}

WakeScope::~WakeScope() {
  innermost = outer_;
}

bool WakeScope::active(const void* primitive) noexcept {
  for (const WakeScope* scope = innermost; scope != nullptr; scope = scope->outer_) {
    if (scope->primitive_ == primitive) return true;
  }
  return false;
}

}  // namespace detail
DIATOMIC_NAMESPACE_END
