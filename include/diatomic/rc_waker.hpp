// SPDX-License-Identifier: MIT
/// \file
/// diatomic::RcWaker<T>: a reference-counted owner of a user object with a
/// noexcept wake() member, which hands out Wakers sharing its count. The C++
/// counterpart of Rust's Arc<impl Wake>; its RMW costs are the ones
/// docs/design.md#5-the-rmw-budget counts: clone 1, drop 1, wake = wake_by_ref + drop.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/fatal.hpp>
#include <diatomic/waker.hpp>

#include <atomic>
#include <cstddef>
#include <utility>

DIATOMIC_NAMESPACE_BEGIN

/// A type a waker can target: wake() is called from the notifying thread and
/// must not throw (the Waker table's functions are noexcept).
template <class T>
concept Wakeable = requires(T& target) {
  { target.wake() } noexcept;
};

namespace detail {

/// RcWaker<T>'s machinery over an atomic policy (detail/atomic_policy.hpp):
/// the library's RcWaker counts with std::atomic, the coroutine awaiter's
/// relay (waker_anchor.hpp) and the RMW-counting tests and benchmarks with
/// their own policies. The contract is RcWaker's.
template <Wakeable T, class Policy>
class BasicRcWaker {
  struct Block {
    template <class... Args>
    explicit Block(Args&&... args) : value(std::forward<Args>(args)...) {}
    typename Policy::template Atomic<std::size_t> refs{
        detail::named<Policy>("refs", std::size_t{1})};
    T value;
  };

 public:
  template <class... Args>
  [[nodiscard]] static BasicRcWaker make(Args&&... args) {
    return BasicRcWaker(new Block(std::forward<Args>(args)...));
  }

