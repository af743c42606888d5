#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs an example and checks its output: exit status 0 and every given
regular expression found in what it printed (each on some line).

usage: check_output.py EXECUTABLE REGEX...
       check_output.py --doc PAGE REGEX...
The program runs through the command in DIATOMIC_RUNNER, if set (qemu-user or
Wine for a cross build). With --doc, nothing runs: every regular expression
must match a line of PAGE, so that the output a page shows (README.md's
examples) is the output the examples are checked for.
"""
import os
import re
import shlex
import subprocess
import sys


def main() -> int:
    if sys.argv[1] == "--doc":
        page, patterns = sys.argv[2], sys.argv[3:]
        with open(page, encoding="utf-8") as f:
            text = f.read()
        missing = [p for p in patterns if not re.search(p, text, re.MULTILINE)]
        for pattern in missing:
            print(f"check_output: {page} shows no line that matches {pattern!r}")
        return 1 if missing else 0
    exe, patterns = sys.argv[1], sys.argv[2:]
    runner = shlex.split(os.environ.get("DIATOMIC_RUNNER", ""))
    run = subprocess.run(runner + [exe], capture_output=True, text=True, check=False)
    sys.stdout.write(run.stdout)
    sys.stderr.write(run.stderr)
    ok = run.returncode == 0
    if not ok:
        print(f"check_output: {exe} exited with {run.returncode}")
    for pattern in patterns:
        if not re.search(pattern, run.stdout, re.MULTILINE):
            print(f"check_output: no line matches {pattern!r}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
