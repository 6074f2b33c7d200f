#pragma once
// Shared parts of the `symphony` CLI: the global options, connecting, and output. Commands are
// grouped by family, one file each: message_commands.cc (dispatch, consume, stats, status,
// purge), failed_commands.cc (the dead-letter set), schedule_commands.cc.
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

namespace symphony::cli {

using nlohmann::json;

struct Cli {
  std::string server = "127.0.0.1:7400";
  int timeout_ms = 10000;
  bool json_output = false;
  int exit_code = 0;

  /// Connects and runs `fn`; a ClientError becomes a message on stderr and exit code 1 (or 2
  /// when the broker answered with an error).
  void run(const std::function<int(client::Client&)>& fn);
};

void print_line(const json& j);
/// Prints a readable line (not JSON) to stdout.
void print_text(const std::string& line);
int fail(int code, const std::string& message);
/// A JSON document as JSON, anything else as a string.
json payload_json(const std::string& text);
/// Unix ms or ISO 8601; throws CLI::ValidationError naming `what`.
int64_t parse_time_arg(const std::string& text, const std::string& what);
std::string iso_or_none(int64_t unix_ms);

void add_message_commands(CLI::App& app, Cli& cli);
void add_failed_commands(CLI::App& app, Cli& cli);
void add_schedule_commands(CLI::App& app, Cli& cli);

}  // namespace symphony::cli
