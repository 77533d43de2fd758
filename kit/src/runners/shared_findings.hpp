#pragma once
// The SharedFindings of one run (rules/check.hpp), in memory shared with the
// processes forked after it was made: the checks the runner forks, at once,
// see each other's findings as they make them.

#include <optional>
#include <string>
#include <string_view>

#include <sinkkit/rules/check.hpp>

namespace sinkkit::detail {

class SharedFindingsBoard final : public SharedFindings {
 public:
  SharedFindingsBoard();
  ~SharedFindingsBoard() override;
  SharedFindingsBoard(const SharedFindingsBoard&) = delete;
  SharedFindingsBoard& operator=(const SharedFindingsBoard&) = delete;

  std::optional<std::string> first_found_by(std::string_view signature, std::string_view rule) override;

 private:
  struct Board;
  Board* board_ = nullptr;  // null when no memory could be mapped: nothing is shared
};

}  // namespace sinkkit::detail
