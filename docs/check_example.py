#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Keeps a document's example honest: check_example.py DOC SOURCE PROGRAM.

Passes only if DOC contains SOURCE's text verbatim as a ```cpp block (less
the file's first line if it is its SPDX license tag, which pages leave out), the
next fenced block after it is a ```text block, and PROGRAM (SOURCE built)
prints exactly that text. So the docs show the real code and its real output.
"""
import re
import subprocess
import sys

FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    doc_path, source_path, program = argv[1:]
    doc = open(doc_path, encoding="utf-8").read()
    source = open(source_path, encoding="utf-8").read()
    first, _, rest = source.partition("\n")
    if first.startswith("// SPDX-License-Identifier:"):
        source = rest
    blocks = [(m.group(1), m.group(2)) for m in FENCE.finditer(doc)]
    at = next((i for i, (lang, text) in enumerate(blocks) if lang == "cpp" and text == source),
              None)
    if at is None:
        print(f"{doc_path} has no ```cpp block equal to {source_path}: copy the file into it")
        return 1
    if at + 1 >= len(blocks) or blocks[at + 1][0] != "text":
        print(f"{doc_path}: the block of {source_path} must be followed by a ```text block "
              "holding its output")
        return 1
    expected = blocks[at + 1][1]
    try:
        run = subprocess.run([program], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        print(f"{program} did not finish in 60 s (a lost wake-up?)")
        return 1
    if run.returncode != 0:
        print(f"{program} exited with status {run.returncode}:\n{run.stderr}")
        return 1
    actual = run.stdout
    if actual != expected:
        print(f"{doc_path} shows the output of {source_path} as:\n{expected}"
              f"but the program prints:\n{actual}")
        return 1
    print(f"{doc_path}: {source_path} and its output match")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
