// SPDX-License-Identifier: MIT
// The thread parker behind this_thread::waker(), park() and park_until():
// one parker per thread, a three-state futex word, shared with its wakers
// through the library's reference-counted waker (RcWaker); a park spins
// adaptively on the word before the futex wait (parker/parker_core.hpp has
// the word's state machine, src/parker/ the platforms' futexes).
#include <diatomic/rc_waker.hpp>
#include <diatomic/thread_waker.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "parker/futex.hpp"
#include "parker/parker_core.hpp"
#include "thread_owned.hpp"

DIATOMIC_NAMESPACE_BEGIN
namespace this_thread {
namespace {

// The target of a thread's wakers: waking it unparks the thread. Its states
// and transitions: parker/parker_core.hpp; park() below spins on the word
// (reads only) before ParkerCore::park() (the spin ends at kNotified; the
// word is kEmpty while the owner spins, so no wake calls the futex then).
using Parker = detail::ParkerCore<detail::StdAtomicPolicy, detail::PlatformFutex>;
using Parked = Parker::Parked;
constexpr std::uint32_t kNotified = Parker::kNotified;

using Clock = detail::PlatformFutex::Clock;

// The longest spin of park(), process-wide, in nanoseconds.
std::atomic<std::int64_t> max_spin_ns{kDefaultParkSpin.count()};

// How far this thread's spin is shortened: park_spin() / 2^spin_shift. Only
// the owning thread reads or writes it (in park()).
thread_local unsigned spin_shift = 0;
constexpr unsigned kMaxSpinShift = 4;  // park_spin() / 16 at the shortest

// A wait longer than this many full spins is one no spin could have caught:
// only such waits shorten the next spin. Waits between one full spin and this
// are mostly a partner that was asleep in the kernel itself, and whose
// wake-up (tens of microseconds when its virtual CPU has halted) made us miss:
// shortening the spin after them makes the next hand-off miss too, and the two
// threads then keep waking each other from the kernel (docs/benchmarks.md, T1).
constexpr int kLongWaitSpins = 64;

// Token reads between two clock reads: a clock read (vDSO, some 20 ns) per
// few pauses keeps the deadline within a fraction of a microsecond.
constexpr int kReadsPerClockRead = 8;

// The CPU's spin-wait hint: it saves power and frees the sibling hyper-thread,
// and on x86 it avoids the memory-order mis-speculation penalty at the exit.
void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

// Watches the token until it is there or `deadline` has passed.
void spin_for_token(const std::atomic<std::uint32_t>& state, Clock::time_point deadline) noexcept {
  for (;;) {
    for (int i = 0; i < kReadsPerClockRead; ++i) {
      // Ordering: relaxed; it only ends the spin. The acquire fetch_sub in
      // park() that consumes the token is what synchronises with the waker.
      if (state.load(std::memory_order_relaxed) == kNotified) return;
      cpu_relax();
    }
    if (Clock::now() >= deadline) return;
  }
}

// The calling thread's own Waker of its parker (the one waker_ref() lends),
// and the parker it keeps alive. The Waker is the thread's one reference,
// held until the thread exits (thread_owned.hpp: on Windows not a
// thread_local, which MinGW-w64 destroys after freeing it); each Waker that
// waker() hands out holds another, so the parker outlives the thread if need
// be.
struct ThreadParker {
  Waker waker;
  Parker* parker;
};

const ThreadParker& current() {
  return detail::thread_owned<ThreadParker>([] {
    const RcWaker<Parker> handle = RcWaker<Parker>::make();
    return ThreadParker{handle.waker(), &handle.get()};
  });
}

// park() and park_until(): spins on the word until the token is there or the
// thread's spin (or the deadline, if sooner) ends, then parks with `park`,
// and adapts the thread's next spin to how long this wait took.
template <class Park>
Parked spin_then_park(Clock::time_point deadline, Park park) {
  Parker& parker = *current().parker;
  const std::chrono::nanoseconds max_spin = park_spin();
  const bool spins = max_spin.count() > 0;
  const Clock::time_point start = spins ? Clock::now() : Clock::time_point{};
  if (spins) spin_for_token(parker.word(), std::min(start + max_spin / (1u << spin_shift), deadline));
  const Parked parked = park(parker);
  if (parked == Parked::kAtOnce) {
    spin_shift = 0;  // the spin caught the token (or nearly): keep spinning fully
    return parked;
  }
  if (spins) {
    // Woken, missed by a shortened spin but no longer than a full one: spin
    // fully again. Longer than kLongWaitSpins full spins (woken or timed
    // out): half as long next time, down to max_spin / 16. Otherwise
    // unchanged.
    const Clock::duration waited = Clock::now() - start;
    if (waited <= max_spin && parked == Parked::kWoken) {
      spin_shift = 0;
    } else if (waited > kLongWaitSpins * max_spin) {
      spin_shift = std::min(spin_shift + 1, kMaxSpinShift);
    }
  }
  return parked;
}

}  // namespace

Waker waker() {
  return current().waker;
}

const Waker& waker_ref() {
  return current().waker;
}

void set_park_spin(std::chrono::nanoseconds spin) noexcept {
  // Ordering: relaxed; a tuning value that publishes nothing else.
  max_spin_ns.store(std::max<std::int64_t>(spin.count(), 0), std::memory_order_relaxed);
}

std::chrono::nanoseconds park_spin() noexcept {
  // Ordering: relaxed, as in set_park_spin().
  return std::chrono::nanoseconds(max_spin_ns.load(std::memory_order_relaxed));
}

bool wake_by_ref_is_async_signal_safe() noexcept {
  return detail::PlatformFutex::wake_is_async_signal_safe();
}

bool park_until(std::chrono::steady_clock::time_point deadline) {
  return spin_then_park(deadline, [deadline](Parker& parker) { return parker.park_until(deadline); }) !=
         Parked::kTimedOut;
}

void park() {
  static_cast<void>(
      spin_then_park(Clock::time_point::max(), [](Parker& parker) { return parker.park(); }));
}

}  // namespace this_thread
DIATOMIC_NAMESPACE_END
