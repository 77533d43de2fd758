#include <sinkkit/reports/html.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>
#include <sinkkit/reports/detail/text.hpp>

namespace sinkkit::reports {

namespace {

using detail::xml_escape;

// The status as a CSS class and filter key: the allow-list gets its own.
std::string status_key(const RuleResult& r) {
  if (r.allowed) return "allowed";
  return std::string(to_string(r.status));  // not applicable and untested apart
}

const char* kStyle = R"css(
:root{--ok:#2e7d32;--bad:#c62828;--warn:#ef6c00;--skip:#757575;--allow:#f9a825;--fg:#1b1b1b;--muted:#5f6368}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);margin:0 auto;max-width:1200px;padding:16px 24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px}h3{font-size:15px;margin:18px 0 6px}
.verdict{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600}
.verdict.ok{background:var(--ok)}.verdict.bad{background:var(--bad)}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 12px;color:var(--muted);margin:6px 0}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
#filters{position:sticky;top:0;background:#fff;padding:6px 0;border-bottom:1px solid #ddd;z-index:1}
#filters label{margin-right:14px;cursor:pointer}
table.rules{border-collapse:collapse;width:100%;margin:8px 0}
table.rules th,table.rules td{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;vertical-align:top}
table.rules td.num{text-align:right;font-variant-numeric:tabular-nums}
.st{font-weight:600}.st.passed{color:var(--ok)}.st.failed{color:var(--bad)}.st.warning{color:var(--warn)}
.st.untested{color:var(--skip)}.st.not_applicable{color:var(--skip)}.st.allowed{color:#8d6e00}
article.failure{border-left:4px solid var(--bad);padding:4px 12px;margin:12px 0;background:#fafafa}
article.failure.warning{border-color:var(--warn)}article.failure.allowed{border-color:var(--allow)}
pre{background:#f4f4f4;padding:8px;overflow:auto;max-height:420px;font-size:12px}
.gate{color:var(--bad);font-weight:600}.note{color:var(--muted)}
svg.timeline{background:#fff;border:1px solid #ddd;margin:6px 0;font:11px system-ui,sans-serif}
svg.timeline .ev.ok{fill:#66bb6a}svg.timeline .ev.threw{fill:#e53935}svg.timeline .ev.injected{fill:#fb8c00}
svg.timeline .ev.after_close{fill:#8e24aa}svg.timeline .ev.not_forwarded{fill:#bdbdbd}
svg.timeline .ev.build,svg.timeline .ev.close{fill:#78909c}svg.timeline .ev.build.threw,svg.timeline .ev.close.threw{fill:#e53935}
svg.timeline text{fill:#333}svg.timeline text.in{fill:#fff;font-size:10px}svg.timeline .grid{stroke:#eee}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
)css";

// Applies the status checkboxes to rows and failure articles; presets them
// from "#status=a,b" in the address.
const char* kScript = R"js(
(function(){
  var boxes=[].slice.call(document.querySelectorAll('#filters input[data-status]'));
  function apply(){
    var on={};boxes.forEach(function(b){on[b.dataset.status]=b.checked;});
    [].forEach.call(document.querySelectorAll('[data-status].filterable'),function(el){
      el.style.display=on[el.dataset.status]?'':'none';});
  }
  var m=/status=([a-z_,]+)/.exec(location.hash);
  if(m){var want=m[1].split(',');boxes.forEach(function(b){b.checked=want.indexOf(b.dataset.status)>=0;});}
  boxes.forEach(function(b){b.addEventListener('change',apply);});
  apply();
})();
)js";

std::string anchor(std::size_t run, const std::string& id) {
  std::string out = "r" + std::to_string(run) + "-";
  for (char c : id) out += (std::isalnum(static_cast<unsigned char>(c)) != 0) ? c : '-';
  return out;
}

std::string counts_table(const Counts& c) {
  const std::pair<const char*, std::int64_t> cells[] = {
      {"attempted", c.attempted}, {"acknowledged", c.acknowledged}, {"durable", c.durable},
      {"lost", c.lost},           {"duplicated", c.duplicated},     {"unexpected", c.unexpected},
      {"reordered", c.reordered}, {"gaps", c.gaps}};
  std::string head, row;
  for (const auto& [name, value] : cells) {
    head += std::string("<th>") + name + "</th>";
    row += "<td class=\"num\">" + std::to_string(value) + "</td>";
  }
  return "<table class=\"rules counts\"><tr>" + head + "</tr><tr>" + row + "</tr></table>\n";
}

std::string failure_article(std::size_t run_index, const RuleResult& r) {
  std::string out = "<article class=\"failure filterable " + status_key(r) + "\" data-status=\"" + status_key(r) +
                    "\" id=\"" + anchor(run_index, r.id) + "\">\n<h3>" + xml_escape(r.id) + " " +
                    xml_escape(r.title) + " <span class=\"st " + status_key(r) + "\">" +
                    xml_escape(detail::status_label(r)) + "</span></h3>\n";
  if (!r.statement.empty()) out += "<p><em>" + xml_escape(r.statement) + "</em></p>\n";
  if (r.allowed) {
    out += "<p>Allowed by the allow-list: " + xml_escape(*r.allowed) +
           (r.allowed_until.empty() ? "" : " (until " + xml_escape(r.allowed_until) + ")") + "</p>\n";
  }
  if (!r.message.empty()) out += "<p class=\"message\">" + xml_escape(r.message) + "</p>\n";
  out += "<p>After " + std::to_string(r.cases) + " cases, seed " + std::to_string(r.seed) + ".</p>\n";
  if (const Counts* c = r.counts()) out += counts_table(*c);
  if (r.counterexample) {
    try {
      out += "<figure>" + render_timeline_svg(r.counterexample->trace) +
             "<figcaption class=\"legend\"><span><i style=\"background:#66bb6a\"></i>acknowledged</span>"
             "<span><i style=\"background:#e53935\"></i>sink threw</span><span><i style=\"background:#fb8c00\"></i>fault "
             "injected</span><span><i style=\"background:#8e24aa\"></i>after close</span><span><i "
             "style=\"background:#bdbdbd\"></i>not forwarded</span><span><i style=\"background:#78909c\"></i>build / "
             "close</span></figcaption></figure>\n";
    } catch (const std::exception& e) {
      out += "<p class=\"note\">The counterexample's trace could not be drawn: " + xml_escape(e.what()) + "</p>\n";
    }
  }
  if (r.counterexample) {
    out += "<details open><summary>Counterexample (shrunk)</summary><pre>" + xml_escape(r.counterexample->to_text()) +
           "</pre></details>\n";
  }
  if (!r.output.empty()) out += "<details><summary>Sink output</summary><pre>" + xml_escape(r.output) + "</pre></details>\n";
  if (!r.reproduce.empty()) out += "<p>Reproduce: <code>" + xml_escape(r.reproduce) + "</code></p>\n";
  return out + "</article>\n";
}

std::string run_section(std::size_t index, const SuiteResult& run) {
  const bool ok = run.exit_code() == 0;
  std::string out = "<section class=\"run\" id=\"run-" + std::to_string(index) + "\">\n<h2>" + xml_escape(run.label()) +
                    " <span class=\"verdict " + (ok ? "ok" : "bad") + "\">" + detail::verdict_label(run) + "</span></h2>\n";
  out += "<p class=\"summary\"><strong>" + xml_escape(run.summary_line()) + "</strong>" +
         (run.strict ? " (strict: SHOULD failures fail)" : "") + "</p>\n<dl class=\"meta\">";
  const std::string caps = detail::capabilities_line(run.capabilities);
  const std::pair<const char*, std::string> meta[] = {
      {"sink", run.sink},
      {"kit", run.kit_version},
      {"seed", std::to_string(run.seed)},
      {"budget", std::to_string(run.budget) + " cases per rule"},
      {"workers", "up to " + std::to_string(run.max_workers)},
      {"duration", detail::format_seconds(run.seconds)},
      {"host", run.host},
      {"started", run.started_at},
      {"capabilities", caps}};
  for (const auto& [name, value] : meta) {
    if (!value.empty()) out += "<dt>" + std::string(name) + "</dt><dd>" + xml_escape(value) + "</dd>";
  }
  out += "</dl>\n";
  if (!run.causes.empty()) {  // first: one bug that broke many rules reads as one
    out += "<div class=\"causes\"><h3>" + causes_heading(run.causes.size()) + "</h3><ol>";
    for (const auto& c : run.causes) {
      out += "<li>" + xml_escape(c.summary) + " (<a href=\"#" + anchor(index, c.rule) + "\">" + xml_escape(c.rule) +
             "</a>)";
      if (!c.also.empty()) {
        out += "; also fails ";
        for (std::size_t i = 0; i < c.also.size(); ++i) {
          out += (i == 0 ? "" : ", ") + std::string("<a href=\"#") + anchor(index, c.also[i]) + "\">" +
                 xml_escape(c.also[i]) + "</a>";
        }
      }
      out += "</li>";
    }
    out += "</ol></div>\n";
  }
  for (const auto& e : run.gate_errors) out += "<p class=\"gate\">" + xml_escape(e) + "</p>\n";
  for (const auto& n : run.gate_notes) out += "<p class=\"note\">" + xml_escape(n) + "</p>\n";
  out += "<table class=\"rules\"><thead><tr><th>Rule</th><th>Level</th><th>Title</th><th>Verdict</th><th>Cases</th>"
         "<th>Time</th></tr></thead><tbody>\n";
  for (const auto& r : run.rules) {
    const bool detailed = r.broken();
    const std::string id = detailed ? "<a href=\"#" + anchor(index, r.id) + "\">" + xml_escape(r.id) + "</a>" : xml_escape(r.id);
    out += "<tr class=\"rule filterable\" data-status=\"" + status_key(r) + "\" data-rule=\"" + xml_escape(r.id) +
           "\"><td>" + id + "</td><td>" + std::string(to_string(r.level)) + "</td><td>" +
           xml_escape(r.title) +
           (r.status == RuleStatus::passed && !r.message.empty() ? "<br><small>" + xml_escape(r.message) + "</small>" : "") +
           "</td><td class=\"st " + status_key(r) + "\">" +
           xml_escape(detail::status_label(r)) + "</td><td class=\"num\">" + std::to_string(r.cases) +
           "</td><td class=\"num\">" + detail::format_seconds(r.seconds) + "</td></tr>\n";
  }
  out += "</tbody></table>\n";
  for (const auto& r : run.rules)
    if (r.broken()) out += failure_article(index, r);
  return out + "</section>\n";
}

}  // namespace

std::string render_timeline_svg(const Trace& trace) {
  // Lanes: partitions in (worker, branch) order. Columns: build, epochs, close.
  std::set<std::pair<int, int>> partitions;
  std::int64_t max_epoch = -1;
  for (const auto& event : trace.events) {
    partitions.insert({event.partition.worker, event.partition.branch});
    if (event.kind == CallKind::write_batch) max_epoch = std::max(max_epoch, event.epoch);
  }
  std::map<std::pair<int, int>, int> lane;
  for (const auto& partition : partitions) lane.emplace(partition, static_cast<int>(lane.size()));
  const int columns = static_cast<int>(max_epoch + 3);  // build, 0..max_epoch, close
  auto column_of = [&](const TraceEvent& event) -> int {
    switch (event.kind) {
      case CallKind::build: return 0;
      case CallKind::write_batch: return static_cast<int>(event.epoch + 1);
      case CallKind::close: return columns - 1;
    }
    return 0;
  };
  // Calls sharing a cell (several batches in an epoch, close twice) split it.
  std::map<std::pair<int, int>, std::vector<const TraceEvent*>> cells;
  for (const auto& event : trace.events) {
    cells[{lane.at({event.partition.worker, event.partition.branch}), column_of(event)}].push_back(&event);
  }

  constexpr int kLabel = 64, kCell = 56, kLane = 26, kTop = 22, kPad = 3;
  const int width = kLabel + columns * kCell + 8;
  const int height = kTop + static_cast<int>(lane.size()) * kLane + 6;
  std::string out = "<svg class=\"timeline\" role=\"img\" width=\"" + std::to_string(width) + "\" height=\"" +
                    std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
                    "\" data-lanes=\"" + std::to_string(lane.size()) + "\" data-epochs=\"" + std::to_string(max_epoch + 1) +
                    "\" data-events=\"" + std::to_string(trace.events.size()) + "\">\n<title>" +
                    xml_escape("timeline: " + std::to_string(lane.size()) + " partitions, " + std::to_string(max_epoch + 1) +
                               " epochs, " + std::to_string(trace.events.size()) + " calls") +
                    "</title>\n";
  for (int column = 0; column < columns; ++column) {
    const int column_x = kLabel + column * kCell;
    const std::string label = column == 0 ? "build" : column == columns - 1 ? "close" : "e" + std::to_string(column - 1);
    out += "<line class=\"grid\" x1=\"" + std::to_string(column_x) + "\" y1=\"" + std::to_string(kTop - 4) + "\" x2=\"" +
           std::to_string(column_x) + "\" y2=\"" + std::to_string(height) + "\"/><text x=\"" + std::to_string(column_x + kCell / 2) +
           "\" y=\"14\" text-anchor=\"middle\">" + label + "</text>\n";
  }
  for (const auto& [partition, lane_index] : lane) {
    out += "<text x=\"4\" y=\"" + std::to_string(kTop + lane_index * kLane + kLane / 2 + 4) + "\">w" +
           std::to_string(partition.first) + ".b" + std::to_string(partition.second) + "</text>\n";
  }
  for (const auto& [cell, events] : cells) {
    const int box_width = (kCell - 2 * kPad) / static_cast<int>(events.size());
    for (std::size_t index = 0; index < events.size(); ++index) {
      const TraceEvent& event = *events[index];
      std::string cls = "ev " + std::string(to_string(event.kind) == "write_batch" ? "write" : to_string(event.kind));
      if (!event.forwarded) cls += " not_forwarded";
      else if (event.injected) cls += " injected";
      else if (event.after_close) cls += " after_close";
      else cls += event.outcome == Outcome::ok ? " ok" : " threw";
      const int box_x = kLabel + cell.second * kCell + kPad + static_cast<int>(index) * box_width;
      const int box_y = kTop + cell.first * kLane + kPad;
      out += "<g><title>" + xml_escape(event.to_text()) + "</title><rect class=\"" + cls + "\" x=\"" + std::to_string(box_x) +
             "\" y=\"" + std::to_string(box_y) + "\" width=\"" + std::to_string(std::max(box_width - 2, 2)) + "\" height=\"" +
             std::to_string(kLane - 2 * kPad) + "\" rx=\"3\"/>";
      if (box_width >= 18) {
        const std::string text = event.kind == CallKind::write_batch ? std::to_string(event.size)
                                 : event.kind == CallKind::build     ? "B"
                                                                     : "C";
        out += "<text class=\"in\" x=\"" + std::to_string(box_x + (box_width - 2) / 2) + "\" y=\"" +
               std::to_string(box_y + kLane / 2 + 1) + "\" text-anchor=\"middle\">" + text + "</text>";
      }
      out += "</g>\n";
    }
  }
  if (trace.aborted) {
    const int abort_x = kLabel + (columns - 1) * kCell - 1;
    out += "<g><title>" + xml_escape("run aborted: " + trace.abort_reason) + "</title><line class=\"abort\" x1=\"" +
           std::to_string(abort_x) + "\" y1=\"" + std::to_string(kTop) + "\" x2=\"" + std::to_string(abort_x) + "\" y2=\"" +
           std::to_string(height) + "\" stroke=\"#c62828\" stroke-width=\"3\"/></g>\n";
  }
  return out + "</svg>";
}

std::string render_html(const std::vector<SuiteResult>& runs) {
  bool all_ok = true;
  std::map<std::string, int> counts;
  for (const auto& run : runs) {
    all_ok = all_ok && run.exit_code() == 0;
    for (const auto& r : run.rules) ++counts[status_key(r)];
  }
  std::string title = "sinkkit conformance report";
  if (runs.size() == 1) title += ": " + runs.front().label();
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "script-src 'unsafe-inline'\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      xml_escape(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<header><h1>" + xml_escape(title) +
      "</h1><span class=\"verdict " + (all_ok ? "ok" : "bad") + "\" id=\"overall\">" +
      (all_ok ? "conformant" : "NOT conformant") + "</span></header>\n<nav id=\"filters\">Show: ";
  for (const char* s : {"failed", "warning", "allowed", "passed", "not_applicable", "untested"}) {
    std::string label = s;
    std::replace(label.begin(), label.end(), '_', ' ');
    out += "<label><input type=\"checkbox\" data-status=\"" + std::string(s) + "\" checked> " + label + " (" +
           std::to_string(counts[s]) + ")</label>";
  }
  out += "</nav>\n";
  for (std::size_t i = 0; i < runs.size(); ++i) out += run_section(i, runs[i]);
  out += "<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace sinkkit::reports
