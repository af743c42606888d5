// SPDX-License-Identifier: MIT
// The multi-waiter notifier's state machine (WaiterList, diatomic/waiter_list.hpp),
// written once over an atomic policy so that the interleaving explorer runs
// this same code. Nothing here is API: use diatomic/waiter_list.hpp.
#pragma once

#include <diatomic/config.hpp>
#include <diatomic/detail/atomic_policy.hpp>
#include <diatomic/detail/fatal.hpp>
#include <diatomic/waker.hpp>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <utility>

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

// The lock of the list: std::mutex, unless the policy brings its own (the
// explorer's, which it can schedule).
template <class Policy>
struct ListMutex {
  using type = std::mutex;
};
template <class Policy>
  requires requires { typename Policy::Mutex; }
struct ListMutex<Policy> {
  using type = typename Policy::Mutex;
};

// `constexpr` for the default constructor of a class that holds a std::mutex
// (WaiterList), where std::mutex is constant-initialisable; nothing where it
// is not: MinGW-w64's libstdc++ (winpthreads' PTHREAD_MUTEX_INITIALIZER is a
// cast, not a constant expression) and MSVC's standard library (before VS
// 2022 17.10). A non-template class cannot declare a defaulted constructor
// constexpr that is not (C++20).
#if (defined(__MINGW32__) && defined(__GLIBCXX__)) || defined(_MSVC_STL_VERSION)
#define DIATOMIC_DETAIL_MUTEX_CONSTEXPR
#else
#define DIATOMIC_DETAIL_MUTEX_CONSTEXPR constexpr
#endif

// The waiters' list: intrusive nodes owned by the waiters, in registration
// order, under a lock; and a count of the linked nodes that notifiers read
// with one RMW, without the lock, to return at once when nobody waits.
//
// Why a notifier makes an RMW when nobody waits: a notifier writes its
// condition, then reads whether anyone waits; a waiter registers, then
// re-checks the condition. Store then load on each side, the store-buffering
// pattern: two plain reads may both miss. Either both sides end with a
// seq_cst fence (async-event's and TBB concurrent_monitor's fence-and-load,
// which smol-rs/event-listener dropped after a lost notification) or both
// sides make an RMW on one word, as here: the RMWs are ordered in the word's
// modification order, so either the notifier's comes first and the
// registrant's acquire RMW reads its release sequence (the re-check sees the
// condition), or the registrant's comes first and the notifier reads a count
// that includes it (and takes the lock). Every write of the count is an RMW,
// so no plain store ends the release sequence.
//
// Node states (Node::state_), and who moves them:
//   IDLE      not in the list; only its owner touches the node
//   LINKED    in the list; its links and waker change under the lock only
//   NOTIFIED  a notifier took it out of the list and its waker out of the
//             node; no notifier touches it again
//
//   state     ->  state     by        in
//   IDLE          LINKED    waiter    register_waker (under the lock)
//   LINKED        IDLE      waiter    withdraw, register_waker with a new waker (under the lock)
//   LINKED        NOTIFIED  notifier  notify_slow (under the lock; waker moved out)
//   NOTIFIED      IDLE      waiter    begin_check, register_waker, withdraw (no lock)
//
// A notification reaches one waiter (it moves the node to NOTIFIED). The
// waiter answers for it: the check that follows begin_check consumes it
// (complete() if the check held; register_waker if it failed, when someone
// else took what was notified and the re-check covers the rest); a waiter
// that leaves without such a check (withdraw) passes it on with notify_one,
// so a cancelled waiter never swallows a wake another waiter needed.
template <class Policy>
class WaiterListCore {
 public:
  class Node;

  constexpr WaiterListCore() noexcept = default;
  WaiterListCore(const WaiterListCore&) = delete;
  WaiterListCore& operator=(const WaiterListCore&) = delete;
  ~WaiterListCore() {
    DIATOMIC_CHECK(waiting() == 0, "WaiterList destroyed with waiters registered");
  }

  // The fast path is inline: with nobody waiting, one RMW and a branch.
  DIATOMIC_ALWAYS_INLINE void notify_one() noexcept {
    if (announce() != 0) notify_slow(1);
  }
  void notify_all() noexcept {
    if (announce() != 0) notify_slow(SIZE_MAX);
  }

  // How many waiters are linked: a snapshot for diagnostics and tests.
  [[nodiscard]] std::size_t waiting() const noexcept {
    // Ordering[waiter_list.waiting]: relaxed; a diagnostic snapshot that orders nothing.
    return static_cast<std::size_t>(waiting_.load(std::memory_order_relaxed));
  }

