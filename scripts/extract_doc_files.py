#!/usr/bin/env python3
"""Extracts the files a document's walk-through shows, to build them.

    extract_doc_files.py DOC.md OUT_DIR
    extract_doc_files.py DOC.md --compare DIR

A file is a fenced code block right after a line `<!-- file: PATH -->` (PATH
relative to the project the walk-through builds). The first form writes each
to OUT_DIR/PATH; the second checks that DIR holds exactly these files (its
README.md aside) with the same text, so that the example project in the
repository and the walk-through in the docs cannot drift apart. Exits 1 on a
difference or a document with no files, naming them.
"""
import pathlib
import re
import sys

FENCE = re.compile(r"^(```+)")


def files_of(doc, kind="file"):
    """The fenced blocks after `<!-- KIND: PATH -->` lines, by PATH ("file":
    a walk-through's project; scripts/check_ci_examples.py reads "example":
    a repository file the page shows as it is)."""
    marker = re.compile(rf"^<!-- {kind}: (\S+) -->\s*$")
    lines = pathlib.Path(doc).read_text(encoding="utf-8").splitlines(keepends=True)
    files = {}
    i = 0
    while i < len(lines):
        m = marker.match(lines[i])
        if not m:
            i += 1
            continue
        path = m.group(1)
        fence = FENCE.match(lines[i + 1]) if i + 1 < len(lines) else None
        if not fence:
            sys.exit(f"{doc}:{i + 1}: '<!-- {kind}: {path} -->' is not followed by a fenced code block")
        end = i + 2
        while end < len(lines) and not lines[end].startswith(fence.group(1)):
            end += 1
        if end == len(lines):
            sys.exit(f"{doc}:{i + 2}: the code block of {path} is not closed")
        if path in files:
            sys.exit(f"{doc}:{i + 1}: {path} is shown twice")
        files[path] = "".join(lines[i + 2:end])
        i = end + 1
    if not files:
        sys.exit(f"{doc}: no '<!-- {kind}: PATH -->' blocks")
    return files


def main(argv):
    if len(argv) == 3:
        out = pathlib.Path(argv[2])
        for path, text in files_of(argv[1]).items():
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            (out / path).write_text(text, encoding="utf-8")
        return 0
    if len(argv) == 4 and argv[2] == "--compare":
        files = files_of(argv[1])
        root = pathlib.Path(argv[3])
        on_disk = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name != "README.md"}
        problems = [f"{p}: in {root}, not in {argv[1]}" for p in sorted(on_disk - files.keys())]
        problems += [f"{p}: in {argv[1]}, not in {root}" for p in sorted(files.keys() - on_disk)]
        problems += [f"{p}: differs between {argv[1]} and {root}" for p in sorted(files.keys() & on_disk)
                     if (root / p).read_text(encoding="utf-8") != files[p]]
        for p in problems:
            print(p, file=sys.stderr)
        if not problems:
            print(f"{len(files)} files of {argv[1]} are {root}'s")
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
