// SPDX-License-Identifier: MIT
// thread_owned<T>(make): the calling thread's own T, made by make() on the
// thread's first call and destroyed when the thread exits: where the thread
// parker keeps the thread's reference to its parker (src/thread_waker.cpp).
//
// Everywhere but Windows, a function-local `thread_local T`. On Windows, a
// heap T whose pointer sits in a fiber-local storage (FLS) slot, and which
// the slot's callback destroys when the thread exits. A thread_local with a
// destructor is unsafe there: MinGW-w64's g++ emulates thread_local (libgcc's
// emutls), and libstdc++ runs the thread-exit destructors from one
// winpthreads key destructor while the thread's emulated-TLS block is freed
// by another, older, one, which winpthreads runs first (key order). Every
// such destructor then runs on freed memory (GCC bug 80816); the parker's
// corrupted the heap and crashed programs under Wine at thread exit. The FLS
// callback runs after both and reads nothing but the pointer it is given.
// MSVC has no such fault; it takes the same path, the one CI tests.
//
// Contract: T's destructor must not throw; make() may (what it throws, or
// std::bad_alloc, propagates, and the next call tries again). On Windows,
// FLS is per fiber: a thread that runs fibers has one T per fiber, destroyed
// with it. The module that holds the callback (libdiatomic's DLL, or the
// program) is pinned, never unloaded: the callback must outlive every thread.
// Not for use from other thread-exit code (thread_local or pthread key
// destructors): their order against the T's destruction is unspecified, and
// a T made after it is never destroyed.
#pragma once

#include <diatomic/config.hpp>

#if defined(_WIN32)
#ifndef NOMINMAX
#define NOMINMAX  // windows.h's min and max macros would break std::min
#endif
#include <windows.h>

#include <memory>
#include <new>
#endif

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

#if defined(_WIN32)
// The FLS callback: destroys a thread's T when the thread exits.
template <class T>
void WINAPI destroy_thread_owned(void* owned) noexcept {
  delete static_cast<T*>(owned);
}

// The process's FLS slot for T, allocated on first use.
template <class T>
DWORD thread_owned_slot() {
  static const DWORD slot = [] {
    HMODULE self = nullptr;
    GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                       reinterpret_cast<LPCWSTR>(&destroy_thread_owned<T>), &self);
    const DWORD allocated = FlsAlloc(&destroy_thread_owned<T>);
    if (allocated == FLS_OUT_OF_INDEXES) throw std::bad_alloc();
    return allocated;
  }();
  return slot;
}
#endif

template <class T, class Make>
T& thread_owned(Make make) {
#if defined(_WIN32)
  const DWORD slot = thread_owned_slot<T>();
  if (void* owned = FlsGetValue(slot)) return *static_cast<T*>(owned);
  auto made = std::make_unique<T>(make());
  if (!FlsSetValue(slot, made.get())) throw std::bad_alloc();
  return *made.release();
#else
  thread_local T owned = make();
  return owned;
#endif
}

}  // namespace detail
DIATOMIC_NAMESPACE_END
