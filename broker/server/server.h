#pragma once
// Server: owns the io_context, the signal set, the acceptor and the BrokerService. Shutdown on
// SIGINT/SIGTERM: stop accepting, GOAWAY to every client, let queued writes finish, then run()
// returns (or the grace period ends it). Anchor: asio's http/server example (do_await_stop).
#include <cstdint>
#include <string>

#include <memory>

#include "broker/server/asio.h"
#include "broker/server/broker_service.h"
#include "wal/data_dir_lock.h"
#include "wal/log_store.h"

namespace symphony::server {

struct ServerOptions {
  /// host:port to listen on; port 0 picks a free one. Default: 127.0.0.1:7400
  std::string listen = "127.0.0.1:7400";
  /// Where the broker keeps its data. Default: ./data
  std::string data_dir = "./data";
  /// If set, the bound port is written here once listening (for tests and scripts).
  std::string port_file;
  /// Longest wait for clients to drain on shutdown. Default: 5000 ms
  uint32_t shutdown_grace_ms = 5000;
  ServiceOptions service;
};

/// Splits "host:port" or "[v6]:port"; false when malformed.
bool parse_host_port(const std::string& text, std::string& host, uint16_t& port);

class Server {
 public:
  /// Locks the data directory, recovers the log, binds the listening socket; throws
  /// std::runtime_error with a clear message on any failure (nothing is served then).
  explicit Server(ServerOptions options);
  ~Server();
  /// Serves until a signal (or stop()) and the drain that follows. Returns the exit code.
  int run();
  /// Starts the same shutdown a signal does.
  void stop();
  uint16_t port() const { return port_; }

 private:
  void do_accept();
  void check_drained();

  ServerOptions options_;
  wal::DataDirLock lock_;
  std::unique_ptr<wal::LogStore> store_;
  boost::asio::io_context io_{1};
  boost::asio::signal_set signals_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<BrokerService> service_;
  boost::asio::steady_timer grace_timer_;
  boost::asio::steady_timer drain_poll_;
  uint64_t next_session_id_ = 1;
  uint16_t port_ = 0;
  bool stopping_ = false;
};

}  // namespace symphony::server
