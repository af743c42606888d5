#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_consumer_checks.py CHECKS PROGRAM...: runs each PROGRAM (builds of
test/checks_consumer.cpp) and passes only if every one behaves as the
library's configuration says: CHECKS=1, aborts with the misuse named on
stderr; CHECKS=0, prints "unchecked" and exits 0. Each runs through the
command in DIATOMIC_RUNNER, if set (qemu-user or Wine for a cross build)."""
import os
import shlex
import subprocess
import sys

MESSAGE = "diatomic: register_waker called on a DiatomicWaker while a wait on it"


def main(argv):
    if len(argv) < 3 or argv[1] not in ("0", "1"):
        print(__doc__, file=sys.stderr)
        return 2
    checks = argv[1] == "1"
    failed = 0
    runner = shlex.split(os.environ.get("DIATOMIC_RUNNER", ""))
    for program in argv[2:]:
        run = subprocess.run(runner + [program], capture_output=True, text=True)
        if checks:
            # abort(): a signal on POSIX, exit status 3 on Windows.
            ok = (run.returncode < 0 or run.returncode == 3) and MESSAGE in run.stderr
            want = f"an abort with {MESSAGE!r}"
        else:
            ok = run.returncode == 0 and run.stdout.strip() == "unchecked"
            want = 'exit status 0 and "unchecked"'
        print(f"{'ok  ' if ok else 'FAIL'} {program}: status {run.returncode}, "
              f"stdout {run.stdout.strip()!r}, stderr {run.stderr.strip()!r} (want {want})")
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
