#include <sinkkit/runners/gtest.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>

#include <sinkkit/results/result_file.hpp>
#include <sinkkit/rules/catalogue.hpp>
#include <sinkkit/rules/causes.hpp>
#include <sinkkit/runners/allow_list.hpp>
#include <sinkkit/runners/interruption.hpp>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

// The storage-fault interposer (libsinkkit_faults), which conformance
// programs carry: referred to here so that the linker keeps it.
extern "C" void* sinkkit_faults_control_block();

namespace sinkkit::detail {

namespace {

std::optional<long long> env_number(const char* name, long long min, long long max) {
  const char* raw = std::getenv(name);
  if (raw == nullptr || *raw == '\0') return std::nullopt;
  std::string text(raw);
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used, 10);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v < min || v > max) {
    throw std::invalid_argument(std::string(name) + "=" + text + ": expected a whole number in [" +
                                std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

// SINKKIT_SHARD=I/N, or the whole run when unset.
Shard env_shard() {
  const char* raw = std::getenv("SINKKIT_SHARD");
  if (raw == nullptr || *raw == '\0') return Shard{};
  try {
    return parse_shard(raw);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("SINKKIT_SHARD=") + raw + ": " + e.what());
  }
}

bool env_flag(const char* name) {
  const char* raw = std::getenv(name);
  if (raw == nullptr || *raw == '\0') return false;
  std::string v(raw);
  if (v == "1" || v == "true" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "no") return false;
  throw std::invalid_argument(std::string(name) + "=" + v + ": expected 1 or 0");
}

// One seed per test process, so every rule of a run shares it and one
// SINKKIT_SEED replays the run.
std::uint64_t process_seed() {
  static const std::uint64_t seed = [] {
    const char* raw = std::getenv("SINKKIT_SEED");
    if (raw != nullptr && *raw != '\0') {
      std::string text(raw);
      std::size_t used = 0;
      std::uint64_t v = 0;
      try {
        v = std::stoull(text, &used, 10);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != text.size()) throw std::invalid_argument("SINKKIT_SEED=" + text + ": expected an unsigned number");
      return v;
    }
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }();
  return seed;
}

// Results checked ahead (SINKKIT_JOBS), by suite and rule id, until their
// tests report them.
struct CheckedAhead {
  std::mutex mutex;
  std::map<std::string, std::map<std::string, RuleResult>> results;
};
CheckedAhead& checked_ahead() {
  static CheckedAhead store;
  return store;
}

// The suites' results, written as JSON reports when the test program ends.
class ReportBook : public ::testing::Environment {
 public:
  static ReportBook& instance() {
    static ReportBook* book = [] {
      auto* b = new ReportBook;  // owned by GoogleTest once added
      ::testing::AddGlobalTestEnvironment(b);
      ::testing::UnitTest::GetInstance()->listeners().Append(new StopWhenInterrupted);  // owned by GoogleTest
      return b;
    }();
    return *book;
  }

  void add(const std::string& suite, const std::string& sink, const Capabilities& caps, const SuiteOptions& options,
           RuleResult r, const SuiteResult& gate) {
    std::lock_guard lock(mutex_);
    auto& s = suites_[suite];
    s.gate_errors.insert(s.gate_errors.end(), gate.gate_errors.begin(), gate.gate_errors.end());
    s.gate_notes.insert(s.gate_notes.end(), gate.gate_notes.begin(), gate.gate_notes.end());
    s.sink = sink;
    s.subject = suite;
    s.capabilities = caps;
    s.kit_version = kit_version();
    s.seed = options.check.seed;
    s.budget = options.check.budget;
    s.max_workers = options.check.max_workers;
    s.strict = options.strict;
    s.shard = options.shard;
    s.seconds += r.seconds;
    s.rules.push_back(std::move(r));
  }

  // Whether `suite` has a result for rule `id` already.
  bool reported(const std::string& suite, std::string_view id) {
    std::lock_guard lock(mutex_);
    const auto s = suites_.find(suite);
    return s != suites_.end() && s->second.find(id) != nullptr;
  }

  // Interrupted (SIGINT, SIGTERM, SIGHUP): the rules this program was still to
  // run are listed as not run, the reports written as at the end, and the
  // program ends with 128 + the signal (GoogleTest's own teardown and XML
  // output are skipped: the run did not finish).
  [[noreturn]] void finish_interrupted(int sig) {
    {
      std::lock_guard lock(mutex_);
      const auto* unit = ::testing::UnitTest::GetInstance();
      const auto* current = unit->current_test_info();
      bool after_current = current == nullptr;  // between tests: every test not yet run
      const std::string prefix = "Conformance/";
      for (int i = 0; i < unit->total_test_suite_count(); ++i) {
        const auto* suite = unit->GetTestSuite(i);
        const std::string suite_name = suite->name();
        for (int k = 0; k < suite->total_test_count(); ++k) {
          const auto* test = suite->GetTestInfo(k);
          if (test == current) {
            after_current = true;
            continue;
          }
          if (!after_current || !suite_name.starts_with(prefix) || !test->should_run() || test->value_param() == nullptr) {
            continue;
          }
          const Rule* rule = find_rule(test->value_param());
          if (rule == nullptr) continue;
          auto& result = suites_[suite_name.substr(prefix.size())];
          if (result.sink.empty()) {  // no rule of it reported yet: its shard from the environment
            try {
              result.shard = env_shard();
            } catch (const std::invalid_argument&) {  // every test failed naming it
            }
          }
          if (!in_shard(*rule, result.shard)) continue;  // another shard's
          if (result.sink.empty()) result.sink = suite_name.substr(prefix.size());
          if (result.find(rule->id) != nullptr) continue;  // judged
          // Checked ahead before the signal: a verdict, kept.
          if (auto ahead = take_checked_ahead(suite_name.substr(prefix.size()), *rule); ahead && !is_not_run(*ahead)) {
            result.rules.push_back(std::move(*ahead));
          } else {
            result.rules.push_back(not_run_result(*rule, process_seed(), not_run_message(sig)));
          }
        }
      }
      for (auto& [suite, result] : suites_) mark_interrupted(result, sig);
    }
    TearDown();
    std::cout << "[ sinkkit  ] interrupted by " << signal_name(sig) << ": stopped, the rules judged are kept" << std::endl;
    std::cerr.flush();
    std::_Exit(128 + sig);
  }

  // A signal that came between tests (or during a test that is not a rule)
  // ends the program at the end of that test.
  class StopWhenInterrupted : public ::testing::EmptyTestEventListener {
   public:
    void OnTestEnd(const ::testing::TestInfo&) override {
      if (const int sig = interruption_signal(); sig != 0) instance().finish_interrupted(sig);
    }
  };

  void TearDown() override {
    const char* dir = std::getenv("SINKKIT_REPORT_DIR");
    std::lock_guard lock(mutex_);
    for (auto& [suite, result] : suites_) {
      result.causes = find_causes(result.rules);
      std::cout << "[ sinkkit  ] " << suite << " (sink " << result.sink << "): " << result.summary_line()
                << (result.exit_code() == 0 ? ": conformant" : ": NOT conformant") << std::endl;
      if (!result.causes.empty()) std::cout << "[ sinkkit  ] " << causes_heading(result.causes.size()) << ":" << std::endl;
      for (std::size_t i = 0; i < result.causes.size(); ++i) {
        std::cout << "[ sinkkit  ]   " << i + 1 << ". " << result.causes[i].to_text() << std::endl;
      }
      if (dir == nullptr || *dir == '\0') continue;
      write_merged(std::filesystem::path(dir), suite, result);
    }
  }

  // CTest runs each rule in a process of its own (gtest_discover_tests), so
  // each process merges its rules into the suite's report instead of
  // replacing it: under a lock, since CTest may run them in parallel.
  static void write_merged(const std::filesystem::path& dir, const std::string& suite, SuiteResult result) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const auto path = dir / (suite + ".json");
    const int lock = ::open((dir / ("." + suite + ".lock")).c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (lock >= 0) ::flock(lock, LOCK_EX);
    if (std::filesystem::exists(path)) {
      try {
        result = merge_results(std::move(result), read_result_file(path));
      } catch (const std::exception& e) {
        std::cerr << "sinkkit: replacing unreadable report " << path << ": " << e.what() << std::endl;
      }
    }
    result.causes = find_causes(result.rules);  // over every rule merged so far
    try {
      write_result_file(path, result);
    } catch (const std::exception& e) {
      std::cerr << "sinkkit: could not write the report: " << e.what() << std::endl;
    }
    if (lock >= 0) ::close(lock);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, SuiteResult> suites_;
};

}  // namespace

std::string test_name(const Rule& rule) {
  std::string name;
  for (char c : rule.id) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  name += '_';
  for (char c : rule.title) {
    name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '_';
  }
  // "SK_2_3_no_acknowledged_item_lost": no runs of underscores.
  std::string out;
  for (char c : name)
    if (!(c == '_' && !out.empty() && out.back() == '_')) out += c;
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

std::vector<const Rule*> selected_rules_from(const std::string& suite, const Rule& rule) {
  // `rule`, and the suite's other selected rules not yet reported (in any
  // order: --gtest_shuffle runs them in another one than they were registered).
  std::vector<const Rule*> rules{&rule};
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const auto* s = unit->GetTestSuite(i);
    if (s->name() != "Conformance/" + suite) continue;
    for (int k = 0; k < s->total_test_count(); ++k) {
      const auto* test = s->GetTestInfo(k);
      const Rule* r = test->value_param() ? find_rule(test->value_param()) : nullptr;
      if (r == nullptr || r == &rule || !test->should_run() || ReportBook::instance().reported(suite, r->id)) continue;
      rules.push_back(r);
    }
  }
  std::sort(rules.begin(), rules.end(), [](const Rule* a, const Rule* b) { return rule_id_less(a->id, b->id); });
  return rules;
}

void keep_checked_ahead(const std::string& suite, std::vector<RuleResult> results) {
  auto& store = checked_ahead();
  std::lock_guard lock(store.mutex);
  for (auto& r : results) store.results[suite][r.id] = std::move(r);
}

std::optional<RuleResult> take_checked_ahead(const std::string& suite, const Rule& rule) {
  auto& store = checked_ahead();
  std::lock_guard lock(store.mutex);
  auto s = store.results.find(suite);
  if (s == store.results.end()) return std::nullopt;
  auto r = s->second.find(std::string(rule.id));
  if (r == s->second.end()) return std::nullopt;
  auto out = std::move(r->second);
  s->second.erase(r);
  return out;
}

SuiteOptions suite_options_from_env() {
  (void)sinkkit_faults_control_block();  // loaded: rules SK-4.1/4.2/4.5 reach sinks with files and no hook
  install_interruption_handling();      // a signal stops the program cleanly, its reports written
  SuiteOptions o;
  o.check.seed = process_seed();
  if (auto v = env_number("SINKKIT_BUDGET", 1, 1'000'000)) o.check.budget = static_cast<int>(*v);
  if (auto v = env_number("SINKKIT_MAX_WORKERS", 1, 64)) o.check.max_workers = static_cast<int>(*v);
  if (auto v = env_number("SINKKIT_RULE_TIMEOUT_S", 1, 86'400)) o.rule_timeout = std::chrono::seconds(*v);
  o.strict = env_flag("SINKKIT_STRICT");
  o.shard = env_shard();
  o.isolate = !env_flag("SINKKIT_NO_FORK");
  o.jobs = static_cast<int>(env_number("SINKKIT_JOBS", 1, 256).value_or(usable_cores()));
  return o;
}

std::chrono::seconds soak_length_from_env() {
  const char* raw = std::getenv("SINKKIT_SOAK");
  if (raw == nullptr || *raw == '\0') return std::chrono::seconds(0);
  try {
    return parse_duration(raw);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("SINKKIT_SOAK=") + raw + ": " + e.what());
  }
}

// SINKKIT_ALLOW_LIST=FILE, read once; a bad file fails every rule naming it.
const AllowList& env_allow_list() {
  static const AllowList list = [] {
    const char* raw = std::getenv("SINKKIT_ALLOW_LIST");
    if (raw == nullptr || *raw == '\0') return AllowList{};
    return AllowList::load(raw);
  }();
  return list;
}

void report_to_gtest(const std::string& suite, const std::string& sink, const Capabilities& caps,
                     const SuiteOptions& options, const RuleResult& checked, const char* file, int line) {
  // The allow-list, applied to this rule alone: its entries for this rule.
  SuiteResult one;
  one.sink = sink;
  one.subject = suite;
  one.rules = {checked};
  AllowList mine;
  for (const auto& e : env_allow_list().entries)
    if (e.rule == checked.id) mine.entries.push_back(e);
  apply_allow_list(one, mine, utc_today());
  const RuleResult& result = one.rules.front();
  ReportBook::instance().add(suite, sink, caps, options, result, one);
  if (const int sig = interruption_signal(); sig != 0) ReportBook::instance().finish_interrupted(sig);
  for (const auto& note : one.gate_notes) std::cout << "[ sinkkit  ] " << note << std::endl;
  for (const auto& error : one.gate_errors) ADD_FAILURE_AT(file, line) << error;
  const auto text = result.to_text();
  if (result.allowed) {
    std::cout << "[  ALLOWED ] " << text << std::flush;
    return;
  }
  switch (result.status) {
    case RuleStatus::passed:
      // A passed rule's message says how it was tested (how many cases
      // reached a fault from outside): a pass that reached none is untested.
      std::cout << "[ sinkkit  ] " << result.id << " passed (" << result.cases << " cases"
                << (result.message.empty() ? "" : "; " + result.message) << ")" << std::endl;
      break;
    case RuleStatus::failed:
      ADD_FAILURE_AT(file, line) << text;
      break;
    case RuleStatus::warning:
      if (options.strict) {
        ADD_FAILURE_AT(file, line) << "(strict) " << text;
        break;
      }
      // CTest has passed, failed and skipped, no warning: a SHOULD rule the
      // sink breaks is skipped, so that CTest's line and summary name it
      // (a passed test's output is never shown); SINKKIT_STRICT=1 fails it.
      std::cout << "[  WARNING ] " << text << std::flush;
      GTEST_SKIP() << "WARNING: SHOULD rule " << result.id << " broken (SINKKIT_STRICT=1 fails it): " << result.message;
    case RuleStatus::untested:
    case RuleStatus::not_applicable:
      GTEST_SKIP() << to_string(result.status) << ": " << result.message;
  }
}

// Registered eagerly so the environment exists before RUN_ALL_TESTS.
[[maybe_unused]] const bool kBookRegistered = (ReportBook::instance(), true);

}  // namespace sinkkit::detail
