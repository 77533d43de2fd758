#pragma once
// Fixture of scripts/check_layers.py (never compiled): runners including the
// layers above it is the allowed direction.

#include <sinkkit/protocol/batch.hpp>
#include <sinkkit/simulation/trace.hpp>
