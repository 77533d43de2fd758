#pragma once
// Fixture of scripts/check_layers.py (never compiled): the protocol layer,
// the top one, including the runners layer below it must be rejected.

#include <sinkkit/detail/rng.hpp>       // allowed: detail is usable by all
#include <sinkkit/protocol/batch.hpp>   // allowed: its own layer
#include <sinkkit/runners/harness.hpp>  // the violation the test expects, by file and line
