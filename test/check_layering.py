#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks that libdiatomic's headers depend one way only:
check_layering.py COMPILER SOURCE_INCLUDE_DIR BUILD_INCLUDE_DIR -- LAYER:HEADER...
                  [--placed-only=HEADER]...

The layers, lowest first, and the headers in each come from the one header
list (diatomic_layers in include/diatomic/meson.build), given as LAYER:HEADER
in order (e.g. primitives:diatomic_waker.hpp). Each header is compiled alone
(`#include <diatomic/HEADER>`, -fsyntax-only) with the compiler's -H, which
lists every header it pulls in, nested; a --placed-only header is placed but
not compiled (an adapter whose library is not installed). The check fails,
naming the offending include and the header that made it, if a header pulls
in a project header of a higher layer than its own, a project header the list
does not place, or <thread>, <stop_token> or <coroutine> below the layer that may use
them;
if a header does not compile on its own; or if a header in SOURCE_INCLUDE_DIR
(a .hpp, or a .hpp.in that is configured into one) is not in the list.
"""
import pathlib
import subprocess
import sys

LAYER_OF = {}  # "diatomic/HEADER" -> rank of its layer, from the command line
NAMES = []  # the layers' names, lowest first
# Standard headers that only the upper layers may pull in: the lowest layer allowed.
STD_FLOOR_LAYER = {"thread": "waits", "stop_token": "waits", "coroutine": "drivers"}
STD_FLOOR = {}  # standard header -> rank, once the layers are known


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
        return [f"{header}: not in the header list"]
    problems = []
    parents = {0: header}
    for depth, path in pulled_in(compiler, include_dirs, header):
        name = project_name(path) or std_name(path) or path
        parents[depth] = name
        includer = parents.get(depth - 1, header)
        if project_name(path):
            layer = LAYER_OF.get(name)
            if layer is None:
                problems.append(f"{header}: pulls in {name}, which is not in the header list "
                                f"(included by {includer})")
            elif layer > own:
                problems.append(f"{header} ({NAMES[own]}) pulls in {name} ({NAMES[layer]}), "
                                f"a higher layer: #include <{name}> in {includer}")
        elif std_name(path) and own < STD_FLOOR[name]:
            problems.append(f"{header} ({NAMES[own]}) pulls in <{name}>, allowed from layer "
                            f"{NAMES[STD_FLOOR[name]]} up: included by {includer}")
    return problems


def place(specs):
    """Fills NAMES, LAYER_OF and STD_FLOOR from LAYER:HEADER arguments."""
    for spec in specs:
        layer, _, header = spec.partition(":")
        if not layer or not header:
            raise ValueError(f"{spec}: expected LAYER:HEADER")
        if layer not in NAMES:
            NAMES.append(layer)
        LAYER_OF[f"diatomic/{header}"] = NAMES.index(layer)
    for std, layer in STD_FLOOR_LAYER.items():
        STD_FLOOR[std] = NAMES.index(layer)


def unplaced(source_include):
    """Headers in the source tree's include/diatomic that the list misses."""
    root = pathlib.Path(source_include)
    found = [p for pattern in ("*.hpp", "*.hpp.in") for p in (root / "diatomic").rglob(pattern)]
    names = sorted("diatomic/" + str(p.relative_to(root / "diatomic")).removesuffix(".in")
                   for p in found)
    return [f"{name}: in the include tree but not in the header list "
            f"(diatomic_layers, include/diatomic/meson.build)"
            for name in names if name not in LAYER_OF]


def main(argv):
    if "--" not in argv or argv.index("--") != 4:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    compiler, include_dirs = argv[1], argv[2:split]
    rest = argv[split + 1:]
    placed_only = {f"diatomic/{a.split('=', 1)[1]}" for a in rest
                   if a.startswith("--placed-only=")}
    place([a for a in rest if not a.startswith("--placed-only=")])
    problems = unplaced(include_dirs[0])
    for header in LAYER_OF:
        if header in placed_only:
            print(f"skip {header} (placed, not compiled)")
            continue
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
