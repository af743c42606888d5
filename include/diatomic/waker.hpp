// diatomic::Waker: a two-word, type-erased handle that wakes a task, modelled
// on Rust's std::task::Waker (a data pointer plus a pointer to a static table
// of four functions). Users write their own wakers against WakerVTable.
#pragma once

#include <diatomic/export.hpp>

#include <utility>

namespace diatomic {

// The table behind a Waker. `data` is the waker's own pointer; each function
// receives it. Tables are expected to have static storage duration: Waker
// identity (will_wake) compares table addresses.
//
//   clone        returns a new reference to the same target (may return the
//                same pointer); may throw, typically std::bad_alloc.
//   wake         wakes the target and releases this reference.
//   wake_by_ref  wakes the target and keeps the reference.
//   drop         releases this reference without waking.
struct WakerVTable {
  void* (*clone)(void* data);
  void (*wake)(void* data) noexcept;
  void (*wake_by_ref)(void* data) noexcept;
  void (*drop)(void* data) noexcept;
};

// A handle owning one reference to a wake target. Copy = clone, destruction
// = drop, move = transfer (no call into the table).
//
// Thread safety: a Waker is a value. Distinct Waker objects may be used from
// distinct threads at once (the table functions must allow that); one object
// is shared between threads only for const calls (wake_by_ref, will_wake).
//
// Exceptions: only copying may throw (whatever clone throws); a failed copy
// leaves the source untouched and, for assignment, the target unchanged.
class Waker {
 public:
  // Empty: wakes nothing, clones and drops for free.
  Waker() noexcept = default;

  // Adopts one reference. A null vtable makes an empty Waker (data ignored).
  Waker(void* data, const WakerVTable* vtable) noexcept
      : data_(vtable != nullptr ? data : nullptr), vtable_(vtable) {}

  Waker(const Waker& other)
      : data_(other.vtable_ != nullptr ? other.vtable_->clone(other.data_) : nullptr),
        vtable_(other.vtable_) {}

  Waker(Waker&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        vtable_(std::exchange(other.vtable_, nullptr)) {}

  // Strong guarantee: the clone happens before the old reference is dropped.
  Waker& operator=(const Waker& other) {
    if (this != &other) {
      Waker copy(other);
      swap(copy);
    }
    return *this;
  }

  Waker& operator=(Waker&& other) noexcept {
    Waker taken(std::move(other));
    swap(taken);
    return *this;
  }

  ~Waker() {
    if (vtable_ != nullptr) vtable_->drop(data_);
  }

  // Wakes the target and consumes *this (leaves it empty).
  void wake() && noexcept {
    if (const WakerVTable* vtable = std::exchange(vtable_, nullptr)) {
      vtable->wake(std::exchange(data_, nullptr));
    }
  }

  void wake_by_ref() const noexcept {
    if (vtable_ != nullptr) vtable_->wake_by_ref(data_);
  }

  // Identity, not equality of behaviour: same data pointer and same table.
  // A false "same" would lose wake-ups; a false "different" costs one copy.
  [[nodiscard]] bool will_wake(const Waker& other) const noexcept {
    return data_ == other.data_ && vtable_ == other.vtable_;
  }

  [[nodiscard]] explicit operator bool() const noexcept { return vtable_ != nullptr; }

  [[nodiscard]] void* data() const noexcept { return data_; }
  [[nodiscard]] const WakerVTable* vtable() const noexcept { return vtable_; }

  void swap(Waker& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(vtable_, other.vtable_);
  }
  friend void swap(Waker& a, Waker& b) noexcept { a.swap(b); }

  // A non-empty waker whose wake does nothing; clone and drop are free. Every
  // noop() waker will_wake every other, across shared-library boundaries too.
  [[nodiscard]] DIATOMIC_EXPORT static Waker noop() noexcept;

 private:
  void* data_ = nullptr;
  const WakerVTable* vtable_ = nullptr;
};

}  // namespace diatomic
