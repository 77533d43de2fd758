// A verdict's JSON form, both ways: reports keep the shrunk counterexample's
// verdict as data (results/rule_result.hpp) and read it back.
#include <charconv>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/json_integer.hpp>
#include <sinkkit/judgement/verdict.hpp>

namespace sinkkit {
inline namespace judgement {

namespace {
nlohmann::json counts_json(const Counts& c) {
  nlohmann::json j;
  to_json(j, c);
  return j;
}

nlohmann::json keys_json(const std::vector<ItemKey>& keys) {
  auto j = nlohmann::json::array();
  for (const auto& k : keys) j.push_back(to_string(k));
  return j;
}

ItemKey key_from(const nlohmann::json& j) {
  const auto text = j.get<std::string>();
  const auto key = parse_item_key(text);
  if (!key) throw std::invalid_argument("verdict: '" + text + "' is not an item key");
  return *key;
}

std::vector<ItemKey> keys_from(const nlohmann::json& j, const char* field) {
  std::vector<ItemKey> keys;
  if (j.contains(field))
    for (const auto& k : j.at(field)) keys.push_back(key_from(k));
  return keys;
}

// "w<worker>.b<branch>", as to_string(PartitionId) writes it.
PartitionId partition_from(const std::string& text) {
  PartitionId p;
  const char* s = text.data();
  const char* end = s + text.size();
  const auto bad = [&text] { return std::invalid_argument("verdict: '" + text + "' is not a partition (w<n>.b<n>)"); };
  if (s == end || *s != 'w') throw bad();
  auto r = std::from_chars(s + 1, end, p.worker);
  if (r.ec != std::errc{} || r.ptr + 1 >= end || r.ptr[0] != '.' || r.ptr[1] != 'b') throw bad();
  r = std::from_chars(r.ptr + 2, end, p.branch);
  if (r.ec != std::errc{} || r.ptr != end) throw bad();
  return p;
}

ViolationKind violation_kind_from(const std::string& text) {
  for (auto k : {ViolationKind::lost, ViolationKind::duplicated, ViolationKind::unexpected, ViolationKind::reordered,
                 ViolationKind::gap, ViolationKind::corrupted})
    if (to_string(k) == text) return k;
  throw std::invalid_argument("verdict: unknown violation kind '" + text + "'");
}
}  // namespace

nlohmann::json Verdict::to_json() const {
  auto parts = nlohmann::json::array();
  for (const auto& pv : partitions) {
    nlohmann::json j = {{"partition", to_string(pv.partition)}, {"counts", counts_json(pv.counts)}};
    if (!pv.first_lost.empty()) j["first_lost"] = keys_json(pv.first_lost);
    if (!pv.first_duplicated.empty()) j["first_duplicated"] = keys_json(pv.first_duplicated);
    if (!pv.first_unexpected.empty()) j["first_unexpected"] = keys_json(pv.first_unexpected);
    if (pv.first_inversion) {
      j["first_inversion"] = {{"stored_first", to_string(pv.first_inversion->stored_first)},
                              {"stored_second", to_string(pv.first_inversion->stored_second)},
                              {"position", pv.first_inversion->position}};
    }
    if (pv.first_gap) {
      j["first_gap"] = {{"missing", to_string(pv.first_gap->missing)},
                        {"durable_after", to_string(pv.first_gap->durable_after)}};
    }
    parts.push_back(std::move(j));
  }
  auto viol = nlohmann::json::array();
  for (const auto& x : violations) viol.push_back({{"kind", to_string(x.kind)}, {"message", x.message}});
  return {{"clean", clean()},
          {"total", counts_json(total)},
          {"first_unexpected", keys_json(first_unexpected)},
          {"violations", std::move(viol)},
          {"partitions", std::move(parts)}};
}

Verdict Verdict::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("verdict: expected a JSON object");
  Verdict v;
  v.total = j.at("total").get<Counts>();
  v.first_unexpected = keys_from(j, "first_unexpected");
  for (const auto& x : j.at("violations")) {
    v.violations.push_back({violation_kind_from(x.at("kind").get<std::string>()), x.at("message").get<std::string>()});
  }
  for (const auto& pj : j.at("partitions")) {
    PartitionVerdict pv;
    pv.partition = partition_from(pj.at("partition").get<std::string>());
    pv.counts = pj.at("counts").get<Counts>();
    pv.first_lost = keys_from(pj, "first_lost");
    pv.first_duplicated = keys_from(pj, "first_duplicated");
    pv.first_unexpected = keys_from(pj, "first_unexpected");
    if (pj.contains("first_inversion")) {
      const auto& ij = pj.at("first_inversion");
      pv.first_inversion = Inversion{key_from(ij.at("stored_first")), key_from(ij.at("stored_second")),
                                     detail::json_integer_at<std::size_t>(ij, "position")};
    }
    if (pj.contains("first_gap")) {
      const auto& gj = pj.at("first_gap");
      pv.first_gap = Gap{key_from(gj.at("missing")), key_from(gj.at("durable_after"))};
    }
    v.partitions.push_back(std::move(pv));
  }
  return v;
}

}  // namespace judgement
}  // namespace sinkkit