 private:
  // A node's place in the list; changed under the lock only.
  struct Links {
    Node* prev = nullptr;
    Node* next = nullptr;
    std::uintptr_t ticket = 0;  // registration order, for notify_all's snapshot
  };
  struct Ends {
    Node* head = nullptr;
    Node* tail = nullptr;
    std::uintptr_t next_ticket = 0;
  };
  using Lock = std::lock_guard<typename ListMutex<Policy>::type>;
  static constexpr std::size_t kBatch = 16;  // wakers taken out per lock hold

  // The notifier's RMW (see the class comment): returns the linked count.
  std::uintptr_t announce() noexcept {
    // Ordering[waiter_list.announce]: release: heads the release sequence that a registration's
    // acquire RMW (link) reads if it comes later, so the waiter's re-check
    // sees what the notifier wrote before notifying. No acquire: with a
    // count of zero the notifier touches nothing; otherwise the lock orders
    // the list.
    return waiting_.fetch_add(0, std::memory_order_release);
  }

  DIATOMIC_NOINLINE void notify_slow(std::size_t max) noexcept;
  void link(Node& node);
  bool refresh(Node& node, const Waker& waker, bool& took) noexcept;
  bool unlink_or_notified(Node& node) noexcept;
  void unlink_locked(Node& node) noexcept;

  typename ListMutex<Policy>::type mutex_;
  typename Policy::template Atomic<std::uintptr_t> waiting_{
      named<Policy>("waiting", std::uintptr_t{0})};
  typename Policy::template Cell<Ends> ends_ = named<Policy, Ends>("ends");
};

// One waiter's registration: owned by the waiter (no allocation), linked
// into its list while it waits. One thread at a time calls its members (the
// waiter); notifiers reach it only through the list, under the lock.
template <class Policy>
class WaiterListCore<Policy>::Node {
 public:
  explicit Node(WaiterListCore& list) noexcept : list_(&list) {}
  // Only an idle node moves (a wait moved before it started): the new node
  // is idle on the same list, with no cached waker.
  Node(Node&& other) noexcept : list_(other.list_) {
    DIATOMIC_CHECK(other.idle(), "WaiterList::Waiter moved while registered");
  }
  Node& operator=(Node&&) = delete;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node() { withdraw(); }

  void register_waker(const Waker& waker);
  void withdraw() noexcept;

  // Before each check of the waiter's condition: a notification that reached
  // the node passes to that check, which answers for it.
  //
  //   state     held  ->  state  held
  //   NOTIFIED  -         IDLE   1
  //   other     h         same   h
  void begin_check() noexcept {
    // Ordering[waiter_list.begin_check.take]: acquire, pairs with the release store of NOTIFIED in
    // notify_slow: the notifier's move out of waker_ and its unlinking
    // happen before this waiter reuses or destroys the node; and what it
    // wrote before notifying happens before the check.
    if (state_.load(std::memory_order_acquire) == kNotified) {
      // Ordering[waiter_list.begin_check.idle]: relaxed; no notifier reads a NOTIFIED node again.
      state_.store(kIdle, std::memory_order_relaxed);
      held_ = true;
    }
  }

  // The check held: a held notification is consumed; a registration still in
  // the list is withdrawn (and a notification that reached it after
  // begin_check is passed on).
  //
  //   state  held  ->  state  held
  //   IDLE   h         IDLE   0
  //   other  h         as withdraw(), with held = 0
  void complete() noexcept {
    held_ = false;
    if (!idle()) withdraw();
  }

  // True if the node is neither in the list nor notified. Exact for its
  // owner: only the owner moves a node to and from IDLE.
  [[nodiscard]] bool idle() const noexcept {
    // Ordering[waiter_list.idle]: relaxed; the owner wrote IDLE itself, and a notifier moves
    // LINKED to NOTIFIED, never to or from IDLE.
    return state_.load(std::memory_order_relaxed) == kIdle;
  }

 private:
  friend class WaiterListCore;
  static constexpr std::uintptr_t kIdle = 0;
  static constexpr std::uintptr_t kLinked = 1;
  static constexpr std::uintptr_t kNotified = 2;

  WaiterListCore* list_;
  typename Policy::template Atomic<std::uintptr_t> state_{named<Policy>("node", kIdle)};
  typename Policy::template Cell<Links> links_ = named<Policy, Links>("links");
  typename Policy::template Cell<Waker> waker_ = named<Policy, Waker>("waker");
  bool held_ = false;  // the owner's: a notification passed to the running check
};

