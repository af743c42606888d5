#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks that libdiatomic's public headers depend one way only:
check_layering.py COMPILER INCLUDE_DIR... -- HEADER...

Layers, lowest first: base, waker, primitives, waits, channels, drivers,
adapters (LAYERS below). Each HEADER (e.g. diatomic/diatomic_waker.hpp) is compiled
alone (`#include <HEADER>`, -fsyntax-only) with the compiler's -H, which
lists every header it pulls in, nested. The check fails, naming the
offending include and the header that made it, if a header pulls in a
project header of a higher layer than its own, a project header missing
from LAYERS, or <thread> / <coroutine> below the layer that may use them;
or if a header does not compile on its own.
"""
import subprocess
import sys

LAYERS = [
    ("base", ["config.hpp", "export.hpp", "version.hpp", "detail/fatal.hpp",
              "detail/atomic_policy.hpp"]),
    ("waker", ["waker.hpp", "rc_waker.hpp", "thread_waker.hpp"]),
    ("primitives", ["wait_fwd.hpp", "diatomic_state.hpp", "atomic_waker_state.hpp",
                    "diatomic_waker.hpp", "atomic_waker.hpp", "waiter_list.hpp",
                    "detail/diatomic_core.hpp", "detail/atomic_waker_core.hpp",
                    "detail/waiter_list_core.hpp",
                    "detail/consumer_guard.hpp"]),
    ("waits", ["wait.hpp", "executor.hpp", "detail/wake_scope.hpp"]),
    ("channels", ["channel.hpp", "detail/channel_core.hpp"]),
    ("drivers", ["block_on.hpp", "coro.hpp", "detail/poll_gate.hpp", "detail/waker_anchor.hpp",
                 "detail/completion.hpp", "detail/stop_hook.hpp"]),
    ("adapters", ["run_loop.hpp", "asio.hpp", "fmt.hpp", "diatomic.hpp"]),
]
LAYER_OF = {f"diatomic/{h}": rank for rank, (_, headers) in enumerate(LAYERS) for h in headers}
NAMES = [name for name, _ in LAYERS]
# Standard headers that only the upper layers may pull in: the lowest layer allowed.
STD_FLOOR = {"thread": NAMES.index("waits"), "coroutine": NAMES.index("drivers")}


def project_name(path):
    """diatomic/... for a project header, else None."""
    at = path.rfind("/diatomic/")
    return path[at + 1:] if at >= 0 else None


def std_name(path):
    base = path.rsplit("/", 1)[-1]
    return base if base in STD_FLOOR and "/c++/" in path else None


def pulled_in(compiler, include_dirs, header):
    """[(depth, path)] from -H, or raises with the compiler's message."""
    args = [compiler, "-std=c++20", "-fsyntax-only", "-H", "-x", "c++", "-"]
    args += [f"-I{d}" for d in include_dirs]
    run = subprocess.run(args, input=f"#include <{header}>\n", capture_output=True, text=True)
    if run.returncode != 0:
        errors = [line for line in run.stderr.splitlines()
                  if not line.startswith(".") and not line.startswith("/")
                  and not line.startswith("Multiple include guards")]
        raise RuntimeError(f"{header} does not compile on its own:\n" + "\n".join(errors))
    out = []
    for line in run.stderr.splitlines():
        dots = len(line) - len(line.lstrip("."))
        if dots and line[dots:dots + 1] == " ":
            out.append((dots, line[dots + 1:].strip()))
    return out


def check(compiler, include_dirs, header):
    own = LAYER_OF.get(header)
    if own is None:
        return [f"{header}: not in the layer map of {sys.argv[0]}"]
    problems = []
    parents = {0: header}
    for depth, path in pulled_in(compiler, include_dirs, header):
        name = project_name(path) or std_name(path) or path
        parents[depth] = name
        includer = parents.get(depth - 1, header)
        if project_name(path):
            layer = LAYER_OF.get(name)
            if layer is None:
                problems.append(f"{header}: pulls in {name}, which is not in the layer map "
                                f"(included by {includer})")
            elif layer > own:
                problems.append(f"{header} ({NAMES[own]}) pulls in {name} ({NAMES[layer]}), "
                                f"a higher layer: #include <{name}> in {includer}")
        elif std_name(path) and own < STD_FLOOR[name]:
            problems.append(f"{header} ({NAMES[own]}) pulls in <{name}>, allowed from layer "
                            f"{NAMES[STD_FLOOR[name]]} up: included by {includer}")
    return problems


def main(argv):
    if "--" not in argv or argv.index("--") < 2:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    compiler, include_dirs, headers = argv[1], argv[2:split], argv[split + 1:]
    problems = []
    for header in headers:
        try:
            found = check(compiler, include_dirs, header)
        except RuntimeError as error:
            found = [str(error)]
        print(f"{'ok  ' if not found else 'FAIL'} {header}")
        problems += found
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
