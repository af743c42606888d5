#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Keeps the docs' references to tests honest: check_test_links.py TESTDIR DOC...

Every `Suite.test_name` and `Suite.*` a page cites in backticks, and every bare
`test_name` (a backticked snake_case name with three or more underscores),
must name a GoogleTest test (TEST, TEST_F, TEST_P) under TESTDIR. Fails,
listing them, when a test was renamed or removed and the page was not updated.
"""
import pathlib
import re
import sys

TEST = re.compile(r"^TEST(?:_F|_P)?\((\w+),\s*(\w+)\)", re.M)
QUALIFIED = re.compile(r"`([A-Z]\w*)\.(\*|\w+)`")
BARE = re.compile(r"`([a-z0-9]+(?:_[a-z0-9]+){3,})`")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    tests = set()
    for source in pathlib.Path(argv[1]).rglob("*.cpp"):
        tests.update(TEST.findall(source.read_text(encoding="utf-8")))
    suites = {suite for suite, _ in tests}
    names = {name for _, name in tests}
    broken = []
    for doc in argv[2:]:
        text = pathlib.Path(doc).read_text(encoding="utf-8")
        for suite, name in QUALIFIED.findall(text):
            if (name == "*" and suite not in suites) or (name != "*" and (suite, name) not in tests):
                broken.append(f"{doc}: {suite}.{name}")
        broken += [f"{doc}: {name}" for name in BARE.findall(text) if name not in names]
    if broken:
        print("cited tests that do not exist:\n  " + "\n  ".join(broken))
        return 1
    print(f"every cited test exists ({len(tests)} tests under {argv[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
