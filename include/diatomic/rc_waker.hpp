// SPDX-License-Identifier: MIT
/// \file
/// diatomic::RcWaker<T>: a reference-counted owner of a user object with a
/// noexcept wake() member, which hands out Wakers sharing its count. The C++
/// counterpart of Rust's Arc<impl Wake>; its RMW costs are the ones
/// docs/design.md#5-the-rmw-budget counts: clone 1, drop 1, wake = wake_by_ref + drop.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/atomic_policy.hpp>
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

/// RcWaker<T> over an atomic policy (detail/atomic_policy.hpp): the library
/// uses std::atomic, the RMW-counting tests their own. A handle is a shared
/// owner of one T, like std::shared_ptr; handles and the Wakers made from them
/// share one count, and the last one to go destroys the T. Handles are values:
/// distinct handles may be used from distinct threads at once.
template <Wakeable T, class Policy>
class BasicRcWaker {
  struct Block {
    template <class... Args>
    explicit Block(Args&&... args) : value(std::forward<Args>(args)...) {}
    typename Policy::template Atomic<std::size_t> refs{1};
    T value;
  };

 public:
  /// Allocates the shared object, constructed from `args`, with one reference
  /// (this handle). Throws what allocation or T's constructor throws.
  template <class... Args>
  [[nodiscard]] static BasicRcWaker make(Args&&... args) {
    return BasicRcWaker(new Block(std::forward<Args>(args)...));
  }

  /// Another owner of the same object: one RMW on the count.
  BasicRcWaker(const BasicRcWaker& other) noexcept : block_(other.block_) {
    if (block_ != nullptr) retain(block_);
  }
  /// Takes over `other`'s reference; `other` is left empty (usable only to
  /// be assigned to or destroyed).
  BasicRcWaker(BasicRcWaker&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  /// Copy-and-swap: releases the old reference after taking the new one.
  BasicRcWaker& operator=(BasicRcWaker other) noexcept {
    std::swap(block_, other.block_);
    return *this;
  }
  /// Releases this reference; the last one destroys the object.
  ~BasicRcWaker() {
    if (block_ != nullptr) release(block_);
  }

  /// A new Waker sharing this object: one RMW on the count.
  [[nodiscard]] Waker waker() const noexcept {
    retain(block_);
    return Waker::adopt(block_, &kVTable);
  }

  /// The shared object.
  [[nodiscard]] T& get() const noexcept { return block_->value; }
  /// The shared object.
  T& operator*() const noexcept { return block_->value; }
  /// The shared object.
  T* operator->() const noexcept { return &block_->value; }

  /// Handles and Wakers alive for this object. Ordering: relaxed, so the value
  /// is only a snapshot; exact when no other thread clones or drops meanwhile.
  [[nodiscard]] std::size_t use_count() const noexcept {
    // Ordering[use_count.load]: relaxed; a snapshot for the caller, which the
    // relay never takes (so the order sweep leaves it out).
    return block_->refs.load(std::memory_order_relaxed);
  }

 private:
  explicit BasicRcWaker(Block* block) noexcept : block_(block) {}

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

/// The library's reference-counted waker, counting with std::atomic:
///
///     struct Flag { std::atomic<bool> woken{false};
///                   // Ordering: release, pairs with the acquire load of the thread that checks it.
///                   void wake() noexcept { woken.store(true, std::memory_order_release); } };
///     auto target = diatomic::RcWaker<Flag>::make();
///     diatomic::Waker w = target.waker();   // clone of the handle: 1 RMW
template <Wakeable T>
using RcWaker = detail::BasicRcWaker<T, detail::StdAtomicPolicy>;

DIATOMIC_NAMESPACE_END
