// SPDX-License-Identifier: MIT
// The target of a scenario thread's wakers, as the thread parker is the
// target of this_thread::waker(): a wake sets its token and publishes what the
// waking thread did before; park() consumes the token and acquires that. The
// scenarios' targets (the consumer's wakers, the waiter list's senders, the
// channel's receiver, the timed wait's parker) share this and differ only in
// how they park. Tests only.
#pragma once

#include <diatomic/waker.hpp>

#include <fmt/format.h>

#include <string>
#include <utility>

#include "scheduler.hpp"

namespace diatomic::explorer {

// Counts its live references; a schedule fails if one of its wakers is
// cloned, woken or dropped after the last reference was released. The trace
// shows every park, wake, clone and drop with the references left.
class WakeTarget {
 public:
  explicit WakeTarget(std::string name) : name_(std::move(name)) {}
  WakeTarget(const WakeTarget&) = delete;
  WakeTarget& operator=(const WakeTarget&) = delete;
  virtual ~WakeTarget() = default;

  // A new reference to this target (not counted as a clone).
  [[nodiscard]] Waker waker() {
    ++live_;
    return Waker::adopt(this, &kVTable);
  }
  [[nodiscard]] int live() const noexcept { return live_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  // Waits until one of this target's wakers was called, and consumes the
  // token; what the waking thread did before the wake happens before the
  // return. A token already there is consumed at once, and the caller lets
  // the others run first (it would poll again straight away) if `yield`.
  void park(bool yield = true) {
    Scheduler& scheduler = *Scheduler::active();
    scheduler.point();
    finish_park(scheduler, yield);
  }

 protected:
  [[nodiscard]] bool token() const noexcept { return token_; }
  // A park after its scheduling point, for a target that may return before
  // it (a spurious wake-up, a deadline) when no token is there.
  void finish_park(Scheduler& scheduler, bool yield = true) {
    scheduler.record("park", name_, token_ ? "token already there" : "blocks");
    if (!token_) {
      waiter_ = Scheduler::self();
      scheduler.block();
      scheduler.record("unparked", name_, "");
    } else if (yield) {
      scheduler.yield();
    }
    token_ = false;
    scheduler.acquire_from(woken_by_);
  }

 private:
  // Runs in every wake, before the token is set: what a waker call reads.
  virtual void on_wake() {}

  static WakeTarget& self(void* data) { return *static_cast<WakeTarget*>(data); }
  void note(const char* op) const {
    if (Scheduler* scheduler = Scheduler::active()) {
      scheduler->record(op, name_, fmt::format("{} references", live_));
    }
  }
  void check_alive(const char* what) const {
    if (live_ > 0) return;
    if (Scheduler* scheduler = Scheduler::active()) {
      scheduler->fail(fmt::format("{} {} after its last reference was released", name_, what));
    }
  }
  static void* clone_fn(void* data) {
    WakeTarget& target = self(data);
    target.check_alive("cloned");
    ++target.live_;
    target.note("clone");
    return data;
  }
  static void wake_by_ref_fn(void* data) noexcept {
    WakeTarget& target = self(data);
    target.check_alive("woken");
    target.on_wake();
    target.token_ = true;
    Scheduler* scheduler = Scheduler::active();
    scheduler->release_to(target.woken_by_);
    if (target.waiter_ >= 0) scheduler->unblock(std::exchange(target.waiter_, -1));
    target.note("wake");
  }
  static void drop_fn(void* data) noexcept {
    WakeTarget& target = self(data);
    target.check_alive("dropped");
    --target.live_;
    target.note("drop");
  }
  static void wake_fn(void* data) noexcept {
    wake_by_ref_fn(data);
    drop_fn(data);
  }
  static constexpr WakerVTable kVTable{&clone_fn, &wake_fn, &wake_by_ref_fn, &drop_fn};

  // Touched only by the thread holding the scheduler's baton.
  std::string name_;
  int live_ = 0;
  bool token_ = false;
  int waiter_ = -1;
  View woken_by_;  // what the wakes published
};

}  // namespace diatomic::explorer
