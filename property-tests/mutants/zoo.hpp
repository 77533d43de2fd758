#pragma once
// The mutant zoo: each broken sink with the rule it breaks. The specimens
// are made in several translation units (each instantiates the simulator
// for every mutant in it), so they compile in parallel.

#include <functional>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

#include <sinkkit/runners/harness.hpp>


namespace zoo {

struct Specimen {
  std::string name;  // GoogleTest-safe
  std::string rule;  // the rule it breaks
  std::function<std::unique_ptr<sinkkit::SinkUnderTest>()> make;
};

// GoogleTest names the parameter by this, not by a dump of its bytes.
inline void PrintTo(const Specimen& s, std::ostream* os) { *os << s.name << " (breaks " << s.rule << ")"; }

template <class H>
Specimen specimen(std::string name, std::string rule) {
  return {std::move(name), std::move(rule), [] { return std::make_unique<sinkkit::HarnessSink<H>>(); }};
}

/// Every specimen (grouped as the four parts below).
std::vector<Specimen> specimens();

std::vector<Specimen> build_and_write_specimens();
std::vector<Specimen> close_and_runtime_specimens();
std::vector<Specimen> fault_specimens();
std::vector<Specimen> stateful_specimens();

/// The Bytewax-style file sink of the examples, served by the Python adapter:
/// `twin` empty for the sink itself, else one of its twins (which run
/// without storage faults); `capabilities` as the adapter takes them.
std::unique_ptr<sinkkit::SinkUnderTest> resumable_file_sink(const std::string& twin, const std::string& capabilities);

}  // namespace zoo
