#pragma once
// A whole file's bytes, for tests that check what was written ("" when it cannot be read).
#include <fstream>
#include <iterator>
#include <string>

namespace symphony::testing {

inline std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace symphony::testing
