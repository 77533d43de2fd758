#include <sinkkit/judgement/oracle.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>
#include <sinkkit/detail/json_integer.hpp>

namespace sinkkit {
inline namespace judgement {

namespace {

// Per item of a partition, indexed by seq: how far its write got (the two
// low bits, kHandOverMask: not handed, attempted or acknowledged), and
// whether the read-back holds it (kSeen). One byte per item in one array: at
// 10^7 items the book is a third of what two arrays were, and the read-back
// pass touches one cache line per item, not two.
enum Status : std::uint8_t { kNotHanded = 0, kAttempted = 1, kAcknowledged = 2, kHandOverMask = 3, kSeen = 4 };

// One write_batch's seq range and epoch, to check a stored key's epoch.
struct BatchRange {
  std::int64_t first_seq;
  std::int64_t end_seq;
  std::int64_t epoch;
};

// What the oracle tracks per partition. Items are dense in seq, so plain
// vectors indexed by seq replace any hashing: the oracle stays linear.
struct PartitionBook {
  std::vector<std::uint8_t> status;  // Status per seq
  std::vector<BatchRange> batches;   // in seq order (calls are numbered in order)
  std::size_t last_batch = 0;        // cache: read-backs are mostly in order
  bool closed_ok = false;
  std::int64_t max_seq_seen = -1;
  ItemKey max_key_seen;

  // The batch holding `seq`, or nullptr.
  const BatchRange* batch_of(std::int64_t seq) {
    if (last_batch < batches.size() && batches[last_batch].first_seq <= seq && seq < batches[last_batch].end_seq) {
      return &batches[last_batch];
    }
    auto it = std::upper_bound(batches.begin(), batches.end(), seq,
                               [](std::int64_t s, const BatchRange& b) { return s < b.first_seq; });
    if (it == batches.begin()) return nullptr;
    --it;
    if (seq >= it->end_seq) return nullptr;
    last_batch = static_cast<std::size_t>(it - batches.begin());
    return &*it;
  }
};

std::string key_list(const std::vector<ItemKey>& keys) {
  std::string s;
  for (const auto& k : keys) s += (s.empty() ? "" : " ") + to_string(k);
  return s;
}

void push_capped(std::vector<ItemKey>& v, const ItemKey& k, std::size_t cap) {
  if (v.size() < cap) v.push_back(k);
}

}  // namespace

Counts& Counts::operator+=(const Counts& o) noexcept {
  attempted += o.attempted;
  acknowledged += o.acknowledged;
  durable += o.durable;
  lost += o.lost;
  duplicated += o.duplicated;
  unexpected += o.unexpected;
  reordered += o.reordered;
  gaps += o.gaps;
  return *this;
}

std::string_view to_string(ViolationKind k) {
  switch (k) {
    case ViolationKind::lost: return "lost";
    case ViolationKind::duplicated: return "duplicated";
    case ViolationKind::unexpected: return "unexpected";
    case ViolationKind::reordered: return "reordered";
    case ViolationKind::gap: return "gap";
    case ViolationKind::corrupted: return "corrupted";
  }
  return "?";
}

Verdict Oracle::judge(const Trace& trace, std::span<const ItemKey> read_back) const {
  const int workers = trace.workload.workers;
  const int branches = trace.workload.branches;
  const auto n_partitions = static_cast<std::size_t>(workers * branches);
  const std::size_t cap = options_.max_offenders;
  std::vector<PartitionBook> books(n_partitions);
  Verdict v;
  v.partitions.resize(n_partitions);
  for (int w = 0; w < workers; ++w)
    for (int b = 0; b < branches; ++b) v.partitions[static_cast<std::size_t>(w * branches + b)].partition = {w, b};

  auto index_of = [&](int worker, int branch) -> std::ptrdiff_t {
    if (worker < 0 || worker >= workers || branch < 0 || branch >= branches) return -1;
    return worker * branches + branch;
  };

  // 1. What was written: status per seq, batch ranges, successful closes.
  // Each book is sized once, from the highest seq handed to it.
  std::vector<std::size_t> sizes(n_partitions, 0);
  for (const auto& e : trace.events) {
    auto p = index_of(e.partition.worker, e.partition.branch);
    if (p < 0) throw std::invalid_argument("oracle: trace event on " + to_string(e.partition) + " outside the workload");
    auto& size = sizes[static_cast<std::size_t>(p)];
    if (e.kind == CallKind::write_batch) size = std::max(size, static_cast<std::size_t>(e.first_seq + e.size));
  }
  for (std::size_t p = 0; p < n_partitions; ++p) books[p].status.assign(sizes[p], kNotHanded);
  for (const auto& e : trace.events) {
    const auto p = static_cast<std::size_t>(index_of(e.partition.worker, e.partition.branch));
    auto& book = books[p];
    if (e.kind == CallKind::close) {
      book.closed_ok = book.closed_ok || e.outcome == Outcome::ok;
      continue;
    }
    if (e.kind != CallKind::write_batch) continue;
    const auto end = e.first_seq + e.size;
    if (e.size > 0) book.batches.push_back({e.first_seq, end, e.epoch});
    const auto status = e.acknowledged() ? kAcknowledged : e.attempted() ? kAttempted : kNotHanded;
    std::fill(book.status.begin() + e.first_seq, book.status.begin() + end, static_cast<std::uint8_t>(status));
    auto& counts = v.partitions[p].counts;
    if (e.attempted()) counts.attempted += e.size;
    if (e.acknowledged()) counts.acknowledged += e.size;
  }

  // 2. What is stored: one pass over the read-back.
  std::int64_t unexpected_outside = 0;  // keys of no partition of this workload
  for (std::size_t pos = 0; pos < read_back.size(); ++pos) {
    const ItemKey& k = read_back[pos];
    auto p = index_of(k.worker, k.branch);
    PartitionBook* book = p < 0 ? nullptr : &books[static_cast<std::size_t>(p)];
    const bool known = book != nullptr && k.seq >= 0 && k.seq < static_cast<std::int64_t>(book->status.size()) &&
                       (book->status[static_cast<std::size_t>(k.seq)] & kHandOverMask) != kNotHanded;
    const BatchRange* batch = known ? book->batch_of(k.seq) : nullptr;
    if (batch == nullptr || batch->epoch != k.epoch) {
      push_capped(v.first_unexpected, k, cap);
      if (book == nullptr) {
        ++unexpected_outside;
      } else {
        auto& pv = v.partitions[static_cast<std::size_t>(p)];
        ++pv.counts.unexpected;
        push_capped(pv.first_unexpected, k, cap);
      }
      continue;
    }
    auto& pv = v.partitions[static_cast<std::size_t>(p)];
    auto& status = book->status[static_cast<std::size_t>(k.seq)];
    if (status & kSeen) {
      ++pv.counts.duplicated;
      push_capped(pv.first_duplicated, k, cap);
      continue;
    }
    status |= kSeen;
    if (k.seq < book->max_seq_seen) {
      ++pv.counts.reordered;
      if (!pv.first_inversion) pv.first_inversion = Inversion{book->max_key_seen, k, pos};
    } else {
      book->max_seq_seen = k.seq;
      book->max_key_seen = k;
    }
  }

  // 3. Per partition: durable, lost (where durability requires), gaps.
  const bool after_close = options_.moment == ReadBackMoment::after_close;
  for (std::size_t p = 0; p < n_partitions; ++p) {
    auto& book = books[p];
    auto& pv = v.partitions[p];
    const bool required = capabilities_.durability == Durability::on_return || (after_close && book.closed_ok);
    const auto n = static_cast<std::int64_t>(book.status.size());
    auto key_at = [&](std::int64_t seq) {
      const BatchRange* batch = book.batch_of(seq);
      return ItemKey{pv.partition.worker, pv.partition.branch, batch ? batch->epoch : -1, seq};
    };
    // One pass in seq order. A gap is an acknowledged item absent while a
    // later acknowledged one is durable: the absent ones wait in `pending`
    // until a durable one turns them into gaps (the first such pair is the
    // lowest missing seq and the nearest durable item after it).
    std::int64_t pending = 0, first_pending = -1;
    for (std::int64_t seq = 0; seq < n; ++seq) {
      const auto status = book.status[static_cast<std::size_t>(seq)];
      if ((status & kHandOverMask) != kAcknowledged) continue;
      if (status & kSeen) {
        ++pv.counts.durable;
        if (pending > 0) {
          pv.counts.gaps += pending;
          if (!pv.first_gap) pv.first_gap = Gap{key_at(first_pending), key_at(seq)};
          pending = 0;
        }
        continue;
      }
      if (required) {
        ++pv.counts.lost;
        push_capped(pv.first_lost, key_at(seq), cap);
      }
      if (pending++ == 0) first_pending = seq;
    }
    v.total += pv.counts;
  }
  v.total.unexpected += unexpected_outside;

  // 4. Violations of what the capabilities promise.
  auto first_in = [&](auto member) -> std::vector<ItemKey> {
    std::vector<ItemKey> keys;
    for (const auto& pv : v.partitions)
      for (const auto& k : pv.*member) push_capped(keys, k, cap);
    return keys;
  };
  auto add = [&](ViolationKind kind, std::string message) { v.violations.push_back({kind, std::move(message)}); };
  if (v.total.lost > 0) {
    add(ViolationKind::lost, "lost " + std::to_string(v.total.lost) + " of " + std::to_string(v.total.acknowledged) +
                                 " acknowledged items; first: " + key_list(first_in(&PartitionVerdict::first_lost)));
  }
  if (v.total.gaps > 0) {
    for (const auto& pv : v.partitions) {
      if (!pv.first_gap) continue;
      add(ViolationKind::gap, std::to_string(v.total.gaps) + " acknowledged items missing before durable ones; first: " +
                                  to_string(pv.first_gap->missing) + " is missing but " +
                                  to_string(pv.first_gap->durable_after) + " is stored");
      break;
    }
  }
  if (v.total.unexpected > 0) {
    add(ViolationKind::unexpected, std::to_string(v.total.unexpected) +
                                       " stored items were never written (poisoned batch memory, another target, or "
                                       "made up); first: " + key_list(v.first_unexpected));
  }
  if (v.total.duplicated > 0 && capabilities_.delivery == Delivery::exactly_once) {
    add(ViolationKind::duplicated, std::to_string(v.total.duplicated) +
                                       (v.total.duplicated == 1 ? " duplicate copy" : " duplicate copies") +
                                       " stored by an exactly-once sink; first: " +
                                       key_list(first_in(&PartitionVerdict::first_duplicated)));
  }
  if (v.total.reordered > 0 && capabilities_.ordered_per_partition) {
    for (const auto& pv : v.partitions) {
      if (!pv.first_inversion) continue;
      add(ViolationKind::reordered,
          std::to_string(v.total.reordered) + " items stored out of write order; first: " +
              to_string(pv.first_inversion->stored_first) + " is stored before " +
              to_string(pv.first_inversion->stored_second) + " (read-back index " +
              std::to_string(pv.first_inversion->position) + ")");
      break;
    }
  }
  return v;
}

void to_json(nlohmann::json& j, const Counts& c) {
  j = {{"attempted", c.attempted}, {"acknowledged", c.acknowledged}, {"durable", c.durable},
       {"lost", c.lost},           {"duplicated", c.duplicated},     {"unexpected", c.unexpected},
       {"reordered", c.reordered}, {"gaps", c.gaps}};
}

void from_json(const nlohmann::json& j, Counts& c) {
  c.attempted = detail::json_integer_at<std::int64_t>(j, "attempted");
  c.acknowledged = detail::json_integer_at<std::int64_t>(j, "acknowledged");
  c.durable = detail::json_integer_at<std::int64_t>(j, "durable");
  c.lost = detail::json_integer_at<std::int64_t>(j, "lost");
  c.duplicated = detail::json_integer_at<std::int64_t>(j, "duplicated");
  c.unexpected = detail::json_integer_at<std::int64_t>(j, "unexpected");
  c.reordered = detail::json_integer_at<std::int64_t>(j, "reordered");
  c.gaps = detail::json_integer_at<std::int64_t>(j, "gaps");
}

bool Verdict::has(ViolationKind kind) const noexcept {
  return std::any_of(violations.begin(), violations.end(), [kind](const auto& x) { return x.kind == kind; });
}

const PartitionVerdict& Verdict::of(PartitionId p) const {
  for (const auto& pv : partitions)
    if (pv.partition == p) return pv;
  throw std::out_of_range("verdict: no partition " + to_string(p));
}

namespace {
std::string counts_text(const Counts& c) {
  return "attempted=" + std::to_string(c.attempted) + " acknowledged=" + std::to_string(c.acknowledged) +
         " durable=" + std::to_string(c.durable) + " lost=" + std::to_string(c.lost) +
         " duplicated=" + std::to_string(c.duplicated) + " unexpected=" + std::to_string(c.unexpected) +
         " reordered=" + std::to_string(c.reordered) + " gaps=" + std::to_string(c.gaps);
}

}  // namespace

std::string Verdict::to_text() const {
  std::string out = clean() ? "verdict: clean\n" : "verdict: " + std::to_string(violations.size()) + " violation" +
                                                       (violations.size() == 1 ? "" : "s") + "\n";
  for (const auto& x : violations) out += "  " + std::string(to_string(x.kind)) + ": " + x.message + "\n";
  out += "  total: " + counts_text(total) + "\n";
  for (const auto& pv : partitions) {
    const auto& c = pv.counts;
    if (c.lost == 0 && c.duplicated == 0 && c.unexpected == 0 && c.reordered == 0 && c.gaps == 0) continue;
    out += "  " + to_string(pv.partition) + ": " + counts_text(c) + "\n";
  }
  return out;
}

}  // namespace judgement
}  // namespace sinkkit
