// SPDX-License-Identifier: MIT
/// \file
/// The wait object of docs/waiting.md: `sink.wait_until(pred)` (and
/// `atomic_waker.wait_until(pred)`) returns a Wait whose poll(waker) runs the
/// protocol once: check, register, re-check, unregister if the re-check holds.
/// Two drivers run it: diatomic::block_on (threads, diatomic/block_on.hpp) and
/// co_await (coroutines, diatomic/coro.hpp).
///
///   // Ordering: acquire, pairs with the producer's release store of ready (the
///   // first check runs before any registration, so the sink cannot order it).
///   diatomic::block_on(sink.wait_until([&] { return ready.load(std::memory_order_acquire); }));
///   std::uint64_t v = co_await sink.wait_until([&] { return channel.try_recv(); });
///
/// Contract (quote this):
///   Predicate. Called on the consumer side only, one call at a time, with no
///   lock held. It returns bool (the wait yields nothing) or an optional-like
///   value R, contextually convertible to bool with *R the result (the wait
///   yields that, e.g. T for std::optional<T>). A predicate that consumes (a
///   try_recv) is called again only after it returned empty. If it throws, the
///   exception leaves poll() (and the driver) with the sink unregistered (on
///   an AtomicWaker, which cannot withdraw, the stored waker stays and a later
///   wake() wakes it once, spuriously).
///   Items. The wait moves the value the predicate returned (out of R, then
///   into the driver's result). If that move throws (a T whose move
///   constructor throws), the item the predicate took is lost: it is destroyed
///   with R, the exception reaches the waiter as a throwing predicate's does,
///   and the sink is left unregistered. Predicates that consume should yield a
///   T with a noexcept move.
///   Stop. With a std::stop_token, a poll that finds stop requested withdraws
///   the registration without calling the predicate and completes with
///   "stopped": the wait yields false (bool predicate) or an empty
///   std::optional<T>. A value published meanwhile stays for the next wait.
///   Deadline. A driver given a deadline (block_on(wait, deadline),
///   resume_on(executor, deadline)) ends the wait with expire() once the
///   deadline has passed: it checks the stop token (as a poll does), then
///   calls the predicate one last time, after the deadline, and withdraws the
///   registration whatever it returns. If the predicate held, its value is the
///   wait's result, as from any poll: an item taken at the deadline is
///   returned, never dropped. If not, the wait timed out, having consumed
///   nothing: a value published after that last check stays for the next
///   wait. So "timed out" means the predicate was false at a check made after
///   the deadline. With a deadline the result says how the wait ended:
///   timed_result_type is bool (false = timed out) where result_type is void,
///   else std::optional<result_type> (empty = timed out; with a stop token,
///   it holds false / an empty optional if stopped: stop is checked first).
///   On an AtomicWaker the withdrawn registration stays in the slot, as after
///   any completion (a later wake() wakes it once, spuriously).
///   Memory. As the primitive's contract: the re-check after registering sees
///   every write a producer made before a notify() that the registration did
///   not catch.
///   Lifetime. The wait refers to its primitive, which must outlive it.
///   Concurrency. poll() is a consumer-side call: one thread at a time.
#pragma once

#include <diatomic/atomic_waker.hpp>
#include <diatomic/config.hpp>
#include <diatomic/detail/wake_scope.hpp>
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/executor.hpp>
#include <diatomic/wait_fwd.hpp>
#include <diatomic/waiter_list.hpp>
#include <diatomic/waker.hpp>

#include <chrono>
#include <concepts>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <version>
#if defined(__cpp_lib_jthread)
#include <stop_token>
#endif

DIATOMIC_NAMESPACE_BEGIN

