#pragma once
// The one check of a presented token against the configured ones, for both ports.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace symphony::server {

/// True when `token` is one of `tokens`, or `tokens` is empty (auth off). Every token is compared
/// in full, so the time taken does not tell how close a guess came.
inline bool token_accepted(const std::vector<std::string>& tokens, std::string_view token) {
  if (tokens.empty()) return true;
  bool ok = false;
  for (const std::string& t : tokens) {
    uint8_t diff = t.size() == token.size() ? 0 : 1;
    for (size_t i = 0; i < token.size(); ++i) {
      diff |= static_cast<uint8_t>(token[i] ^ (i < t.size() ? t[i] : 0));
    }
    ok |= diff == 0;
  }
  return ok;
}

}  // namespace symphony::server
