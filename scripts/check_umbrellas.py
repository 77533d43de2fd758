#!/usr/bin/env python3
"""Checks that each umbrella header lists exactly the headers it covers.

kit/include/sinkkit/<layer>/all.hpp must include every other header of its
folder (detail/, *-inl.hpp and headers marked "umbrella: excluded" aside), and sinkkit/sinkkit.hpp every
<layer>/all.hpp. Prints what is missing or extra; exit 1 on any mismatch.
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".") / "kit/include/sinkkit"
include_re = re.compile(r'^#include <(sinkkit/[^>]+)>', re.M)
problems = []


def includes(path):
    return set(include_re.findall(path.read_text()))


layers = sorted(p for p in root.iterdir() if p.is_dir() and p.name != "detail")
for layer in layers:
    umbrella = layer / "all.hpp"
    if not umbrella.exists():
        problems.append(f"{layer.name}/: no all.hpp")
        continue
    # A header that needs a dependency the kit does not (GoogleTest) opts out
    # with the marker "umbrella: excluded" in its comment.
    want = {f"sinkkit/{layer.name}/{h.name}" for h in layer.glob("*.hpp")
            if h.name != "all.hpp" and not h.name.endswith("-inl.hpp")
            and "umbrella: excluded" not in h.read_text()}
    have = includes(umbrella)
    for h in sorted(want - have):
        problems.append(f"{umbrella.relative_to(root.parent)}: missing #include <{h}>")
    for h in sorted(have - want):
        problems.append(f"{umbrella.relative_to(root.parent)}: includes <{h}>, not a header of its folder")

top = root / "sinkkit.hpp"
want = {f"sinkkit/{layer.name}/all.hpp" for layer in layers}
have = includes(top)
for h in sorted(want - have):
    problems.append(f"sinkkit/sinkkit.hpp: missing #include <{h}>")
for h in sorted(have - want):
    problems.append(f"sinkkit/sinkkit.hpp: includes <{h}>, not a layer umbrella")

for p in problems:
    print(p)
print(f"umbrella check: {len(layers)} layers, {len(problems)} problems")
sys.exit(1 if problems else 0)
