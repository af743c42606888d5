// SPDX-License-Identifier: MIT
/// \file
/// A bounded multi-producer, single-consumer channel: `diatomic::channel<T>(n)`
/// makes a Sender (copy it to every producer) and a Receiver (the one
/// consumer) around a lock-free ring of n slots, allocated once. The receiver
/// waits through a DiatomicWaker, senders waiting for room through a
/// WaiterList: recv() and send() are wait objects, run by block_on or
/// co_await like any `wait_until`.
///
///   auto [tx, rx] = diatomic::channel<int>(1024);
///   std::thread producer([tx = std::move(tx)]() mutable {
///     for (int v = 0; v < 10; ++v) diatomic::block_on(tx.send(v));  // waits while full
///   });                                                  // its Sender goes: closed
///   while (std::optional<int> v = diatomic::block_on(rx.recv())) use(*v);  // empty: closed, drained
///   producer.join();
///
/// The ring is Dmitry Vyukov's bounded MPMC queue (a sequence number per
/// slot), in the form of crossbeam's ArrayQueue and array channel (the
/// close mark lives in the word senders claim positions in), with one
/// consumer (detail/channel_core.hpp).
///
/// Contract (quote this):
///   Delivery. Each message a send accepted (try_send returned true, send
///   yielded true) is received exactly once, in the order the senders
///   claimed their positions (per sender: the order it sent), or destroyed
///   with the channel if the Receiver is gone. A send that did not accept its
///   message gives it back: try_send in SendResult::value(), send by never
///   moving from the caller's variable.
///   Memory. Everything a sender wrote before a send that accepted a message
///   happens before the receive that returns that message. Everything a
///   thread wrote before close() happens before a receive that reports the
///   channel closed.
///   Close. close() on either side, and the destruction of the last Sender
///   or of the Receiver, close the channel. A close is one atomic RMW on the
///   word senders claim positions in, so it is linearisable with sends: a
///   send that claimed its position before the close is delivered (the
///   receiver takes it before it reports closed, waiting for it if its
///   sender is still writing it); a send after the close returns its value
///   (closed). Closing wakes every sender waiting for room, whose send then
///   yields false. A receive reports closed only when the channel is closed
///   and every message sent before the close was taken.
///   Full. try_send reports full when the slot at its position still holds
///   a message of the previous lap: a receive that happens before the
///   try_send is always seen, a receive still in progress (or one the
///   sender's thread has not yet seen) may not be.
///   Progress. try_send is lock-free (it retries only when another send
///   claimed the position it tried) and never waits for another thread: a
///   slot still in use by the previous lap is "full". With nobody waiting, a
///   send is one compare-exchange, one store and the DiatomicWaker's
///   notify() (one RMW). A sender stopped between its claim and its write
///   delays the receiver at that position (and the messages after it) until
///   it resumes, as in every Vyukov queue. A receive that finds a message is
///   a load, a store and the WaiterList's notify_one() (one RMW with nobody
///   waiting), with no registration: a busy receiver never registers, nor
///   does a send that finds room.
///   Cancellation. A recv stopped by its std::stop_token, or a coroutine
///   destroyed while suspended in it, takes no message: a message is taken
///   only by the poll that completes the wait, which returns it. A send
///   stopped or destroyed so leaves its value with the caller: the value is
///   moved only by the poll that completes the send. A deadline
///   (block_on(rx.recv(), timeout), resume_on(executor, deadline)) ends a
///   wait with one last poll: a message it takes is returned, and a wait
///   that timed out took or sent nothing. No message is lost or duplicated.
///   Handles. Sender is copyable: copying one is one RMW (relaxed), dropping
///   one is one RMW (acq_rel); the last one also closes and releases the
///   shared state. Receiver is move-only; dropping it closes and destroys
///   the messages that are ready. A moved-from handle may only be assigned
///   to or destroyed.
///   Concurrency. Sender calls from any number of threads at once; the
///   Receiver's calls (try_recv, and the polls of its waits) one at a time,
///   as a DiatomicWaker's consumer (checked where checks are on: a second
///   wait while one is in progress aborts). Messages are T with a noexcept
///   move constructor (checked at compile time).
///   Exceptions. channel() throws std::invalid_argument (capacity 0),
///   std::length_error (capacity above kMaxChannelCapacity) or
///   std::bad_alloc; recv_many may throw std::bad_alloc from reserving room
///   in its vector, before it takes a message; T's destructor must not throw.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/channel_core.hpp>
#include <diatomic/detail/fatal.hpp>
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/wait.hpp>

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>
#include <version>
#if defined(__cpp_lib_jthread)
#include <stop_token>
#endif

DIATOMIC_NAMESPACE_BEGIN

template <class T>
class Sender;
template <class T>
class Receiver;

/// The largest capacity a channel may have.
inline constexpr std::size_t kMaxChannelCapacity =
    detail::ChannelCore<int, detail::StdAtomicPolicy>::kMaxCapacity;

