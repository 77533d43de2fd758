#include <sinkkit/reports/report.hpp>

#include <stdexcept>

#include <sinkkit/reports/html.hpp>
#include <sinkkit/reports/junit.hpp>
#include <sinkkit/reports/markdown.hpp>
#include <sinkkit/reports/summary.hpp>

namespace sinkkit::reports {

namespace fs = std::filesystem;

std::string_view to_string(ReportFormat f) noexcept {
  switch (f) {
    case ReportFormat::json: return "json";
    case ReportFormat::markdown: return "md";
    case ReportFormat::html: return "html";
    case ReportFormat::junit: return "junit";
    case ReportFormat::text: return "text";
  }
  return "?";
}

ReportFormat report_format_from(std::string_view name) {
  for (auto f : all_formats())
    if (to_string(f) == name) return f;
  if (name == "markdown") return ReportFormat::markdown;
  if (name == "xml") return ReportFormat::junit;
  throw std::invalid_argument("unknown report format '" + std::string(name) + "' (json, md, html, junit or text)");
}

std::vector<ReportFormat> report_formats_from(std::string_view comma_separated) {
  if (comma_separated == "all") return all_formats();
  std::vector<ReportFormat> out;
  std::size_t pos = 0;
  while (pos <= comma_separated.size()) {
    auto comma = comma_separated.find(',', pos);
    if (comma == std::string_view::npos) comma = comma_separated.size();
    const auto name = comma_separated.substr(pos, comma - pos);
    if (!name.empty()) out.push_back(report_format_from(name));
    pos = comma + 1;
  }
  if (out.empty()) throw std::invalid_argument("no report format given (json, md, html, junit, text or all)");
  return out;
}

std::vector<ReportFormat> all_formats() {
  return {ReportFormat::json, ReportFormat::markdown, ReportFormat::html, ReportFormat::junit, ReportFormat::text};
}

std::string_view file_extension(ReportFormat f) noexcept {
  switch (f) {
    case ReportFormat::json: return ".json";
    case ReportFormat::markdown: return ".md";
    case ReportFormat::html: return ".html";
    case ReportFormat::junit: return ".junit.xml";
    case ReportFormat::text: return ".txt";
  }
  return "";
}

std::string render(const std::vector<SuiteResult>& runs, ReportFormat format) {
  switch (format) {
    case ReportFormat::json:
      if (runs.size() != 1) {
        throw std::invalid_argument("the JSON report holds one run, got " + std::to_string(runs.size()) +
                                    ": render each run on its own");
      }
      return result_json_text(runs.front());
    case ReportFormat::markdown: return render_markdown(runs);
    case ReportFormat::html: return render_html(runs);
    case ReportFormat::junit: return render_junit(runs);
    case ReportFormat::text: return render_summary(runs);
  }
  throw std::invalid_argument("unknown report format");
}

std::string file_stem(std::string_view label) {
  std::string out;
  for (char c : label) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    out += safe ? c : '_';
  }
  while (!out.empty() && out.front() == '.') out.erase(out.begin());  // no hidden files
  if (out.size() > 100) out.resize(100);
  return out.empty() ? "sink" : out;
}

std::vector<fs::path> write_reports(const std::vector<SuiteResult>& runs, const fs::path& dir,
                                    const std::vector<ReportFormat>& formats, std::string_view name) {
  std::vector<fs::path> written;
  const std::string stem = file_stem(name);
  for (auto f : formats) {
    if (f == ReportFormat::json && runs.size() > 1) {
      for (const auto& run : runs) {
        written.push_back(dir / (stem + "-" + file_stem(run.label()) + ".json"));
        write_file_atomically(written.back(), render({run}, f));
      }
      continue;
    }
    written.push_back(dir / (stem + std::string(file_extension(f))));
    write_file_atomically(written.back(), render(runs, f));
  }
  return written;
}

}  // namespace sinkkit::reports
