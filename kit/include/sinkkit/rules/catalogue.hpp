#pragma once
/// \file
/// The rule catalogue: the single source of rule ids, levels and wording.
/// docs/spec.md renders it (`catalogue_markdown()`), and a test keeps the two
/// identical.
///
/// **Example**:
///
///     for (const sinkkit::Rule& r : sinkkit::catalogue()) std::cout << r.id << " " << r.title << "\n";
///     if (const sinkkit::Rule* r = sinkkit::find_rule("SK-3.1")) std::cout << r->statement << "\n";

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sinkkit/results/shard.hpp>
#include <sinkkit/rules/rule.hpp>

namespace sinkkit {
inline namespace rules {

/// Every rule, in id order (SK-1.1, SK-1.2, ..., SK-6.2).
std::span<const Rule> catalogue() noexcept;

/// The rule with this id, or nullptr.
const Rule* find_rule(std::string_view id) noexcept;

/// The rule with this id; throws `std::out_of_range` naming the id and the
/// known ids otherwise.
const Rule& rule(std::string_view id);

/// The rules of `shard` among `rules`, in their order: rule k of the
/// catalogue (0-based) is shard k mod N + 1's (results/shard.hpp).
std::vector<const Rule*> rules_of_shard(const std::vector<const Rule*>& rules, const Shard& shard);
/// Whether `rule` is `shard`'s (the same placement).
bool in_shard(const Rule& rule, const Shard& shard);

/// The catalogue as the Markdown of docs/spec.md's catalogue section.
std::string catalogue_markdown();

}  // namespace rules
}  // namespace sinkkit
