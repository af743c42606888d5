// SPDX-License-Identifier: MIT
// The dual-slot state machine (explained in docs/design.md), written once over an
// atomic policy (detail/atomic_policy.hpp). DiatomicWaker wraps the
// std::atomic instantiation; the RMW-counting build and the interleaving
// explorer instantiate this same code with their own policies.
// Nothing here is API: use diatomic/diatomic_waker.hpp.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/consumer_guard.hpp>
#include <diatomic/detail/fatal.hpp>
#include <diatomic/diatomic_state.hpp>
#include <diatomic/waker.hpp>

#include <cstdint>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

template <class Policy>
class DiatomicCore {
  using S = DiatomicState;

 public:
  constexpr DiatomicCore() noexcept = default;
  DiatomicCore(const DiatomicCore&) = delete;
  DiatomicCore& operator=(const DiatomicCore&) = delete;

  ~DiatomicCore() {
    DIATOMIC_CHECK(!state().locked(),
                         "DiatomicWaker destroyed while a notifier is calling its waker");
    DIATOMIC_CHECK(!consumer_.busy(),
                         "DiatomicWaker destroyed during a consumer-side call");
  }

  DIATOMIC_ALWAYS_INLINE void notify() noexcept;
  // `wait`: the wait registering (see begin_wait), or nullptr for a direct call.
  void register_waker(const Waker& waker, const void* wait = nullptr);
  void unregister() noexcept;
  void clear() noexcept;

  // Where checks are on, a wait marks the primitive from its first poll to
  // its completion; a second wait, or a registration by anyone but that
  // wait, aborts meanwhile (detail/consumer_guard.hpp). No RMW.
  void begin_wait(const void* wait) noexcept { consumer_.begin_wait(wait); }
  void end_wait(const void* wait) noexcept { consumer_.end_wait(wait); }

  [[nodiscard]] DiatomicState state() const noexcept {
    // Ordering[state.load]: relaxed; a diagnostic snapshot that orders nothing.
    return DiatomicState{state_.load(std::memory_order_relaxed)};
  }

  // True while a notifier holds the lock, so may be calling (or about to call)
  // the waker in slot[I]. A consumer that has unregistered and sees false
  // knows that no notifier is, or will be, inside a call of its cached waker
  // until it registers again: the coroutine awaiter relies on this before it
  // lets a frame that holds a non-owning waker be destroyed.
  [[nodiscard]] bool notifying() const noexcept {
    // Ordering[notifying.load]: acquire, pairs with the release in try_unlock: the last
    // holder's waker call happens before we return false. Every later write
    // is an RMW, so any value with L clear is in that release sequence.
    return (state_.load(std::memory_order_acquire) & S::kLocked) != 0;
  }

 private:
  static void check(std::uintptr_t bits) noexcept {
    DIATOMIC_CHECK(DiatomicState{bits}.valid(), "impossible DiatomicWaker state");
    static_cast<void>(bits);
  }

  bool write_back(std::uintptr_t& old) noexcept;
  bool try_lock(std::uintptr_t old, std::uintptr_t& bits) noexcept;
  bool try_unlock(std::uintptr_t& bits) noexcept;
  DIATOMIC_NOINLINE void notify_slow(std::uintptr_t old) noexcept;

  typename Policy::template Atomic<std::uintptr_t> state_{
      named<Policy>("state", std::uintptr_t{0})};
  typename Policy::template Cell<Waker> slots_[2];
  ConsumerGuard consumer_;
};

// The rows of try_lock with R clear (nobody registered, the common case):
// writes the state back unchanged, with a compare-exchange that has the very
// value it compares with as its new value, so nothing is computed between
// the load and the RMW. Returns false, with the word's value in `old`, if the
// word changed since `old` was read.
template <class Policy>
inline bool DiatomicCore<Policy>::write_back(std::uintptr_t& old) noexcept {
  // Ordering[write_back.cas]: release on success: heads the release sequence that the
  // consumer's next registration (acquire RMW) reads, so its re-check sees the
  // producer's writes (why this row is an RMW at all). No acquire: on success
  // the notifier returns and touches nothing the consumer wrote (no slot, no
  // waker), so there is nothing for it to order; the contract promises the
  // notifier nothing. Relaxed on failure: the caller retries.
  return state_.compare_exchange_weak(old, old, std::memory_order_release,
                                      std::memory_order_relaxed);
}

