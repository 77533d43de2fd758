#!/usr/bin/env python3
"""Checks the dependency rule of docs/architecture.md on every `#include <sinkkit/...>`.

    check_layers.py [ROOT]    (ROOT: the source tree, default .)

A file's layer is the folder after `sinkkit/` in its path (kit/include and
kit/src), `sinks` for the reference sinks' include/ and src/, `reports` for
reports/include and reports/src; an included header's layer is the folder
after `sinkkit/` in the include. The rule:

* the kit's layers, top to bottom: protocol, simulation, judgement, results,
  rules, faults (kit/src only), runners. Each includes only itself and the
  layers above it.
* `sinkkit/detail/` is usable by all (and includes only itself).
* the reference sinks (`sinkkit/sinks/`) use protocol and detail only.
* reports use results, protocol, detail and reports only: not simulation,
  judgement, rules or runners.
* `sinkkit/sinkkit.hpp` (the kit's umbrella) and kit/cli (the `sinkkit`
  command, which runs sinks and writes reports) may include any layer.

Prints each offending file:line and the rule it breaks; exit 1 on any. The
pairs on KNOWN_VIOLATIONS are printed as warnings instead.
"""
import pathlib
import re
import sys

KIT_LAYERS = ["protocol", "simulation", "judgement", "results", "rules", "faults", "runners"]

# Breaches that exist today and are being removed, as exact (file, include)
# pairs: they warn instead of failing. Do not add to this list; empty it. An
# entry whose include is gone is reported as stale, so it can be deleted.
KNOWN_VIOLATIONS = set()

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"](sinkkit/[^>"]+)[>"]')
SOURCES = (".hpp", ".cpp", ".h", ".cc")
EVERYTHING = "any layer"


def allowed(layer):
    """The layers a file of `layer` may include, and the rule that says so."""
    if layer in KIT_LAYERS:
        above = KIT_LAYERS[: KIT_LAYERS.index(layer) + 1]
        return {"detail", *above}, f"{layer} may include only {', '.join(above)} and detail " \
                                   "(a layer includes only itself and the layers above it)"
    if layer == "detail":
        return {"detail"}, "detail is usable by all, so includes only detail"
    if layer == "sinks":
        return {"sinks", "protocol", "detail"}, "reference sinks may include only protocol and detail"
    if layer == "reports":
        return {"reports", "results", "protocol", "detail"}, \
            "reports may include only results, protocol, detail and reports"
    return None, EVERYTHING


def header_layer(include):
    """`sinkkit/<layer>/...` -> layer; the umbrella sinkkit.hpp -> 'umbrella'."""
    parts = include.split("/")
    return parts[1] if len(parts) > 2 else "umbrella"


def files_with_layers(root):
    """Yields (path, layer) for every source file the rule covers."""
    kit_headers = {p.stem: p.relative_to(root / "kit/include/sinkkit").parts[0]
                   for p in (root / "kit/include/sinkkit").rglob("*.hpp")} \
        if (root / "kit/include/sinkkit").is_dir() else {}
    trees = [("kit/include/sinkkit", None), ("kit/src", None), ("kit/cli", "cli"),
             ("reports/include", "reports"), ("reports/src", "reports")]
    trees += [(str(d.relative_to(root)), "sinks") for pattern in ("reference-sinks/*/include", "reference-sinks/*/src")
              for d in sorted(root.glob(pattern))]
    for tree, fixed in trees:
        base = root / tree
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix not in SOURCES or not path.is_file():
                continue
            if fixed:
                yield path, fixed
                continue
            parts = path.relative_to(base).parts
            if len(parts) > 1:
                yield path, parts[0]  # kit/include/sinkkit/<layer>/..., kit/src/<layer>/...
            elif path.name == "sinkkit.hpp":
                yield path, "umbrella"
            else:  # kit/src/foo.cpp: the layer of the header it implements
                yield path, kit_headers.get(path.stem, "unplaced")


def main(root):
    violations, known, seen_known, checked = [], [], set(), 0
    for path, layer in files_with_layers(root):
        rel = path.relative_to(root).as_posix()
        if layer == "unplaced":
            violations.append(f"{rel}: cannot tell its layer (put it in a layer folder)")
            continue
        may, rule = allowed(layer)
        if layer == "umbrella":
            may, rule = {"detail", *KIT_LAYERS}, "the kit's umbrella may include the kit's layers only"
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            checked += 1
            include = m.group(1)
            target = header_layer(include)
            if may is None or target in may:
                continue
            message = f"{rel}:{number}: {layer} includes <{include}> ({target}): {rule}"
            if (rel, include) in KNOWN_VIOLATIONS:
                seen_known.add((rel, include))
                known.append(message)
            else:
                violations.append(message)
    for message in known:
        print(f"warning: known violation (KNOWN_VIOLATIONS, being removed): {message}")
    for rel, include in sorted(KNOWN_VIOLATIONS - seen_known):
        if (root / rel).is_file():
            print(f"warning: stale KNOWN_VIOLATIONS entry, {rel} no longer includes <{include}>: delete it")
    for message in violations:
        print(f"error: {message}")
    print(f"layer check: {checked} includes, {len(violations)} violations, {len(known)} known")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
