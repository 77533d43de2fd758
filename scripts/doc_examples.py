#!/usr/bin/env python3
"""Turns the `**Example**:` blocks of public headers into one translation unit.

    doc_examples.py OUT.cpp HEADER INCLUDE_NAME [HEADER INCLUDE_NAME ...]
    doc_examples.py --pending HEADER     (a CTest test: says so, exits 77 = skipped)

HEADER is the file, INCLUDE_NAME how users include it (sinkkit/protocol/batch.hpp).
The build compiles OUT.cpp (never runs it), so an example that stops compiling
breaks the build, as fmt's documented snippets do. The build groups the
headers of one library into one OUT.cpp: most of a TU's cost is parsing what
every example includes, so a TU per header cost the test command minutes.
Each header's example is placed in a namespace of its own (so two examples
may both declare a `Tick`), unless it specialises a template of the kit
(`template <>`), which must be written at global scope; such a header's
declarations stay global, and its names must not clash with another's in the
same library. (Whether each header compiles on its own is the header check's
job, cmake/SinkkitHeaderCheck.cmake.) The rule for writing
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


SPECIALIZATION = re.compile(r"^template\s*<\s*>")


def identifier(include_name):
    """A C++ identifier for a header: sinkkit/protocol/batch.hpp -> sinkkit_protocol_batch_hpp."""
    return re.sub(r"\W", "_", include_name)


def header_body(header, include_name):
    """(includes, body lines) of one header's examples; exits naming a header without one."""
    blocks = [b for b in examples(header.read_text().splitlines()) if b]
    if not blocks and header.name != UMBRELLA:
        sys.exit(f"{header}: no **Example** block (every public header but an umbrella all.hpp needs one; "
                 "see docs/architecture.md, 'Doc examples')")
    parts = [split(b) for b in blocks]
    includes = []
    for block_includes, _, _ in parts:
        includes += render([[line] for line in block_includes], header)
    specializes = any(SPECIALIZATION.match(piece[0][1]) for _, declarations, _ in parts
                      for piece in declarations if piece)
    name = identifier(include_name)
    body = [f"// <{include_name}>"]
    if not specializes:
        body.append(f"namespace doc_{name} {{")
    for n, (_, declarations, statements) in enumerate(parts, 1):
        body += render(declarations, header)
        if statements:
            body += ["", f"[[maybe_unused]] static int doc_example_{name}_{n}() {{"]
            body += render(statements, header, "  ")
            body += ["  return 0;", "}", ""]
    if not specializes:
        body.append(f"}}  // namespace doc_{name}")
    return includes, body


def main(argv):
    if len(argv) == 3 and argv[1] == "--pending":
        print(f"{argv[2]}: example not compiled yet: the header is on SINKKIT_DOC_EXAMPLES_PENDING "
              "(cmake/SinkkitDocExamples.cmake) while it is rewritten")
        sys.exit(77)
    if len(argv) < 4 or len(argv) % 2 != 0:
        sys.exit(__doc__.split("\n\n")[1])
    out = pathlib.Path(argv[1])
    headers = [(pathlib.Path(argv[i]).resolve(), argv[i + 1]) for i in range(2, len(argv), 2)]
    tu = ["// Generated by scripts/doc_examples.py from the **Example** blocks of:"]
    tu += [f"//   <{include_name}>" for _, include_name in headers]
    tu += ["// Edit the headers, not this file (docs/architecture.md, \"Doc examples\")."]
    tu += [f"#include <{include_name}>" for _, include_name in headers]
    bodies = []
    for header, include_name in headers:
        includes, body = header_body(header, include_name)
        tu += includes
        bodies += [""] + body
    tu += ['#include "example_support.hpp"', "using namespace sinkkit_doc_support;"]
    tu += bodies
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(tu) + "\n")


if __name__ == "__main__":
    main(sys.argv)
