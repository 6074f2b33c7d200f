#pragma once
// Server: owns the io_context, the signal set, the acceptor and the BrokerService. Shutdown on
// SIGINT/SIGTERM: stop accepting, GOAWAY to every client, let queued writes finish, then run()
// returns (or the grace period ends it). Anchor: asio's http/server example (do_await_stop).
#include <cstdint>
#include <string>

#include <memory>

#include <optional>
#include <thread>
#include "broker/server/asio.h"

#include <boost/asio/ssl/context.hpp>

#include "broker/server/accept_loop.h"
#include "broker/server/admin/admin_api.h"
#include "broker/server/admin/admin_listener.h"
#include "broker/server/admin/admin_options.h"
#include "broker/server/auth_gate.h"
#include "broker/server/backup_runner.h"
#include "broker/server/broker_service.h"
#include "broker/server/health_options.h"
#include "broker/server/host_port.h"
#include "wal/data_dir_lock.h"
#include "wal/log_store.h"
#include "wal/open_log.h"

namespace symphony::server {

/// TLS for both ports; off unless a certificate is given.
struct TlsOptions {
  std::string cert_file;  ///< PEM certificate chain
  std::string key_file;   ///< PEM private key
  /// PEM CA bundle: when set, clients must present a certificate it signed (mutual TLS).
  std::string client_ca_file;
  bool enabled() const { return !cert_file.empty(); }
};

struct ServerOptions {
  /// host:port to listen on; port 0 picks a free one. Default: 127.0.0.1:7400
  std::string listen = "127.0.0.1:7400";
  /// host:port of the admin HTTP API and dashboard; empty turns it off. Default: 127.0.0.1:7401
  std::string admin_listen = "127.0.0.1:7401";
  /// If set, the admin port is written here once it listens.
  std::string admin_port_file;
  /// Allows listening on a non-loopback address without an auth token. Default: false
  bool insecure = false;
  TlsOptions tls;
  HealthOptions health;
  /// Where the broker keeps its data. Default: ./data
  std::string data_dir = "./data";
  /// If set, the bound port is written here once listening (for tests and scripts).
  std::string port_file;
  /// Longest wait for clients to drain on shutdown. Default: 5000 ms
  uint32_t shutdown_grace_ms = 5000;
  ServiceOptions service;
  /// Tests only: the Env RocksDB does its file I/O through (tests/support/power_cut_fs.h).
  rocksdb::Env* test_log_env = nullptr;
  /// The admin API's host names and the backup directory ([admin]).
  admin::AdminOptions admin;
  /// How authentication failures slow their address down, on both ports ([auth]).
  AuthThrottleOptions auth_throttle;
};

class Server {
 public:
  /// Checks the addresses, locks the data directory, opens the log and binds the admin port;
  /// throws std::runtime_error with a clear message on any failure (nothing is served then).
  explicit Server(ServerOptions options);
  ~Server();
  /// Recovers the log on a worker thread while the admin port answers /health and /ready (503
  /// until recovery ends), then listens on the protocol port and serves until a signal (or
  /// stop()) and the drain that follows. Returns the exit code.
  int run();
  /// Starts the same shutdown a signal does.
  void stop();
  uint16_t port() const { return port_; }

 private:
  void recover_in_background();
  void on_recovered(const std::string& summary);
  void on_recovery_failed(const std::string& error);
  void on_socket(boost::asio::ip::tcp::socket socket);
  void check_drained();
  /// Resolves the derived limits (connection cap, memory limit) for this machine and logs them.
  void resolve_limits();

  ServerOptions options_;
  /// Both ports' TLS context, when TLS is on; declared before io_ so it outlives connections.
  std::unique_ptr<boost::asio::ssl::context> tls_;
  wal::DataDirLock lock_;
  wal::OpenedLog log_;
  wal::LogStore* store_ = nullptr;  ///< log_.store
  boost::asio::io_context io_{1};
  boost::asio::signal_set signals_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<AcceptLoop> accept_loop_;
  std::unique_ptr<BrokerService> service_;
  std::unique_ptr<BackupRunner> backup_;
  std::unique_ptr<AuthGate> auth_gate_;  ///< both ports' auth failures; after io_, before admin
  admin::AdminState admin_state_;
  std::unique_ptr<admin::AdminApi> admin_api_;
  std::unique_ptr<admin::AdminListener> admin_;
  std::thread recovery_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      recovering_;
  boost::asio::steady_timer grace_timer_;
  boost::asio::steady_timer drain_poll_;
  uint64_t next_session_id_ = 1;
  uint16_t port_ = 0;
  bool stopping_ = false;
  int exit_code_ = 0;
};

}  // namespace symphony::server
