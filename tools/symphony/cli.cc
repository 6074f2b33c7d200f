#include "tools/symphony/cli.h"

#include <cstdio>
#include <cstdlib>

#include "protocol/time_text.h"

namespace symphony::cli {

void Cli::add_connection_options(CLI::App& app) {
  app.add_option("--token", token, "Auth token sent to the broker")->envname("SYMPHONY_TOKEN");
  app.add_flag("--tls", tls, "Connect with TLS; the broker's certificate is always verified");
  app.add_option("--tls-ca", tls_ca,
                 "PEM CA bundle to verify the broker against (default: $SYMPHONY_TLS_CA, else "
                 "the system's CAs); implies --tls");
  app.add_option("--tls-cert", tls_cert,
                 "PEM client certificate, for a broker that requires one; implies --tls");
  app.add_option("--tls-key", tls_key, "PEM private key of --tls-cert; implies --tls");
  app.add_option("--tls-server-name", tls_server_name,
                 "Name to verify the broker's certificate against, and to send as SNI (default: "
                 "the host of --server); implies --tls");
}

void Cli::run(const std::function<int(client::Client&)>& fn) {
  client::ClientOptions options;
  options.client_name = "symphony-cli";
  options.timeout = std::chrono::milliseconds(timeout_ms);
  options.auth_token = token;
  options.tls =
      tls || !tls_ca.empty() || !tls_cert.empty() || !tls_key.empty() || !tls_server_name.empty();
  options.tls_ca_file = tls_ca;
  if (options.tls && options.tls_ca_file.empty()) {
    // only a default: the variable alone does not turn TLS on, so it can stay set for plain brokers
    if (const char* ca = std::getenv("SYMPHONY_TLS_CA"); ca != nullptr) options.tls_ca_file = ca;
  }
  options.tls_cert_file = tls_cert;
  options.tls_key_file = tls_key;
  options.tls_server_name = tls_server_name;
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

int64_t parse_time_arg(const std::string& text, const std::string& what) {
  int64_t ms = 0;
  if (!protocol::parse_time_ms(text, ms)) {
    throw CLI::ValidationError(what, "expected Unix milliseconds or ISO 8601, got '" + text + "'");
  }
  return ms;
}

}  // namespace symphony::cli