namespace detail {

template <class R>
struct Yield {
  using type = void;
};
template <OptionalLike R>
struct Yield<R> {
  using type = std::remove_cvref_t<decltype(*std::declval<R>())>;
};

/// Registration on a dual-slot core: the std::atomic one behind DiatomicWaker
/// (and so WakeSink, WakeSinkRef), or a core over a test policy.
template <class Policy>
class Registrar<DiatomicCore<Policy>> {
 public:
  explicit Registrar(DiatomicCore<Policy>& core) noexcept : core_(&core) {}
  void register_waker(const Waker& waker, const void* wait) { core_->register_waker(waker, wait); }
  void unregister() noexcept { core_->unregister(); }
  void begin_wait(const void* wait) noexcept { core_->begin_wait(wait); }
  void end_wait(const void* wait) noexcept { core_->end_wait(wait); }
  [[nodiscard]] const void* primitive() const noexcept { return core_; }

  /// After unregister(): waits until no notifier on another thread is inside
  /// (or about to enter) a call of the waker cached in the core. A notifier
  /// further down this thread's own stack is left alone: it only returns.
  void quiesce() const noexcept {
    if (WakeScope::active(core_)) return;
    while (core_->notifying()) std::this_thread::yield();
  }

 private:
  DiatomicCore<Policy>* core_;
};

/// Registration on a DiatomicWaker: on its core.
template <>
class Registrar<DiatomicWaker> : public Registrar<StdDiatomicCore> {
 public:
  explicit Registrar(DiatomicWaker& waker) noexcept : Registrar<StdDiatomicCore>(waker.core_) {}
};

/// Registration on an AtomicWaker. It has no unregister: a stale registration
/// costs one spurious wake later, which drivers absorb by polling again. It
/// cannot tell when a wake it started has finished (take() returns before the
/// waker is called), so it offers no quiesce(): co_await gives it a waker
/// that owns a reference-counted relay instead (detail::RelayAnchor).
template <>
class Registrar<AtomicWaker> {
 public:
  explicit Registrar(AtomicWaker& waker) noexcept : waker_(&waker) {}
  void register_waker(const Waker& waker, const void*) { waker_->register_waker(waker); }
  void unregister() noexcept {}
  void begin_wait(const void*) noexcept {}
  void end_wait(const void*) noexcept {}

 private:
  AtomicWaker* waker_;
};

/// Registration on a WaiterList: through a Waiter of the wait's own, so any
/// number of waits share one list. The Waiter answers for the notifications
/// it receives (diatomic/waiter_list.hpp): begin_wait hands a received one to
/// the poll's check, end_wait consumes it, unregister passes it on. No
/// quiesce(): the notifier wakes a waker it moved out of the node, after the
/// lock, so co_await gives it an owning relay (detail::RelayAnchor).
template <>
class Registrar<WaiterList> {
 public:
  explicit Registrar(WaiterList& list) noexcept : waiter_(list) {}
  void register_waker(const Waker& waker, const void*) { waiter_.register_waker(waker); }
  void unregister() noexcept { waiter_.unregister(); }
  void begin_wait(const void*) noexcept { waiter_.begin_check(); }
  void end_wait(const void*) noexcept { waiter_.complete(); }

 private:
  WaiterList::Waiter waiter_;
};

}  // namespace detail

/// One wait for Pred on a Primitive (DiatomicWaker, AtomicWaker or WaiterList), run by
/// block_on or co_await. Made by wait_until; movable until a driver starts it.
template <class Primitive, WaitPredicate Pred, bool Stoppable>
class Wait {
  using Registrar = detail::Registrar<Primitive>;
  using Value = typename detail::Yield<std::invoke_result_t<Pred&>>::type;
  static constexpr bool kYieldsValue = !std::is_void_v<Value>;

 public:
  /// True if the wait takes a std::stop_token (wait_until(pred, token)):
  /// only where the standard library has one (`__cpp_lib_jthread`).
  static constexpr bool kStoppable = Stoppable;
#if defined(__cpp_lib_jthread)
  /// What stops a stoppable wait: std::stop_token. The primitives' headers
  /// name it through this alias, so that they need not include `<stop_token>`.
  using stop_token_type = std::stop_token;
#else
  static_assert(!Stoppable, "this standard library has no std::stop_token");
#endif