  BasicRcWaker(const BasicRcWaker& other) noexcept : block_(other.block_) {
    if (block_ != nullptr) retain(block_);
  }
  BasicRcWaker(BasicRcWaker&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  // Copy-and-swap: releases the old reference after taking the new one.
  BasicRcWaker& operator=(BasicRcWaker other) noexcept {
    std::swap(block_, other.block_);
    return *this;
  }
  ~BasicRcWaker() {
    if (block_ != nullptr) release(block_);
  }

  [[nodiscard]] Waker waker() const noexcept {
    retain(live());
    return Waker::adopt(block_, &kVTable);
  }
  [[nodiscard]] T& get() const noexcept { return live()->value; }
  T& operator*() const noexcept { return get(); }
  T* operator->() const noexcept { return &get(); }

  [[nodiscard]] std::size_t use_count() const noexcept {
    // Ordering[use_count.load]: relaxed; a snapshot for the caller, which the
    // relay never takes (so the order sweep leaves it out).
    return live()->refs.load(std::memory_order_relaxed);
  }

 private:
  explicit BasicRcWaker(Block* block) noexcept : block_(block) {}

  // The block of a handle that still owns one: a moved-from handle has none.
  [[nodiscard]] Block* live() const noexcept {
    DIATOMIC_CHECK(block_ != nullptr,
                   "RcWaker used after it was moved from: only assignment and destruction are "
                   "allowed");
    return block_;
  }

  static void retain(Block* block) noexcept {
    // Ordering[retain.fetch_add]: relaxed, as for shared_ptr: a new reference is made from one
    // the caller already holds, so the object cannot be freed meanwhile and
    // nothing needs to be published.
    block->refs.fetch_add(1, std::memory_order_relaxed);
  }

  static void release(Block* block) noexcept {
    // Ordering[release.fetch_sub]: acq_rel. Release: this owner's uses of the object happen
    // before the decrement; acquire: the thread that drops the last reference
    // sees every other owner's uses before it destroys the object.
    if (block->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete block;
  }

  static void* clone_fn(void* data) {
    retain(static_cast<Block*>(data));
    return data;
  }
  static void wake_by_ref_fn(void* data) noexcept { static_cast<Block*>(data)->value.wake(); }
  static void wake_fn(void* data) noexcept {
    wake_by_ref_fn(data);
    release(static_cast<Block*>(data));
  }
  static void drop_fn(void* data) noexcept { release(static_cast<Block*>(data)); }

  static constexpr WakerVTable kVTable{&clone_fn, &wake_fn, &wake_by_ref_fn, &drop_fn};

  Block* block_;
};

}  // namespace detail

/// A shared owner of one T that hands out Wakers targeting it: the
/// library's reference-counted waker, like Rust's Arc<impl Wake>.
///
///     struct Flag {
///       std::atomic<bool> woken{false};
///       // Ordering: release, pairs with the acquire load of the thread that checks it.
///       void wake() noexcept { woken.store(true, std::memory_order_release); }
///     };
///     auto flag = diatomic::RcWaker<Flag>::make();
///     sink.register_waker(flag.waker());   // a new reference: 1 RMW
///
/// What T provides: a `wake() noexcept` member (Wakeable), called on the
/// thread that wakes, possibly on several threads at once (one Waker may be
/// registered with several primitives, or cloned); so wake() must be safe to
/// call concurrently with itself and with the owner's own uses of the T.
/// T's destructor runs on whichever thread drops the last reference, which
/// may be a notifying thread inside wake(), and must not throw.
///
/// Ownership: handles and the Wakers made from them share one count, like
/// std::shared_ptr; the last one to go destroys the T and frees the block.
/// Copying a handle or a Waker (clone) adds a reference, destroying either
/// (drop) releases one, Waker::wake() calls T::wake() then releases, and
/// Waker::wake_by_ref() only calls T::wake(). Clone and drop cost one atomic
/// RMW each, wake_by_ref none of its own.
///
/// Thread safety: handles are values. Distinct handles (and Wakers) may be
/// used from distinct threads at once; one handle is shared between threads
/// only for its const members. Memory ordering: the count is released by
/// every drop and acquired by the last, so every owner's uses of the T happen
/// before its destruction. RcWaker adds no ordering around T::wake(): what a
/// wake orders is the primitive's contract (docs/memory-ordering.md).
///
/// Exceptions: only make() throws (std::bad_alloc, or what T's constructor
/// throws); everything else is noexcept.
///
/// Misuse: a moved-from handle owns nothing and may only be assigned to or
/// destroyed; any other use dereferences a null pointer (where checks are on,
/// it aborts with a message). Signals: a Waker's wake_by_ref() is
/// async-signal-safe when T::wake() is; wake() and drop may free the block,
/// which is not.
template <Wakeable T>
class RcWaker {
  using Core = detail::BasicRcWaker<T, detail::StdAtomicPolicy>;

 public:
  /// A new T, constructed from `args`, owned by this one handle. Throws what
  /// the allocation or T's constructor throws.
  template <class... Args>
  [[nodiscard]] static RcWaker make(Args&&... args) {
    return RcWaker(Core::make(std::forward<Args>(args)...));
  }

  /// Another owner of the same T: one RMW on the count.
  RcWaker(const RcWaker& other) noexcept = default;
  /// Takes over `other`'s reference; `other` owns nothing afterwards.
  RcWaker(RcWaker&& other) noexcept = default;
  /// Releases the old reference after taking the new one (self-assignment is
  /// safe).
  RcWaker& operator=(const RcWaker& other) noexcept = default;
  /// Takes over `other`'s reference, releasing the old one.
  RcWaker& operator=(RcWaker&& other) noexcept = default;
  /// Releases this reference; the last one destroys the T.
  ~RcWaker() = default;

  /// A new Waker targeting the T: one RMW on the count.
  [[nodiscard]] Waker waker() const noexcept { return core_.waker(); }

  /// The shared T.
  [[nodiscard]] T& get() const noexcept { return core_.get(); }
  /// The shared T.
  T& operator*() const noexcept { return core_.get(); }
  /// The shared T.
  T* operator->() const noexcept { return &core_.get(); }

  /// Handles and Wakers alive for this T. A relaxed read: a snapshot, exact
  /// only when no other thread clones or drops meanwhile.
  [[nodiscard]] std::size_t use_count() const noexcept { return core_.use_count(); }

 private:
  explicit RcWaker(Core core) noexcept : core_(std::move(core)) {}

  Core core_;
};

DIATOMIC_NAMESPACE_END
