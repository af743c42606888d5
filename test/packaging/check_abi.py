#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compares libdiatomic.so's exported ABI with the committed baseline.

Usage: check_abi.py ABIDIFF BASELINE LIBRARY
An empty ABIDIFF (abidiff not installed) makes the test a skip (status 77).
Runs `ABIDIFF BASELINE LIBRARY` (libabigail: the baseline is abidw's XML of
the library built by test/packaging/abi.sh) and passes only if abidiff
reports no change at all: no removed or changed function, variable or type,
and no added one either, since an addition is an ABI change the baseline
must record. On a change it prints abidiff's report and how to record the
change if it is deliberate.
"""
import os
import subprocess
import sys

# abidiff's exit status is a bit set (libabigail's abidiff manual).
STATUS_BITS = {
    1: "abidiff failed",
    2: "abidiff was used wrongly",
    4: "the ABI changed",
    8: "the ABI changed incompatibly",
}


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    abidiff, baseline, library = argv[1:]
    if not abidiff:
        print("abidiff not found: install libabigail (Debian: apt-get install abigail-tools)")
        return 77
    if not os.path.isfile(baseline):
        print(f"no baseline {baseline}: make it with test/packaging/abi.sh update")
        return 1
    result = subprocess.run([abidiff, baseline, library], capture_output=True, text=True)
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    if result.returncode == 0:
        print(f"{library}: the exported ABI is the baseline's ({baseline})")
        return 0
    reasons = [text for bit, text in STATUS_BITS.items() if result.returncode & bit]
    print(f"abidiff exited with status {result.returncode}: {'; '.join(reasons)}")
    if result.returncode & 12:
        print("If the change is deliberate, record it in the same commit: "
              "test/packaging/abi.sh update (docs/guide.md, 'ABI and SONAME'); "
              "a change that is not a pure addition needs a new minor release (0.x).")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
