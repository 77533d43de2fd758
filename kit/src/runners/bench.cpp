#include <sinkkit/runners/bench.hpp>

#include <algorithm>
#include <iterator>
#include <limits>
#include <numeric>
#include <utility>
#include <chrono>
#include <ctime>
#include <ostream>
#include <stdexcept>
#include <string>

#include <sinkkit/detail/utc.hpp>
#include <sinkkit/protocol/async_bridge.hpp>
#include <sinkkit/simulation/session_manager.hpp>
#include <unistd.h>

namespace sinkkit {
inline namespace runners {

namespace {

namespace fs = std::filesystem;

double percentile(std::vector<std::int64_t>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return static_cast<double>(v[std::min(rank, v.size() - 1)]);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n == 0 ? 0 : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}


}  // namespace

nlohmann::json run_bench(SinkUnderTest& sut, const BenchOptions& options) {
  if (options.repetitions < 1) throw std::invalid_argument("bench: repetitions must be at least 1");
  const auto caps = sut.capabilities();
  const fs::path root = (options.scratch.empty() ? fs::temp_directory_path() : options.scratch) /
                        ("sinkkit-bench-" + std::to_string(::getpid()));
  AsyncBridge bridge;
  SessionManager session_manager;
  auto benchmarks = nlohmann::json::array();
  int target_index = 0;
  for (const int workers : options.workers) {
    for (const std::uint32_t batch : options.batch_sizes) {
      if (batch > caps.max_batch_size) continue;  // the sink declares it cannot take it
      const std::string name = sut.name() + "/batch:" + std::to_string(batch) + "/workers:" + std::to_string(workers);
      const std::int64_t per_epoch = static_cast<std::int64_t>(batch) * workers;
      const std::int64_t wanted = std::max<std::int64_t>(1, options.items_per_run / std::max<std::int64_t>(1, per_epoch));
      const std::int64_t most = options.max_epochs > 0 ? options.max_epochs : std::int64_t{1} << 30;
      const int epochs = static_cast<int>(std::min(wanted, most));
      auto workload = Workload::empty(workers, 1, epochs);
      for (auto& cell : workload.cells) cell = {batch};
      const double items = static_cast<double>(per_epoch) * epochs;
      // Each repetition's measures, by field name: the iteration entries
      // carry them, the median aggregate takes the median of each.
      std::vector<std::pair<std::string, std::vector<double>>> measures;
      auto entry = [&](const std::string& entry_name, const char* run_type, auto value_of) {
        nlohmann::json j = {{"name", entry_name}, {"run_name", name},       {"run_type", run_type},
                            {"time_unit", "ns"},  {"batch", batch},         {"workers", workers},
                            {"repetitions", options.repetitions}};
        for (const auto& [field, values] : measures) j[field] = value_of(values);
        j["cpu_time"] = j["real_time"];  // the run's wall time: the sink may work on other threads
        return j;
      };
      // One run on a fresh target; its trace.
      auto run_once = [&] {
        const TestTarget target{root / ("t" + std::to_string(target_index)), "bench" + std::to_string(target_index)};
        ++target_index;
        fs::create_directories(target.dir);
        RunRequest request;
        request.workload = workload;
        request.simulation.mode = ExecutionMode::threaded;
        request.simulation.poison_batches = false;
        request.simulation.items_made_ahead = true;
        request.simulation.bridge = &bridge;
        request.simulation.session_manager = &session_manager;
        Trace trace = sut.run(sut.make_config(target), request);
        std::error_code ec;
        fs::remove_all(target.dir, ec);
        return trace;
      };
      // A failed run: this configuration's one entry says why; the grid goes on.
      auto failed = [&](const Trace& trace) {
        benchmarks.push_back({{"name", name},
                              {"run_name", name},
                              {"run_type", "iteration"},
                              {"batch", batch},
                              {"workers", workers},
                              {"error_occurred", true},
                              {"error_message", "the run failed: " + trace.abort_reason}});
        if (options.progress != nullptr) *options.progress << name << "  FAILED: " << trace.abort_reason << std::endl;
      };
      if (options.warm_up) {
        if (const Trace warm = run_once(); warm.aborted) {
          failed(warm);
          continue;
        }
      }
      bool ok = true;
      for (int rep = 0; rep < options.repetitions; ++rep) {
        const Trace trace = run_once();
        if (trace.aborted) {
          failed(trace);
          ok = false;
          break;
        }
        std::vector<std::int64_t> writes, closes, own_writes;
        for (const auto& e : trace.events) {
          if (e.kind == CallKind::write_batch) writes.push_back(e.end - e.start);
          if (e.kind == CallKind::write_batch && e.sink_ns >= 0) own_writes.push_back(e.sink_ns);
          if (e.kind == CallKind::close) closes.push_back(e.end - e.start);
        }
        const double ns = static_cast<double>(std::max<std::int64_t>(1, detail::run_time_without_making_items(trace)));
        const std::pair<const char*, double> measured[] = {
            {"real_time", ns},
            {"items_per_second", items / (ns * 1e-9)},
            {"write_p50_ns", percentile(writes, 0.50)},
            {"write_p90_ns", percentile(writes, 0.90)},
            {"write_p99_ns", percentile(writes, 0.99)},
            {"write_max_ns", writes.empty() ? 0 : static_cast<double>(writes.back())},
            {"close_p50_ns", percentile(closes, 0.50)},
            {"close_max_ns", closes.empty() ? 0 : static_cast<double>(closes.back())}};
        std::vector<std::pair<const char*, double>> fields(std::begin(measured), std::end(measured));
        // The sink's own time in write_batch, where its process reports it
        // (a wire sink): what it would do with no kit, pipe or encoding in
        // between, its workers side by side.
        if (own_writes.size() == writes.size() && !writes.empty()) {
          const double own_ns = static_cast<double>(std::accumulate(own_writes.begin(), own_writes.end(), std::int64_t{0}));
          fields.emplace_back("sink_items_per_second", items / (std::max(1.0, own_ns) * 1e-9 / workers));
          fields.emplace_back("sink_write_p50_ns", percentile(own_writes, 0.50));
        }
        // By name: a repetition may measure a field another did not.
        for (const auto& field : fields) {
          auto m = std::find_if(measures.begin(), measures.end(), [&](const auto& x) { return x.first == field.first; });
          if (m == measures.end()) m = measures.emplace(measures.end(), field.first, std::vector<double>{});
          m->second.push_back(field.second);
        }
        auto j = entry(name, "iteration", [](const std::vector<double>& v) { return v.back(); });
        j["repetition_index"] = rep;
        j["iterations"] = 1;
        j["writes"] = static_cast<std::int64_t>(writes.size());
        j["items"] = static_cast<std::int64_t>(items);
        benchmarks.push_back(std::move(j));
      }
      if (!ok) continue;
      auto aggregate = entry(name + "_median", "aggregate", median);
      aggregate["aggregate_name"] = "median";
      aggregate["iterations"] = options.repetitions;
      benchmarks.push_back(std::move(aggregate));
      if (options.progress != nullptr) {
        char line[256];
        std::snprintf(line, sizeof line, "%-40s %12.0f items/s  write p50 %9.0f ns  p99 %9.0f ns  close p50 %9.0f ns",
                      name.c_str(), benchmarks.back()["items_per_second"].get<double>(),
                      benchmarks.back()["write_p50_ns"].get<double>(), benchmarks.back()["write_p99_ns"].get<double>(),
                      benchmarks.back()["close_p50_ns"].get<double>());
        *options.progress << line;
        if (const auto& last = benchmarks.back(); last.contains("sink_items_per_second")) {
          std::snprintf(line, sizeof line, "  (the sink's own write_batch: %.0f items/s, p50 %.0f ns)",
                        last["sink_items_per_second"].get<double>(), last["sink_write_p50_ns"].get<double>());
          *options.progress << line;
        }
        *options.progress << std::endl;
      }
    }
  }
  std::error_code ec;
  fs::remove_all(root, ec);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return {{"context",
           {{"date", detail::utc_now()},
            {"host_name", host},
            {"executable", "sinkkit bench"},
            {"sink", sut.name()},
            {"num_cpus", static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN))},
            {"library_build_type", "release"}}},
          {"benchmarks", std::move(benchmarks)}};
}

}  // namespace runners

namespace detail {

std::int64_t run_time_without_making_items(const Trace& trace) {
  if (trace.events.empty()) return 0;
  // The builds' span and the data's (writes and closes): every partition is
  // built before any data, and between the two the kit makes the run's
  // items (items_made_ahead), which a sink in production never waits for.
  constexpr auto none = std::numeric_limits<std::int64_t>::max();
  std::int64_t build_start = none, build_end = -1, data_start = none, end = -1;
  for (const auto& e : trace.events) {
    end = std::max(end, e.end);
    if (e.kind == CallKind::build) {
      build_start = std::min(build_start, e.start);
      build_end = std::max(build_end, e.end);
    } else {
      data_start = std::min(data_start, e.start);
    }
  }
  if (build_start == none || data_start == none || data_start < build_end) {
    return end - std::min(build_start, data_start);  // no gap to leave out
  }
  return (build_end - build_start) + (end - data_start);
}

}  // namespace detail

}  // namespace sinkkit
