// SPDX-License-Identifier: MIT
// Waker::noop(): its table lives here, once, so that noop wakers compare equal
// (will_wake) in every module that links libdiatomic.
#include <diatomic/waker.hpp>

DIATOMIC_NAMESPACE_BEGIN
namespace {

void* noop_clone(void* data) { return data; }
void noop_wake(void*) noexcept {}
void noop_drop(void*) noexcept {}

constexpr WakerVTable kNoopVTable{&noop_clone, &noop_wake, &noop_wake, &noop_drop};

}  // namespace

Waker Waker::noop() noexcept {
  return Waker::adopt(nullptr, &kNoopVTable);
}

DIATOMIC_NAMESPACE_END
