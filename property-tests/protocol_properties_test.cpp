// Properties of the protocol layer and the reference sinks over generated
// inputs: Batch views of any subtype equal the payload projection, and the
// sinks store exactly what was acknowledged, in per-partition order.

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <sinkkit/protocol/batch.hpp>
#include <sinkkit/sinks/jsonl_file_sink.hpp>
#include <sinkkit/sinks/memory_sink.hpp>
#include <sinkkit_test/events.hpp>
#include <unistd.h>

namespace rc {
template <>
struct Arbitrary<sinkkit_test::Event> {
  static Gen<sinkkit_test::Event> arbitrary() {
    return gen::build<sinkkit_test::Event>(gen::set(&sinkkit_test::Event::key, gen::string<std::string>()),
                                           gen::set(&sinkkit_test::Event::value, gen::arbitrary<std::int64_t>()));
  }
};
}  // namespace rc

namespace {

namespace fs = std::filesystem;
using sinkkit::Batch;
using sinkkit_test::Event;

template <class D>
std::vector<D> as_subtype(const std::vector<Event>& events) {
  std::vector<D> out(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) static_cast<Event&>(out[i]) = events[i];
  return out;
}

template <class D>
void check_view_equals_projection(const std::vector<Event>& events) {
  auto items = as_subtype<D>(events);
  const auto from = *rc::gen::inRange<std::size_t>(0, events.size() + 1);
  const auto count = *rc::gen::inRange<std::size_t>(0, events.size() - from + 1);
  Batch<Event> batch(std::span<const D>(items).subspan(from, count));
  RC_ASSERT(batch.size() == count);
  std::vector<Event> seen(batch.begin(), batch.end());
  RC_ASSERT(seen == std::vector<Event>(events.begin() + static_cast<std::ptrdiff_t>(from),
                                       events.begin() + static_cast<std::ptrdiff_t>(from + count)));
  // Random access agrees with iteration.
  for (std::size_t i = 0; i < count; ++i) RC_ASSERT(&batch[i] == &*(batch.begin() + static_cast<std::ptrdiff_t>(i)));
}

RC_GTEST_PROP(BatchProperties, ViewOfAnySubtypeSliceIsItsPayloadProjection, (const std::vector<Event>& events)) {
  check_view_equals_projection<Event>(events);
  check_view_equals_projection<sinkkit_test::TaggedEvent>(events);
  check_view_equals_projection<sinkkit_test::WideEvent>(events);
  check_view_equals_projection<sinkkit_test::VirtualEvent>(events);
}

// A generated run: which worker writes which batch, in delivery order.
struct Write {
  int worker;
  std::vector<Event> batch;
};

rc::Gen<std::vector<Write>> gen_writes(int workers) {
  return rc::gen::container<std::vector<Write>>(rc::gen::build<Write>(
      rc::gen::set(&Write::worker, rc::gen::inRange(0, workers)),
      rc::gen::set(&Write::batch, rc::gen::container<std::vector<Event>>(rc::gen::arbitrary<Event>()))));
}

// What a correct sink holds per worker: its batches concatenated in call order.
std::map<int, std::vector<Event>> expected_per_worker(const std::vector<Write>& writes) {
  std::map<int, std::vector<Event>> out;
  for (const auto& w : writes) out[w.worker].insert(out[w.worker].end(), w.batch.begin(), w.batch.end());
  return out;
}

RC_GTEST_PROP(MemorySinkProperties, StoresEveryBatchInPerWorkerOrder, ()) {
  const int workers = *rc::gen::inRange(1, 9);
  const auto writes = *gen_writes(workers);
  sinkkit::sinks::MemorySink<Event> node;
  std::vector<sinkkit::sinks::MemorySink<Event>::Partition> parts;
  for (int w = 0; w < workers; ++w) parts.push_back(node.build_partition(nlohmann::json::object(), w, workers, nullptr, nullptr));
  for (const auto& w : writes) parts[static_cast<std::size_t>(w.worker)].write_batch(w.batch);
  for (auto& p : parts) p.close();

  std::vector<Event> expected;
  for (auto& [worker, items] : expected_per_worker(writes)) expected.insert(expected.end(), items.begin(), items.end());
  RC_ASSERT(node.read_back(nlohmann::json::object()) == expected);
}

// Strings that are valid UTF-8 but full of what JSON must escape.
rc::Gen<std::string> gen_awkward_text() {
  return rc::gen::map(rc::gen::container<std::vector<int>>(rc::gen::element<int>(
                          'a', '"', '\\', '\n', '\r', '\t', '\0', '/', 0x7f, 0xe9, 0x2028, 0x1f600)),
                      [](const std::vector<int>& code_points) {
                        std::string s;
                        for (int cp : code_points) {
                          auto u = static_cast<unsigned>(cp);
                          if (u < 0x80) {
                            s += static_cast<char>(u);
                          } else if (u < 0x800) {
                            s += static_cast<char>(0xC0 | (u >> 6));
                            s += static_cast<char>(0x80 | (u & 0x3F));
                          } else if (u < 0x10000) {
                            s += static_cast<char>(0xE0 | (u >> 12));
                            s += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
                            s += static_cast<char>(0x80 | (u & 0x3F));
                          } else {
                            s += static_cast<char>(0xF0 | (u >> 18));
                            s += static_cast<char>(0x80 | ((u >> 12) & 0x3F));
                            s += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
                            s += static_cast<char>(0x80 | (u & 0x3F));
                          }
                        }
                        return s;
                      });
}

RC_GTEST_PROP(JsonlFileSinkProperties, RoundTripsAwkwardTextAcrossWorkersAndBranches, ()) {
  const int workers = *rc::gen::inRange(1, 4);
  const int branches = *rc::gen::inRange(1, 3);
  const auto batches = *rc::gen::container<std::vector<std::vector<std::string>>>(
      rc::gen::container<std::vector<std::string>>(gen_awkward_text()));

  static std::atomic<int> counter{0};
  fs::path dir = fs::temp_directory_path() /
                 ("sinkkit-prop-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(dir);
  nlohmann::json cfg = {{"dir", dir.string()}, {"fsync", "never"}};
  using Sink = sinkkit::sinks::JsonlFileSink<Event>;
  std::vector<Sink::Partition> parts;
  for (int w = 0; w < workers; ++w)
    for (int b = 0; b < branches; ++b) parts.push_back(Sink{}.build_partition(cfg, w, workers, nullptr, nullptr));

  // Partition i gets batches i, i+n, ...; files are read in (worker, branch) order.
  std::vector<std::vector<Event>> per_part(parts.size());
  for (std::size_t i = 0; i < batches.size(); ++i) {
    std::vector<Event> batch;
    for (const auto& text : batches[i]) batch.push_back(Event{text, static_cast<std::int64_t>(i)});
    parts[i % parts.size()].write_batch(batch);
    auto& log = per_part[i % parts.size()];
    log.insert(log.end(), batch.begin(), batch.end());
  }
  for (auto& p : parts) p.close();
  std::vector<Event> expected;
  for (const auto& log : per_part) expected.insert(expected.end(), log.begin(), log.end());
  auto stored = Sink::read_back(cfg);
  fs::remove_all(dir);
  RC_ASSERT(stored == expected);
}

}  // namespace