  /// What block_on and co_await return: without a stop token, nothing (bool
  /// predicate) or the value; with one, bool (false = stopped) or
  /// std::optional<value> (empty = stopped).
  using result_type =
      std::conditional_t<Stoppable, std::conditional_t<kYieldsValue, std::optional<Value>, bool>,
                         Value>;
  /// What poll() returns inside its optional: result_type, or std::monostate
  /// for void.
  using output_type = std::conditional_t<std::is_void_v<result_type>, std::monostate, result_type>;
  /// What a driver with a deadline returns: bool (false = the deadline
  /// passed) where result_type is void, else std::optional<result_type>
  /// (empty = the deadline passed).
  using timed_result_type = std::conditional_t<std::is_void_v<result_type>, bool,
                                               std::optional<result_type>>;

  /// A wait for `pred` on `primitive`, as wait_until makes it.
  Wait(Primitive& primitive, Pred pred) noexcept(std::is_nothrow_move_constructible_v<Pred>)
    requires(!Stoppable)
      : registrar_(primitive), pred_(std::move(pred)) {}
#if defined(__cpp_lib_jthread)
  /// As above, stopped by a stop request on `token`.
  Wait(Primitive& primitive, Pred pred, std::stop_token token) noexcept(
      std::is_nothrow_move_constructible_v<Pred>)
    requires Stoppable
      : registrar_(primitive), pred_(std::move(pred)), token_(std::move(token)) {}
#endif
  /// Movable until a driver starts it (co_await moves it into the awaiter).
  Wait(Wait&&) = default;
  Wait& operator=(Wait&&) = delete;
  Wait(const Wait&) = delete;
  Wait& operator=(const Wait&) = delete;
  /// A wait abandoned before it completed (a coroutine destroyed while
  /// suspended in co_await) no longer marks its primitive.
  ~Wait() { registrar_.end_wait(this); }

  /// The protocol, once: (stop?) check, register `waker`, re-check, and
  /// unregister if the re-check holds. Returns the output when complete, or
  /// nullopt with `waker` registered. Throws what the predicate or the
  /// waker's clone throws, unregistered.
  [[nodiscard]] std::optional<output_type> poll(const Waker& waker) {
    registrar_.begin_wait(this);
    if (auto out = stopped()) return out;
    try {
      if (auto out = check()) {
        registrar_.end_wait(this);
        return out;
      }
      // Register before the re-check: a notification between the two checks
      // either is seen by the re-check or calls `waker`.
      registrar_.register_waker(waker, this);
      if (auto out = check()) return finish(std::move(out));
    } catch (...) {
      finish(std::nullopt);
      throw;
    }
    return std::nullopt;
  }

  /// The last poll of a wait whose deadline has passed (this file's
  /// "Deadline"): the stop check, one more check of the predicate, and the
  /// registration withdrawn either way. Returns the output if the wait
  /// completed (stopped, or the predicate held), nullopt if it timed out.
  /// Throws what the predicate throws, unregistered.
  [[nodiscard]] std::optional<output_type> expire() {
    registrar_.begin_wait(this);
    if (auto out = stopped()) return out;
    try {
      return finish(check());
    } catch (...) {
      finish(std::nullopt);
      throw;
    }
  }

#if defined(__cpp_lib_jthread)
  /// The token that stops this wait.
  [[nodiscard]] std::stop_token stop_token() const noexcept
    requires Stoppable
  {
    return token_;
  }
#endif

  /// Turns poll()'s output into the driver's result.
  static result_type into_result(output_type&& out) noexcept(
      std::is_nothrow_move_constructible_v<output_type>) {
    if constexpr (!std::is_void_v<result_type>) return std::move(out);
  }

