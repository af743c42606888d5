// SPDX-License-Identifier: MIT
// The waker anchor of a coroutine wait (diatomic/coro.hpp): where the wait's
// poll gate lives and what its waker points to. Two kinds behind one
// interface, chosen once per awaiter by what the primitive can promise:
//   FrameAnchor  the primitive can say that no notifier is inside the waker
//                (DiatomicWaker, Registrar::quiesce): gate and waker target
//                are in the coroutine frame; clone and drop are free, and
//                retire() waits out a notifier still inside the waker.
//   RelayAnchor  it cannot (AtomicWaker): gate and waker target are in a
//                relay allocated per co_await and owned by every copy of the
//                waker, so a wake after completion touches only the relay.
// Nothing here is API.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/poll_gate.hpp>
#include <diatomic/detail/wake_scope.hpp>
#include <diatomic/rc_waker.hpp>
#include <diatomic/waker.hpp>

#include <concepts>
#include <optional>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

// What an anchor asks of its owner (the awaiter):
//   queue()      hand a poll to the executor; called by the wake that claimed
//                the gate from idle, and only by it
//   primitive()  the primitive the wait is on (FrameAnchor's WakeScope)
//   anchor()     the owner's anchor (FrameAnchor's wake finds the gate there)
//   quiesce()    after the wait withdrew its registration, returns once no
//                notifier is inside the waker (FrameAnchor's retire)

// The interface both kinds give (the awaiter static_asserts it):
//   attach(owner)   before the first poll (RelayAnchor allocates: may throw)
//   gate()          the poll gate; valid from attach() on
//   waker()         the waker the wait registers
//   retire(owner)   after the wait withdrew its registration: returns once no
//                   wake can touch the owner any more
template <class A, class Owner>
concept WakerAnchor = requires(A& anchor, const A& held, Owner& owner) {
  anchor.attach(owner);
  { anchor.gate().claim() } -> std::same_as<bool>;
  { held.waker() } -> std::same_as<const Waker&>;
  { held.retire(owner) } noexcept;
};

// Frame mode. The waker's data is the owner itself; its wake runs on the
// notifier that holds the primitive's lock, and says so for the length of the
// call (WakeScope), in case the executor runs the poll right there: then
// retire() must not wait for the lock this very stack holds.
template <class Owner>
class FrameAnchor {
 public:
  explicit FrameAnchor(Owner& owner) noexcept : waker_(Waker::adopt(&owner, &kVTable)) {}
  FrameAnchor(const FrameAnchor&) = delete;
  FrameAnchor& operator=(const FrameAnchor&) = delete;

  void attach(Owner&) noexcept {}
  [[nodiscard]] PollGate<StdAtomicPolicy>& gate() noexcept { return gate_; }
  [[nodiscard]] const Waker& waker() const noexcept { return waker_; }
  void retire(const Owner& owner) const noexcept { owner.quiesce(); }

 private:
  static void wake(void* data) noexcept {
    Owner& owner = *static_cast<Owner*>(data);
    const WakeScope scope(owner.primitive());
    if (owner.anchor().gate().claim()) owner.queue();
  }
  // Free: the owner outlives every call (retire() before it goes).
  static void* clone(void* data) noexcept { return data; }
  static void drop(void*) noexcept {}
  static constexpr WakerVTable kVTable{&clone, &wake, &wake, &drop};

  PollGate<StdAtomicPolicy> gate_;
  Waker waker_;
};

// Relay mode. The waker owns a reference to the relay; the relay reaches the
// owner only after its wake claimed the gate from idle, which cannot happen
// once the wait completed (the gate is then held for good) or the owner
// seized it to go. Written over an atomic policy (detail/atomic_policy.hpp),
// as the poll gate and the reference count are, so that the interleaving
// explorer runs this same code; the library uses std::atomic (RelayAnchor).
template <class Owner, class Policy>
class BasicRelayAnchor {
  struct Relay {
    explicit Relay(Owner& target) noexcept : owner(&target) {}
    void wake() noexcept {
      if (gate.claim()) owner->queue();
    }
    PollGate<Policy> gate;
    Owner* const owner;
  };

 public:
  explicit BasicRelayAnchor(Owner&) noexcept {}
  BasicRelayAnchor(const BasicRelayAnchor&) = delete;
  BasicRelayAnchor& operator=(const BasicRelayAnchor&) = delete;

  // Allocates the relay; throws std::bad_alloc if that fails.
  void attach(Owner& owner) {
    waker_ = relay_.emplace(BasicRcWaker<Relay, Policy>::make(owner)).waker();
  }
  [[nodiscard]] PollGate<Policy>& gate() noexcept { return (*relay_)->gate; }
  [[nodiscard]] const Waker& waker() const noexcept { return waker_; }
  void retire(const Owner&) const noexcept {}

 private:
  std::optional<BasicRcWaker<Relay, Policy>> relay_;
  Waker waker_;
};

template <class Owner>
using RelayAnchor = BasicRelayAnchor<Owner, StdAtomicPolicy>;

}  // namespace detail
DIATOMIC_NAMESPACE_END
