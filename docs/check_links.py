#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Keeps cross-references honest: check_links.py SOURCE_ROOT | --self-test

Fails, listing each one as file:line, on a reference to a file or heading
that does not exist:
  - in README.md and docs/*.md: every relative Markdown link or image
    ([text](page.md), [text](page.md#heading), [text](#heading)) and every
    backticked repository path with a file extension or a trailing slash
    (`include/diatomic/waker.hpp`, `test/explorer/`);
  - in the code and build files under include/, src/, test/, bench/,
    examples/, docs/examples/, scripts/ and cmake/, the other files of docs/
    (Doxygen's main page, build files) and the top-level build files
    (comments and strings alike): every citation of docs/<page>.md, with or
    without #heading, and the section it names in quotes after it
    (`docs/guide.md, "Checking your use"`, across comment lines too): a
    heading's text, less its number, or a paragraph's bold run-in label
    (`**ABI and SONAME.**`).
Headings are matched by their GitHub anchors (lowercase, punctuation dropped,
spaces to hyphens, -1, -2 ... for repeats); text inside fenced code blocks is
neither a heading nor a link. --self-test runs the check over a small tree
with known good and broken references and fails unless it reports exactly the
broken ones.
"""
import contextlib
import io
import pathlib
import re
import sys
import tempfile

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
REPO_PATH = re.compile(
    r"^(?:include|src|test|bench|examples|docs|scripts|cmake|debian)/[\w./-]*(?:\.\w+|/)$")
CITATION = re.compile(r"(?<![\w/.-])(docs/[\w/-]+\.md)(?:#([\w-]+))?")
NAMED_SECTION = re.compile(r"(?<![\w/.-])(docs/[\w/-]+\.md)(?:#[\w-]+)?,\s*\"([^\"]+)\"")
COMMENT_LEAD = re.compile(r"^\s*(?://+|#+|\*)?\s?")
RUN_IN_LABEL = re.compile(r"\*\*([^*]+?)\.\*\*")
CODE_DIRS = ("include", "src", "test", "bench", "examples", "docs/examples", "scripts", "cmake")
CODE_SUFFIXES = {".hpp", ".cpp", ".h", ".build", ".txt", ".cmake", ".in", ".sh", ".py", ".dox", ""}
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def slug(text):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's text only
    text = text.lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def prose_lines(path):
    """(line number, text) of a Markdown file outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


_anchors = {}
_sections = {}


def sections(path):
    """The names a quoted citation may give a part of a page: each heading's
    text less its number ("8. Checking your use" -> "Checking your use") and
    each bold run-in label ("**ABI and SONAME.**" -> "ABI and SONAME")."""
    if path not in _sections:
        found = set()
        for _, line in prose_lines(path):
            match = HEADING.match(line)
            if match:
                found.add(re.sub(r"^\d+\.\s+", "", match.group(2)).replace("`", ""))
            found.update(RUN_IN_LABEL.findall(line))
        _sections[path] = found
    return _sections[path]


def anchors(path):
    if path not in _anchors:
        seen = {}
        found = set()
        for _, line in prose_lines(path):
            match = HEADING.match(line)
            if not match:
                continue
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
        _anchors[path] = found
    return _anchors[path]


def check_target(root, here, source, file_part, anchor):
    """None if `file_part#anchor`, cited from `source` in directory `here`,
    resolves; otherwise what is wrong."""
    target = (here / file_part).resolve() if file_part else source.resolve()
    if not target.exists() or root not in (target, *target.parents):
        return f"no such file {target.relative_to(root) if root in target.parents else file_part}"
    if anchor is not None:
        if target.suffix != ".md":
            return f"#{anchor} points into {target.name}, which has no headings"
        if anchor not in anchors(target):
            return f"no heading #{anchor} in {target.relative_to(root)}"
    return None


def check_markdown(root, page, broken):
    for number, line in prose_lines(page):
        spans = CODE_SPAN.findall(line)
        for path in spans:
            if REPO_PATH.match(path) and not (root / path).exists():
                broken.append(f"{page.relative_to(root)}:{number}: `{path}`: no such file")
        for target in LINK.findall(CODE_SPAN.sub("", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            problem = check_target(root, page.parent, page, file_part, anchor or None)
            if problem:
                broken.append(f"{page.relative_to(root)}:{number}: ({target}): {problem}")


def check_code(root, source, broken):
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        for page, anchor in CITATION.findall(line):
            problem = check_target(root, root, source, page, anchor or None)
            if problem:
                cited = page + (f"#{anchor}" if anchor else "")
                broken.append(f"{source.relative_to(root)}:{number}: {cited}: {problem}")
    # Quoted section names, which a comment may wrap onto its next line: the
    # lines joined, less their comment leaders, each line's start remembered.
    joined, starts = "", []
    for line in lines:
        starts.append(len(joined))
        joined += COMMENT_LEAD.sub("", line, count=1) + " "
    for match in NAMED_SECTION.finditer(joined):
        page, name = match.group(1), " ".join(match.group(2).split())
        target = root / page
        if target.is_file() and name not in sections(target):
            number = sum(1 for start in starts if start <= match.start())
            broken.append(f"{source.relative_to(root)}:{number}: {page}, \"{name}\": "
                          f"no heading or run-in label \"{name}\" in {page}")


SELF_TEST_TREE = {
    "README.md": "[guide](docs/page.md) [gone](docs/missing.md)\n",
    "docs/page.md": "\n".join([
        "# Page", "## Real heading", "## Real heading", "```cpp", "# not a heading",
        "[in a fence](nowhere.md)", "```",
        "[ok](#real-heading) [ok](#real-heading-1) [ok](page.md#page) [bad](#not-a-heading)",
        "`include/a.hpp` `include/missing.hpp` `test/explorer/`",
        "## 2. Numbered", "**Run-in label.** Text.", ""]),
    "include/a.hpp": "\n".join([
        "// docs/page.md#real-heading docs/page.md#nope docs/gone.md",
        '// (docs/page.md, "Real heading"; docs/page.md#2-numbered, "Numbered"; docs/page.md,',
        '// "Run-in label"; docs/page.md, "Gone")', ""]),
}
SELF_TEST_BROKEN = [
    "README.md:1: (docs/missing.md): no such file docs/missing.md",
    "docs/page.md:8: (#not-a-heading): no heading #not-a-heading in docs/page.md",
    "docs/page.md:9: `include/missing.hpp`: no such file",
    "docs/page.md:9: `test/explorer/`: no such file",
    "include/a.hpp:1: docs/page.md#nope: no heading #nope in docs/page.md",
    "include/a.hpp:1: docs/gone.md: no such file docs/gone.md",
    'include/a.hpp:3: docs/page.md, "Gone": no heading or run-in label "Gone" in docs/page.md',
]


def self_test():
    with tempfile.TemporaryDirectory() as directory:
        for name, text in SELF_TEST_TREE.items():
            path = pathlib.Path(directory) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main([sys.argv[0], directory])
    reported = [line.strip() for line in out.getvalue().splitlines()[1:]]
    if status != 1 or sorted(reported) != sorted(SELF_TEST_BROKEN):
        print(f"self-test: exit {status}, expected 1; reported:\n  " + "\n  ".join(reported) +
              "\nexpected:\n  " + "\n  ".join(SELF_TEST_BROKEN))
        return 1
    print(f"self-test: the check reports exactly the {len(SELF_TEST_BROKEN)} broken references")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = pathlib.Path(argv[1]).resolve()
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    sources = sorted(
        path for directory in CODE_DIRS if (root / directory).is_dir()
        for path in (root / directory).rglob("*")
        if path.is_file() and path.suffix in CODE_SUFFIXES)
    sources += sorted(path for path in (root / "docs").iterdir()
                      if path.is_file() and path.suffix in CODE_SUFFIXES)
    sources += [root / "meson.build", root / "meson_options.txt"]
    pages = [page for page in pages if page.exists()]
    # This file cites pages of its self-test tree, not of the project.
    sources = [path for path in sources if path.resolve() != pathlib.Path(__file__).resolve()]
    broken = []
    for page in pages:
        check_markdown(root, page, broken)
    for source in sources:
        if source.exists():
            check_code(root, source, broken)
    if broken:
        print("cross-references to files or headings that do not exist:\n  " +
              "\n  ".join(broken))
        return 1
    print(f"every cross-reference resolves ({len(pages)} pages, {len(sources)} code and build files)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
