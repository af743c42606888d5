// SPDX-License-Identifier: MIT
// Wakers from scratch: a Waker is a data pointer plus a table of four
// functions. This table counts what the primitives do with it, which shows
// the difference between them: DiatomicWaker keeps the waker it was given and
// never copies it again, AtomicWaker's wake() consumes its copy, so every
// registration clones.
#include <diatomic/diatomic.hpp>

#include <cstdio>

namespace {

struct Counts {
  int clones = 0;
  int wakes = 0;
  int drops = 0;
};

// The table. One thread here, so plain ints; a real waker's functions are
// called from notifying threads and must be thread-safe (see RcWaker).
void* clone(void* data) {
  ++static_cast<Counts*>(data)->clones;
  return data;
}
void wake_by_ref(void* data) noexcept { ++static_cast<Counts*>(data)->wakes; }
void wake(void* data) noexcept {
  wake_by_ref(data);
  ++static_cast<Counts*>(data)->drops;
}
void drop(void* data) noexcept { ++static_cast<Counts*>(data)->drops; }
constexpr diatomic::WakerVTable kCountingTable{&clone, &wake, &wake_by_ref, &drop};

void report(const char* primitive, const Counts& c) {
  // Every reference made (the first, plus one per clone) must be released.
  std::printf("%-13s 3 rounds: %d wakes, %d clones, %d references left\n", primitive, c.wakes,
              c.clones, 1 + c.clones - c.drops);
}

}  // namespace

int main() {
  Counts dual_counts;
  {
    diatomic::DiatomicWaker dual;
    const auto waker = diatomic::Waker::adopt(&dual_counts, &kCountingTable);
    for (int round = 0; round < 3; ++round) {
      dual.register_waker(waker);  // clones the first time only
      dual.notify();               // wake_by_ref on the cached copy
    }
  }
  report("DiatomicWaker", dual_counts);

  Counts single_counts;
  {
    diatomic::AtomicWaker single;
    const auto waker = diatomic::Waker::adopt(&single_counts, &kCountingTable);
    for (int round = 0; round < 3; ++round) {
      single.register_waker(waker);  // the slot is empty again: clones
      single.wake();                 // moves the copy out and wakes it
    }
  }
  report("AtomicWaker", single_counts);
}