/// A new channel of `capacity` slots (at least 1): its one Sender (copy it)
/// and its Receiver. `auto [tx, rx] = diatomic::channel<T>(capacity);`
/// Throws std::invalid_argument (0), std::length_error (above
/// kMaxChannelCapacity) or std::bad_alloc.
template <class T>
[[nodiscard]] std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity);

/// What try_send did: sent (true), or the value back, because the channel
/// was full or closed.
template <class T>
class [[nodiscard]] SendResult {
 public:
  /// True if the message was sent.
  explicit operator bool() const noexcept { return !value_.has_value(); }
  /// True if the channel was full (the value is back).
  [[nodiscard]] bool full() const noexcept { return value_.has_value() && !closed_; }
  /// True if the channel was closed (the value is back).
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  /// The value that was not sent. Only if !*this (checked where checks are on).
  [[nodiscard]] T& value() & noexcept { return checked(); }
  /// \copydoc value()
  [[nodiscard]] T&& value() && noexcept { return std::move(checked()); }

 private:
  friend class Sender<T>;
  SendResult() noexcept = default;
  SendResult(T&& value, bool closed) noexcept : value_(std::move(value)), closed_(closed) {}
  T& checked() noexcept {
    DIATOMIC_CHECK(value_.has_value(), "SendResult::value() of a message that was sent");
    return *value_;
  }

  std::optional<T> value_;
  bool closed_ = false;
};

/// What try_recv found: a message (true; `*r` is it), or none, either for
/// now or for good (closed()).
template <class T>
class [[nodiscard]] Received {
 public:
  /// True if a message was received.
  explicit operator bool() const noexcept { return value_.has_value(); }
  /// True if no message will ever come: the channel is closed and every
  /// message sent before the close was received.
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  /// The message. Only if *this (checked where checks are on).
  [[nodiscard]] T& operator*() & noexcept { return checked(); }
  /// \copydoc operator*()
  [[nodiscard]] T&& operator*() && noexcept { return std::move(checked()); }
  /// The message's members. Only if *this.
  [[nodiscard]] T* operator->() noexcept { return &checked(); }

 private:
  friend class Receiver<T>;
  Received() noexcept = default;
  T& checked() noexcept {
    DIATOMIC_CHECK(value_.has_value(), "Received: no message was received");
    return *value_;
  }

  std::optional<T> value_;
  bool closed_ = false;
};

/// A producer end of a channel. Copyable (one RMW); every copy may send from
/// any thread. Destroying the last one closes the channel.
template <class T>
class Sender {
  using Core = detail::ChannelCore<T, detail::StdAtomicPolicy>;

 public:
  /// Another producer end of the same channel (one relaxed RMW).
  Sender(const Sender& other) noexcept : core_(other.core_) {
    if (core_ != nullptr) core_->add_sender();
  }
  /// Takes over `other`'s end; `other` may then only be assigned to or
  /// destroyed.
  Sender(Sender&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}
  /// Drops this end (as the destructor), then becomes a copy of `other`.
  Sender& operator=(Sender other) noexcept {
    std::swap(core_, other.core_);
    return *this;
  }
  /// Drops this end (one acq_rel RMW); the last Sender closes the channel.
  ~Sender() {
    if (core_ != nullptr && core_->drop_sender()) delete core_;
  }

  /// Sends `value` if a slot is free and the channel open; never blocks.
  /// Otherwise returns it (SendResult::value()), saying why (full, closed).
  SendResult<T> try_send(T value) const noexcept {
    switch (core().try_send(value)) {
      case Core::Status::kDone:
        return {};
      case Core::Status::kFull:
        return {std::move(value), false};
      default:
        return {std::move(value), true};
    }
  }

  /// A wait for room: block_on(tx.send(value)) or co_await tx.send(value)
  /// (include diatomic/block_on.hpp or diatomic/coro.hpp). It yields true
  /// once `value` was moved into the channel, false if the channel is
  /// closed. `value` is the caller's and must outlive the wait: it is moved
  /// from only when sent, so a send that ends otherwise (closed, stopped, a
  /// coroutine destroyed while suspended in it) leaves it to the caller.
  /// Waits on the channel's WaiterList, woken by each receive and by close;
  /// a send that finds room does not register. Any number of threads.
  [[nodiscard]] auto send(T& value) const {
    return core().tx_waiters().wait_until(
        detail::SendOne<T, detail::StdAtomicPolicy>{&core(), &value});
  }
#if defined(__cpp_lib_jthread)
  /// As above, stopped by a stop request on `token`: yields
  /// std::optional<bool>, empty if stopped (then `value` was not sent).
  [[nodiscard]] auto send(T& value, std::stop_token token) const {
    return core().tx_waiters().wait_until(
        detail::SendOne<T, detail::StdAtomicPolicy>{&core(), &value}, std::move(token));
  }
#endif
  /// As send(T&), for a value the caller gives away: the wait owns it, and
  /// destroys it if the send ends without sending (closed, stopped, a
  /// coroutine destroyed). Pass an lvalue to keep it in those cases.
  [[nodiscard]] auto send(T&& value) const {
    return core().tx_waiters().wait_until(
        detail::SendOwned<T, detail::StdAtomicPolicy>{&core(), std::move(value)});
  }
#if defined(__cpp_lib_jthread)
  /// As above, stopped by a stop request on `token` (std::optional<bool>,
  /// empty if stopped).
  [[nodiscard]] auto send(T&& value, std::stop_token token) const {
    return core().tx_waiters().wait_until(
        detail::SendOwned<T, detail::StdAtomicPolicy>{&core(), std::move(value)},
        std::move(token));
  }
#endif

