// SPDX-License-Identifier: MIT
// The channel's shared state (diatomic/channel.hpp): a bounded lock-free ring,
// its close mark, its handle counts and the receiver's DiatomicWaker, written
// once over an atomic policy (detail/atomic_policy.hpp) so that the
// interleaving explorer runs this same code. Nothing here is API.
//
// The ring is Dmitry Vyukov's bounded MPMC queue with a sequence number
// ("stamp") per slot, in the form crossbeam's ArrayQueue and array channel
// use (positions carry a lap above the index, and a mark bit between the two
// closes the channel in the same word the senders claim positions in), with
// one consumer: the receiver's position is a plain member, and senders never
// read it (a sender learns that the ring is full from the stamp of the slot
// at its position alone).
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/diatomic_core.hpp>
#include <diatomic/detail/waiter_list_core.hpp>
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/waiter_list.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

// The receiver's waker and the senders' waiters: a DiatomicWaker and a
// WaiterList for the std policy (the waits are then plain
// Wait<DiatomicWaker, ...> and Wait<WaiterList, ...>), the bare state
// machines over any other policy (the explorer's, the counting one), or what
// a policy names itself (ChannelRxWaker, ChannelTxWaiters: the benchmarks'
// floors replace one or both by a notifier that does nothing, to show what
// each costs).
template <class Policy>
struct ChannelNotifiers {
  static constexpr bool kStd = std::is_same_v<Policy, StdAtomicPolicy>;
  using Rx = std::conditional_t<kStd, DiatomicWaker, DiatomicCore<Policy>>;
  using Tx = std::conditional_t<kStd, WaiterList, WaiterListCore<Policy>>;
};
template <class Policy>
  requires requires {
    typename Policy::ChannelRxWaker;
    typename Policy::ChannelTxWaiters;
  }
struct ChannelNotifiers<Policy> {
  using Rx = typename Policy::ChannelRxWaker;
  using Tx = typename Policy::ChannelTxWaiters;
};