// Takes the notification lock if the consumer is registered and nobody holds
// it; otherwise leaves word for the holder (N) or writes the state back
// unchanged. `old` is a guess of the state (notify()'s load). Returns true
// with the new state in `bits` if the lock was taken.
//
//   N L R U I  ->  N L R U I
//   0 0 0 u i      0 0 0 u i    nobody registered: unchanged (still an RMW)
//   0 0 1 0 i      0 1 0 0 i    lock taken
//   0 0 1 1 i      0 1 0 0 !i   lock taken, switch to the newer slot
//   0 1 0 u i      0 1 0 u i    holder busy, nobody registered: unchanged
//   0 1 1 u i      1 1 1 u i    holder busy: ask it to notify once more
//   1 1 1 u i      1 1 1 u i    already asked: unchanged
//
// The rows with R clear are write_back(); notify() tries them once itself,
// inline, before it calls try_lock.
template <class Policy>
inline bool DiatomicCore<Policy>::try_lock(std::uintptr_t old, std::uintptr_t& bits) noexcept {
  for (;;) {
    check(old);
    if ((old & S::kRegistered) == 0) {
      if (write_back(old)) return false;
      continue;
    }
    std::uintptr_t next = old | S::kNotifyAgain;
    if ((old & S::kLocked) == 0) {
      next = (old | S::kLocked) & ~S::kRegistered;
      if ((old & S::kUpdate) != 0) next = (next & ~S::kUpdate) ^ S::kIndex;
    }
    // Ordering[try_lock.cas]: acq_rel on success. Release: heads the release sequence that
    // the consumer's next registration (acquire RMW) reads, so its re-check
    // sees the producer's writes (why the unchanged rows are RMWs too).
    // Acquire: pairs with register_waker's release fetch_or, so the waker in
    // the slot we call is visible. Relaxed on failure: the loop retries.
    if (state_.compare_exchange_weak(old, next, std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {
      bits = next;
      return (old & S::kLocked) == 0;
    }
  }
}

// Releases the lock, unless another notification arrived while the waker was
// being called (N): then keeps it, consumes the registration, switches to the
// newer slot if any, and returns true with the new state in `bits` so that
// the caller calls the waker again.
//
//   N L R U I  ->  N L R U I
//   0 1 r u i      0 0 r u i    lock released
//   1 1 1 0 i      0 1 0 0 i    notify again, same slot
//   1 1 1 1 i      0 1 0 0 !i   notify again, switch to the newer slot
template <class Policy>
inline bool DiatomicCore<Policy>::try_unlock(std::uintptr_t& bits) noexcept {
  std::uintptr_t old = bits;
  for (;;) {
    check(old);
    DIATOMIC_CHECK((old & S::kLocked) != 0, "DiatomicWaker unlocked without the lock");
    if ((old & S::kNotifyAgain) == 0) {
      // Ordering[try_unlock.unlock_cas]: release, pairs with the acquire load
      // of register_waker, the acquire RMW of clear and the next try_lock: our
      // call of slot[I] happens before the consumer overwrites or drops that
      // slot once it is no longer current.
      if (state_.compare_exchange_weak(old, old & ~S::kLocked, std::memory_order_release,
                                       std::memory_order_relaxed)) {
        return false;
      }
      continue;
    }
    std::uintptr_t next = old & ~(S::kNotifyAgain | S::kRegistered);
    if ((old & S::kUpdate) != 0) next = (next & ~S::kUpdate) ^ S::kIndex;
    // Ordering[try_unlock.switch_cas]: acq_rel. Acquire: pairs with the release fetch_or(U|R) of a
    // registration that happened while we held the lock, so the newer slot we
    // switch to is visible. Release: as in the branch above, for the slot we
    // leave.
    if (state_.compare_exchange_weak(old, next, std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {
      bits = next;
      return true;
    }
  }
}

// Any thread, any number at once. A notifier that does not get the lock
// returns after one successful CAS and never waits for another thread
// (lock-free: the CAS loop retries only when the word changed under it); the
// holder calls the waker once more for each N it finds, which is bounded by
// the consumer's registrations.
//
// notify() itself is the load and the first attempt at write_back(), inlined
// into every caller: with nobody registered, a notify is one load and one
// compare-exchange in the caller's code, with no call (docs/benchmarks.md,
// S1). Everything else is notify_slow(), out of line.
template <class Policy>
DIATOMIC_ALWAYS_INLINE void DiatomicCore<Policy>::notify() noexcept {
  // Ordering[notify.load]: relaxed; only a first guess for the compare-exchanges of
  // write_back() and try_lock().
  std::uintptr_t old = state_.load(std::memory_order_relaxed);
  check(old);
  if ((old & S::kRegistered) == 0 && write_back(old)) return;
  notify_slow(old);
}

// The rest of notify(): try_lock from the state last read, and if the lock
// was taken, the holder's loop: call the waker in slot[I] (I from `bits`, the
// state try_lock wrote), then release the lock, or call once more for each
// N that arrived meanwhile (try_unlock's table).
template <class Policy>
void DiatomicCore<Policy>::notify_slow(std::uintptr_t old) noexcept {
  std::uintptr_t bits = 0;
  if (!try_lock(old, bits)) return;
  do {
    // Shared: we hold L, so I cannot change under us and the consumer never
    // writes slot[I] (it writes slot[1-I] only, and clear() drops the slots
    // only when L is clear). Other readers (the consumer's will_wake) only read.
    slots_[bits & S::kIndex].with([](const Waker& waker) { waker.wake_by_ref(); });
  } while (try_unlock(bits));
}

// Consumer side, one thread at a time. Strong exception guarantee: only the
// clone of a new waker may throw, and it happens before any change.
//
// Same waker as the most recent one (no copy, one RMW):
//   N L R U I  ->  N L R U I
//   n l r u i      n l 1 u i
//
// New waker. Step 1, only if R and U were both set at the load (a notifier
// could switch to slot[1-I] at any moment; withdraw the registration first).
// Between the load and this RMW a notifier may already have switched (U
// cleared, I flipped) or set N; the RMW's result gives the index to use:
//   n l 1 1 i      0 l 0 1 i
//   n 1 0 0 i      0 1 0 0 i    (a notifier switched meanwhile)
// Step 2, after storing the new waker in slot[1-I]:
//   n l r u i      n l 1 1 i
template <class Policy>
inline void DiatomicCore<Policy>::register_waker(const Waker& waker, const void* wait) {
  ConsumerGuard::Call call(consumer_);
  consumer_.check_registrant(wait);
  // Ordering[register_waker.load]: acquire, pairs with the release of the last try_unlock (and the
  // acq_rel switches in try_lock/try_unlock): any notifier's read of the slot
  // that stopped being current happens before we write it. The index itself
  // cannot move under us unless U and R are both set (only we set them),
  // which step 1 below handles.
  std::uintptr_t bits = state_.load(std::memory_order_acquire);
  check(bits);
  const std::uintptr_t newest = (bits & S::kIndex) ^ ((bits & S::kUpdate) != 0 ? 1u : 0u);
  // Shared: only this thread (the consumer) ever writes a slot, so reading it
  // here cannot race; a notifier may be reading the same slot at once.
  if (slots_[newest].with([&](const Waker& cached) { return cached.will_wake(waker); })) {
    // Ordering[register_waker.same_waker_fetch_or]: acq_rel. Acquire: pairs
    // with notify()'s release RMWs, so the re-check sees what producers wrote
    // before any notify this misses. Release: a target re-initialised since it
    // was cached (an awaiter reusing its frame slot) and slots emptied by
    // clear() are visible to the notifier whose acquire CAS in
    // try_lock/try_unlock reads this R.
    state_.fetch_or(S::kRegistered, std::memory_order_acq_rel);
    return;
  }

  Waker copy(waker);  // may throw; nothing has changed yet
  if ((bits & (S::kUpdate | S::kRegistered)) == (S::kUpdate | S::kRegistered)) {
    // Ordering[register_waker.withdraw_fetch_and]: acquire, pairs with the
    // acq_rel switches of try_lock and try_unlock: a switch made since our load
    // is seen in the result, and the switching notifier's last read of
    // slot[1-I] happens before our write. With R clear, no further switch can
    // happen until we set R again.
    bits = state_.fetch_and(~(S::kRegistered | S::kNotifyAgain), std::memory_order_acquire);
    check(bits);
  }
  // Exclusive: slot[1-I] is not current, and no notifier can switch to it:
  // a switch needs U and R both set, and either U was clear when we loaded
  // (only we set U) or R was clear (only we set R) or we just cleared R.
  slots_[(bits & S::kIndex) ^ 1u].with_mut([&](Waker& slot) { slot = std::move(copy); });
  // Ordering[register_waker.publish_fetch_or]: acq_rel. Release: publishes the
  // new slot to the notifier that switches to it (acquire in
  // try_lock/try_unlock). Acquire: as for the same-waker path, for the
  // predicate re-check.
  state_.fetch_or(S::kUpdate | S::kRegistered, std::memory_order_acq_rel);
}

// Consumer side. Withdraws the registration; the cached waker stays, so the
// next registration of the same waker is free.
//
//   N L R U I  ->  N L R U I
//   n l r u i      0 l 0 u i
template <class Policy>
inline void DiatomicCore<Policy>::unregister() noexcept {
  ConsumerGuard::Call call(consumer_);
  // Ordering[unregister.fetch_and]: relaxed; withdrawing publishes nothing, and a notification
  // racing with it is allowed to be lost to a consumer that no longer waits.
  state_.fetch_and(~(S::kRegistered | S::kNotifyAgain), std::memory_order_relaxed);
}

// Consumer side. Withdraws the registration and drops both cached wakers,
// unless a notifier is calling one right now: then they stay until the next
// clear() or the destructor.
//
//   N L R U I  ->  N L R U I
//   n 0 r u i      0 0 0 u i    slots dropped
//   n 1 r u i      0 1 0 u i    slots kept (a notifier is calling slot[I])
template <class Policy>
inline void DiatomicCore<Policy>::clear() noexcept {
  ConsumerGuard::Call call(consumer_);
  // Ordering[clear.fetch_and]: acquire, pairs with the release in try_unlock: the last
  // holder's call of slot[I] happens before we drop it.
  const std::uintptr_t bits =
      state_.fetch_and(~(S::kRegistered | S::kNotifyAgain), std::memory_order_acquire);
  check(bits);
  if ((bits & S::kLocked) != 0) return;
  for (auto& cell : slots_) {
    // Exclusive: L was clear and R is now clear; only this thread sets R and
    // a notifier needs R to take L, so no notifier can reach either slot.
    cell.with_mut([](Waker& slot) { slot = Waker(); });
  }
}

}  // namespace detail
DIATOMIC_NAMESPACE_END
