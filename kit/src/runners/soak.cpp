#include <sinkkit/runners/soak.hpp>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include <sinkkit/runners/interruption.hpp>

namespace sinkkit {
inline namespace runners {

std::chrono::seconds parse_duration(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  long long total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = i;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    if (end == i || end - i > 9) {
      throw std::invalid_argument(quoted + ": expected a length like 90s, 30m, 2h or 1h30m");
    }
    long long n = 0;
    for (std::size_t k = i; k < end; ++k) n = n * 10 + (text[k] - '0');
    long long unit = 1;
    if (end < text.size()) {
      const char u = text[end];
      unit = u == 's' ? 1 : u == 'm' ? 60 : u == 'h' ? 3600 : u == 'd' ? 86400 : 0;
      if (unit == 0) throw std::invalid_argument(quoted + ": unit '" + std::string(1, u) + "', expected s, m, h or d");
      ++end;
    } else if (i > 0) {
      throw std::invalid_argument(quoted + ": a number without a unit after " + std::string(text.substr(0, i)));
    }
    total += n * unit;
    if (total > 30LL * 86400) break;
    i = end;
  }
  if (text.empty() || total < 1 || total > 30LL * 86400) throw std::invalid_argument(quoted + ": expected 1s to 30d");
  return std::chrono::seconds(total);
}

std::string duration_text(std::chrono::steady_clock::duration d) {
  const long long s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  char out[48];
  if (s >= 3600) {
    std::snprintf(out, sizeof out, "%lldh%02lldm%02llds", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(out, sizeof out, "%lldm%02llds", s / 60, s % 60);
  }
  return out;
}

RuleResult soak_rule(const Rule& rule, SinkUnderTest& sut, const SuiteOptions& options, std::chrono::seconds length) {
  const auto start = std::chrono::steady_clock::now();
  auto round_options = options;
  RuleResult kept;
  int rounds = 0;
  long long cases = 0;
  double seconds = 0;
  do {
    round_options.check.seed = options.check.seed + static_cast<std::uint64_t>(rounds);
    auto r = run_rule(rule, sut, round_options);
    if (is_not_run(r) && rounds > 0) break;  // a signal: the rounds before judged it
    ++rounds;
    cases += r.cases;
    seconds += r.seconds;
    kept = std::move(r);
    // Broken: its first failure is the finding. Not applicable or untested:
    // another round would say the same.
    if (kept.status != RuleStatus::passed) break;
  } while (std::chrono::steady_clock::now() - start < length && interruption_signal() == 0);
  kept.cases = static_cast<int>(std::min<long long>(cases, std::numeric_limits<int>::max()));
  kept.seconds = seconds;
  const std::string soaked = "soaked: " + std::to_string(rounds) + (rounds == 1 ? " round" : " rounds") + " in " +
                             duration_text(std::chrono::steady_clock::now() - start) + ", seeds " +
                             std::to_string(options.check.seed) + " to " +
                             std::to_string(options.check.seed + static_cast<std::uint64_t>(rounds - 1)) + ", " +
                             std::to_string(cases) + " cases" +
                             (kept.broken() ? " (broken in the last, at seed " + std::to_string(kept.seed) + ")" : "");
  kept.message = kept.message.empty() ? soaked : kept.message + " (" + soaked + ")";
  return kept;
}

}  // namespace runners
}  // namespace sinkkit
