// The conformance suite on the bundled reference sinks, registered the way a
// sink author registers theirs: one line per harness.

#include <sinkkit/runners/gtest.hpp>

#include "../harnesses/reference_harnesses.hpp"
#include "../harnesses/sqlite_harness.hpp"

namespace {
using MemorySink = sinkkit_harnesses::MemorySinkHarness;
using BufferedMemorySink = sinkkit_harnesses::BufferedMemorySinkHarness;
using JsonlFileSink = sinkkit_harnesses::JsonlFileSinkHarness<sinkkit_harnesses::kFsyncNever>;
using JsonlFileSinkFsyncBatch = sinkkit_harnesses::JsonlFileSinkHarness<sinkkit_harnesses::kFsyncBatch>;
using SqliteTableSinkBuffered = sinkkit_harnesses::SqliteBufferedHarness;
using SqliteTableSinkEveryBatch = sinkkit_harnesses::SqliteEveryBatchHarness;
}  // namespace

SINKKIT_CONFORMANCE_SUITE(MemorySink);
SINKKIT_CONFORMANCE_SUITE(BufferedMemorySink);
SINKKIT_CONFORMANCE_SUITE(JsonlFileSink);
SINKKIT_CONFORMANCE_SUITE(JsonlFileSinkFsyncBatch);
SINKKIT_CONFORMANCE_SUITE(SqliteTableSinkBuffered);
SINKKIT_CONFORMANCE_SUITE(SqliteTableSinkEveryBatch);
