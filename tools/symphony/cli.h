#pragma once
// Shared parts of the `symphony` CLI: the global options, connecting, and output. Commands are
// grouped by family, one file each: message_commands.cc (dispatch, consume, stats, status,
// purge), failed_commands.cc (the dead-letter set), schedule_commands.cc, observe_commands.cc
// (health, overview, metrics, backup: the admin API over the binary protocol).
//
// Output: dispatch, consume and stats always print JSON lines; the other commands print readable
// lines, or JSON lines with --json. Errors go to stderr: exit 1 for usage and transport errors,
// 2 when the broker refused, 3 when consume timed out.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "client/client.h"
#include "protocol/json_views.h"

namespace symphony::cli {

using nlohmann::json;

struct Cli {
  std::string server = "127.0.0.1:7400";
  int timeout_ms = 10000;
  bool json_output = false;
  int exit_code = 0;
  /// Sent in HELLO (--token, else $SYMPHONY_TOKEN).
  std::string token;
  /// TLS (docs/tls.md): --tls, implied by --tls-ca, --tls-cert, --tls-key and --tls-server-name.
  /// Without --tls-ca the CA comes from $SYMPHONY_TLS_CA, else the system's CAs.
  bool tls = false;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_server_name;

  /// Adds --token and the --tls* options to `app` (global: they work before or after a command).
  void add_connection_options(CLI::App& app);

  /// Connects and runs `fn`; a ClientError becomes a message on stderr and exit code 1 (or 2
  /// when the broker answered with an error).
  void run(const std::function<int(client::Client&)>& fn);
};

void print_line(const json& j);
/// Prints a readable line (not JSON) to stdout.
void print_text(const std::string& line);
int fail(int code, const std::string& message);
/// Unix ms or ISO 8601; throws CLI::ValidationError naming `what`.
int64_t parse_time_arg(const std::string& text, const std::string& what);
using protocol::iso_or_none;
using protocol::payload_json;

void add_message_commands(CLI::App& app, Cli& cli);
void add_failed_commands(CLI::App& app, Cli& cli);
void add_schedule_commands(CLI::App& app, Cli& cli);
void add_observe_commands(CLI::App& app, Cli& cli);

}  // namespace symphony::cli
