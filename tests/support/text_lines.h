#pragma once
// Splitting a program's output into lines: the CLI and the tools print one JSON object per line,
// the broker logs one entry per line.
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace symphony::testing {

/// The non-empty lines of `text`.
inline std::vector<std::string> text_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

/// Each non-empty line of `text` parsed as JSON (throws on a line that is not).
inline std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  for (const std::string& line : text_lines(text)) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace symphony::testing
