// The catalogue is the single source of rule ids and levels; docs/spec.md
// renders it and must never disagree.

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/rules/check.hpp>  // has_check

namespace {

using namespace sinkkit;

constexpr std::string_view kBegin = "<!-- catalogue:begin (generated from kit/src/rules/catalogue.cpp) -->\n";
constexpr std::string_view kEnd = "<!-- catalogue:end -->";

std::pair<int, int> id_numbers(std::string_view id) {
  auto dot = id.find('.');
  return {std::stoi(std::string(id.substr(3, dot - 3))), std::stoi(std::string(id.substr(dot + 1)))};
}

TEST(Catalogue, IdsAreWellFormedUniqueAndInOrder) {
  std::set<std::string_view> seen;
  std::pair<int, int> previous{0, 0};
  for (const auto& r : catalogue()) {
    ASSERT_TRUE(r.id.starts_with("SK-") && r.id.find('.') != std::string_view::npos) << r.id;
    EXPECT_TRUE(seen.insert(r.id).second) << "duplicate id " << r.id;
    auto numbers = id_numbers(r.id);
    EXPECT_LT(previous, numbers) << r.id << " is out of order";
    previous = numbers;
    EXPECT_FALSE(r.title.empty() || r.statement.empty() || r.rationale.empty() || applies_text(r.applies).empty() ||
                 r.checked_by.empty())
        << r.id << " has an empty field";
  }
  EXPECT_GE(catalogue().size(), 28U);
}

TEST(Catalogue, EveryRuleHasACheck) {
  for (const auto& r : catalogue()) EXPECT_TRUE(has_check(r.id)) << r.id;
}

TEST(Catalogue, LookupByIdAndUnknownIdsNamed) {
  EXPECT_EQ(rule("SK-2.3").level, RuleLevel::must);
  EXPECT_EQ(find_rule("SK-9.9"), nullptr);
  try {
    (void)rule("SK-9.9");
    FAIL() << "rule() accepted an unknown id";
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("SK-9.9"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("SK-1.1"), std::string::npos) << "should list the known ids";
  }
}

// SINKKIT_UPDATE_SPEC=1 rewrites docs/spec.md's generated section instead.
TEST(Catalogue, DocsSpecMatchesTheCode) {
  const std::string path = SINKKIT_SOURCE_DIR "/docs/spec.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream buf;
  buf << in.rdbuf();
  std::string doc = buf.str();
  const auto begin = doc.find(kBegin);
  const auto end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << path << " lacks the marker " << kBegin;
  ASSERT_NE(end, std::string::npos) << path << " lacks the marker " << kEnd;
  const auto from = begin + kBegin.size();
  const std::string generated = catalogue_markdown();
  if (const char* update = std::getenv("SINKKIT_UPDATE_SPEC"); update && std::string(update) == "1") {
    doc.replace(from, end - from, generated);
    std::ofstream(path) << doc;
    GTEST_SKIP() << "rewrote " << path;
  }
  EXPECT_EQ(doc.substr(from, end - from), generated)
      << "docs/spec.md and the catalogue disagree. Edit kit/src/rules/catalogue.cpp, then run this test with "
         "SINKKIT_UPDATE_SPEC=1 to regenerate the section.";
}

}  // namespace