// Registers `waker`: afterwards the node is LINKED with it. The caller
// re-checks its condition after this call, which answers for any
// notification the node holds or received meanwhile.
//
//   state     ->  state
//   IDLE          LINKED at the tail (clones `waker` unless the cached one will_wake it)
//   NOTIFIED      LINKED at the tail (the waker was moved out: clones)
//   LINKED        LINKED in place, if the cached waker will_wake `waker`
//   LINKED        LINKED at the tail with the new waker, otherwise
//
// Exceptions: if the clone throws, the node is left IDLE, and a notification
// it received after the caller's check is passed on (notify_one).
template <class Policy>
inline void WaiterListCore<Policy>::Node::register_waker(const Waker& waker) {
  held_ = false;
  // A notification that reached the node after the caller's check: only the
  // re-check after this call answers for it, so if no re-check comes (the
  // clone throws), it is passed on.
  bool took = false;
  // Ordering[waiter_list.register.take]: acquire, pairs with the release store of NOTIFIED in
  // notify_slow: the notifier's move out of waker_ happens before our write.
  const std::uintptr_t state = state_.load(std::memory_order_acquire);
  if (state == kNotified) {
    // Ordering[waiter_list.register.idle]: relaxed; no notifier reads a NOTIFIED node again.
    state_.store(kIdle, std::memory_order_relaxed);
    took = true;
  } else if (state == kLinked && list_->refresh(*this, waker, took)) {
    return;
  }
  try {
    // Exclusive: IDLE; notifiers touch only LINKED nodes, and the last one
    // that took a waker out happens before (the acquire loads above).
    waker_.with_mut([&](Waker& slot) {
      if (!slot.will_wake(waker)) slot = waker;
    });
  } catch (...) {
    if (took) list_->notify_one();
    throw;
  }
  list_->link(*this);
}

// Leaves the list. A notification the node holds or received is passed on.
//
//   state     held  ->  state  then
//   IDLE      h         IDLE   notify_one() if h
//   NOTIFIED  h         IDLE   notify_one()
//   LINKED    h         IDLE   unlinked; notify_one() if h
template <class Policy>
inline void WaiterListCore<Policy>::Node::withdraw() noexcept {
  bool pass = std::exchange(held_, false);
  // Ordering[waiter_list.withdraw.take]: acquire, pairs with the release store of NOTIFIED in
  // notify_slow: the notifier's move out of waker_ happens before the node
  // is reused or destroyed.
  const std::uintptr_t state = state_.load(std::memory_order_acquire);
  if (state == kNotified) {
    // Ordering[waiter_list.withdraw.idle]: relaxed; no notifier reads a NOTIFIED node again.
    state_.store(kIdle, std::memory_order_relaxed);
    pass = true;
  } else if (state == kLinked) {
    pass = list_->unlink_or_notified(*this) || pass;
  }
  if (pass) list_->notify_one();
}

// Appends an IDLE node at the tail and counts it.
template <class Policy>
inline void WaiterListCore<Policy>::link(Node& node) {
  const Lock lock(mutex_);
  // Exclusive: the lock is held; ends_ and every linked node's links_ change
  // only under it, and `node` is IDLE (only its owner, us, touches it).
  ends_.with_mut([&](Ends& ends) {
    node.links_.with_mut([&](Links& links) {
      links = Links{ends.tail, nullptr, ends.next_ticket++};
    });
    if (ends.tail == nullptr) {
      ends.head = &node;
    } else {
      ends.tail->links_.with_mut([&](Links& links) { links.next = &node; });
    }
    ends.tail = &node;
  });
  // Ordering[waiter_list.link.state]: relaxed; notifiers read it under the lock, which orders it.
  node.state_.store(Node::kLinked, std::memory_order_relaxed);
  // Ordering[waiter_list.link.count]: acquire, pairs with the release announce() of every notifier
  // whose RMW comes before ours in the count's order (all writes of it are
  // RMWs, so ours reads their release sequence): the caller's re-check sees
  // what they wrote before notifying. A notifier whose RMW comes later reads
  // a count that includes this node.
  waiting_.fetch_add(1, std::memory_order_acquire);
}

// Under the lock, for a node its owner saw LINKED: returns true if it is
// still LINKED and its cached waker will_wake `waker` (nothing changes);
// otherwise leaves it IDLE (unlinked, or taken by a notifier: took = true).
//
//   state     ->  state     returns
//   LINKED        LINKED    true      (same waker)
//   LINKED        IDLE      false     (new waker: unlinked)
//   NOTIFIED      IDLE      false     took = true
template <class Policy>
inline bool WaiterListCore<Policy>::refresh(Node& node, const Waker& waker, bool& took) noexcept {
  const Lock lock(mutex_);
  // Ordering[waiter_list.refresh.check]: relaxed; LINKED -> NOTIFIED happens under the lock we hold.
  if (node.state_.load(std::memory_order_relaxed) == Node::kNotified) {
    took = true;
  } else {
    // Shared: LINKED with the lock held; notifiers read or move a waker only
    // under the lock, and only the owner (us) writes it.
    if (node.waker_.with([&](const Waker& slot) { return slot.will_wake(waker); })) return true;
    unlink_locked(node);
  }
  // Ordering[waiter_list.refresh.idle]: relaxed; the node is its owner's again, no notifier reads it.
  node.state_.store(Node::kIdle, std::memory_order_relaxed);
  return false;
}