  /// Turns the output of a wait with a deadline (nullopt: it timed out) into
  /// the driver's result.
  static timed_result_type into_timed_result(std::optional<output_type>&& out) noexcept(
      std::is_nothrow_move_constructible_v<output_type>) {
    if constexpr (std::is_void_v<result_type>) {
      return out.has_value();
    } else {
      if (!out) return std::nullopt;
      return timed_result_type(std::move(*out));
    }
  }

  /// co_await, resumed on the notifying thread (InlineExecutor). Defined in
  /// diatomic/coro.hpp: include it to co_await. The awaiter it returns is
  /// not for users to name or keep.
  [[nodiscard]] auto operator co_await() &&;

  /// co_await, resumed through `executor` (RunLoop::executor(), an asio
  /// executor via diatomic/asio.hpp, or any Executor). Defined in
  /// diatomic/coro.hpp.
  template <Executor E>
  [[nodiscard]] auto resume_on(E executor) &&;

  /// co_await with a deadline, resumed through `executor`, which must run
  /// timers (a TimedExecutor: RunLoop::executor(), diatomic::asio_executor;
  /// the inline executor is rejected at compile time). Yields
  /// timed_result_type: the wait's result, or false / an empty optional if
  /// the deadline passed first (this file's "Deadline"). A deadline on a
  /// clock other than steady_clock is converted to it once. Defined in
  /// diatomic/coro.hpp.
  template <Executor E, class Clock, class Duration>
  [[nodiscard]] auto resume_on(E executor, std::chrono::time_point<Clock, Duration> deadline) &&;
  /// As above, with the deadline `timeout` from now (steady_clock).
  template <Executor E, class Rep, class Period>
  [[nodiscard]] auto resume_on(E executor, std::chrono::duration<Rep, Period> timeout) &&;

  /// True if the primitive can say that no notifier is inside a waker call
  /// (a DiatomicWaker): co_await then uses a free, non-owning waker; on an
  /// AtomicWaker or a WaiterList it allocates a relay.
  static constexpr bool kQuiescible = requires(const Registrar& r) { r.quiesce(); };

  /// The library's awaiter only (the key is its): withdraws the registration.
  void unregister(detail::AwaiterKey /*key*/) noexcept { registrar_.unregister(); }
  /// The library's awaiter only, where kQuiescible: returns once no notifier
  /// is inside a call of the waker this wait registered (after unregister).
  void quiesce(detail::AwaiterKey /*key*/) const noexcept { registrar_.quiesce(); }
  /// The library's awaiter only, where kQuiescible: the primitive the wait
  /// is on.
  [[nodiscard]] const void* primitive(detail::AwaiterKey /*key*/) const noexcept {
    return registrar_.primitive();
  }

 private:
  // The stop check that begins each poll: if stop was requested, the output
  // "stopped", unregistered.
  std::optional<output_type> stopped() {
#if defined(__cpp_lib_jthread)
    if constexpr (Stoppable) {
      if (token_.stop_requested()) return finish(output_type{});
    }
#endif
    return std::nullopt;
  }

  // Ends a poll that completes the wait (or throws): registration withdrawn.
  std::optional<output_type> finish(std::optional<output_type>&& out) noexcept(
      std::is_nothrow_move_constructible_v<output_type>) {
    registrar_.unregister();
    registrar_.end_wait(this);
    return std::move(out);
  }

  std::optional<output_type> check() {
    if constexpr (!kYieldsValue) {
      if (!pred_()) return std::nullopt;
      if constexpr (Stoppable) return true;
      else return std::monostate{};
    } else {
      auto r = pred_();
      if (!static_cast<bool>(r)) return std::nullopt;
      return output_type(*std::move(r));
    }
  }

  Registrar registrar_;
  Pred pred_;
#if defined(__cpp_lib_jthread)
  [[no_unique_address]] std::conditional_t<Stoppable, std::stop_token, std::monostate> token_;
#endif
};

DIATOMIC_NAMESPACE_END
