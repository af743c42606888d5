#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Puts a benchmark report into docs/benchmarks.md: paste_report.py RESULTS_DIR

Replaces the text between the page's report markers with RESULTS_DIR/report.txt
(what ./scripts/run writes into build/results/) and copies
RESULTS_DIR/ratios.png to docs/benchmarks-ratios.png.
"""
import pathlib
import shutil
import sys

BEGIN = "<!-- report: begin -->"
END = "<!-- report: end -->"


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    results = pathlib.Path(argv[1])
    docs = pathlib.Path(__file__).resolve().parent
    page = docs / "benchmarks.md"
    text = page.read_text(encoding="utf-8")
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        sys.exit(f"{page}: expected one {BEGIN} and one {END}")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    report = (results / "report.txt").read_text(encoding="utf-8").strip("\n")
    page.write_text(f"{head}{BEGIN}\n```text\n{report}\n```\n{END}{tail}", encoding="utf-8")
    shutil.copyfile(results / "ratios.png", docs / "benchmarks-ratios.png")
    print(f"{page}: report from {results / 'report.txt'}; chart copied")


if __name__ == "__main__":
    main(sys.argv)
