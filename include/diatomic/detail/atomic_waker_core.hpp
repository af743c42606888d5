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
    // stored waker to the take() that next leaves WAITING (acquire there).
    // No acquire: REGISTERING was written only by our own acquire CAS in
    // register_waker. Relaxed on failure: the exchange below acquires, and
    // meanwhile we touch only the slot, which take() leaves alone.
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
    // Ordering[finish_registration.exchange]: acq_rel. Release: the move out
    // of the slot happens before the next registrant's acquire CAS. Acquire:
    // the memory clause (diatomic/atomic_waker.hpp): the take()s that broke
    // in came before this registration, so our caller's re-check must see
    // what their producers wrote before them (their acq_rel fetch_or).
    state_.exchange(S::kWaiting, std::memory_order_acq_rel);
    std::move(taken).wake();
  }

  typename Policy::template Atomic<std::uintptr_t> state_{named<Policy>("state", S::kWaiting)};
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
  // Ordering[register_waker.cas]: acquire on both. Success pairs with the
  // release fetch_and in take() and an earlier registration's exchange.
  // Failure (WAKING): the memory clause (diatomic/atomic_waker.hpp): that
  // take() came before this registration, so our caller's re-check must see
  // what its producer wrote before it (its acq_rel fetch_or).
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