  /// Closes the channel (see the contract: linearisable with sends) and
  /// wakes the receiver and every waiting sender. Idempotent.
  void close() const noexcept { core().close(); }

  /// The number of slots.
  [[nodiscard]] std::size_t capacity() const noexcept { return core().capacity(); }

 private:
  friend std::pair<Sender<T>, Receiver<T>> channel<T>(std::size_t);
  explicit Sender(Core* core) noexcept : core_(core) {}
  Core& core() const noexcept {
    DIATOMIC_CHECK(core_ != nullptr, "Sender used after it was moved from");
    return *core_;
  }

  Core* core_;
};

/// The consumer end of a channel. Move-only: one consumer. Destroying it
/// closes the channel and destroys the messages that are ready.
template <class T>
class Receiver {
  using Core = detail::ChannelCore<T, detail::StdAtomicPolicy>;

 public:
  /// Takes over `other`'s end; `other` may then only be assigned to or
  /// destroyed.
  Receiver(Receiver&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}
  /// Drops this end (as the destructor), then takes over `other`'s.
  Receiver& operator=(Receiver&& other) noexcept {
    Receiver old(std::move(*this));
    core_ = std::exchange(other.core_, nullptr);
    return *this;
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  /// Closes the channel, destroys the messages that are ready, and releases
  /// the shared state (one acq_rel RMW).
  ~Receiver() {
    if (core_ != nullptr && core_->drop_receiver()) delete core_;
  }

  /// The next message if one is there, without waiting; otherwise none,
  /// saying whether one may still come (Received::closed()).
  Received<T> try_recv() noexcept {
    Received<T> out;
    const auto status =
        core().try_recv([&](T&& message) noexcept { out.value_.emplace(std::move(message)); });
    out.closed_ = status == Core::Status::kClosed;
    return out;
  }

  /// A wait for the next message: block_on(rx.recv()) or co_await
  /// rx.recv() (include diatomic/block_on.hpp or diatomic/coro.hpp). It
  /// yields std::optional<T>: the message, or empty once the channel is
  /// closed and drained. Polls that find a message there do not register.
  [[nodiscard]] auto recv() {
    return core().rx_waker().wait_until(detail::RecvOne<T, detail::StdAtomicPolicy>{&core()});
  }
#if defined(__cpp_lib_jthread)
  /// As above, stopped by a stop request on `token` (where the
  /// standard library has std::stop_token): yields
  /// std::optional<std::optional<T>>, empty if stopped (then no message was
  /// taken: it stays for the next receive).
  [[nodiscard]] auto recv(std::stop_token token) {
    return core().rx_waker().wait_until(detail::RecvOne<T, detail::StdAtomicPolicy>{&core()},
                                        std::move(token));
  }
#endif

  /// A wait for messages: once at least one is there (after one wake-up),
  /// moves every message ready, up to `max`, to the end of `out`, and
  /// yields how many (std::size_t). 0: the channel is closed and drained (or
  /// max is 0). `out` must outlive the wait. Each poll reserves room first
  /// (up to min(max, capacity()) more elements), so a std::bad_alloc leaves
  /// every message in the channel.
  [[nodiscard]] auto recv_many(std::vector<T>& out, std::size_t max) {
    return core().rx_waker().wait_until(
        detail::RecvMany<T, detail::StdAtomicPolicy>{&core(), &out, max});
  }
#if defined(__cpp_lib_jthread)
  /// As above, stopped by a stop request on `token`: yields
  /// std::optional<std::size_t>, empty if stopped (then nothing was taken).
  [[nodiscard]] auto recv_many(std::vector<T>& out, std::size_t max, std::stop_token token) {
    return core().rx_waker().wait_until(
        detail::RecvMany<T, detail::StdAtomicPolicy>{&core(), &out, max}, std::move(token));
  }
#endif

  /// Closes the channel: sends fail from now on (their values come back),
  /// waiting senders are woken and their sends yield false; the messages
  /// sent before stay to be received. Idempotent.
  void close() noexcept { core().close(); }

  /// The number of slots.
  [[nodiscard]] std::size_t capacity() const noexcept { return core().capacity(); }

 private:
  friend std::pair<Sender<T>, Receiver<T>> channel<T>(std::size_t);
  explicit Receiver(Core* core) noexcept : core_(core) {}
  Core& core() const noexcept {
    DIATOMIC_CHECK(core_ != nullptr, "Receiver used after it was moved from");
    return *core_;
  }

  Core* core_;
};

template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity) {
  auto* core = new detail::ChannelCore<T, detail::StdAtomicPolicy>(capacity);
  return {Sender<T>(core), Receiver<T>(core)};
}

DIATOMIC_NAMESPACE_END
