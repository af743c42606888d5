// SPDX-License-Identifier: MIT
// A consumer program that makes one misuse the checks catch: a registration
// made from outside a wait that is in progress. test/meson.build builds it
// twice against the library, at -O0 without NDEBUG and at -O2 with NDEBUG,
// and check_consumer_checks.py expects the same behaviour from both, the one
// the library's configuration (option `checks`) decides: an abort naming the
// misuse where checks are on, "unchecked" and exit status 0 where they are off.
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/wait.hpp>

#include <cstdio>

int main() {
  diatomic::DiatomicWaker dw;
  auto wait = dw.wait_until([] { return false; });
  // The wait is now in progress (registered, not complete): it marks `dw`.
  if (wait.poll(diatomic::Waker::noop())) return 2;
  dw.register_waker(diatomic::Waker::noop());  // the misuse
  std::puts(DIATOMIC_CHECKS ? "checked, but nothing aborted" : "unchecked");
  dw.clear();
  return DIATOMIC_CHECKS ? 3 : 0;
}
