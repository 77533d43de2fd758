#include <sinkkit/reports/detail/text.hpp>

#include <algorithm>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include <sinkkit/detail/utf8.hpp>

namespace sinkkit::reports::detail {

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') out += static_cast<char>(c);
      ++i;
      continue;
    }
    const auto seq = sinkkit::detail::utf8_sequence_at(text, i);
    // XML also forbids the noncharacters U+FFFE and U+FFFF.
    const bool ok = seq.length != 0 && seq.code_point != 0xFFFE && seq.code_point != 0xFFFF;
    if (ok) {
      out.append(text.substr(i, seq.length));
      i += seq.length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : valid_utf8(text)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (char c : xml_escape(text)) {
    if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (c == '|' || c == '\\' || c == '`' || c == '*' || c == '_' || c == '[' || c == ']') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::string markdown_code_block(std::string_view text, std::string_view info) {
  const std::string body = valid_utf8(text);
  std::size_t longest = 0, run = 0;
  for (char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  return fence + std::string(info) + "\n" + body + (body.empty() || body.back() == '\n' ? "" : "\n") + fence + "\n";
}

std::vector<std::string> rule_ids(const std::vector<SuiteResult>& runs) {
  std::set<std::string> checked;
  for (const auto& run : runs)
    for (const auto& r : run.rules) checked.insert(r.id);
  std::vector<std::string> ids(checked.begin(), checked.end());
  std::stable_sort(ids.begin(), ids.end(), [](const std::string& a, const std::string& b) { return rule_id_less(a, b); });
  return ids;
}

const RuleResult* first_result(const std::vector<SuiteResult>& runs, std::string_view id) {
  for (const auto& run : runs)
    if (const RuleResult* r = run.find(id)) return r;
  return nullptr;
}

std::string status_label(const RuleResult& r) {
  if (r.allowed) return r.status == RuleStatus::warning ? "allowed warning" : "allowed failure";
  switch (r.status) {
    case RuleStatus::passed: return "passed";
    case RuleStatus::failed: return "FAILED";
    case RuleStatus::warning: return "warning";
    case RuleStatus::untested: return "untested";
    case RuleStatus::not_applicable: return "n/a";
  }
  return "?";
}

std::string format_seconds(double seconds) {
  char buf[32];
  if (seconds < 1.0) {
    std::snprintf(buf, sizeof buf, "%.0f ms", seconds * 1000.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  }
  return buf;
}

std::string capabilities_line(const Capabilities& caps) {
  const nlohmann::json j = caps;  // named: GCC 12 misreads a temporary's items() as uninitialised
  std::string out;
  for (const auto& [key, value] : j.items()) {
    out += (out.empty() ? "" : ", ") + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

std::string verdict_label(const SuiteResult& run) { return run.exit_code() == 0 ? "conformant" : "NOT conformant"; }

}  // namespace sinkkit::reports::detail
