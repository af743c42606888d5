// SPDX-License-Identifier: MIT
// Which primitives' notification locks the calling thread holds while it runs
// a coroutine waker. A coroutine wait that completes must wait for a notifier
// that is still inside its waker, unless that notifier is further down its own
// stack (inline resumption), where waiting would never end. Nothing here is API.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/export.hpp>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

// Pushed by a coroutine waker for the length of its wake call, on the
// notifier's stack: the notifier holds `primitive`'s lock meanwhile. Scopes
// form a per-thread stack; they must be destroyed in reverse order (RAII).
class DIATOMIC_EXPORT WakeScope {
 public:
  explicit WakeScope(const void* primitive) noexcept;
  ~WakeScope();
  WakeScope(const WakeScope&) = delete;
  WakeScope& operator=(const WakeScope&) = delete;

  // True if the calling thread is inside a wake call made under `primitive`'s lock.
  [[nodiscard]] static bool active(const void* primitive) noexcept;

 private:
  const void* primitive_;
  WakeScope* outer_;
};

}  // namespace detail
DIATOMIC_NAMESPACE_END
