#include <sinkkit/results/cause.hpp>

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace sinkkit {
inline namespace results {

std::string Cause::to_text() const {
  std::string out = summary + " (" + rule + ")";
  if (!also.empty()) {
    out += "; also fails ";
    for (std::size_t i = 0; i < also.size(); ++i) out += (i == 0 ? "" : ", ") + also[i];
  }
  return out;
}

nlohmann::json Cause::to_json() const { return {{"rule", rule}, {"summary", summary}, {"also", also}}; }

Cause Cause::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("rule") || !j.at("rule").is_string()) {
    throw std::invalid_argument("cause: expected an object with a \"rule\"");
  }
  Cause c;
  c.rule = j.at("rule").get<std::string>();
  c.summary = j.value("summary", "");
  c.also = j.value("also", std::vector<std::string>{});
  return c;
}

std::string causes_heading(std::size_t count) {
  return std::to_string(count) + (count == 1 ? " cause" : " causes");
}

}  // namespace results
}  // namespace sinkkit
