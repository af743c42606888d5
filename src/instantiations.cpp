// SPDX-License-Identifier: MIT
// The std::atomic instantiations of the two state machines, compiled once and
// exported from libdiatomic. The headers declare them `extern template`, so
// users' code calls these unless the optimiser inlines the (inline) members.
#include <diatomic/atomic_waker.hpp>
#include <diatomic/diatomic_waker.hpp>

namespace diatomic::detail {

template class DiatomicCore<StdAtomicPolicy>;
template class AtomicWakerCore<StdAtomicPolicy>;

}  // namespace diatomic::detail
