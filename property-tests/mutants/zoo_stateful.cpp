// Mutants of stateful partitions (SK-7.x): the twins of the Bytewax-style
// file sink (adapters/python/examples/bytewax/resumable_file_sink.py), each
// with one bug of its snapshots or its resume, served by the Python adapter.

#include <sinkkit/runners/wire_sink.hpp>

#include "zoo.hpp"

namespace zoo {

std::unique_ptr<sinkkit::SinkUnderTest> resumable_file_sink(const std::string& twin, const std::string& capabilities) {
  const std::string examples = std::string(SINKKIT_SOURCE_DIR) + "/adapters/python";
  sinkkit::WireOptions options;
  options.command = {"/usr/bin/env",
                     "PYTHONPATH=" + examples + ":" + examples + "/examples/bytewax",
                     SINKKIT_PYTHON,
                     "-m",
                     "sinkkit_adapter",
                     "--bytewax",
                     "resumable_file_sink:ResumableFileSink",
                     "--item",
                     "dict:key=str,value=int,label=str",
                     "--read-back",
                     "resumable_file_sink:read_back",
                     "--capabilities",
                     capabilities};
  options.config = nlohmann::json{{"directory", "{target}"}, {"parts", 8}};
  if (!twin.empty()) {
    (*options.config)["twin"] = twin;
    // The twins' bugs are in their snapshots and resumes: storage faults
    // from outside would find, besides, what their shortcuts do under a
    // failing disk (the shared file of one, the buffer of another).
    options.file_system_faults = false;
  }
  return std::make_unique<sinkkit::WireSink>(options);
}

namespace {

Specimen twin(std::string name, std::string rule, std::string which, std::string capabilities) {
  return {std::move(name), std::move(rule), [which = std::move(which), capabilities = std::move(capabilities)] {
            return resumable_file_sink(which, capabilities);
          }};
}

}  // namespace

std::vector<Specimen> stateful_specimens() {
  // Items of one worker go to several parts: no order per worker to keep.
  const std::string unordered = R"({"ordered_per_partition": false})";
  return {
      // It holds each batch until the next write: durable on close.
      twin("SnapshotsAheadOfItsBytes", "SK-7.1", "snapshot-ahead",
           R"({"ordered_per_partition": false, "durability": "on_close"})"),
      twin("ResumesWithoutTruncating", "SK-7.2", "no-truncate", unordered),
      twin("WritesEveryPartToTheWorkersFile", "SK-7.3", "file-per-worker", unordered),
      twin("TrustsAnySnapshot", "SK-7.4", "trusts-any-snapshot", unordered),
  };
}

}  // namespace zoo
