#include <sinkkit/reports/junit.hpp>

#include <cstdio>

#include <nlohmann/json.hpp>
#include <sinkkit/reports/detail/text.hpp>

namespace sinkkit::reports {

namespace {

using detail::xml_escape;

std::string attr(const std::string& name, const std::string& value) { return " " + name + "=\"" + xml_escape(value) + "\""; }

std::string decimal(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", seconds < 0 ? 0.0 : seconds);
  return buf;
}

// The details of a failure: everything the text report says about the rule.
std::string details(const RuleResult& r) { return r.to_text(); }

std::string classname(const SuiteResult& run) {
  std::string out = "sinkkit.";
  for (char c : run.label()) out += (c == ' ' || c == '.' || c == '/') ? '_' : c;
  return out;
}

}  // namespace

std::string render_junit(const std::vector<SuiteResult>& runs) {
  int tests = 0, failures = 0, skipped = 0;
  double seconds = 0;
  std::string suites;
  for (const auto& run : runs) {
    int t = 0, f = 0, s = 0;
    std::string cases;
    for (const auto& r : run.rules) {
      ++t;
      std::string name = r.id;
      if (!r.title.empty()) name += " " + r.title;
      cases += "    <testcase" + attr("name", name) + attr("classname", classname(run)) + attr("time", decimal(r.seconds)) + ">";
      if (r.allowed) {
        ++s;
        cases += "\n      <skipped" +
                 attr("message", detail::status_label(r) + ": " + *r.allowed +
                                     (r.allowed_until.empty() ? "" : " (until " + r.allowed_until + ")")) +
                 "/>\n      <system-out>" + xml_escape(details(r)) + "</system-out>\n    ";
      } else if (r.fails(run.strict)) {
        ++f;
        const std::string message = (r.status == RuleStatus::warning ? "(strict) SHOULD rule broken: " : "") +
                                    (r.message.empty() ? std::string("rule broken") : r.message);
        cases += "\n      <failure" + attr("message", message) + attr("type", std::string(to_string(r.level))) + ">" +
                 xml_escape(details(r)) + "</failure>\n";
        if (!r.output.empty()) cases += "      <system-err>" + xml_escape(r.output) + "</system-err>\n";
        cases += "    ";
      } else if (r.status == RuleStatus::untested || r.status == RuleStatus::not_applicable) {
        ++s;
        cases += "\n      <skipped" + attr("message", std::string(to_string(r.status)) + ": " + r.message) + "/>\n    ";
      } else if (r.status == RuleStatus::warning) {
        cases += "\n      <system-out>" + xml_escape("warning (SHOULD rule broken; not failing outside strict mode)\n" + details(r)) +
                 "</system-out>\n    ";
      }
      cases += "</testcase>\n";
    }
    for (const auto& e : run.gate_errors) {
      ++t;
      ++f;
      cases += "    <testcase" + attr("name", "allow-list") + attr("classname", classname(run)) + attr("time", "0.000") +
               ">\n      <failure" + attr("message", e) + attr("type", "allow-list") + ">" + xml_escape(e) +
               "</failure>\n    </testcase>\n";
    }
    std::string props;
    auto prop = [&props](const std::string& name, const std::string& value) {
      props += "      <property" + attr("name", name) + attr("value", value) + "/>\n";
    };
    prop("sink", run.sink);
    prop("kit_version", run.kit_version);
    prop("seed", std::to_string(run.seed));
    prop("budget", std::to_string(run.budget));
    prop("max_workers", std::to_string(run.max_workers));
    prop("strict", run.strict ? "true" : "false");
    prop("capabilities", nlohmann::json(run.capabilities).dump());
    prop("verdict", detail::verdict_label(run));
    // The causes first: one bug that broke many rules reads as one.
    for (const auto& c : run.causes) prop("cause", c.to_text());
    for (const auto& n : run.gate_notes) prop("note", n);
    suites += "  <testsuite" + attr("name", run.label()) + attr("tests", std::to_string(t)) +
              attr("failures", std::to_string(f)) + attr("errors", "0") + attr("skipped", std::to_string(s)) +
              attr("time", decimal(run.seconds));
    if (!run.started_at.empty()) suites += attr("timestamp", run.started_at);
    if (!run.host.empty()) suites += attr("hostname", run.host);
    suites += ">\n    <properties>\n" + props + "    </properties>\n" + cases + "  </testsuite>\n";
    tests += t;
    failures += f;
    skipped += s;
    seconds += run.seconds;
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites" + attr("name", "sinkkit conformance") +
         attr("tests", std::to_string(tests)) + attr("failures", std::to_string(failures)) + attr("errors", "0") +
         attr("skipped", std::to_string(skipped)) + attr("time", decimal(seconds)) + ">\n" + suites + "</testsuites>\n";
}

}  // namespace sinkkit::reports
