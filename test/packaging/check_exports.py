#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks that a shared library exports nothing outside namespace diatomic.

Usage:
  check_exports.py NM LIBRARY ABI
      Lists LIBRARY's dynamic symbols (NM -D --defined-only) and fails, naming
      each one, if any is outside namespace diatomic, outside its ABI
      namespace diatomic::ABI (e.g. v0_3), or a member of a state machine
      (the header-only cores, whose helpers such as try_lock are private), or
      if none is inside namespace diatomic.
  check_exports.py --self-test NM LIBRARY +SYMBOL... -SYMBOL...
      The checker's own test: passes only if it accepts every +SYMBOL and
      rejects every -SYMBOL (demangled names), and rejects nothing else that
      is named in namespace diatomic (a core's member is rejected wherever it
      is; the ABI namespace is checked in the first form only). Other
      rejections (typeinfo a sanitizer adds, for example) are allowed.

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


# A member of a header-only state machine: never exported.
CORE_MEMBER = re.compile(r"::detail::(DiatomicCore|AtomicWakerCore)<")


# A demangled name that says it belongs to namespace diatomic.
NAMED_IN_DIATOMIC = re.compile(r"(^| for )diatomic::")


def self_test(accepted, rejected, expectations):
    wrong = [e[1:] for e in expectations if e.startswith("+") and e[1:] not in accepted]
    wrong += [e[1:] for e in expectations if e.startswith("-") and e[1:] not in rejected]
    wrong += [r for r in rejected if NAMED_IN_DIATOMIC.search(r) and f"-{r}" not in expectations]
    if wrong:
        print(f"the check got these wrong: {wrong}\naccepted: {accepted}\nrejected: {rejected}")
        return 1
    print(f"the check accepts {len(accepted)} and rejects {len(rejected)} symbols as expected")
    return 0


def main(argv):
    testing = argv[1:2] == ["--self-test"]
    args = argv[2:] if testing else argv[1:]
    if len(args) < 2 or (not testing and len(args) != 3):
        print(__doc__, file=sys.stderr)
        return 2
    nm, library = args[0], args[1]
    symbols = exported(nm, library)
    inside = [s for s in symbols if IN_NAMESPACE.match(s)]
    rejected = sorted(demangle([s for s in symbols if not IN_NAMESPACE.match(s)]))
    if testing:
        named = demangle(inside)
        cores = [n for n in named if CORE_MEMBER.search(n)]
        return self_test([n for n in named if n not in cores], rejected + cores, args[2:])

    abi_prefix = f"diatomic::{args[2]}::"
    print(f"{library}: {len(symbols)} exported symbols, {len(inside)} in namespace diatomic")
    wrong = []
    for name in demangle(inside):
        if CORE_MEMBER.search(name):
            print(f"  CORE {name}")
            wrong.append(name)
        elif not NAMED_IN_DIATOMIC.search(name) or abi_prefix not in name:
            print(f"  ABI  {name}")
            wrong.append(name)
        else:
            print(f"  ok   {name}")
    for name in rejected:
        print(f"  LEAK {name}")
    if wrong:
        print(f"{len(wrong)} exported symbols are members of a header-only state machine "
              f"(CORE: nothing of the cores is exported) or outside {abi_prefix} (ABI: open "
              "namespaces with DIATOMIC_NAMESPACE_BEGIN)")
        return 1
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
