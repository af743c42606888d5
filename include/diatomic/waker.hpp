// SPDX-License-Identifier: MIT
/// \file
/// diatomic::Waker: a two-word, type-erased handle that wakes a task, modelled
/// on Rust's std::task::Waker (a data pointer plus a pointer to a static table
/// of four functions). Users write their own wakers against WakerVTable.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/export.hpp>

#include <utility>

DIATOMIC_NAMESPACE_BEGIN

/// The table behind a Waker. `data` is the waker's own pointer; each function
/// receives it. Tables are expected to have static storage duration: Waker
/// identity (will_wake) compares table addresses.
struct WakerVTable {
  /// Returns a new reference to the same target (may return the same
  /// pointer); may throw, typically std::bad_alloc.
  void* (*clone)(void* data);
  /// Wakes the target and releases this reference.
  void (*wake)(void* data) noexcept;
  /// Wakes the target and keeps the reference.
  void (*wake_by_ref)(void* data) noexcept;
  /// Releases this reference without waking.
  void (*drop)(void* data) noexcept;
};

/// A handle owning one reference to a wake target. Copy = clone, destruction
/// = drop, move = transfer (no call into the table).
///
/// Thread safety: a Waker is a value. Distinct Waker objects may be used from
/// distinct threads at once (the table functions must allow that); one object
/// is shared between threads only for const calls (wake_by_ref, will_wake).
///
/// Exceptions: only copying may throw (whatever clone throws); a failed copy
/// leaves the source untouched and, for assignment, the target unchanged.
///
/// Signals: wake_by_ref() is async-signal-safe exactly when the table's
/// wake_by_ref is; wake() and destruction also need a signal-safe drop.
class Waker {
 public:
  /// Empty: wakes nothing, clones and drops for free.
  constexpr Waker() noexcept = default;

  /// A Waker that adopts one reference the caller already owns (no clone):
  /// its destruction drops it. A null vtable makes an empty Waker (data
  /// ignored). A named factory rather than a constructor, so that no braced
  /// pair `{data, &vtable}` can adopt a reference by accident.
  [[nodiscard]] static Waker adopt(void* data, const WakerVTable* vtable) noexcept {
    return Waker(data, vtable);
  }

  /// A new reference to the same target (the table's clone; may throw).
  Waker(const Waker& other)
      : data_(other.vtable_ != nullptr ? other.vtable_->clone(other.data_) : nullptr),
        vtable_(other.vtable_) {}

  /// Takes over `other`'s reference, leaving `other` empty.
  Waker(Waker&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        vtable_(std::exchange(other.vtable_, nullptr)) {}

  /// Strong guarantee: the clone happens before the old reference is dropped.
  Waker& operator=(const Waker& other) {
    if (this != &other) {
      Waker copy(other);
      swap(copy);
    }
    return *this;
  }

  /// Drops the current reference and takes over `other`'s.
  Waker& operator=(Waker&& other) noexcept {
    Waker taken(std::move(other));
    swap(taken);
    return *this;
  }

  /// Drops the reference (the table's drop), if any.
  ~Waker() {
    if (vtable_ != nullptr) vtable_->drop(data_);
  }

  /// Wakes the target and consumes *this (leaves it empty).
  void wake() && noexcept {
    if (const WakerVTable* vtable = std::exchange(vtable_, nullptr)) {
      vtable->wake(std::exchange(data_, nullptr));
    }
  }

  /// Wakes the target and keeps the reference. Does nothing if empty.
  void wake_by_ref() const noexcept {
    if (vtable_ != nullptr) vtable_->wake_by_ref(data_);
  }

  /// Identity, not equality of behaviour: same data pointer and same table.
  /// A false "same" would lose wake-ups; a false "different" costs one copy.
  [[nodiscard]] bool will_wake(const Waker& other) const noexcept {
    return data_ == other.data_ && vtable_ == other.vtable_;
  }

  /// True unless empty.
  [[nodiscard]] explicit operator bool() const noexcept { return vtable_ != nullptr; }

  /// The pointer the table's functions receive (null if empty).
  [[nodiscard]] void* data() const noexcept { return data_; }
  /// The table (null if empty).
  [[nodiscard]] const WakerVTable* vtable() const noexcept { return vtable_; }

  /// Exchanges the two references; no call into either table.
  void swap(Waker& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(vtable_, other.vtable_);
  }
  /// Exchanges the two references; no call into either table.
  friend void swap(Waker& a, Waker& b) noexcept { a.swap(b); }

  /// A non-empty waker whose wake does nothing; clone and drop are free. Every
  /// noop() waker will_wake every other, across shared-library boundaries too.
  [[nodiscard]] DIATOMIC_EXPORT static Waker noop() noexcept;

 private:
  constexpr Waker(void* data, const WakerVTable* vtable) noexcept
      : data_(vtable != nullptr ? data : nullptr), vtable_(vtable) {}

  void* data_ = nullptr;
  const WakerVTable* vtable_ = nullptr;
};

DIATOMIC_NAMESPACE_END
