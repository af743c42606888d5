// SPDX-License-Identifier: MIT
// The single-slot state machine of
// docs/design.md#6-atomicwaker-the-single-slot-baseline (the algorithm of the
// Rust futures/tokio AtomicWaker), written once over an atomic policy.
// AtomicWaker wraps the std::atomic instantiation; the RMW-counting build and
// the interleaving explorer instantiate this same code.
// Nothing here is API: use diatomic/atomic_waker.hpp.
#pragma once

#include <diatomic/atomic_waker_state.hpp>
#include <diatomic/config.hpp>
#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/fatal.hpp>
#include <diatomic/waker.hpp>

#include <cstdint>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

template <class Policy>
class AtomicWakerCore {
  using S = AtomicWakerState;

 public:
  constexpr AtomicWakerCore() noexcept = default;
  AtomicWakerCore(const AtomicWakerCore&) = delete;
  AtomicWakerCore& operator=(const AtomicWakerCore&) = delete;
  ~AtomicWakerCore() {
    DIATOMIC_CHECK(state().bits == S::kWaiting,
                         "AtomicWaker destroyed during a register_waker or wake call");
  }

  void register_waker(const Waker& waker);
  [[nodiscard]] Waker take() noexcept;
  void wake() noexcept { take().wake(); }

  [[nodiscard]] AtomicWakerState state() const noexcept {
    // Ordering[state.load]: relaxed; a diagnostic snapshot that orders nothing.
    return AtomicWakerState{state_.load(std::memory_order_relaxed)};
  }

 private:
  // Ends a registration: returns the state from REGISTERING to WAITING. If a
  // take() arrived meanwhile (WAKING), it left the wake to us: hand the
  // slot's waker out and wake it.
  //
  //   REGISTERING           ->  WAITING
  //   REGISTERING | WAKING  ->  WAITING, wake the stored waker
  void finish_registration() noexcept {
    std::uintptr_t current = S::kRegistering;
    // Ordering[finish_registration.cas]: release on success: publishes the
    // stored waker to the take() that next moves the state from WAITING
    // (acquire there); relaxed on failure. No acquire on success: the CAS
    // reads REGISTERING, which only our own acquire CAS in register_waker
    // wrote (take() writes WAKING with it, and a registrant's CAS fails
    // without writing while we hold REGISTERING), so it could only
    // synchronise with ourselves. On failure the exchange below acquires;
    // between the two we touch only the slot, which take() leaves alone
    // unless it moves the state from WAITING.
    if (state_.compare_exchange_strong(current, S::kWaiting, std::memory_order_release,
                                       std::memory_order_relaxed)) {
      return;
    }
    DIATOMIC_CHECK(current == (S::kRegistering | S::kWaking),
                         "impossible AtomicWaker state");
    Waker taken;
    // Exclusive: REGISTERING is still ours; take() does not touch the slot
    // unless it moves the state from WAITING.
    slot_.with_mut([&](Waker& slot) { taken = std::move(slot); });
    // Ordering[finish_registration.exchange]: acq_rel. Release: our move out
    // of the slot happens before the next registrant's acquire CAS. Acquire:
    // the memory clause (diatomic/atomic_waker.hpp): pairs with the acq_rel
    // fetch_or of every take() that interrupted us (it reads the last of them,
    // in the release sequence of each earlier one: only RMWs write
    // meanwhile), so the consumer's re-check after this registration sees
    // what producers wrote before those wakes. The model cannot see this
    // need: it checks lost wake-ups and data races, and without the acquire
    // the wake below still makes the consumer poll again, and that poll's
    // registration acquires (its CAS reads this exchange, an RMW in take()'s
    // release sequence). What breaks is the clause for this registration's
    // own re-check, which may miss the producers' data.
    state_.exchange(S::kWaiting, std::memory_order_acq_rel);
    std::move(taken).wake();
  }

  typename Policy::template Atomic<std::uintptr_t> state_{S::kWaiting};
  typename Policy::template Cell<Waker> slot_;
};

// Registers `waker` to be woken by the next take()/wake().
//
//   state                 ->  state
//   WAITING                   REGISTERING, store waker, then:
//     REGISTERING             WAITING                 (registered)
//     REGISTERING | WAKING    WAITING, wake waker now (a wake raced with us)
//   WAKING                    WAKING, waker.wake_by_ref() now (the consumer polls again)
//   REGISTERING(| WAKING)     unchanged: a concurrent registration wins
//
// Exceptions: if cloning the waker throws, the state returns to WAITING with
// the slot as it was, and the exception propagates; a wake that raced with
// the failed call is delivered to the previously stored waker, exactly as if
// it had arrived just before the call.
template <class Policy>
inline void AtomicWakerCore<Policy>::register_waker(const Waker& waker) {
  std::uintptr_t current = S::kWaiting;
  // Ordering[register_waker.cas]: acquire on success and on failure. Success
  // pairs with the release fetch_and in take() and the exchange of an
  // earlier registration: the slot's last writer is finished, and the
  // producer's writes before wake() are visible to the consumer's re-check.
  // Failure (WAKING: a take() is under way) is the memory clause
  // (diatomic/atomic_waker.hpp) for that take(): the re-check after this
  // call sees what its producer wrote before waking, at no cost (success
  // already needs an acquiring CAS: ldaxr or casa on ARM). The model cannot
  // see this need (failure): it checks lost wake-ups and data races, and
  // wake_by_ref() below still makes the consumer poll again, and that
  // poll's registration acquires. What breaks is the clause for this
  // call's own re-check, which may miss the producers' data.
  if (!state_.compare_exchange_strong(current, S::kRegistering, std::memory_order_acquire,
                                      std::memory_order_acquire)) {
    if (current == S::kWaking) waker.wake_by_ref();
    return;
  }
  try {
    // Exclusive: we moved the state from WAITING to REGISTERING; take() only
    // touches the slot when it moves the state from WAITING.
    slot_.with_mut([&](Waker& slot) {
      if (!slot.will_wake(waker)) slot = waker;  // copy-and-swap: strong guarantee
    });
  } catch (...) {
    finish_registration();
    throw;
  }
  finish_registration();
}

// Takes the registered waker out, if any and if no registration or other
// take() is in progress.
//
//   state                 ->  state
//   WAITING                   WAKING, move the waker out, then WAITING
//   REGISTERING               REGISTERING | WAKING (the registrant wakes)
//   WAKING, REG | WAKING      unchanged (someone else is on it)
template <class Policy>
inline Waker AtomicWakerCore<Policy>::take() noexcept {
  // Ordering[take.fetch_or]: acq_rel. Acquire: pairs with the release CAS that ended the last
  // registration, so the stored waker is visible. Release: the producer's
  // writes before wake() are visible to the next registration (acquire CAS).
  if (state_.fetch_or(S::kWaking, std::memory_order_acq_rel) != S::kWaiting) return Waker();
  Waker taken;
  // Exclusive: we moved the state from WAITING to WAKING; a registrant's
  // WAITING -> REGISTERING CAS fails until we clear WAKING.
  slot_.with_mut([&](Waker& slot) { taken = std::move(slot); });
  // Ordering[take.fetch_and]: release, pairs with the acquire CAS of the next registration:
  // our move out of the slot happens before it writes the slot.
  state_.fetch_and(~S::kWaking, std::memory_order_release);
  return taken;
}

}  // namespace detail
DIATOMIC_NAMESPACE_END
