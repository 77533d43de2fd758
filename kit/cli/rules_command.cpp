// `sinkkit rules`: the rule catalogue as a list, as docs/spec.md's Markdown
// or as JSON.

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <sinkkit/rules/catalogue.hpp>

#include "commands.hpp"

namespace sinkkit::cli {

namespace {

struct RulesArgs {
  bool markdown = false;
  bool as_json = false;
};

void print_rules(const RulesArgs& args) {
  if (args.markdown) {
    std::cout << catalogue_markdown();
  } else if (args.as_json) {
    auto j = nlohmann::json::array();
    for (const auto& r : catalogue()) {
      j.push_back({{"id", r.id}, {"level", to_string(r.level)}, {"title", r.title}, {"statement", r.statement},
                   {"applies", applies_text(r.applies)}, {"checked_by", r.checked_by}});
    }
    std::cout << j.dump(2) << "\n";
  } else {
    for (const auto& r : catalogue()) {
      std::printf("%-8s %-11s %s\n", std::string(r.id).c_str(), std::string(to_string(r.level)).c_str(),
                  std::string(r.title).c_str());
    }
  }
}

}  // namespace

void add_rules_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RulesArgs>();
  auto* rules = app.add_subcommand("rules", "List the rule catalogue");
  rules->add_flag("--markdown", args->markdown, "As the Markdown of docs/spec.md");
  rules->add_flag("--json", args->as_json, "As JSON");
  rules->callback([args, &exit_code] {
    print_rules(*args);
    exit_code = 0;
  });
}

}  // namespace sinkkit::cli
