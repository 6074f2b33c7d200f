// symphonyd's whole program but the `main` symbol (symphonyd_main.h).
#include "broker/server/symphonyd_main.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "broker/server/config.h"
#include "broker/server/logging.h"
#include "broker/server/server.h"
#include "wal/fsync_policy.h"

namespace symphony::server {
namespace {

// glibc backs its heap with transparent huge pages only when asked at process start (tunable
// glibc.malloc.hugetlb, glibc >= 2.35, and THP in "madvise" mode as Debian ships it). With
// millions of envelopes most of recovery is page faults, and huge pages cut it by about half
// (docs/benchmarks.md). So re-exec once with the tunable set; SYMPHONY_NO_HUGE_PAGES=1 opts out.
void ensure_huge_pages(char** argv) {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (std::getenv("SYMPHONY_NO_HUGE_PAGES") ||
      (tunables && std::strstr(tunables, "glibc.malloc.hugetlb"))) {
    return;
  }
  const std::string value = tunables ? std::string(tunables) + ":glibc.malloc.hugetlb=1"
                                     : std::string("glibc.malloc.hugetlb=1");
  // exec the real path, not /proc/self/exe, so the process keeps its name for ps and pkill
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return;
  self[n] = '\0';
  ::setenv("GLIBC_TUNABLES", value.c_str(), 1);
  ::execv(self, argv);
  ::unsetenv("GLIBC_TUNABLES");  // the exec failed: carry on with ordinary pages
  if (tunables) ::setenv("GLIBC_TUNABLES", tunables, 1);
}

}  // namespace

int symphonyd_main(int argc, char** argv, const SymphonydHooks& hooks) {
  ensure_huge_pages(argv);
  using symphony::server::BrokerConfig;
  BrokerConfig defaults;
  std::string config_path;
  bool print_config = false;
  std::string listen = defaults.server.listen;
  std::string data_dir = defaults.server.data_dir;
  std::string log_level = defaults.log_level;
  std::string fsync = defaults.server.service.fsync.to_string();
  uint32_t grace_ms = defaults.server.shutdown_grace_ms;
  std::string port_file;
  std::string admin_listen = defaults.server.admin_listen;
  std::string admin_port_file;
  std::vector<std::string> auth_tokens;
  std::string auth_token_file;
  std::vector<std::string> allowed_hosts;
  std::string backup_dir;
  std::string tls_cert, tls_key, tls_client_ca;
  std::string log_format = defaults.log_format;
  bool insecure = false;

  CLI::App app{
      "symphonyd: the Symphony message broker\n\nSettings come from built-in defaults, then the "
      "--config file, then SYMPHONY_* environment variables, then these flags (each overrides "
      "the one before); see docs/operations.md."};
  app.add_option("--config", config_path, "TOML configuration file");
  app.add_flag("--print-config", print_config,
               "Print the effective configuration as TOML and exit");
  auto* o_listen =
      app.add_option("--listen", listen, "HOST:PORT for the binary protocol (port 0: any free)")
          ->capture_default_str();
  auto* o_data = app.add_option("--data-dir", data_dir, "Directory of the broker's data")
                     ->capture_default_str();
  auto* o_level = app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
                      ->capture_default_str();
  auto* o_fsync =
      app.add_option("--fsync", fsync,
                     "When the log reaches the disk: always (every commit group, "
                     "before it is confirmed), interval:<ms>, or never (left to the OS)")
          ->capture_default_str();
  auto* o_grace = app.add_option("--shutdown-grace-ms", grace_ms,
                                 "Longest wait for clients to drain on SIGTERM")
                      ->capture_default_str();
  app.add_option("--port-file", port_file, "Write the bound port to this file once listening");
  auto* o_admin = app.add_option("--admin-listen", admin_listen,
                                 "HOST:PORT of the admin HTTP API and dashboard ('' turns it off)")
                      ->capture_default_str();
  app.add_option("--admin-port-file", admin_port_file,
                 "Write the bound admin port to this file once listening");
  auto* o_token = app.add_option("--auth-token", auth_tokens,
                                 "Token clients must present (HELLO, or Authorization: Bearer on "
                                 "the admin API); repeat for several. Visible in ps: prefer "
                                 "SYMPHONY_AUTH_TOKEN or --auth-token-file");
  auto* o_token_file =
      app.add_option("--auth-token-file", auth_token_file,
                     "File of tokens, one per line (# comments), added to the others; refused "
                     "when other users may read it");
  auto* o_hosts = app.add_option("--admin-allowed-host", allowed_hosts,
                                 "A host name the admin API answers to besides IP addresses and "
                                 "localhost (DNS rebinding guard); repeat for several");
  auto* o_backup_dir = app.add_option(
      "--backup-dir", backup_dir, "Where backups go, BACKUP_DIR/NAME (default: DATA_DIR/backups)");
  auto* o_insecure = app.add_flag("--insecure", insecure,
                                  "Allow a non-loopback listen address without an auth token");
  auto* o_cert = app.add_option("--tls-cert", tls_cert, "PEM certificate chain: TLS on both ports");
  auto* o_key = app.add_option("--tls-key", tls_key, "PEM private key of --tls-cert");
  auto* o_ca = app.add_option("--tls-client-ca", tls_client_ca,
                              "PEM CA bundle: require client certificates it signed (mutual TLS)");
  auto* o_format = app.add_option("--log-format", log_format, "text, or json (one object per line)")
                       ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  BrokerConfig cfg = defaults;
  std::string error;
  if (!config_path.empty() && !symphony::server::apply_toml_file(config_path, cfg, error)) {
    std::fprintf(stderr, "symphonyd: configuration error: %s\n", error.c_str());
    return 2;
  }
  if (!symphony::server::apply_env([](const char* name) { return std::getenv(name); }, cfg,
                                   error)) {
    std::fprintf(stderr, "symphonyd: configuration error: %s\n", error.c_str());
    return 2;
  }
  if (o_listen->count()) cfg.server.listen = listen;
  if (o_data->count()) cfg.server.data_dir = data_dir;
  if (o_level->count()) cfg.log_level = log_level;
  if (o_grace->count()) cfg.server.shutdown_grace_ms = grace_ms;
  if (o_fsync->count()) {
    auto p = symphony::wal::FsyncPolicy::parse(fsync);
    if (!p) {
      std::fprintf(stderr, "symphonyd: --fsync: expected always, never or interval:<ms>\n");
      return 2;
    }
    cfg.server.service.fsync = *p;
  }
  cfg.server.port_file = port_file;
  cfg.server.admin_port_file = admin_port_file;
  if (o_admin->count()) cfg.server.admin_listen = admin_listen;
  if (o_token->count()) cfg.server.service.auth_tokens = auth_tokens;
  if (o_token_file->count()) cfg.auth_token_file = auth_token_file;
  if (o_hosts->count()) cfg.server.admin.allowed_hosts = allowed_hosts;
  if (o_backup_dir->count()) cfg.server.admin.backup_dir = backup_dir;
  if (o_insecure->count()) cfg.server.insecure = insecure;
  if (o_cert->count()) cfg.server.tls.cert_file = tls_cert;
  if (o_key->count()) cfg.server.tls.key_file = tls_key;
  if (o_ca->count()) cfg.server.tls.client_ca_file = tls_client_ca;
  if (o_format->count()) cfg.log_format = log_format;
  if (!symphony::server::finalize_config(cfg, error)) {
    std::fprintf(stderr, "symphonyd: configuration error: %s\n", error.c_str());
    return 2;
  }
  if (print_config) {
    std::fputs(symphony::server::to_toml(cfg).c_str(), stdout);
    return 0;
  }

  symphony::server::setup_logging(cfg.log_format, cfg.log_level);
  if (const std::string w = symphony::server::insecure_warning(cfg); !w.empty()) {
    symphony::server::logs::server().warn("{}", w);
  }
  try {
    if (hooks.adjust) hooks.adjust(cfg.server);
    symphony::server::Server server(cfg.server);
    return server.run();
  } catch (const std::exception& e) {
    symphony::server::logs::server().critical("symphonyd: {}", e.what());
    return 1;
  }
}

}  // namespace symphony::server