// A position in the ring, as crossbeam's array channel encodes it:
//   bits below kMark's      the slot index, 0 .. capacity - 1
//   the kMark bit (tail only) the channel is closed
//   bits from one lap up    the lap, counting up (and wrapping) by one lap
// mark = bit_ceil(capacity + 1) and one lap = 2 * mark, so index + 1 never
// carries into the mark bit.
//
// A slot's stamp, for the slot of index i in the lap L (position p = L + i):
//   p          free: the send that claims position p may write it
//   p + 1      full: it holds the message sent at position p
// The send at p moves it from p to p + 1 (after writing the message), the
// receive at p from p + 1 to p + one lap (after moving the message out):
// free for the next lap. A send at p that finds a stamp below p (the
// previous lap's p - one lap, still being written, or p - one lap + 1, not
// yet received) reports the ring full: it never waits for another send.
template <class T, class Policy>
class ChannelCore {
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "a channel's messages must have a noexcept move constructor: a receive "
                "moves a message out of the ring once, and a throw there would lose it");

  template <class U>
  using Atomic = typename Policy::template Atomic<U>;

 public:
  using RxWaker = typename ChannelNotifiers<Policy>::Rx;
  using TxWaiters = typename ChannelNotifiers<Policy>::Tx;
  enum class Status : unsigned char { kDone, kEmpty, kFull, kClosed };

  /// The largest capacity: positions must keep at least two bits of lap.
  static constexpr std::size_t kMaxCapacity = std::numeric_limits<std::size_t>::max() / 8;

  // Throws std::invalid_argument (capacity 0), std::length_error (above
  // kMaxCapacity) or std::bad_alloc.
  explicit ChannelCore(std::size_t capacity)
      : capacity_(checked(capacity)),
        mark_(std::bit_ceil(capacity + 1)),
        one_lap_(2 * mark_),
        slots_(std::make_unique<Slot[]>(capacity)) {
    for (std::size_t i = 0; i < capacity; ++i) {
      // Ordering[channel.init.stamp]: relaxed; the state is not shared yet:
      // the handles are made after the constructor returns, and handing them
      // to another thread orders everything before.
      slots_[i].stamp.store(i, std::memory_order_relaxed);
    }
  }
  ChannelCore(const ChannelCore&) = delete;
  ChannelCore& operator=(const ChannelCore&) = delete;

  // The last handle went: destroys the messages still in the ring. Every
  // send that claimed a position has written its slot (its Sender's release
  // happens before), so every position from head_ to the tail is full.
  ~ChannelCore() {
    // Ordering[channel.destroy.tail]: relaxed; the last release
    // (channel.release, acq_rel) made every other thread's operations
    // happen before.
    const std::size_t tail = tail_.load(std::memory_order_relaxed) & ~mark_;
    while (head_ != tail) take([](T&&) noexcept {});
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] RxWaker& rx_waker() noexcept { return rx_waker_; }
  [[nodiscard]] TxWaiters& tx_waiters() noexcept { return tx_waiters_; }

  // Producer side, any thread. Moves `value` into the ring (kDone), or
  // leaves it alone and returns kFull or kClosed. Lock-free: the loop
  // repeats only when another send claimed the position it tried.
  [[nodiscard]] Status try_send(T& value) noexcept {
    // Ordering[channel.send.tail]: relaxed; a guess of the tail, which the
    // compare-exchange checks before anything depends on it.
    std::size_t tail = tail_.load(std::memory_order_relaxed);
    for (;;) {
      if ((tail & mark_) != 0) return Status::kClosed;
      Slot& slot = slots_[tail & (mark_ - 1)];
      // Ordering[channel.send.stamp]: acquire, pairs with the receive's
      // release store of this stamp (channel.recv.free): the receiver's move
      // out of the slot happens before our write into it.
      const std::size_t stamp = slot.stamp.load(std::memory_order_acquire);
      if (stamp == tail) {
        // Ordering[channel.send.claim]: relaxed; the claim orders no data:
        // the slot's stamp publishes the message (channel.send.publish), and
        // close is ordered against claims by this word's modification order
        // alone. Relaxed on failure: we retry with the value read.
        if (tail_.compare_exchange_weak(tail, next(tail), std::memory_order_relaxed,
                                        std::memory_order_relaxed)) {
          // Exclusive: position `tail` is ours (the compare-exchange took it
          // from its stamp's value), and the last receive of this slot
          // happens before (channel.send.stamp).
          slot.value.with_mut(
              [&](Storage& storage) { ::new (storage.bytes) T(std::move(value)); });
          // Ordering[channel.send.publish]: release, pairs with the receive's
          // acquire load of this stamp (channel.recv.stamp): our write of
          // the message happens before its move out.
          slot.stamp.store(tail + 1, std::memory_order_release);
          rx_waker_.notify();
          return Status::kDone;
        }
      } else if (static_cast<std::ptrdiff_t>(stamp - tail) < 0) {
        // The slot is still the previous lap's: its send has not finished
        // writing, or its message was not received yet. Full, unless the
        // tail we read is old.
        // Ordering[channel.send.full_tail]: relaxed, as channel.send.tail:
        // "full" rests on the stamp alone (a receive that happens before
        // this send freed the slot, and coherence lets the stamp's load not
        // miss it); the tail only says the position is still the next one.
        const std::size_t now = tail_.load(std::memory_order_relaxed);
        if (now == tail) return Status::kFull;
        tail = now;
      } else {
        // Another send claimed this position: read the tail again.
        // Ordering[channel.send.retry_tail]: relaxed, as channel.send.tail.
        tail = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  // Either side, any thread; idempotent. Sends that claim a position after
  // it return kClosed; the receiver still takes every message whose claim
  // came before it. Then wakes the receiver and every waiting sender.
  //
  //   tail (M)  ->  tail (M)
  //   p    0        p    1     closed: no claim succeeds any more
  //   p    1        p    1     already closed: unchanged
  void close() noexcept {
    // Ordering[channel.close]: release, pairs with the receiver's acquire
    // load of the tail (channel.recv.closed): what the closer did before
    // close() happens before a receive that reports the channel closed.
    tail_.fetch_or(mark_, std::memory_order_release);
    rx_waker_.notify();
    tx_waiters_.notify_all();
  }

  // Consumer side, one call at a time. Calls take(T&&) (noexcept) with the
  // message at the head, wakes a sender waiting for room (the waiter list's
  // notify_one: one RMW with nobody waiting) and returns kDone; or returns
  // kEmpty, or kClosed once the channel is closed and every message was
  // taken.
  template <class Take>
  [[nodiscard]] Status try_recv(Take&& take) noexcept {
    Slot& slot = slots_[head_ & (mark_ - 1)];
    // Ordering[channel.recv.stamp]: acquire, pairs with the send's release
    // store (channel.send.publish): its write of the message happens before
    // our move out.
    if (slot.stamp.load(std::memory_order_acquire) == head_ + 1) {
      this->take(std::forward<Take>(take));
      tx_waiters_.notify_one();
      return Status::kDone;
    }
    // Ordering[channel.recv.closed]: acquire, pairs with close's release
    // (channel.close). A tail older than the mark only makes us answer
    // empty: the wait registers and checks again, and close() notifies.
    const std::size_t tail = tail_.load(std::memory_order_acquire);
    return (tail & mark_) != 0 && (tail & ~mark_) == head_ ? Status::kClosed : Status::kEmpty;
  }

  // Handle counting. The senders share one reference to the state and count
  // themselves apart, so that copying a Sender is one RMW and dropping one
  // is one RMW (the last one also closes and releases the senders'
  // reference).
  void add_sender() noexcept {
    // Ordering[channel.add_sender]: relaxed; the caller holds a Sender, so
    // the count is not zero and nothing is published, as std::shared_ptr's
    // copy.
    senders_.fetch_add(1, std::memory_order_relaxed);
  }
  // True if the caller must destroy the state (it released the last
  // reference).
  [[nodiscard]] bool drop_sender() noexcept {
    // Ordering[channel.senders]: acq_rel; release: this sender's sends
    // happen before the last sender's release of the state; acquire (the
    // last sender): every other sender's do, so the state's destruction,
    // after the last reference goes, comes after all of them.
    if (senders_.fetch_sub(1, std::memory_order_acq_rel) != 1) return false;
    close();
    return release();
  }
  // The receiver goes: closes, destroys the messages ready at the head, and
  // releases its reference. True if the caller must destroy the state.
  [[nodiscard]] bool drop_receiver() noexcept {
    close();
    while (try_recv([](T&&) noexcept {}) == Status::kDone) {
    }
    return release();
  }

 private:
  struct Storage {
    alignas(T) std::byte bytes[sizeof(T)];
  };
  struct Slot {
    Atomic<std::size_t> stamp{named<Policy>("stamp", std::size_t{0})};
    typename Policy::template Cell<Storage> value = named<Policy, Storage>("message");
  };

  static std::size_t checked(std::size_t capacity) {
    if (capacity == 0) throw std::invalid_argument("diatomic::channel: capacity 0");
    if (capacity > kMaxCapacity) throw std::length_error("diatomic::channel: capacity too large");
    return capacity;
  }

  // The position after `p` (p without the mark).
  [[nodiscard]] std::size_t next(std::size_t p) const noexcept {
    const std::size_t index = p & (mark_ - 1);
    return index + 1 < capacity_ ? p + 1 : (p & ~(one_lap_ - 1)) + one_lap_;
  }

  // Moves the message at the head (full, as its stamp said) into take() and
  // frees its slot for the next lap.
  template <class Take>
  void take(Take&& take) noexcept {
    Slot& slot = slots_[head_ & (mark_ - 1)];
    // Exclusive: the stamp is head_ + 1, so the send at head_ finished its
    // write and happens before (channel.recv.stamp); no send claims this
    // slot until we free it below.
    slot.value.with_mut([&](Storage& storage) {
      T* message = std::launder(reinterpret_cast<T*>(storage.bytes));
      std::forward<Take>(take)(std::move(*message));
      message->~T();
    });
    // Ordering[channel.recv.free]: release, pairs with the send's acquire
    // load of the stamp (channel.send.stamp): our move out happens before
    // the next lap's write.
    slot.stamp.store(head_ + one_lap_, std::memory_order_release);
    head_ = next(head_);
  }

  // Releases one of the two references (the senders', the receiver's).
  [[nodiscard]] bool release() noexcept {
    // Ordering[channel.release]: acq_rel; release: our side's uses of the
    // state happen before the other side's acquire; acquire (the last): the
    // other side's happen before the destruction.
    return refs_.fetch_sub(1, std::memory_order_acq_rel) == 1;
  }

  // Read-only after construction, shared by every thread.
  const std::size_t capacity_;
  const std::size_t mark_;
  const std::size_t one_lap_;
  const std::unique_ptr<Slot[]> slots_;
  // The senders' line: the position the next send claims, and the counts.
  alignas(kCacheLine) Atomic<std::size_t> tail_{named<Policy>("tail", std::size_t{0})};
  Atomic<std::size_t> senders_{named<Policy>("senders", std::size_t{1})};
  // Two references: the senders' (all of them hold one) and the receiver's.
  Atomic<std::size_t> refs_{named<Policy>("refs", std::size_t{2})};
  // The receiver's line: the position of the next receive. Only the
  // consumer reads or writes it (consumer-side calls run one at a time and
  // each happens before the next), and no sender reads it.
  alignas(kCacheLine) std::size_t head_ = 0;
  // On a line of its own (DiatomicWaker's layout); only its notify() is
  // shared.
  alignas(kCacheLine) RxWaker rx_waker_;
  // The senders waiting for room; the receiver notifies it.
  alignas(kCacheLine) TxWaiters tx_waiters_;
};

// The predicate of recv(): a message (the wait yields std::optional<T> with
// it), "closed and drained" (an empty std::optional<T>), or not ready (the
// outer optional empty: the wait registers and checks again).
template <class T, class Policy>
struct RecvOne {
  ChannelCore<T, Policy>* core;

  std::optional<std::optional<T>> operator()() const noexcept {
    std::optional<std::optional<T>> out;
    const auto status =
        core->try_recv([&](T&& message) noexcept { out.emplace(std::move(message)); });
    if (status == ChannelCore<T, Policy>::Status::kClosed) out.emplace();
    return out;
  }
};

// The predicate of send(value): moves `*value` into the channel once a slot
// is free (the wait yields true), or yields false once the channel is closed,
// leaving `*value` alone; not ready while the ring is full.
template <class T, class Policy>
struct SendOne {
  ChannelCore<T, Policy>* core;
  T* value;

  std::optional<bool> operator()() const noexcept {
    switch (core->try_send(*value)) {
      case ChannelCore<T, Policy>::Status::kDone:
        return true;
      case ChannelCore<T, Policy>::Status::kClosed:
        return false;
      default:
        return std::nullopt;
    }
  }
};

// The predicate of send(std::move(value)): as SendOne, over a value of its
// own, which goes with the wait if the send does not happen.
template <class T, class Policy>
struct SendOwned {
  ChannelCore<T, Policy>* core;
  T value;

  std::optional<bool> operator()() noexcept { return SendOne<T, Policy>{core, &value}(); }
};

// The predicate of recv_many(out, max): appends every message ready, up to
// `max`, to `out` and yields how many (0: closed and drained, or max is 0);
// not ready while nothing is there.
template <class T, class Policy>
struct RecvMany {
  ChannelCore<T, Policy>* core;
  std::vector<T>* out;
  std::size_t max;

  // Throws std::bad_alloc (from reserving room in `out`) before it takes
  // anything: no message is lost.
  std::optional<std::size_t> operator()() const {
    using Status = typename ChannelCore<T, Policy>::Status;
    out->reserve(out->size() + std::min(max, core->capacity()));
    std::size_t taken = 0;
    while (taken < max) {
      // No reallocation: at most capacity() messages are in the ring.
      const Status status =
          core->try_recv([&](T&& message) noexcept { out->push_back(std::move(message)); });
      if (status == Status::kDone) {
        ++taken;
        continue;
      }
      if (status == Status::kClosed || taken > 0) return taken;
      return std::nullopt;
    }
    return taken;
  }
};

}  // namespace detail
DIATOMIC_NAMESPACE_END
