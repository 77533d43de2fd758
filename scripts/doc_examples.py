#!/usr/bin/env python3
"""Turns a public header's `**Example**:` blocks into a translation unit.

    doc_examples.py HEADER INCLUDE_NAME OUT.cpp
    doc_examples.py --pending HEADER     (a CTest test: says so, exits 77 = skipped)

HEADER is the file, INCLUDE_NAME how users include it (sinkkit/protocol/batch.hpp).
The build compiles OUT.cpp (never runs it), so an example that stops compiling
breaks the build, as fmt's documented snippets do. The rule for writing
examples is in docs/architecture.md, "Doc examples"; in short:

* An example is the `///` lines indented four spaces after `/// **Example**...:`.
* `#include` lines go to the top of the TU, after the header itself.
* A piece of code starts at a line on the example's left margin and runs on
  through the indented lines, closing braces and blank lines after it. A piece
  whose first word is a declaration keyword (DECLARATION below) is placed at
  namespace scope; every other piece is a statement, placed (in order) in the
  body of a function that returns int. Comment lines on the margin go with the
  piece that follows them.
* Names an example may assume without declaring (Event, MySink, MyHarness,
  events, config, trace, ...) come from kit/tests/doc_examples/example_support.hpp.

A header without an example fails, unless it is an umbrella (all.hpp).
`#line` directives make the compiler's messages point at the header.
"""
import pathlib
import re
import sys

EXAMPLE_START = re.compile(r"^\s*///.*\*\*Example\*\*")
DOC_LINE = re.compile(r"^\s*///(?P<rest>.*)$")
# Example code is indented four spaces past the prose: `///     code`.
EXAMPLE_INDENT = "    "
# What opens a declaration at namespace scope. Kept short on purpose: anything
# else (variables, lambdas, calls, using-directives) works inside a function.
DECLARATION = re.compile(
    r"^(?:(?:struct|class|union|enum|template|namespace"
    r"|NLOHMANN_DEFINE_\w+|SINKKIT_CONFORMANCE_SUITE|RC_GTEST_PROP|TEST|TEST_F|TEST_P)\b"
    r"|using\s+\w+\s*=|int\s+main\s*\()")
UMBRELLA = "all.hpp"


def examples(lines):
    """Yields (first line number, [(line number, code)]) for each example block."""
    i = 0
    while i < len(lines):
        if not EXAMPLE_START.match(lines[i]):
            i += 1
            continue
        block = []
        i += 1
        while i < len(lines):
            m = DOC_LINE.match(lines[i])
            if not m:
                break
            rest = m.group("rest")
            if rest.strip() == "":
                block.append((i + 1, ""))
            elif rest.startswith(" " + EXAMPLE_INDENT):
                block.append((i + 1, rest[1 + len(EXAMPLE_INDENT):]))
            else:
                break  # prose after the example
            i += 1
        while block and block[-1][1] == "":
            block.pop()
        while block and block[0][1] == "":
            block.pop(0)
        yield block


def split(block):
    """Splits an example into (includes, declaration pieces, statement pieces)."""
    includes, declarations, statements = [], [], []
    current, pending_comments = None, []
    for number, code in block:
        on_margin = code != "" and not code[0].isspace()
        if code.startswith("#include"):
            includes.append((number, code))
        elif on_margin and code.startswith("//"):
            pending_comments.append((number, code))
        elif on_margin and not code.startswith(("}", ")")):
            current = []
            (declarations if DECLARATION.match(code) else statements).append(current)
            current.extend(pending_comments)
            pending_comments = []
            current.append((number, code))
        elif current is not None:
            current.extend(pending_comments)
            pending_comments = []
            current.append((number, code))
        else:
            pending_comments.append((number, code))
    if pending_comments:  # a comment after the last line of code stays with it
        if current is None:
            current = []
            statements.append(current)
        current.extend(pending_comments)
    return includes, declarations, statements


def render(pieces, header, indent=""):
    """The pieces' lines, with a `#line` wherever they do not follow on in the header."""
    out, next_number = [], None
    for piece in pieces:
        for number, code in piece:
            if number != next_number:
                out.append(f'#line {number} "{header}"')
            out.append(indent + code if code else "")
            next_number = number + 1
    return out


def main(argv):
    if len(argv) == 3 and argv[1] == "--pending":
        print(f"{argv[2]}: example not compiled yet: the header is on SINKKIT_DOC_EXAMPLES_PENDING "
              "(cmake/SinkkitDocExamples.cmake) while it is rewritten")
        sys.exit(77)
    if len(argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    header, include_name, out = pathlib.Path(argv[1]).resolve(), argv[2], pathlib.Path(argv[3])
    blocks = [b for b in examples(header.read_text().splitlines()) if b]
    if not blocks and header.name != UMBRELLA:
        sys.exit(f"{header}: no **Example** block (every public header but an umbrella all.hpp needs one; "
                 "see docs/architecture.md, 'Doc examples')")
    tu = [f"// Generated by scripts/doc_examples.py from the **Example** of <{include_name}>.",
          "// Edit the header, not this file (docs/architecture.md, \"Doc examples\").",
          f"#include <{include_name}>  // first, before anything the example needs"]
    parts = [split(b) for b in blocks]
    for includes, _, _ in parts:
        tu += render([[line] for line in includes], header)
    tu += ['#include "example_support.hpp"', "using namespace sinkkit_doc_support;", ""]
    for n, (_, declarations, statements) in enumerate(parts, 1):
        tu += render(declarations, header)
        if statements:
            tu += ["", f"[[maybe_unused]] static int doc_example_{n}() {{"]
            tu += render(statements, header, "  ")
            tu += ["  return 0;", "}", ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(tu) + "\n")


if __name__ == "__main__":
    main(sys.argv)
