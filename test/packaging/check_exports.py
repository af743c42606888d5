#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks that a shared library exports nothing outside namespace diatomic.

Usage:
  check_exports.py NM LIBRARY
      Lists LIBRARY's dynamic symbols (NM -D --defined-only) and fails, naming
      each one, if any is outside namespace diatomic, or if none is inside it.
  check_exports.py --self-test NM LIBRARY +SYMBOL... -SYMBOL...
      The checker's own test: passes only if it accepts every +SYMBOL and
      rejects every -SYMBOL (demangled names), and rejects nothing else that
      is named in namespace diatomic. Other rejections (typeinfo a sanitizer
      adds, for example) are allowed.

A symbol is in namespace diatomic when its Itanium-mangled name is a nested
name whose first component is `diatomic` (functions, variables, members,
template instantiations), a local entity of such a function (_ZZN..., e.g. a
lambda's call operator), or a special name built on one: typeinfo (_ZTI),
typeinfo name (_ZTS), vtable (_ZTV), VTT (_ZTT), guard variable (_ZGV), TLS
init/wrapper (_ZTH/_ZTW). A std:: template instantiated for a diatomic type
(_ZSt7forwardIZN8diatomic...) is not: it is std's, and must stay hidden.
"""
import re
import subprocess
import sys

# _Z, an optional special-name prefix, an optional Z (local entity), N, CV
# and ref qualifiers, then the source name "8diatomic" (length-prefixed, so
# `diatomic_extra` differs).
IN_NAMESPACE = re.compile(r"^_Z(?:T[ISVTHW]|GV)?Z?N[rVK]*[RO]?8diatomic")


def exported(nm, library):
    out = subprocess.run([nm, "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


def demangle(names):
    if not names:
        return []
    out = subprocess.run(["c++filt"], input="\n".join(names), check=True,
                         capture_output=True, text=True).stdout
    return out.splitlines()


# A demangled name that says it belongs to namespace diatomic.
NAMED_IN_DIATOMIC = re.compile(r"(^| for )diatomic::")


def self_test(accepted, rejected, expectations):
    wrong = [e[1:] for e in expectations if e.startswith("+") and e[1:] not in accepted]
    wrong += [e[1:] for e in expectations if e.startswith("-") and e[1:] not in rejected]
    wrong += [r for r in rejected if NAMED_IN_DIATOMIC.search(r)]
    if wrong:
        print(f"the check got these wrong: {wrong}\naccepted: {accepted}\nrejected: {rejected}")
        return 1
    print(f"the check accepts {len(accepted)} and rejects {len(rejected)} symbols as expected")
    return 0


def main(argv):
    testing = argv[1:2] == ["--self-test"]
    args = argv[2:] if testing else argv[1:]
    if len(args) < 2 or (not testing and len(args) != 2):
        print(__doc__, file=sys.stderr)
        return 2
    nm, library = args[0], args[1]
    symbols = exported(nm, library)
    inside = [s for s in symbols if IN_NAMESPACE.match(s)]
    rejected = sorted(demangle([s for s in symbols if not IN_NAMESPACE.match(s)]))
    if testing:
        return self_test(demangle(inside), rejected, args[2:])

    print(f"{library}: {len(symbols)} exported symbols, {len(inside)} in namespace diatomic")
    for name in demangle(inside):
        print(f"  ok   {name}")
    for name in rejected:
        print(f"  LEAK {name}")
    if rejected:
        print(f"{len(rejected)} exported symbols are outside namespace diatomic: give them "
              "hidden visibility (drop DIATOMIC_EXPORT, or move them into an anonymous "
              "namespace)")
        return 1
    if not inside:
        print("no exported symbol in namespace diatomic: is this libdiatomic?")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
