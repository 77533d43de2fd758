// The sink's writes, in a static library the twin compiles again with the
// sanitizer (sinkkit_add_conformance_test copies a LINK library of the project).

#include <racy_sink.hpp>

namespace racy {

void Sink::Partition::write_batch(sinkkit::Batch<Row> batch) {
  if (closed) throw sinkkit::ClosedError("write_batch");
  for (const auto& r : batch) rows->push_back(r);  // the race: every worker's partition, one vector
}

}  // namespace racy
