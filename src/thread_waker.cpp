// SPDX-License-Identifier: MIT
// The thread parker behind this_thread::waker() and this_thread::park(): one
// parker per thread, a three-state futex word, shared with its wakers through
// the library's reference-counted waker (RcWaker).
#include <diatomic/rc_waker.hpp>
#include <diatomic/thread_waker.hpp>

#include <atomic>
#include <cstdint>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

DIATOMIC_NAMESPACE_BEGIN
namespace this_thread {
namespace {

// Parker states, as in Rust's futex parker:
//   kEmpty    no token, nobody parked
//   kNotified a token is waiting to be consumed by park()
//   kParked   the owning thread is in (or about to enter) the futex wait
// Transitions:
//   park():   kNotified -> kEmpty (return at once)
//             kEmpty -> kParked, sleep while kParked, then kNotified -> kEmpty
//   Parker::wake(): any -> kNotified; futex wake only if it was kParked
constexpr std::uint32_t kEmpty = 0;
constexpr std::uint32_t kNotified = 1;
constexpr std::uint32_t kParked = ~std::uint32_t{0};  // kEmpty - 1

static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t),
              "the futex word must be a plain 32-bit integer");

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) noexcept {
#if defined(__linux__)
  // The kernel re-checks word == expected atomically with going to sleep, so a
  // wake between our check and the sleep is not lost. EINTR and EAGAIN simply
  // return; the caller loops on the state.
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected,
          nullptr, nullptr, 0);
#else
  // Ordering: relaxed; the compare_exchange in park(), our caller, acquires.
  word.wait(expected, std::memory_order_relaxed);
#endif
}

void futex_wake_one(std::atomic<std::uint32_t>& word) noexcept {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr,
          nullptr, 0);
#else
  word.notify_one();
#endif
}

// The target of a thread's wakers: waking it unparks the thread.
struct Parker {
  std::atomic<std::uint32_t> state{kEmpty};

  void wake() noexcept {
    // Ordering: release, pairs with the acquire in park(): the waker's prior
    // writes are visible to the parked thread once it consumes the token.
    if (state.exchange(kNotified, std::memory_order_release) == kParked) futex_wake_one(state);
  }
};

// The calling thread's parker. The thread holds one reference until it exits;
// each Waker holds another, so the parker outlives the thread if need be.
const RcWaker<Parker>& current() {
  thread_local const RcWaker<Parker> parker = RcWaker<Parker>::make();
  return parker;
}

}  // namespace

Waker waker() {
  return current().waker();
}

void park() {
  Parker* const parker = &current().get();
  // Ordering: acquire, pairs with the release exchange in Parker::wake() whose
  // token this consumes. kNotified -> kEmpty returns; kEmpty -> kParked sleeps.
  if (parker->state.fetch_sub(1, std::memory_order_acquire) == kNotified) return;
  for (;;) {
    futex_wait(parker->state, kParked);
    std::uint32_t expected = kNotified;
    // Ordering: acquire, pairs with the release exchange in Parker::wake().
    if (parker->state.compare_exchange_strong(expected, kEmpty, std::memory_order_acquire,
                                              std::memory_order_relaxed)) {
      return;
    }
  }
}

}  // namespace this_thread
DIATOMIC_NAMESPACE_END
