#include <sinkkit/runners/bench.hpp>

#include <algorithm>
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
      const int epochs = static_cast<int>(
          std::clamp<std::int64_t>(options.items_per_run / std::max<std::int64_t>(1, per_epoch), 1, options.max_epochs));
      auto workload = Workload::empty(workers, 1, epochs);
      for (auto& cell : workload.cells) cell = {batch};
      const double items = static_cast<double>(per_epoch) * epochs;
      std::vector<double> times, rates, p50s, p90s, p99s, maxes, close50s, close_maxes;
      for (int rep = 0; rep < options.repetitions; ++rep) {
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
        const Trace trace = sut.run(sut.make_config(target), request);
        std::error_code ec;
        fs::remove_all(target.dir, ec);
        if (trace.aborted) throw std::runtime_error("bench " + name + ": the run failed: " + trace.abort_reason);
        std::vector<std::int64_t> writes, closes;
        std::int64_t first = trace.events.empty() ? 0 : trace.events.front().start, last = first;
        for (const auto& e : trace.events) {
          first = std::min(first, e.start);
          last = std::max(last, e.end);
          if (e.kind == CallKind::write_batch) writes.push_back(e.end - e.start);
          if (e.kind == CallKind::close) closes.push_back(e.end - e.start);
        }
        const double ns = static_cast<double>(std::max<std::int64_t>(1, last - first));
        const double rate = items / (ns * 1e-9);
        const double p50 = percentile(writes, 0.50), p90 = percentile(writes, 0.90), p99 = percentile(writes, 0.99);
        const double wmax = writes.empty() ? 0 : static_cast<double>(writes.back());
        const double c50 = percentile(closes, 0.50), cmax = closes.empty() ? 0 : static_cast<double>(closes.back());
        times.push_back(ns), rates.push_back(rate), p50s.push_back(p50), p90s.push_back(p90), p99s.push_back(p99);
        maxes.push_back(wmax), close50s.push_back(c50), close_maxes.push_back(cmax);
        benchmarks.push_back({{"name", name},
                              {"run_name", name},
                              {"run_type", "iteration"},
                              {"repetitions", options.repetitions},
                              {"repetition_index", rep},
                              {"iterations", 1},
                              {"real_time", ns},
                              {"cpu_time", ns},
                              {"time_unit", "ns"},
                              {"items_per_second", rate},
                              {"write_p50_ns", p50},
                              {"write_p90_ns", p90},
                              {"write_p99_ns", p99},
                              {"write_max_ns", wmax},
                              {"close_p50_ns", c50},
                              {"close_max_ns", cmax},
                              {"writes", static_cast<std::int64_t>(writes.size())},
                              {"batch", batch},
                              {"workers", workers}});
      }
      benchmarks.push_back({{"name", name + "_median"},
                            {"run_name", name},
                            {"run_type", "aggregate"},
                            {"aggregate_name", "median"},
                            {"repetitions", options.repetitions},
                            {"iterations", options.repetitions},
                            {"real_time", median(times)},
                            {"cpu_time", median(times)},
                            {"time_unit", "ns"},
                            {"items_per_second", median(rates)},
                            {"write_p50_ns", median(p50s)},
                            {"write_p90_ns", median(p90s)},
                            {"write_p99_ns", median(p99s)},
                            {"write_max_ns", median(maxes)},
                            {"close_p50_ns", median(close50s)},
                            {"close_max_ns", median(close_maxes)},
                            {"batch", batch},
                            {"workers", workers}});
      if (options.progress != nullptr) {
        char line[256];
        std::snprintf(line, sizeof line, "%-40s %12.0f items/s  write p50 %9.0f ns  p99 %9.0f ns  close p50 %9.0f ns",
                      name.c_str(), median(rates), median(p50s), median(p99s), median(close50s));
        *options.progress << line << std::endl;
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
}  // namespace sinkkit
