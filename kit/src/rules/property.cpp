#include "property.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <typeinfo>
#include <iostream>
#include <string>
#include <utility>

#include <rapidcheck.h>
#include <sinkkit/detail/demangle.hpp>
#include <rapidcheck/detail/TestListenerAdapter.h>
#include <sinkkit/rules/causes.hpp>
#include <sinkkit/rules/sink_under_test.hpp>

namespace sinkkit::detail {

namespace {
// One rule per marking process: plain globals of that process.
int mark_fd = -1;
// Read by a sanitizer's report from whatever thread found the error.
std::atomic<int> case_runs{0};
int failing_run = 0;
bool in_shrink = false;
}  // namespace

bool shrinking() { return in_shrink; }

void mark_case_runs(int fd) {
  mark_fd = fd;
  case_runs = 0;
  failing_run = 0;
}

std::string case_run_mark(int n) { return "\x1e[sinkkit case run " + std::to_string(n) + "]\n"; }

int last_failing_case_run() { return failing_run; }

int current_case_run() { return case_runs.load(std::memory_order_relaxed); }

CaseFailure failure_of_current_exception() {
  try {
    throw;
  } catch (const rc::GenerationFailure&) {
    throw;  // RapidCheck's own control flow
  } catch (const CaseFailed& e) {
    return e.failure();
  } catch (const SinkBroke& e) {
    return CaseFailure{e.what(), e.trace(), {}};
  } catch (const std::exception& e) {
    // The type too: a harness's read-back that throws std::invalid_argument
    // says only "stod".
    return CaseFailure{"the kit could not complete the case: " + type_name(typeid(e)) + ": " + e.what(), {}, {}};
  }
}

PropertyResult run_property(std::string_view rule_id, std::uint64_t seed, int budget, const CaseBody& body,
                            const ShrinkOptions& shrink) {
  PropertyResult result;
  std::optional<CaseFailure> last;
  bool shrunk_elsewhere = false;  // the first failure's call is another rule's to shrink
  auto property = [&] {
    if (last && (shrunk_elsewhere || (shrink.deadline && std::chrono::steady_clock::now() > *shrink.deadline))) return;
    const int run = ++case_runs;
    if (mark_fd >= 0) {
      // What an in-process sink printed through stdio belongs to the run before.
      std::fflush(nullptr);
      std::cout.flush();
      std::cerr.flush();
      const auto mark = case_run_mark(run);
      [[maybe_unused]] auto n = ::write(mark_fd, mark.data(), mark.size());
    }
    std::optional<CaseFailure> failure;
    try {
      failure = body();
    } catch (const std::exception&) {
      failure = failure_of_current_exception();
    }
    if (failure) {
      // A failure that is the failed call itself (not an oracle's finding
      // whose trace holds a failed call on the way).
      const bool about_a_call = failure->trace && (failure->unprovoked || !failure->verdict || failure->verdict->clean());
      if (!last && shrink.findings != nullptr && about_a_call) {
        // One bug, one shrink: the same failed call found first by another
        // rule of the run is filed under its cause as found.
        if (const auto signature = failure_signature(*failure->trace)) {
          const auto first = shrink.findings->first_found_by(*signature, rule_id);
          if (first && *first != rule_id) {
            shrunk_elsewhere = true;
            failure->message += "; not shrunk: the same failed call as " + *first + "'s, which shrinks it";
          }
        }
      }
      last = std::move(failure);
      failing_run = run;
      in_shrink = true;
      RC_FAIL(last->message);
    }
  };

  rc::detail::TestParams params;
  params.seed = seed;
  params.maxSuccess = budget;
  params.maxSize = 100;
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(rule_id);
  metadata.description = std::string(rule_id);
  rc::detail::TestListenerAdapter quiet;  // the runner reports, not RapidCheck
  in_shrink = false;
  const auto outcome = rc::detail::checkTestable(property, metadata, params, quiet);
  in_shrink = false;

  if (outcome.is<rc::detail::SuccessResult>()) {
    result.cases = outcome.get<rc::detail::SuccessResult>().numSuccess;
  } else if (outcome.is<rc::detail::FailureResult>()) {
    const auto& fail = outcome.get<rc::detail::FailureResult>();
    result.held = false;
    result.cases = fail.numSuccess + 1;
    result.failure = last ? std::move(last) : CaseFailure{fail.description, {}, {}};
  } else if (outcome.is<rc::detail::GaveUpResult>()) {
    const auto& gave_up = outcome.get<rc::detail::GaveUpResult>();
    result.held = false;
    result.cases = gave_up.numSuccess;
    result.failure = CaseFailure{"RapidCheck gave up: " + gave_up.description, {}, {}};
  } else {
    result.held = false;
    result.failure = CaseFailure{"RapidCheck error: " + outcome.get<rc::detail::Error>().description, {}, {}};
  }
  return result;
}

}  // namespace sinkkit::detail
