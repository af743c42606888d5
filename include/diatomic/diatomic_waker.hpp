// SPDX-License-Identifier: MIT
/// \file
/// The dual-slot waker: DiatomicWaker, the owning WakeSink / WakeSource pair
/// and the borrowed WakeSinkRef / WakeSourceRef. One consumer waits for a
/// condition; any number of producers make it true and call notify().
///
/// Contract (quote this):
///   Memory. Everything a producer wrote before notify() is visible to the
///   consumer's predicate check that follows the first registration ordered
///   after that notify() on the state word: each notify() and each
///   register_waker() is one RMW of one atomic word, so for each pair either
///   the registration comes later and its re-check sees the producer's writes,
///   or the notification comes later, finds the registration, and the
///   registered waker is called after those writes (or both).
///   No sticking. A notify() with nobody registered does nothing; the
///   consumer's re-check after registering covers that race.
///   At most once. A registration is consumed by the first notification that
///   reaches it, and its waker is called at most once for it, except that a
///   registration made while a notifier is calling the waker may get one more
///   (spurious) call. Spurious calls are allowed; lost wake-ups never are.
///   Concurrency. notify() from any number of threads at once; it never blocks
///   or waits for another thread (lock-free: its one CAS loop retries only when
///   the word changed under it) and returns at once when another notifier
///   holds the lock.
///   register_waker, unregister, clear and waits: one thread at a time (the
///   consumer). Where checks are on (DIATOMIC_CHECKS, diatomic/config.hpp: the
///   library's configuration, not NDEBUG), the process aborts with a message
///   when a consumer-side call begins while another thread is inside one, and
///   when a second wait, or a register_waker from outside the wait, begins
///   while a wait is in progress (from its first poll to its completion). A
///   consumer may move from thread to thread between waits, and a coroutine
///   wait's polls may run on different threads. The checks make no RMW.
///   Exceptions. Only register_waker can throw (whatever the waker's clone
///   throws), with the strong guarantee: the primitive is left as before.
///   Waker calls. Wakers run on the notifying thread, under this primitive's
///   notification lock only. A waker may call notify() on any primitive, this
///   one included: that call finds the lock taken and, if the consumer has
///   registered again meanwhile, asks the holder for one more call.
///   Signals. notify() (and WakeSource's, WakeSourceRef's) may be called from
///   a signal handler when the registered wakers' wake_by_ref is
///   async-signal-safe, as this_thread::waker()'s is on the futex-like
///   parkers (diatomic/thread_waker.hpp says which): it takes no lock,
///   allocates nothing and reads no thread-local state, and a handler that
///   interrupts a notify() or a consumer-side call on its own thread meets
///   the state as a notifier on another thread would (test/signal_test.cpp:
///   10 000 wakes of a thread in block_on from a SIGUSR1 handler, none
///   lost). The coroutine awaiter's waker is not signal-safe (it queues on an
///   executor): do not notify from a handler a primitive that a coroutine
///   waits on. The futex wake may change errno: a handler saves it.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/diatomic_core.hpp>
#include <diatomic/detail/fatal.hpp>
#include <diatomic/diatomic_state.hpp>
#include <diatomic/wait_fwd.hpp>
#include <diatomic/waker.hpp>

#include <cstddef>
#include <memory>
#include <utility>
#include <version>

DIATOMIC_NAMESPACE_BEGIN

namespace detail {
/// The cache line size DiatomicWaker's layout assumes: 64 bytes on x86-64 and
/// most AArch64 cores (a constant rather than
/// std::hardware_destructive_interference_size, which may differ between
/// compilers and so must not shape a type in a shared library's ABI).
inline constexpr std::size_t kCacheLine = 64;

/// The state machine over std::atomic, inlined into the user's code.
using StdDiatomicCore = DiatomicCore<StdAtomicPolicy>;
}  // namespace detail

class WakeSinkRef;
class WakeSourceRef;

/// The primitive itself, for users who own its storage (no allocation). Use
/// sink_ref() / source_ref() to hand out the two roles, or call the members
/// directly, keeping to one consumer thread at a time. WakeSink, WakeSinkRef,
/// WakeSource and WakeSourceRef forward their calls to these members.
///
/// Layout: the state word and both waker slots fill one cache line of their
/// own (sizeof and alignof are 64, asserted below), so a channel's data never
/// shares it. Why: a notifier calls the waker under the lock, and a consumer
/// woken by that call that reads data on the state's line would pull the line
/// away before the unlocking RMW; the measurements are in docs/benchmarks.md (S5).
///
/// Lifetime: destroy it only when no notify() and no consumer-side call is in
/// progress (checked where checks are on). Its destructor drops the cached wakers.
class DiatomicWaker {
 public:
  /// Idle, with empty slots. constexpr: a `constinit` DiatomicWaker at
  /// namespace scope is constant-initialised.
  constexpr DiatomicWaker() noexcept = default;
  DiatomicWaker(const DiatomicWaker&) = delete;
  DiatomicWaker& operator=(const DiatomicWaker&) = delete;

