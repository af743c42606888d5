// SPDX-License-Identifier: MIT
// The parker's futex anywhere else: a mutex and a condition variable per
// bucket of words (a small parking lot, words hashed by address). It does
// not use std::atomic::wait, whose implementation is not dependable on every
// toolchain (with MinGW-w64 under Wine, an atomic::wait ping-pong hangs while
// a condition variable ping-pong passes). Not async-signal-safe: wake_one
// takes a mutex.
#include "futex.hpp"

#include <array>
#include <condition_variable>
#include <cstddef>
#include <mutex>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {
namespace {

struct Bucket {
  std::mutex mutex;
  std::condition_variable sleepers;
};

constexpr std::size_t kBuckets = 64;

// Never destroyed: a detached thread may still park or wake while the
// process runs its static destructors.
Bucket& bucket_of(const PlatformFutex::Word& word) {
  static auto* const buckets = new std::array<Bucket, kBuckets>;
  // Words are 4-byte aligned and usually further apart: drop the low bits.
  const auto at = reinterpret_cast<std::uintptr_t>(&word) >> 4;
  return (*buckets)[(at ^ (at >> 6)) % kBuckets];
}

}  // namespace

// A waiter reads the word under its bucket's mutex, and wake_one takes that
// mutex after the word changed (ParkerCore::wake() writes it first): either
// the waiter reads the new value, or it is already asleep when wake_one
// notifies. A bucket is shared by several words, so wake_one wakes all its
// sleepers; those whose word did not change return spuriously and wait again.

void PlatformFutex::wait(Word& word, std::uint32_t expected) noexcept {
  Bucket& bucket = bucket_of(word);
  std::unique_lock<std::mutex> lock(bucket.mutex);
  // Ordering: relaxed; the bucket's mutex orders it after the change of the
  // word that wake_one() follows (see above).
  if (word.load(std::memory_order_relaxed) == expected) bucket.sleepers.wait(lock);
}

bool PlatformFutex::wait_until(Word& word, std::uint32_t expected,
                               Clock::time_point deadline) noexcept {
  Bucket& bucket = bucket_of(word);
  {
    std::unique_lock<std::mutex> lock(bucket.mutex);
    // Ordering: relaxed, as in wait().
    if (word.load(std::memory_order_relaxed) == expected) {
      static_cast<void>(bucket.sleepers.wait_until(lock, deadline));
    }
  }
  return Clock::now() >= deadline;
}

bool PlatformFutex::wake_is_async_signal_safe() noexcept {
  return false;
}

void PlatformFutex::wake_one(Word& word) noexcept {
  Bucket& bucket = bucket_of(word);
  { const std::lock_guard<std::mutex> lock(bucket.mutex); }
  bucket.sleepers.notify_all();
}

}  // namespace detail
DIATOMIC_NAMESPACE_END
