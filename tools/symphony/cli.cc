#include "tools/symphony/cli.h"

#include <cstdio>

#include "protocol/time_text.h"

namespace symphony::cli {

void Cli::run(const std::function<int(client::Client&)>& fn) {
  client::ClientOptions options;
  options.client_name = "symphony-cli";
  options.timeout = std::chrono::milliseconds(timeout_ms);
  std::string host;
  const auto colon = server.rfind(':');
  if (colon == std::string::npos) {
    exit_code = fail(1, "--server must be HOST:PORT");
    return;
  }
  options.host = server.substr(0, colon);
  if (!options.host.empty() && options.host.front() == '[') {
    options.host = options.host.substr(1, options.host.size() - 2);
  }
  try {
    options.port = static_cast<uint16_t>(std::stoi(server.substr(colon + 1)));
  } catch (const std::exception&) {
    exit_code = fail(1, "--server must be HOST:PORT");
    return;
  }
  try {
    auto c = client::Client::connect(options);
    exit_code = fn(*c);
  } catch (const client::ClientError& e) {
    exit_code = fail(e.transport() ? 1 : 2, e.what());
  }
}

void print_line(const json& j) {
  std::fputs(j.dump().c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void print_text(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "symphony: %s\n", message.c_str());
  return code;
}

json payload_json(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(text) : j;
}

int64_t parse_time_arg(const std::string& text, const std::string& what) {
  int64_t ms = 0;
  if (!protocol::parse_time_ms(text, ms)) {
    throw CLI::ValidationError(what, "expected Unix milliseconds or ISO 8601, got '" + text + "'");
  }
  return ms;
}

std::string iso_or_none(int64_t unix_ms) {
  return unix_ms ? protocol::format_iso8601_ms(unix_ms) : std::string("-");
}

}  // namespace symphony::cli
