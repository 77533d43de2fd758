#!/bin/sh
# Compiler launcher for targets built only to prove their files compile (the
# header checks, the doc examples; see sinkkit_compile_only): runs the
# compiler command it is given with -fsyntax-only, which still parses and
# instantiates everything but generates no code (half the time of -O0 for
# the doc examples), then leaves the empty object file the build expects.
out=
prev=
for arg in "$@"; do
  [ "$prev" = "-o" ] && out=$arg
  # A precompiled header (the header checks' nlohmann/json) is compiled for
  # real: its output is what the other compiles read.
  [ "$prev" = "-x" ] && [ "$arg" = "c++-header" ] && exec "$@"
  prev=$arg
done
"$@" -fsyntax-only || exit
[ -n "$out" ] && : >"$out"