  /// Registers `waker` to be called by the next notify(). Registering the
  /// waker that was registered last (will_wake) copies nothing and costs one
  /// RMW; a new waker is cloned (may throw; strong guarantee). Consumer side.
  void register_waker(const Waker& waker) { core_.register_waker(waker); }

  /// Withdraws the registration. The cached waker is kept, so registering it
  /// again is free. Consumer side.
  void unregister() noexcept { core_.unregister(); }

  /// Withdraws the registration and drops the cached wakers, unless a notifier
  /// is calling one at this moment (then they are dropped later, at the next
  /// clear() or with the DiatomicWaker). Consumer side.
  void clear() noexcept { core_.clear(); }

  /// A snapshot of the state word, for diagnostics (diatomic/diatomic_state.hpp).
  [[nodiscard]] DiatomicState state() const noexcept { return core_.state(); }

  /// A wait for `pred` (diatomic/wait.hpp): run it with block_on(...) or
  /// co_await it. The primitive must outlive the wait; waits are consumer-side
  /// calls. Include diatomic/block_on.hpp or diatomic/coro.hpp to run it
  /// (this header stays free of the waits).
  template <WaitPredicate Pred>
  [[nodiscard]] Wait<DiatomicWaker, Pred, false> wait_until(Pred pred) {
    return {*this, std::move(pred)};
  }
#if defined(__cpp_lib_jthread)
  /// As above, cancellable: a stop request on `token` (a std::stop_token)
  /// completes the wait as "stopped" and withdraws the registration. Only
  /// where the standard library has std::stop_token (`__cpp_lib_jthread`);
  /// the type is named through the Wait, so this header needs no `<stop_token>`.
  template <WaitPredicate Pred>
  [[nodiscard]] Wait<DiatomicWaker, Pred, true> wait_until(
      Pred pred, typename Wait<DiatomicWaker, Pred, true>::stop_token_type token) {
    return {*this, std::move(pred), std::move(token)};
  }
#endif

  /// Calls the registered waker if the consumer is registered, at most once per
  /// registration; otherwise does nothing. Any thread; never blocks or spins.
  /// Inlined into the caller (forced with g++ and clang): with nobody
  /// registered it is one load and one compare-exchange in the caller's code;
  /// the call of the waker is out of line.
  DIATOMIC_ALWAYS_INLINE void notify() const noexcept { core_.notify(); }

  /// The consumer role, borrowed: at most one should be in use at a time.
  [[nodiscard]] WakeSinkRef sink_ref() noexcept;
  /// The producer role, borrowed: copy it freely.
  [[nodiscard]] WakeSourceRef source_ref() noexcept;

 private:
  // The waits reach the core for what users do not call: a registration
  // marked with its wait, and whether a notifier is inside a waker call.
  friend class detail::Registrar<DiatomicWaker>;

  // On a cache line of its own: see "Layout" above.
  alignas(detail::kCacheLine) mutable detail::StdDiatomicCore core_;
};

static_assert(sizeof(detail::StdDiatomicCore) <= detail::kCacheLine,
              "the state word and both slots fit one cache line");
static_assert(alignof(DiatomicWaker) == detail::kCacheLine);
static_assert(sizeof(DiatomicWaker) == detail::kCacheLine);

/// The consumer role's calls, the base of the two handles that carry the role:
/// WakeSink (a shared DiatomicWaker) and WakeSinkRef (a borrowed one). Each
/// call goes to the DiatomicWaker that the handle names, after checking (where
/// checks are on) that the handle was not moved from. Not used on its own; a
/// public base (as std::ranges::view_interface is) so that the API reference
/// shows these calls on both handles.
template <class Handle>
class SinkRole {
 public:
  /// \copydoc diatomic::DiatomicWaker::register_waker
  void register_waker(const Waker& waker) { target().register_waker(waker); }
  /// \copydoc diatomic::DiatomicWaker::unregister
  void unregister() noexcept { target().unregister(); }
  /// \copydoc diatomic::DiatomicWaker::clear
  void clear() noexcept { target().clear(); }
  /// \copydoc diatomic::DiatomicWaker::state
  [[nodiscard]] DiatomicState state() const noexcept { return target().state(); }
  /// \copydoc diatomic::DiatomicWaker::wait_until(Pred)
  template <WaitPredicate Pred>
  [[nodiscard]] Wait<DiatomicWaker, Pred, false> wait_until(Pred pred) {
    return target().wait_until(std::move(pred));
  }
#if defined(__cpp_lib_jthread)
  /// \copydoc diatomic::DiatomicWaker::wait_until(Pred,typename Wait<DiatomicWaker,Pred,true>::stop_token_type)
  template <WaitPredicate Pred>
  [[nodiscard]] Wait<DiatomicWaker, Pred, true> wait_until(
      Pred pred, typename Wait<DiatomicWaker, Pred, true>::stop_token_type token) {
    return target().wait_until(std::move(pred), std::move(token));
  }
#endif

