#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs an example and checks its output: exit status 0 and every given
regular expression found in what it printed (each on some line).

usage: check_output.py EXECUTABLE REGEX...
The program runs through the command in DIATOMIC_RUNNER, if set (qemu-user or
Wine for a cross build).
"""
import os
import re
import shlex
import subprocess
import sys


def main() -> int:
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
