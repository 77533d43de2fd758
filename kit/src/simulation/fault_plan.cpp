#include <sinkkit/simulation/fault_plan.hpp>

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/json_integer.hpp>
#include <sinkkit/detail/rng.hpp>

namespace sinkkit {
inline namespace simulation {

std::string to_string(const PartitionId& p) {
  return "w" + std::to_string(p.worker) + ".b" + std::to_string(p.branch);
}

std::string to_string(StorageFaultKind kind) {
  switch (kind) {
    case StorageFaultKind::any_call: return "any call";
    case StorageFaultKind::write_error: return "write";
    case StorageFaultKind::sync_error: return "fsync";
    case StorageFaultKind::short_write: return "short write";
    case StorageFaultKind::connection_reset: return "connection reset";
    case StorageFaultKind::stall: return "stall";
    case StorageFaultKind::drop_requests: return "requests dropped";
    case StorageFaultKind::drop_replies: return "replies dropped";
  }
  return "unknown";
}

std::string errno_name(int error) {
  switch (error) {
    case 5: return "EIO";
    case 28: return "ENOSPC";
    case 122: return "EDQUOT";
    default: return "errno " + std::to_string(error);
  }
}

bool FaultPlan::clean() const {
  return !fail_build_on_worker && write_faults.empty() && !abort_after_epoch && close_calls == 1 &&
         no_writes.empty() && storage_faults.empty() && write_after_close.empty() && !keep_writing_after_failure;
}

std::string FaultPlan::describe() const {
  std::vector<std::string> parts;
  if (fail_build_on_worker) parts.push_back("build fails on w" + std::to_string(*fail_build_on_worker));
  for (const auto& f : write_faults) {
    parts.push_back("write_batch #" + std::to_string(f.call) + " on " + to_string(PartitionId{f.worker, f.branch}) +
                    (f.timing == FaultTiming::before_forwarding ? " throws before the sink is called"
                                                                : " throws after the sink returned"));
  }
  if (abort_after_epoch) parts.push_back("run aborts after epoch " + std::to_string(*abort_after_epoch));
  if (close_calls != 1) parts.push_back("close x" + std::to_string(close_calls));
  for (const auto& p : no_writes) parts.push_back(to_string(p) + " gets no writes");
  for (const auto& s : storage_faults) {
    // The kind shows only when it is not the default (a hook ignores it).
    const bool plain = s.kind == StorageFaultKind::any_call && s.error == 5 && s.skip == 0;
    parts.push_back("storage of " + to_string(PartitionId{s.worker, s.branch}) + " fails after " +
                    std::to_string(s.after_items) + " more items" +
                    (plain ? ""
                           : " (" + to_string(s.kind) + (is_network(s.kind) ? "" : ": " + errno_name(s.error)) +
                                 (s.skip > 0 ? ", " + std::to_string(s.skip) +
                                                   (is_network(s.kind) ? " requests" : " calls") + " let through"
                                             : "") +
                                 ")"));
  }
  for (const auto& p : write_after_close) parts.push_back(to_string(p) + " gets a write_batch after close");
  if (keep_writing_after_failure) parts.push_back("writes go on after a failure");
  if (parts.empty()) return "clean";
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

void FaultPlan::validate(int workers, int branches) const {
  auto check = [&](int worker, int branch, const std::string& what) {
    if (worker < 0 || worker >= workers || branch < 0 || branch >= branches) {
      throw std::invalid_argument("fault plan: " + what + " names " + to_string(PartitionId{worker, branch}) +
                                  ", outside " + std::to_string(workers) + " workers x " + std::to_string(branches) +
                                  " branches");
    }
  };
  if (fail_build_on_worker) check(*fail_build_on_worker, 0, "fail_build_on_worker");
  for (const auto& f : write_faults) {
    check(f.worker, f.branch, "a write fault");
    if (f.call < 0) throw std::invalid_argument("fault plan: a write fault has a negative call index");
  }
  for (const auto& p : no_writes) check(p.worker, p.branch, "no_writes");
  for (const auto& s : storage_faults) {
    check(s.worker, s.branch, "a storage fault");
    if (s.after_items < 0) throw std::invalid_argument("fault plan: a storage fault has negative after_items");
    if (s.error != 5 && s.error != 28 && s.error != 122) {
      throw std::invalid_argument("fault plan: a storage fault's error must be EIO (5), ENOSPC (28) or EDQUOT (122), got " +
                                  std::to_string(s.error));
    }
    if (s.skip < 0 || s.skip > 2) throw std::invalid_argument("fault plan: a storage fault's skip must be in [0, 2]");
  }
  for (const auto& p : write_after_close) check(p.worker, p.branch, "write_after_close");
  if (close_calls < 1 || close_calls > 5) {
    throw std::invalid_argument("fault plan: close_calls must be in [1, 5], got " + std::to_string(close_calls));
  }
  if (abort_after_epoch && *abort_after_epoch < 0) {
    throw std::invalid_argument("fault plan: abort_after_epoch must be >= 0");
  }
}

FaultPlan make_fault_plan(int workers, int branches, int epochs, std::uint64_t seed, FaultMix mix) {
  detail::Rng rng(seed);
  FaultPlan plan;
  auto some = [&](bool allowed) { return allowed && rng.chance(25); };
  auto partition = [&] {
    return PartitionId{static_cast<int>(rng.below(static_cast<std::uint64_t>(workers))),
                       static_cast<int>(rng.below(static_cast<std::uint64_t>(branches)))};
  };
  if (some(mix.build_failures)) plan.fail_build_on_worker = static_cast<int>(rng.below(static_cast<std::uint64_t>(workers)));
  if (some(mix.write_failures)) {
    auto p = partition();
    plan.write_faults.push_back({p.worker, p.branch, static_cast<int>(rng.below(6)),
                                 rng.chance(50) ? FaultTiming::after_forwarding : FaultTiming::before_forwarding});
  }
  if (some(mix.aborts)) plan.abort_after_epoch = static_cast<int>(rng.below(static_cast<std::uint64_t>(std::max(epochs, 1))));
  if (some(mix.repeated_closes)) plan.close_calls = static_cast<int>(rng.between(2, 5));
  if (some(mix.no_write_partitions)) plan.no_writes.push_back(partition());
  if (some(mix.storage_faults)) {
    auto p = partition();
    plan.storage_faults.push_back({p.worker, p.branch, rng.between(0, 200)});
  }
  return plan;
}

NLOHMANN_JSON_SERIALIZE_ENUM(StorageFaultKind, {{StorageFaultKind::any_call, "any_call"},
                                                {StorageFaultKind::write_error, "write_error"},
                                                {StorageFaultKind::sync_error, "sync_error"},
                                                {StorageFaultKind::short_write, "short_write"},
                                                {StorageFaultKind::connection_reset, "connection_reset"},
                                                {StorageFaultKind::stall, "stall"},
                                                {StorageFaultKind::drop_requests, "drop_requests"},
                                                {StorageFaultKind::drop_replies, "drop_replies"}})

NLOHMANN_JSON_SERIALIZE_ENUM(FaultTiming, {{FaultTiming::before_forwarding, "before_forwarding"},
                                           {FaultTiming::after_forwarding, "after_forwarding"}})

void to_json(nlohmann::json& j, const FaultPlan& f) {
  j = nlohmann::json::object();
  if (f.fail_build_on_worker) j["fail_build_on_worker"] = *f.fail_build_on_worker;
  if (!f.write_faults.empty()) {
    auto& arr = j["write_faults"] = nlohmann::json::array();
    for (const auto& w : f.write_faults) {
      arr.push_back({{"worker", w.worker}, {"branch", w.branch}, {"call", w.call}, {"timing", w.timing}});
    }
  }
  if (f.abort_after_epoch) j["abort_after_epoch"] = *f.abort_after_epoch;
  j["close_calls"] = f.close_calls;
  if (!f.no_writes.empty()) {
    auto& arr = j["no_writes"] = nlohmann::json::array();
    for (const auto& p : f.no_writes) arr.push_back({{"worker", p.worker}, {"branch", p.branch}});
  }
  if (!f.storage_faults.empty()) {
    auto& arr = j["storage_faults"] = nlohmann::json::array();
    for (const auto& s : f.storage_faults) {
      arr.push_back({{"worker", s.worker}, {"branch", s.branch}, {"after_items", s.after_items}, {"kind", s.kind},
                     {"error", s.error}, {"skip", s.skip}});
    }
  }
  if (!f.write_after_close.empty()) {
    auto& arr = j["write_after_close"] = nlohmann::json::array();
    for (const auto& p : f.write_after_close) arr.push_back({{"worker", p.worker}, {"branch", p.branch}});
  }
  if (f.keep_writing_after_failure) j["keep_writing_after_failure"] = true;
}

namespace {

// An enum from its JSON name. NLOHMANN_JSON_SERIALIZE_ENUM maps an unknown
// name to the first value; a name that does not map back is refused instead.
template <class E>
E known(const nlohmann::json& name, const char* what) {
  const auto value = name.get<E>();
  if (nlohmann::json(value) != name) throw std::invalid_argument(std::string("fault plan: unknown ") + what + " " + name.dump());
  return value;
}

}  // namespace

void from_json(const nlohmann::json& j, FaultPlan& f) {
  f = FaultPlan{};
  if (j.contains("fail_build_on_worker")) f.fail_build_on_worker = detail::json_integer_at<int>(j, "fail_build_on_worker");
  for (const auto& w : j.value("write_faults", nlohmann::json::array())) {
    f.write_faults.push_back({detail::json_integer_at<int>(w, "worker"), detail::json_integer_at<int>(w, "branch"), detail::json_integer_at<int>(w, "call"),
                              known<FaultTiming>(w.at("timing"), "write fault timing")});
  }
  if (j.contains("abort_after_epoch")) f.abort_after_epoch = detail::json_integer_at<int>(j, "abort_after_epoch");
  f.close_calls = detail::json_integer_or<int>(j, "close_calls", 1);
  for (const auto& p : j.value("no_writes", nlohmann::json::array())) {
    f.no_writes.push_back({detail::json_integer_at<int>(p, "worker"), detail::json_integer_at<int>(p, "branch")});
  }
  for (const auto& s : j.value("storage_faults", nlohmann::json::array())) {
    StorageFault fault{detail::json_integer_at<int>(s, "worker"), detail::json_integer_at<int>(s, "branch"), detail::json_integer_at<std::int64_t>(s, "after_items")};
    fault.kind = known<StorageFaultKind>(s.value("kind", nlohmann::json("any_call")), "storage fault kind");
    fault.error = detail::json_integer_or<int>(s, "error", 5);
    fault.skip = detail::json_integer_or<int>(s, "skip", 0);
    f.storage_faults.push_back(fault);
  }
  for (const auto& p : j.value("write_after_close", nlohmann::json::array())) {
    f.write_after_close.push_back({detail::json_integer_at<int>(p, "worker"), detail::json_integer_at<int>(p, "branch")});
  }
  f.keep_writing_after_failure = j.value("keep_writing_after_failure", false);
}

}  // namespace simulation
}  // namespace sinkkit
