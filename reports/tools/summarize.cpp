// sinkkit_summarize REPORT.json... [-o SUMMARY.txt]: prints the summary of
// saved conformance results (and writes it with -o). Exit code: 0 when every
// run is conformant, 1 when one is not, 2 for bad arguments or unreadable files.

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <sinkkit/reports/json_report.hpp>
#include <sinkkit/reports/summary.hpp>

int main(int argc, char** argv) {
  std::vector<std::string> files;
  std::string out_path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-o" && i + 1 < argc) {
      out_path = argv[++i];
    } else if (arg == "-h" || arg == "--help") {
      std::cout << "usage: sinkkit_summarize REPORT.json... [-o SUMMARY.txt]\n";
      return 0;
    } else if (!arg.empty() && arg[0] == '-') {
      std::cerr << "sinkkit_summarize: unknown option " << arg << " (usage: REPORT.json... [-o SUMMARY.txt])\n";
      return 2;
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::cerr << "sinkkit_summarize: no report given (usage: REPORT.json... [-o SUMMARY.txt])\n";
    return 2;
  }
  std::vector<sinkkit::SuiteResult> runs;
  try {
    for (const auto& f : files) runs.push_back(sinkkit::reports::read_json_report(f));
  } catch (const std::exception& e) {
    std::cerr << "sinkkit_summarize: " << e.what() << "\n";
    return 2;
  }
  const auto text = sinkkit::reports::render_summary(runs);
  std::cout << text;
  if (!out_path.empty()) {
    std::ofstream out(out_path);
    out << text;
    if (!out) {
      std::cerr << "sinkkit_summarize: cannot write " << out_path << "\n";
      return 2;
    }
  }
  return sinkkit::reports::combined_exit_code(runs);
}
