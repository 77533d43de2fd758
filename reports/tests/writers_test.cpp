// Golden-file tests of every writer on one fixed result that has a bit of
// everything: passed, failed (with counts, a trace and sink output), a
// warning, an allowed failure, untested and not applicable rules, a gate
// error, and sink-supplied text built to break naive escaping.
// SINKKIT_UPDATE_GOLDEN=1 rewrites the golden files after a deliberate change.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <sinkkit/reports/html.hpp>
#include <sinkkit/reports/report.hpp>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/runners/allow_list.hpp>
#include <sinkkit/simulation/trace.hpp>

namespace {

namespace fs = std::filesystem;
using namespace sinkkit;
using reports::ReportFormat;

const fs::path kGolden = SINKKIT_GOLDEN_DIR;
// Markup, a CDATA end, a quote, a control byte and a broken UTF-8 sequence.
const std::string kEvil = "<script>alert('x')</script> & \"q\" ]]> \x01 bad:\xC3( ok:\xC3\xA9";
// The same without the bytes JSON cannot carry (which it replaces with U+FFFD).
const std::string kEvilButValid = "<script>alert('x')</script> & \"q\" ]]> ok:\xC3\xA9";

Trace sample_trace() {
  Trace t;
  t.seed = 3;
  t.workload = Workload::empty(2, 1, 2);
  t.workload.batches(0, 0, 0) = {3};
  t.workload.batches(1, 0, 0) = {2};
  t.workload.batches(1, 0, 1) = {4};
  auto ev = [&t](CallKind kind, int worker, std::int64_t epoch, std::uint32_t size, Outcome outcome) {
    TraceEvent e;
    e.index = t.events.size();
    e.kind = kind;
    e.partition = PartitionId{worker, 0};
    e.epoch = kind == CallKind::write_batch ? epoch : -1;
    e.size = size;
    e.outcome = outcome;
    e.sink_outcome = outcome;
    if (outcome == Outcome::threw) {
      e.error_kind = "write";
      e.message = kEvil;
    }
    e.start = static_cast<std::int64_t>(e.index);
    e.end = e.start + 1;
    t.events.push_back(e);
  };
  ev(CallKind::build, 0, -1, 0, Outcome::ok);
  ev(CallKind::build, 1, -1, 0, Outcome::ok);
  ev(CallKind::write_batch, 0, 0, 3, Outcome::ok);
  ev(CallKind::write_batch, 1, 0, 2, Outcome::ok);
  ev(CallKind::write_batch, 1, 1, 4, Outcome::threw);
  ev(CallKind::close, 0, -1, 0, Outcome::ok);
  ev(CallKind::close, 1, -1, 0, Outcome::ok);
  ev(CallKind::close, 1, -1, 0, Outcome::ok);
  return t;
}

SuiteResult sample(const std::string& evil = kEvil) {
  SuiteResult s;
  s.sink = "acme_sink";
  s.subject = "python3 acme_sink.py --name " + evil;
  s.kit_version = "0.0.0-golden";
  s.seed = 42;
  s.budget = 100;
  s.max_workers = 8;
  s.seconds = 12.5;
  s.host = "ci-host";
  s.started_at = "2026-11-24T10:00:00Z";
  s.capabilities.durability = Durability::on_close;
  auto rule = [&s](std::string id, RuleLevel level, RuleStatus status, int cases) -> RuleResult& {
    RuleResult r;
    // As check_rule does: a result carries its rule's title and statement.
    r.title = std::string(sinkkit::rule(id).title);
    r.statement = std::string(sinkkit::rule(id).statement);
    r.id = std::move(id);
    r.level = level;
    r.status = status;
    r.cases = cases;
    r.seed = 42;
    r.seconds = 0.25;
    s.rules.push_back(std::move(r));
    return s.rules.back();
  };
  rule("SK-1.1", RuleLevel::must, RuleStatus::passed, 100);
  auto& lost = rule("SK-2.3", RuleLevel::must, RuleStatus::failed, 17);
  lost.message = "lost 4 of 9 acknowledged items; first: w1.b0.e1.s0";
  Verdict verdict;
  verdict.total = Counts{.attempted = 9, .acknowledged = 9, .durable = 5, .lost = 4};
  // A ``` in the text: a Markdown fence around it must be longer.
  verdict.violations.push_back({ViolationKind::lost, "4 acknowledged items absent ``` " + evil});
  lost.counterexample = Counterexample{.trace = sample_trace(), .verdict = verdict};
  lost.output = "sink stderr: " + evil + "\n";
  lost.reproduce = "sinkkit replay --rule SK-2.3 --seed 42 -- python3 acme_sink.py";
  auto& warn = rule("SK-4.2", RuleLevel::should, RuleStatus::warning, 12);
  warn.message = "lost 2 buffered items after a failed flush";
  auto& allowed = rule("SK-3.1", RuleLevel::must, RuleStatus::failed, 5);
  allowed.message = "close flushed twice | duplicated 3";
  rule("SK-3.5", RuleLevel::should, RuleStatus::untested, 0).message = "the harness cannot count OS resources";
  rule("SK-6.1", RuleLevel::capability, RuleStatus::not_applicable, 0).message = "the sink needs no bridge";
  // The causes every report leads with (what rules/causes.hpp finds).
  s.causes.push_back(Cause{.rule = "SK-2.3", .summary = "lost 4 of 9 acknowledged items " + evil, .also = {"SK-4.2"}});
  s.causes.push_back(Cause{.rule = "SK-3.1", .summary = "close repeated (close #2 of w0.b0) threw other", .also = {}});
  AllowList allow;
  allow.entries.push_back({.rule = "SK-3.1", .reason = "fix in 2.4 <JIRA-7>", .expires = "2027-01-31"});
  allow.entries.push_back({.rule = "SK-4.1", .reason = "old entry", .expires = "2026-01-01"});
  apply_allow_list(s, allow, "2026-11-24");
  return s;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void expect_golden(ReportFormat format, const std::string& file) {
  const auto text = reports::render({sample()}, format);
  const auto path = kGolden / file;
  const char* update = std::getenv("SINKKIT_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    reports::write_file_atomically(path, text);
    GTEST_SKIP() << "rewrote " << path;
  }
  ASSERT_TRUE(fs::exists(path)) << path << " is missing: run with SINKKIT_UPDATE_GOLDEN=1";
  EXPECT_EQ(text, read(path)) << "the " << to_string(format) << " writer's output changed; if on purpose, rerun with "
                              << "SINKKIT_UPDATE_GOLDEN=1 and review the diff of " << path;
}

TEST(Golden, Json) { expect_golden(ReportFormat::json, "sample.json"); }
TEST(Golden, Markdown) { expect_golden(ReportFormat::markdown, "sample.md"); }
TEST(Golden, Html) { expect_golden(ReportFormat::html, "sample.html"); }
TEST(Golden, Junit) { expect_golden(ReportFormat::junit, "sample.junit.xml"); }
TEST(Golden, Text) { expect_golden(ReportFormat::text, "sample.txt"); }

TEST(Writers, TheJsonRoundTripRendersTheSame) {
  const auto valid = sample(kEvilButValid);
  const auto again = SuiteResult::from_json(nlohmann::json::parse(reports::render({valid}, ReportFormat::json)));
  for (auto f : reports::all_formats()) EXPECT_EQ(reports::render({again}, f), reports::render({valid}, f)) << to_string(f);
  // Bytes that are not UTF-8 come back as U+FFFD instead of breaking the report.
  const auto replaced = SuiteResult::from_json(nlohmann::json::parse(reports::render({sample()}, ReportFormat::json)));
  EXPECT_NE(replaced.rules[1].output.find("bad:\xEF\xBF\xBD("), std::string::npos);
}

TEST(Writers, SinkTextIsEscapedInHtmlAndXml) {
  for (auto f : {ReportFormat::html, ReportFormat::junit}) {
    const auto text = reports::render({sample()}, f);
    EXPECT_EQ(text.find("<script>alert"), std::string::npos) << to_string(f);
    EXPECT_NE(text.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; ]]&gt;"), std::string::npos);
    EXPECT_EQ(text.find('\x01'), std::string::npos) << "a control byte XML forbids";
    EXPECT_NE(text.find("bad:\xEF\xBF\xBD( ok:\xC3\xA9"), std::string::npos) << "broken UTF-8 replaced, good kept";
  }
  const auto html = reports::render({sample()}, ReportFormat::html);
  std::size_t scripts = 0;
  for (auto pos = html.find("<script"); pos != std::string::npos; pos = html.find("<script", pos + 1)) ++scripts;
  EXPECT_EQ(scripts, 1U) << "only the report's own filter script";
  EXPECT_EQ(html.find("src="), std::string::npos) << "nothing fetched";
  EXPECT_EQ(html.find("://"), std::string::npos) << "no address of any kind";
}

TEST(Writers, MarkdownFencesCannotBeClosedByTheCounterexample) {
  const auto md = reports::render({sample()}, ReportFormat::markdown);
  // The counterexample holds a ``` line, so its fence must be longer.
  EXPECT_NE(md.find("````text\n"), std::string::npos) << md;
  EXPECT_NE(md.find("close flushed twice \\| duplicated 3"), std::string::npos) << "a | cannot split the table cell";
}

TEST(Writers, TheTimelineDrawsEveryCallInItsLaneAndEpoch) {
  const auto svg = reports::render_timeline_svg(sample_trace());
  EXPECT_NE(svg.find("data-lanes=\"2\" data-epochs=\"2\" data-events=\"8\""), std::string::npos) << svg;
  std::size_t boxes = 0;
  for (auto pos = svg.find("<rect class=\"ev "); pos != std::string::npos; pos = svg.find("<rect class=\"ev ", pos + 1)) {
    ++boxes;
  }
  EXPECT_EQ(boxes, 8U);
  EXPECT_NE(svg.find("class=\"ev write threw\""), std::string::npos);
  EXPECT_NE(svg.find(">e1</text>"), std::string::npos);
  EXPECT_NE(svg.find(">w1.b0</text>"), std::string::npos);
  // And the HTML report draws the failure's saved trace.
  const auto html = reports::render({sample()}, ReportFormat::html);
  EXPECT_NE(html.find("<svg class=\"timeline\""), std::string::npos);
  EXPECT_EQ(html.find("could not be drawn"), std::string::npos);
}

TEST(Writers, SeveralRunsShareOneDocumentButNotOneJson) {
  auto a = sample();
  auto b = sample();
  b.subject = "second";
  const auto md = reports::render({a, b}, ReportFormat::markdown);
  EXPECT_NE(md.find("| Rule | Level |"), std::string::npos);
  EXPECT_NE(md.find("**second**"), std::string::npos);
  EXPECT_THROW((void)reports::render({a, b}, ReportFormat::json), std::invalid_argument);
  const fs::path dir = fs::temp_directory_path() / ("sinkkit-writers-" + std::to_string(::getpid()));
  const auto written = reports::write_reports({a, b}, dir, reports::all_formats(), "bundle");
  EXPECT_EQ(written.size(), 6U);  // two JSON files, one of each other format
  for (const auto& p : written) EXPECT_TRUE(fs::exists(p)) << p;
  fs::remove_all(dir);
}

TEST(Formats, NamesParseAndBadOnesAreNamed) {
  EXPECT_EQ(reports::report_formats_from("md,junit").size(), 2U);
  EXPECT_EQ(reports::report_formats_from("all"), reports::all_formats());
  EXPECT_EQ(reports::report_format_from("markdown"), ReportFormat::markdown);
  try {
    (void)reports::report_formats_from("md,pdf");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'pdf'"), std::string::npos);
  }
  EXPECT_THROW((void)reports::report_formats_from(","), std::invalid_argument);
  EXPECT_EQ(reports::file_stem("../x y/z"), "_x_y_z");
}

}  // namespace