// Under the lock, for a node its owner saw LINKED: unlinks it, or finds that
// a notifier took it meanwhile (returns true: the notification is the
// caller's to pass on). Either way the node ends IDLE.
template <class Policy>
inline bool WaiterListCore<Policy>::unlink_or_notified(Node& node) noexcept {
  const Lock lock(mutex_);
  // Ordering[waiter_list.unlink_or_notified.check]: relaxed; LINKED -> NOTIFIED happens under the lock we hold.
  const bool notified = node.state_.load(std::memory_order_relaxed) == Node::kNotified;
  if (!notified) unlink_locked(node);
  // Ordering[waiter_list.unlink_or_notified.idle]: relaxed; the node is its owner's again, no notifier reads it.
  node.state_.store(Node::kIdle, std::memory_order_relaxed);
  return notified;
}

// Takes a LINKED node out of the list and uncounts it; the lock is held.
template <class Policy>
inline void WaiterListCore<Policy>::unlink_locked(Node& node) noexcept {
  // Shared: a read with the lock held; links change only under it.
  const Links links = node.links_.with([](const Links& l) { return l; });
  ends_.with_mut([&](Ends& ends) {
    if (links.prev == nullptr) {
      ends.head = links.next;
    } else {
      links.prev->links_.with_mut([&](Links& l) { l.next = links.next; });
    }
    if (links.next == nullptr) {
      ends.tail = links.prev;
    } else {
      links.next->links_.with_mut([&](Links& l) { l.prev = links.prev; });
    }
  });
  // Ordering[waiter_list.unlink.count]: relaxed; an RMW, so it continues the release sequence of the
  // notifiers' announce() (see link()); the lock orders the list itself.
  waiting_.fetch_sub(1, std::memory_order_relaxed);
}

// Takes up to `max` nodes from the head, among those linked before the call
// (notify_all does not chase waiters that register meanwhile: their
// re-check sees what was written before it), moves their wakers out under
// the lock and wakes them after releasing it, kBatch at a time.
//
//   node state  ->  node state
//   LINKED          NOTIFIED (waker moved out, woken after unlock)
template <class Policy>
void WaiterListCore<Policy>::notify_slow(std::size_t max) noexcept {
  std::uintptr_t end = 0;
  bool first = true;
  for (;;) {
    Waker batch[kBatch];
    std::size_t taken = 0;
    bool more = false;
    {
      const Lock lock(mutex_);
      // Exclusive: the lock is held; ends_, links and the wakers of LINKED
      // nodes change only under it.
      ends_.with_mut([&](Ends& ends) {
        if (first) end = ends.next_ticket;
        first = false;
        while (taken < kBatch && taken < max && ends.head != nullptr) {
          Node& node = *ends.head;
          const Links links = node.links_.with([](const Links& l) { return l; });
          if (links.ticket >= end) break;
          ends.head = links.next;
          if (links.next == nullptr) {
            ends.tail = nullptr;
          } else {
            links.next->links_.with_mut([](Links& l) { l.prev = nullptr; });
          }
          // Exclusive: LINKED with the lock held (see refresh()).
          node.waker_.with_mut([&](Waker& slot) { batch[taken] = std::move(slot); });
          // Ordering[waiter_list.notify.state]: release, pairs with the owner's acquire loads
          // (begin_check, register_waker, withdraw): our move out of the
          // waker and everything we wrote before notifying happen before the
          // owner's check, reuse or destruction of the node. After this
          // store we never touch the node again.
          node.state_.store(Node::kNotified, std::memory_order_release);
          ++taken;
        }
        more = taken < max && ends.head != nullptr &&
               ends.head->links_.with([](const Links& l) { return l.ticket; }) < end;
      });
      if (taken != 0) {
        // Ordering[waiter_list.notify.count]: relaxed; an RMW, so it continues the release sequence of
        // the notifiers' announce() (see link()); the lock orders the list.
        waiting_.fetch_sub(taken, std::memory_order_relaxed);
      }
    }
    // Outside the lock: a waker may resume a waiter inline, which may
    // register or notify on this list again.
    for (std::size_t i = 0; i < taken; ++i) std::move(batch[i]).wake();
    if (!more) return;
    max -= taken;
  }
}

}  // namespace detail
DIATOMIC_NAMESPACE_END
