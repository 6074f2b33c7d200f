#pragma once
// symphonyd's configuration: one struct, filled from (lowest to highest precedence)
//   built-in defaults < the TOML file of --config < SYMPHONY_* environment variables < flags.
// Every key and variable is listed in docs/operations.md ("Configuration"); `symphonyd
// --print-config` prints the effective result as TOML. Errors name the key: an unknown key is an
// error too, so a typo cannot silently fall back to a default.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/server/server.h"

namespace symphony::server {

/// A [retry.TYPE] table: only the keys it sets; the rest comes from the default policy.
struct RetryOverride {
  std::optional<uint16_t> max_retries;
  std::optional<uint32_t> delay_ms;
  std::optional<double> multiplier;
  std::optional<uint32_t> max_delay_ms;
  std::optional<double> jitter;
};

struct BrokerConfig {
  ServerOptions server;
  std::string log_level = "info";   ///< Default: info
  std::string log_format = "text";  ///< text or json (one JSON object per line). Default: text
  std::map<std::string, RetryOverride> retry_overrides;
  /// A file of auth tokens, one per line, added to auth.tokens by finalize_config (which
  /// refuses a file other users may read). Default: none
  std::string auth_token_file;
  /// How many of service.auth_tokens came from that file (to_toml leaves them out).
  size_t tokens_from_file = 0;
};

/// Applies a TOML document over `cfg`; keys it does not mention keep their values.
bool apply_toml(std::string_view text, const std::string& source, BrokerConfig& cfg,
                std::string& error);
bool apply_toml_file(const std::string& path, BrokerConfig& cfg, std::string& error);

using Getenv = std::function<const char*(const char*)>;
/// Applies the SYMPHONY_* variables that concern the broker (see docs/operations.md).
bool apply_env(const Getenv& getenv, BrokerConfig& cfg, std::string& error);

/// After every source is applied: resolves per-type retry policies over the final default one and
/// checks what single keys cannot (the listen address, routes to undeclared queues in strict
/// mode, max_delay below delay).
bool finalize_config(BrokerConfig& cfg, std::string& error);

/// Reads `path`: one token per line, blank lines and lines starting with # skipped, spaces
/// around a token trimmed. False (with `error`) for a missing, unreadable or empty file, or one
/// other users may read or write; its group may read it.
bool read_token_file(const std::string& path, std::vector<std::string>& tokens,
                     std::string& error);

/// What symphonyd logs at every start when `insecure` is set (empty when it is not): what the
/// flag allows, and whether it is in effect (no token and a non-loopback address) or idle.
std::string insecure_warning(const BrokerConfig& cfg);

/// True for 127.0.0.0/8 and ::1 (what may be served without a token).
bool is_loopback_host(const std::string& host);

/// The configuration as TOML, every key written out (what --print-config prints); auth tokens
/// are shown as "<redacted>".
std::string to_toml(const BrokerConfig& cfg);

}  // namespace symphony::server
