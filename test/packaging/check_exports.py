#!/usr/bin/env python3
"""Checks that a shared library exports nothing outside namespace diatomic.

Usage:
  check_exports.py NM LIBRARY
      Lists LIBRARY's dynamic symbols (NM -D --defined-only) and fails, naming
      each one, if any is outside namespace diatomic, or if none is inside it.
  check_exports.py --expect-rejected NM LIBRARY SYMBOL...
      The checker's own test: passes only if exactly the demangled SYMBOLs are
      rejected.

A symbol is in namespace diatomic when its Itanium-mangled name is a nested
name whose first component is `diatomic` (functions, variables, members,
template instantiations), or a special name built on one: typeinfo (_ZTI),
typeinfo name (_ZTS), vtable (_ZTV), VTT (_ZTT), guard variable (_ZGV), TLS
init/wrapper (_ZTH/_ZTW).
"""
import re
import subprocess
import sys

# _Z, an optional special-name prefix, N, CV and ref qualifiers, then the
# source name "8diatomic" (length-prefixed, so `diatomic_extra` differs).
IN_NAMESPACE = re.compile(r"^_Z(?:T[ISVTHW]|GV)?N[rVK]*[RO]?8diatomic")


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


def main(argv):
    expect_rejected = argv[1:2] == ["--expect-rejected"]
    args = argv[2:] if expect_rejected else argv[1:]
    if len(args) < 2 or (not expect_rejected and len(args) != 2):
        print(__doc__, file=sys.stderr)
        return 2
    nm, library, expected = args[0], args[1], sorted(args[2:])
    symbols = exported(nm, library)
    inside = [s for s in symbols if IN_NAMESPACE.match(s)]
    rejected = sorted(demangle([s for s in symbols if not IN_NAMESPACE.match(s)]))

    if expect_rejected:
        if rejected == expected:
            print(f"the check rejects exactly: {', '.join(rejected)}")
            return 0
        print(f"the check rejected {rejected}, expected {expected}")
        return 1

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
