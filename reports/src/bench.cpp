#include <sinkkit/reports/bench.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <sinkkit/reports/detail/text.hpp>

namespace sinkkit::reports {

namespace {

using detail::xml_escape;

// Fields that describe a run rather than measure it.
const std::set<std::string> kNotMeasured = {"iterations", "repetitions", "repetition_index", "threads",
                                            "family_index", "per_family_instance_index"};

std::string fmt(double v, const char* spec = "%.3g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

// "123.4 M/s" style, for throughputs.
std::string si(double v) {
  const char* units[] = {"", "k", "M", "G", "T"};
  int u = 0;
  while (std::fabs(v) >= 1000 && u < 4) v /= 1000, ++u;
  return fmt(v, "%.3g") + " " + units[u];
}

std::string percent(double fraction) { return fmt(fraction * 100, "%+.1f%%"); }

// The benchmark family of a grid entry: its name without the batch and
// workers segments ("BM_Jsonl/fsync:never/batch:256/workers:4/manual_time"
// -> "BM_Jsonl/fsync:never/manual_time").
// A target's `match`: a substring of the name; a leading ^ anchors it at
// the start, a trailing $ at the end. (Not std::regex: enough for names, and
// GCC 12 warns inside <regex> under the sanitizers.)
bool name_matches(const std::string& name, std::string pattern) {
  const bool at_start = !pattern.empty() && pattern.front() == '^';
  if (at_start) pattern.erase(pattern.begin());
  const bool at_end = !pattern.empty() && pattern.back() == '$';
  if (at_end) pattern.pop_back();
  if (at_start && at_end) return name == pattern;
  if (at_start) return name.starts_with(pattern);
  if (at_end) return name.ends_with(pattern);
  return name.find(pattern) != std::string::npos;
}

std::string family_of(const std::string& name) {
  std::string out;
  std::stringstream in(name);
  for (std::string part; std::getline(in, part, '/');) {
    if (part.starts_with("batch:") || part.starts_with("workers:")) continue;
    out += (out.empty() ? "" : "/") + part;
  }
  return out;
}

}  // namespace

std::optional<double> BenchEntry::median(std::string_view field) const {
  auto it = samples.find(std::string(field));
  if (it == samples.end() || it->second.empty()) return std::nullopt;
  auto v = it->second;
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double BenchEntry::noise(std::string_view field) const {
  const auto m = median(field);
  if (!m || *m == 0) return 0;
  const auto& v = samples.at(std::string(field));
  if (v.size() > 1) {
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return (*hi - *lo) / 2 / std::fabs(*m);
  }
  auto sd = stddev.find(std::string(field));
  return sd == stddev.end() ? 0 : sd->second / std::fabs(*m);
}

std::string BenchEntry::throughput_field() const {
  for (const char* f : {"items_per_second", "bytes_per_second"})
    if (samples.contains(f)) return f;
  return "real_time";
}

const BenchEntry* BenchResults::find(std::string_view name) const {
  for (const auto& e : entries)
    if (e.name == name) return &e;
  return nullptr;
}

bool is_bench_json(const nlohmann::json& j) { return j.is_object() && j.contains("benchmarks") && j["benchmarks"].is_array(); }

BenchResults bench_results_from_json(const nlohmann::json& j, std::string source) {
  if (!is_bench_json(j)) throw std::invalid_argument(source + ": not benchmark results (no \"benchmarks\" array)");
  BenchResults r;
  r.source = std::move(source);
  r.context = j.value("context", nlohmann::json::object());
  std::map<std::string, std::size_t> index;
  std::map<std::string, BenchEntry> medians;  // from aggregates, used when no iterations
  std::vector<std::string> order;
  std::size_t position = 0;
  for (const auto& b : j["benchmarks"]) {
    const std::string at = r.source + ": benchmark " + std::to_string(position++);
    if (!b.is_object() || !b.contains("name") || !b["name"].is_string()) throw std::invalid_argument(at + ": no name");
    if (b.value("error_occurred", false)) continue;  // a skipped benchmark measured nothing
    const std::string name = b.value("run_name", b["name"].get<std::string>());
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
    const std::string type = b.value("run_type", "iteration");
    auto numbers = [&](BenchEntry& e, bool as_stddev) {
      e.name = name;
      e.time_unit = b.value("time_unit", "ns");
      for (const auto& [key, value] : b.items()) {
        if (!value.is_number() || kNotMeasured.contains(key)) continue;
        if (as_stddev) {
          e.stddev[key] = value.get<double>();
        } else {
          e.samples[key].push_back(value.get<double>());
        }
      }
    };
    if (type == "aggregate") {
      const std::string agg = b.value("aggregate_name", "");
      if (agg == "median") numbers(medians[name], false);
      if (agg == "stddev") numbers(medians[name], true);
      continue;
    }
    auto [it, fresh] = index.emplace(name, r.entries.size());
    if (fresh) r.entries.emplace_back();
    numbers(r.entries[it->second], false);
  }
  for (const auto& name : order) {
    if (index.contains(name) || !medians.contains(name)) continue;
    index.emplace(name, r.entries.size());
    r.entries.push_back(medians[name]);
  }
  // Keep the file's order.
  std::vector<BenchEntry> sorted;
  for (const auto& name : order)
    if (auto it = index.find(name); it != index.end()) sorted.push_back(std::move(r.entries[it->second]));
  r.entries = std::move(sorted);
  return r;
}

BenchResults read_bench_results(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot open the benchmark results");
  try {
    return bench_results_from_json(nlohmann::json::parse(in), file.string());
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(file.string() + ": not JSON: " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
}

std::vector<BenchTarget> read_bench_targets(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot open the targets");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(file.string() + ": not JSON: " + e.what());
  }
  if (!j.contains("targets") || !j["targets"].is_array()) throw std::runtime_error(file.string() + ": no \"targets\" array");
  std::vector<BenchTarget> out;
  for (std::size_t i = 0; i < j["targets"].size(); ++i) {
    const auto& t = j["targets"][i];
    const std::string at = file.string() + ": target " + std::to_string(i);
    try {
      BenchTarget b;
      b.title = t.at("title").get<std::string>();
      b.match = t.at("match").get<std::string>();
      if (t.contains("baseline")) {
        b.baseline_from = t["baseline"].at(0).get<std::string>();
        b.baseline_to = t["baseline"].at(1).get<std::string>();
      }
      b.metric = t.value("metric", "items_per_second");
      b.min_ratio = t.value("min_ratio", 0.0);
      b.min_value = t.value("min_value", 0.0);
      b.min_batch = t.value("min_batch", 0.0);
      if (b.match.empty() || b.match == "^" || b.match == "$") throw std::invalid_argument("\"match\" is empty");
      out.push_back(std::move(b));
    } catch (const std::exception& e) {
      throw std::runtime_error(at + ": " + e.what());
    }
  }
  return out;
}

std::vector<TargetCheck> check_targets(const BenchResults& results, const std::vector<BenchTarget>& targets) {
  std::vector<TargetCheck> out;
  for (const auto& t : targets) {
    bool any = false;
    for (const auto& e : results.entries) {
      if (!name_matches(e.name, t.match)) continue;
      if (t.min_batch > 0 && e.median("batch").value_or(0) < t.min_batch) continue;
      const auto value = e.median(t.metric);
      if (!value) continue;
      TargetCheck c;
      c.title = t.title;
      c.subject = e.name;
      if (!t.baseline_from.empty()) {
        std::string base = e.name;
        const auto pos = base.find(t.baseline_from);
        if (pos == std::string::npos) continue;
        base.replace(pos, t.baseline_from.size(), t.baseline_to);
        const BenchEntry* b = results.find(base);
        c.baseline = base;
        c.goal = t.min_ratio;
        const auto bv = b != nullptr ? b->median(t.metric) : std::nullopt;
        c.value = bv && *bv > 0 ? *value / *bv : 0;
        c.met = bv.has_value() && c.value >= t.min_ratio;
      } else {
        c.goal = t.min_value;
        c.value = *value;
        c.met = *value >= t.min_value;
      }
      any = true;
      out.push_back(std::move(c));
    }
    if (!any) out.push_back({.title = t.title, .subject = "(no benchmark matches " + t.match + ")", .met = false});
  }
  return out;
}

bool Comparison::regressed() const {
  return std::any_of(changes.begin(), changes.end(), [](const BenchChange& c) { return c.regressed; });
}

std::string Comparison::regressions_text() const {
  std::string out;
  for (const auto& c : changes) {
    if (!c.regressed) continue;
    out += c.name + ": " + c.field + " " + si(c.before) + " -> " + si(c.after) + " (" + percent(c.change) +
           ", noise +-" + fmt(c.noise * 100, "%.1f") + "%, limit -" + fmt(max_regression * 100, "%.0f") + "%)\n";
  }
  return out;
}

Comparison compare_bench(const BenchResults& before, const BenchResults& after, double max_regression) {
  Comparison c;
  c.max_regression = max_regression;
  for (const auto& old : before.entries) {
    const BenchEntry* now = after.find(old.name);
    if (now == nullptr) {
      c.missing.push_back(old.name);
      continue;
    }
    BenchChange ch;
    ch.name = old.name;
    ch.field = old.throughput_field();
    auto b = old.median(ch.field), a = now->median(ch.field);
    if (!b || !a || *b == 0) continue;
    if (ch.field == "real_time") {  // a time: smaller is better, so compare rates
      ch.before = 1e9 / *b, ch.after = 1e9 / *a;
    } else {
      ch.before = *b, ch.after = *a;
    }
    ch.change = ch.after / ch.before - 1;
    ch.noise = old.noise(ch.field) + now->noise(ch.field);
    ch.regressed = -ch.change > max_regression && -ch.change > ch.noise;
    c.changes.push_back(std::move(ch));
  }
  return c;
}

double parse_fraction(std::string_view text) {
  std::string s(text);
  const bool pct = !s.empty() && s.back() == '%';
  if (pct) s.pop_back();
  std::size_t used = 0;
  double v = -1;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || s.empty() || v < 0) {
    throw std::invalid_argument("'" + std::string(text) + "' is not a fraction (write 10% or 0.1)");
  }
  v = pct ? v / 100 : v;
  if (v >= 1) throw std::invalid_argument("'" + std::string(text) + "': a regression limit must be below 100%");
  return v;
}

namespace {

// The columns a result file has, in a useful order.
std::vector<std::string> columns_of(const BenchResults& r) {
  std::vector<std::string> cols;
  for (const char* f : {"items_per_second", "bytes_per_second", "real_time", "write_p50_ns", "write_p90_ns",
                        "write_p99_ns", "write_max_ns", "close_p50_ns"}) {
    for (const auto& e : r.entries) {
      if (e.samples.contains(f)) {
        cols.emplace_back(f);
        break;
      }
    }
  }
  return cols;
}

std::string cell(const BenchEntry& e, const std::string& field) {
  const auto m = e.median(field);
  if (!m) return "-";
  if (field.ends_with("_per_second")) return si(*m) + "/s";
  if (field == "real_time") return fmt(*m) + " " + e.time_unit;
  return si(*m * 1e-9) + "s";
}

std::string target_value(const TargetCheck& t) {
  if (t.baseline.empty()) return si(t.value) + " (goal >= " + si(t.goal) + ")";
  return fmt(t.value, "%.2f") + "x (goal >= " + fmt(t.goal, "%.2f") + "x)";
}

}  // namespace

std::string render_bench_markdown(const std::vector<BenchResults>& runs, const std::vector<TargetCheck>& targets,
                                  const Comparison* comparison) {
  std::string out = "# sinkkit benchmark report\n\n";
  if (!targets.empty()) {
    const auto met = std::count_if(targets.begin(), targets.end(), [](const TargetCheck& t) { return t.met; });
    out += "## Targets: " + std::to_string(met) + " of " + std::to_string(targets.size()) + " met\n\n";
    out += "| | Target | Benchmark | Baseline (same run) | Measured |\n|---|---|---|---|---|\n";
    for (const auto& t : targets) {
      out += std::string("| ") + (t.met ? "✅" : "❌") + " | " + detail::markdown_cell(t.title) + " | " +
             detail::markdown_cell(t.subject) + " | " + detail::markdown_cell(t.baseline.empty() ? "-" : t.baseline) +
             " | " + target_value(t) + " |\n";
    }
    out += "\n";
  }
  if (comparison != nullptr) {
    out += std::string("## Regression gate: ") + (comparison->regressed() ? "❌ regressed" : "✅ no regression") +
           " (limit -" + fmt(comparison->max_regression * 100, "%.0f") + "%, beyond the measured noise)\n\n";
    out += "| | Benchmark | Before | After | Change | Noise |\n|---|---|---:|---:|---:|---:|\n";
    for (const auto& c : comparison->changes) {
      out += std::string("| ") + (c.regressed ? "❌" : "✅") + " | " + detail::markdown_cell(c.name) + " | " +
             si(c.before) + " | " + si(c.after) + " | " + percent(c.change) + " | ±" + fmt(c.noise * 100, "%.1f") + "% |\n";
    }
    for (const auto& m : comparison->missing) out += "\nNot in the new results: " + detail::markdown_cell(m) + "\n";
    out += "\n";
  }
  for (const auto& r : runs) {
    out += "## " + detail::markdown_cell(r.source) + "\n\n";
    if (r.context.contains("host_name")) {
      out += "Host " + detail::markdown_cell(r.context.value("host_name", "")) + ", " +
             std::to_string(r.context.value("num_cpus", 0)) + " CPUs, " + detail::markdown_cell(r.context.value("date", "")) + "\n\n";
    }
    const auto cols = columns_of(r);
    out += "| Benchmark |";
    std::string rule = "|---|";
    for (const auto& c : cols) out += " " + detail::markdown_cell(c) + " |", rule += "---:|";
    out += " noise |\n" + rule + "---:|\n";
    for (const auto& e : r.entries) {
      out += "| " + detail::markdown_cell(e.name) + " |";
      for (const auto& c : cols) out += " " + cell(e, c) + " |";
      out += " ±" + fmt(e.noise(e.throughput_field()) * 100, "%.1f") + "% |\n";
    }
    out += "\n";
  }
  return out;
}

namespace {

const char* const kColors[] = {"#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#c62828", "#00838f", "#5d4037", "#455a64"};

// Throughput against batch size (log scale), a line per worker count.
std::string throughput_chart(const std::string& family, const std::vector<const BenchEntry*>& entries) {
  std::map<int, std::vector<std::pair<double, double>>> lines;  // workers -> (batch, throughput)
  double max_y = 0, min_x = 1e300, max_x = 0;
  for (const auto* e : entries) {
    const auto field = e->throughput_field();
    const double x = e->median("batch").value_or(0), y = e->median(field).value_or(0);
    if (x <= 0) continue;
    lines[static_cast<int>(e->median("workers").value_or(1))].emplace_back(x, y);
    max_y = std::max(max_y, y), min_x = std::min(min_x, x), max_x = std::max(max_x, x);
  }
  if (lines.empty() || max_y <= 0) return "";
  constexpr int W = 560, H = 260, L = 70, B = 36, T = 24, R = 110;
  const double lx0 = std::log2(min_x), lx1 = std::max(std::log2(max_x), lx0 + 1);
  auto X = [&](double x) { return L + (std::log2(x) - lx0) / (lx1 - lx0) * (W - L - R); };
  auto Y = [&](double y) { return T + (1 - y / max_y) * (H - T - B); };
  const std::string metric = entries.front()->throughput_field();
  std::string svg = "<svg class=\"chart throughput\" role=\"img\" width=\"" + std::to_string(W) + "\" height=\"" +
                    std::to_string(H) + "\" data-family=\"" + xml_escape(family) + "\" data-lines=\"" +
                    std::to_string(lines.size()) + "\"><title>" + xml_escape(family + ": " + metric + " by batch size") +
                    "</title>\n<text x=\"" + std::to_string(L) + "\" y=\"14\" class=\"ct\">" + xml_escape(family) + "</text>\n";
  for (int i = 0; i <= 4; ++i) {
    const double v = max_y * i / 4;
    svg += "<line class=\"grid\" x1=\"" + std::to_string(L) + "\" x2=\"" + std::to_string(W - R) + "\" y1=\"" + fmt(Y(v), "%.1f") +
           "\" y2=\"" + fmt(Y(v), "%.1f") + "\"/><text x=\"" + std::to_string(L - 4) + "\" y=\"" + fmt(Y(v) + 4, "%.1f") +
           "\" text-anchor=\"end\">" + si(v) + "</text>\n";
  }
  std::set<double> xs;
  for (const auto& [w, pts] : lines)
    for (const auto& p : pts) xs.insert(p.first);
  for (double x : xs) {
    svg += "<text x=\"" + fmt(X(x), "%.1f") + "\" y=\"" + std::to_string(H - B + 16) + "\" text-anchor=\"middle\">" +
           fmt(x, "%.0f") + "</text>\n";
  }
  svg += "<text x=\"" + std::to_string((L + W - R) / 2) + "\" y=\"" + std::to_string(H - 4) +
         "\" text-anchor=\"middle\">batch size (items)</text>\n";
  int i = 0;
  for (auto& [workers, pts] : lines) {
    std::sort(pts.begin(), pts.end());
    const char* color = kColors[i++ % 8];
    std::string path;
    for (const auto& [x, y] : pts) path += (path.empty() ? "M" : " L") + fmt(X(x), "%.1f") + "," + fmt(Y(y), "%.1f");
    svg += "<path class=\"line\" d=\"" + path + "\" stroke=\"" + color + "\" fill=\"none\" stroke-width=\"2\"/>\n";
    for (const auto& [x, y] : pts) {
      svg += "<circle cx=\"" + fmt(X(x), "%.1f") + "\" cy=\"" + fmt(Y(y), "%.1f") + "\" r=\"3\" fill=\"" + color +
             "\"><title>" + std::to_string(workers) + " workers, batch " + fmt(x, "%.0f") + ": " + si(y) + "/s</title></circle>\n";
    }
    const double ly = T + 14.0 * (i - 1);
    svg += "<rect x=\"" + std::to_string(W - R + 12) + "\" y=\"" + fmt(ly, "%.0f") + "\" width=\"10\" height=\"10\" fill=\"" + color +
           "\"/><text x=\"" + std::to_string(W - R + 26) + "\" y=\"" + fmt(ly + 9, "%.0f") + "\">" + std::to_string(workers) +
           (workers == 1 ? " worker" : " workers") + "</text>\n";
  }
  return svg + "</svg>\n";
}

// write_batch latency per configuration: p50, p90, p99 and max, on a log scale.
std::string latency_chart(const BenchResults& r) {
  std::vector<const BenchEntry*> rows;
  double max_v = 1;
  for (const auto& e : r.entries) {
    if (!e.samples.contains("write_p50_ns")) continue;
    rows.push_back(&e);
    max_v = std::max(max_v, e.median("write_max_ns").value_or(1));
  }
  if (rows.empty()) return "";
  const char* fields[] = {"write_p50_ns", "write_p90_ns", "write_p99_ns", "write_max_ns"};
  constexpr int L = 260, W = 720, Row = 30, T = 28;
  const int H = T + static_cast<int>(rows.size()) * Row + 30;
  const double l1 = std::log10(max_v) + 0.1, l0 = 2;  // from 100 ns
  auto X = [&](double v) { return L + std::max(0.0, (std::log10(std::max(v, 100.0)) - l0) / (l1 - l0)) * (W - L - 10); };
  std::string svg = "<svg class=\"chart latency\" role=\"img\" width=\"" + std::to_string(W) + "\" height=\"" +
                    std::to_string(H) + "\" data-rows=\"" + std::to_string(rows.size()) +
                    "\"><title>write_batch latency: p50, p90, p99, max</title>\n";
  for (int d = 2; d <= static_cast<int>(l1); ++d) {
    const double v = std::pow(10.0, d);
    svg += "<line class=\"grid\" x1=\"" + fmt(X(v), "%.1f") + "\" x2=\"" + fmt(X(v), "%.1f") + "\" y1=\"" + std::to_string(T - 6) +
           "\" y2=\"" + std::to_string(H - 24) + "\"/><text x=\"" + fmt(X(v), "%.1f") + "\" y=\"" + std::to_string(H - 10) +
           "\" text-anchor=\"middle\">" + si(v * 1e-9) + "s</text>\n";
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto* e = rows[i];
    const int y = T + static_cast<int>(i) * Row;
    svg += "<text x=\"" + std::to_string(L - 6) + "\" y=\"" + std::to_string(y + 16) + "\" text-anchor=\"end\">" +
           xml_escape(e->name) + "</text>\n";
    for (int f = 3; f >= 0; --f) {
      const double v = e->median(fields[f]).value_or(0);
      svg += "<rect class=\"lat p" + std::to_string(f) + "\" x=\"" + std::to_string(L) + "\" y=\"" +
             std::to_string(y + 4 + f * 5) + "\" width=\"" + fmt(X(v) - L, "%.1f") + "\" height=\"5\" fill=\"" + kColors[f] +
             "\"><title>" + xml_escape(e->name) + " " + fields[f] + ": " + si(v * 1e-9) + "s</title></rect>\n";
    }
  }
  svg += "<text x=\"10\" y=\"14\">bars: p50 (blue), p90 (green), p99 (orange), max (purple)</text>\n";
  return svg + "</svg>\n";
}

std::string html_table(const BenchResults& r) {
  const auto cols = columns_of(r);
  std::string out = "<table class=\"bench\"><thead><tr><th>Benchmark</th>";
  for (const auto& c : cols) out += "<th>" + xml_escape(c) + "</th>";
  out += "<th>noise</th></tr></thead><tbody>\n";
  for (const auto& e : r.entries) {
    out += "<tr><td>" + xml_escape(e.name) + "</td>";
    for (const auto& c : cols) out += "<td class=\"num\">" + xml_escape(cell(e, c)) + "</td>";
    out += "<td class=\"num\">±" + fmt(e.noise(e.throughput_field()) * 100, "%.1f") + "%</td></tr>\n";
  }
  return out + "</tbody></table>\n";
}

}  // namespace

std::string render_bench_html(const std::vector<BenchResults>& runs, const std::vector<TargetCheck>& targets,
                              const Comparison* comparison) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      "<title>sinkkit benchmark report</title>\n<style>\n"
      "body{font:14px/1.45 system-ui,sans-serif;max-width:1200px;margin:0 auto;padding:16px 24px;color:#1b1b1b}"
      "table{border-collapse:collapse;margin:8px 0}th,td{border-bottom:1px solid #eee;padding:3px 8px;text-align:left}"
      "td.num{text-align:right;font-variant-numeric:tabular-nums}.met{color:#2e7d32;font-weight:600}"
      ".missed{color:#c62828;font-weight:600}svg.chart{border:1px solid #ddd;margin:8px 8px 8px 0;font:11px system-ui,sans-serif}"
      "svg .grid{stroke:#eee}svg .ct{font-weight:600}\n</style>\n</head>\n<body>\n<h1>sinkkit benchmark report</h1>\n";
  if (!targets.empty()) {
    const auto met = std::count_if(targets.begin(), targets.end(), [](const TargetCheck& t) { return t.met; });
    out += "<h2>Targets: " + std::to_string(met) + " of " + std::to_string(targets.size()) +
           " met</h2>\n<table class=\"targets\"><thead><tr><th></th><th>Target</th><th>Benchmark</th><th>Baseline (same "
           "run)</th><th>Measured</th></tr></thead><tbody>\n";
    for (const auto& t : targets) {
      out += std::string("<tr class=\"target ") + (t.met ? "target-met" : "target-missed") + "\"><td class=\"" + (t.met ? "met" : "missed") +
             "\">" + (t.met ? "met" : "missed") + "</td><td>" + xml_escape(t.title) + "</td><td>" + xml_escape(t.subject) +
             "</td><td>" + xml_escape(t.baseline.empty() ? "-" : t.baseline) + "</td><td class=\"num\">" +
             xml_escape(target_value(t)) + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  if (comparison != nullptr) {
    out += std::string("<h2>Regression gate: <span class=\"") + (comparison->regressed() ? "missed\">regressed" : "met\">no regression") +
           "</span></h2>\n<table class=\"comparison\"><thead><tr><th></th><th>Benchmark</th><th>Before</th><th>After</th>"
           "<th>Change</th><th>Noise</th></tr></thead><tbody>\n";
    for (const auto& c : comparison->changes) {
      out += std::string("<tr><td class=\"") + (c.regressed ? "missed\">regressed" : "met\">ok") + "</td><td>" + xml_escape(c.name) +
             "</td><td class=\"num\">" + si(c.before) + "</td><td class=\"num\">" + si(c.after) + "</td><td class=\"num\">" +
             percent(c.change) + "</td><td class=\"num\">±" + fmt(c.noise * 100, "%.1f") + "%</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  for (const auto& r : runs) {
    out += "<section class=\"results\"><h2>" + xml_escape(r.source) + "</h2>\n";
    std::map<std::string, std::vector<const BenchEntry*>> families;
    std::vector<std::string> order;
    for (const auto& e : r.entries) {
      if (!e.samples.contains("batch") || !e.samples.contains("workers")) continue;
      const auto f = family_of(e.name);
      if (!families.contains(f)) order.push_back(f);
      families[f].push_back(&e);
    }
    for (const auto& f : order) out += throughput_chart(f, families[f]);
    out += latency_chart(r);
    out += html_table(r) + "</section>\n";
  }
  return out + "</body>\n</html>\n";
}

}  // namespace sinkkit::reports