 protected:
  /// Only as the base of WakeSink or WakeSinkRef.
  SinkRole() noexcept = default;

 private:
  DiatomicWaker& target() const noexcept { return static_cast<const Handle&>(*this).target(); }
};

class WakeSource;

/// The consumer end of a heap-allocated DiatomicWaker shared with any number of
/// WakeSources. Move-only: there is one consumer. Destroying the sink withdraws
/// its registration, so no notification that starts afterwards calls its
/// wakers, and drops its cached wakers (see clear()). A waker call already in
/// progress at that moment may still be running when the destructor returns;
/// its wakers then stay alive until the last WakeSource goes. Wakers that own
/// their target (RcWaker, this_thread::waker(), the coroutine awaiter's) make
/// that safe.
class WakeSink : public SinkRole<WakeSink> {
 public:
  /// Allocates the shared state; throws std::bad_alloc if that fails.
  WakeSink() : inner_(std::make_shared<DiatomicWaker>()) {}
  /// Takes over `other`'s shared state; `other` may then only be assigned to
  /// or destroyed (where checks are on, its consumer-side calls abort).
  WakeSink(WakeSink&&) noexcept = default;
  /// Releases this sink's state as its destructor would, then takes over
  /// `other`'s.
  WakeSink& operator=(WakeSink&& other) noexcept {
    WakeSink old(std::move(*this));
    inner_ = std::move(other.inner_);
    return *this;
  }
  WakeSink(const WakeSink&) = delete;
  WakeSink& operator=(const WakeSink&) = delete;
  ~WakeSink() {
    if (inner_) inner_->clear();
  }

  /// A new producer end for this sink.
  [[nodiscard]] WakeSource source() const noexcept;

 private:
  friend class SinkRole<WakeSink>;
  DiatomicWaker& target() const noexcept {
    DIATOMIC_CHECK(inner_ != nullptr, "WakeSink used after it was moved from");
    return *inner_;
  }

  std::shared_ptr<DiatomicWaker> inner_;
};

/// A producer end of a WakeSink. Copyable; each copy keeps the shared state
/// alive. notify() from any thread.
class WakeSource {
 public:
  /// \copydoc DiatomicWaker::notify
  DIATOMIC_ALWAYS_INLINE void notify() const noexcept {
    DIATOMIC_CHECK(inner_ != nullptr, "WakeSource used after it was moved from");
    inner_->notify();
  }

 private:
  friend class WakeSink;
  explicit WakeSource(std::shared_ptr<DiatomicWaker> inner) noexcept : inner_(std::move(inner)) {}

  std::shared_ptr<DiatomicWaker> inner_;
};

inline WakeSource WakeSink::source() const noexcept {
  return WakeSource(inner_);
}

/// The consumer role of a DiatomicWaker the user owns; no allocation. Move-only
/// so that the type system helps keep one consumer. The DiatomicWaker must
/// outlive it. Its destructor does nothing: the registration and cached waker
/// belong to the DiatomicWaker.
class WakeSinkRef : public SinkRole<WakeSinkRef> {
 public:
  /// Takes over the role; `other` may then only be assigned to or destroyed.
  WakeSinkRef(WakeSinkRef&& other) noexcept : target_(std::exchange(other.target_, nullptr)) {}
  /// Takes over the role; `other` may then only be assigned to or destroyed.
  WakeSinkRef& operator=(WakeSinkRef&& other) noexcept {
    target_ = std::exchange(other.target_, nullptr);
    return *this;
  }
  WakeSinkRef(const WakeSinkRef&) = delete;
  WakeSinkRef& operator=(const WakeSinkRef&) = delete;
  ~WakeSinkRef() = default;

 private:
  friend class DiatomicWaker;
  friend class SinkRole<WakeSinkRef>;
  explicit WakeSinkRef(DiatomicWaker& target) noexcept : target_(&target) {}
  DiatomicWaker& target() const noexcept {
    DIATOMIC_CHECK(target_ != nullptr, "WakeSinkRef used after it was moved from");
    return *target_;
  }

  DiatomicWaker* target_;
};

/// The producer role of a DiatomicWaker the user owns; a copyable pointer. The
/// DiatomicWaker must outlive every notify() made through it.
class WakeSourceRef {
 public:
  /// \copydoc DiatomicWaker::notify
  DIATOMIC_ALWAYS_INLINE void notify() const noexcept { target_->notify(); }

 private:
  friend class DiatomicWaker;
  explicit WakeSourceRef(DiatomicWaker& target) noexcept : target_(&target) {}

  DiatomicWaker* target_;
};

inline WakeSinkRef DiatomicWaker::sink_ref() noexcept {
  return WakeSinkRef(*this);
}
inline WakeSourceRef DiatomicWaker::source_ref() noexcept {
  return WakeSourceRef(*this);
}

DIATOMIC_NAMESPACE_END
