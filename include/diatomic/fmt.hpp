// SPDX-License-Identifier: MIT
/// \file
/// fmt formatters for libdiatomic's types. Kept apart from diatomic.hpp so that
/// only code which includes this header needs fmt.
///
///     fmt::print("{}\n", sink);      // DiatomicWaker{I=0 U R}
///     fmt::print("{}\n", atomic);    // AtomicWaker{WAITING}
///     fmt::print("{}\n", waker);     // Waker{data=0x..., vtable=0x...} or Waker{empty}
///
/// Formatted types: DiatomicState and AtomicWakerState (the state snapshots),
/// DiatomicWaker, WakeSink, WakeSinkRef and AtomicWaker (their state()), and
/// Waker. The formatters take no format spec: "{}" only.
#pragma once

#include <diatomic/atomic_waker.hpp>
#include <diatomic/config.hpp>
#include <diatomic/diatomic_waker.hpp>
#include <diatomic/waker.hpp>

#include <fmt/format.h>

#include <concepts>

/// \cond FMT_SPECIALIZATIONS

DIATOMIC_NAMESPACE_BEGIN
namespace detail {

// Formatters take no format spec: "{}" only.
struct NoSpecFormatter {
  constexpr auto parse(fmt::format_parse_context& ctx) -> decltype(ctx.begin()) {
    const auto* it = ctx.begin();
    if (it != ctx.end() && *it != '}') throw fmt::format_error("diatomic types take no format spec");
    return it;
  }
};

}  // namespace detail
DIATOMIC_NAMESPACE_END

template <>
struct fmt::formatter<diatomic::DiatomicState> : diatomic::detail::NoSpecFormatter {
  template <class Context>
  auto format(diatomic::DiatomicState s, Context& ctx) const -> decltype(ctx.out()) {
    auto out = fmt::format_to(ctx.out(), "DiatomicWaker{{I={}", s.index());
    if (s.update()) out = fmt::format_to(out, " U");
    if (s.registered()) out = fmt::format_to(out, " R");
    if (s.locked()) out = fmt::format_to(out, " L");
    if (s.notify_again()) out = fmt::format_to(out, " N");
    return fmt::format_to(out, "}}");
  }
};

template <>
struct fmt::formatter<diatomic::AtomicWakerState> : diatomic::detail::NoSpecFormatter {
  template <class Context>
  auto format(diatomic::AtomicWakerState s, Context& ctx) const -> decltype(ctx.out()) {
    const char* name = "WAITING";
    if (s.registering() && s.waking()) {
      name = "REGISTERING|WAKING";
    } else if (s.registering()) {
      name = "REGISTERING";
    } else if (s.waking()) {
      name = "WAKING";
    }
    return fmt::format_to(ctx.out(), "AtomicWaker{{{}}}", name);
  }
};

// Anything with a state() snapshot: DiatomicWaker, WakeSink, WakeSinkRef,
// AtomicWaker.
template <class T>
  requires(std::same_as<T, diatomic::DiatomicWaker> || std::same_as<T, diatomic::WakeSink> ||
           std::same_as<T, diatomic::WakeSinkRef> || std::same_as<T, diatomic::AtomicWaker>)
struct fmt::formatter<T> : fmt::formatter<decltype(std::declval<const T&>().state())> {
  template <class Context>
  auto format(const T& primitive, Context& ctx) const -> decltype(ctx.out()) {
    return fmt::formatter<decltype(primitive.state())>::format(primitive.state(), ctx);
  }
};

template <>
struct fmt::formatter<diatomic::Waker> : diatomic::detail::NoSpecFormatter {
  template <class Context>
  auto format(const diatomic::Waker& w, Context& ctx) const -> decltype(ctx.out()) {
    if (!w) return fmt::format_to(ctx.out(), "Waker{{empty}}");
    return fmt::format_to(ctx.out(), "Waker{{data={}, vtable={}}}", fmt::ptr(w.data()),
                          fmt::ptr(static_cast<const void*>(w.vtable())));
  }
};
/// \endcond
