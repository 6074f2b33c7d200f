#pragma once
// The admin port: accepts HTTP/1.1 connections (Boost.Beast on the broker's own io_context) and
// hands each request to the AdminApi. One request at a time per connection, keep-alive, bodies
// up to kMaxRequestBodyBytes (413 beyond), 30 s idle timeout. With a TLS context it serves HTTPS
// only: each connection handshakes (within the idle timeout) before its first request.
//
// At most kMaxSessions connections are open at once; one more gets a 503 and is closed. Accept
// errors (the descriptor limit) are handled as on the protocol port (AcceptLoop).
//
// Thread-safety: none; everything on the io_context's one thread.
#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "broker/server/accept_loop.h"
#include "broker/server/admin/admin_api.h"
#include "broker/server/asio.h"

namespace boost::asio::ssl {
class context;
}

namespace symphony::server::admin {

/// What the listener needs of a session to end it at shutdown.
class AdminSessionBase {
 public:
  virtual ~AdminSessionBase() = default;
  virtual void close() = 0;
};

class AdminListener {
 public:
  /// Admin connections open at once (counted in LimitOptions::kReservedDescriptors).
  static constexpr size_t kMaxSessions = 32;

  AdminListener(boost::asio::io_context& io, AdminApi& api);
  ~AdminListener();
  /// Serves HTTPS with `tls` (which must outlive the listener); nullptr: plain HTTP. Default:
  /// plain HTTP. Call before start().
  void set_tls(boost::asio::ssl::context* tls) { tls_ = tls; }
  /// Binds `host_port`; throws std::runtime_error naming it on failure.
  void listen(const std::string& host_port);
  void start();
  /// Stops accepting and closes every open admin connection.
  void stop();
  uint16_t port() const { return port_; }

 private:
  void on_socket(boost::asio::ip::tcp::socket socket);

  AdminApi& api_;
  boost::asio::ssl::context* tls_ = nullptr;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<AcceptLoop> accept_loop_;
  std::list<std::weak_ptr<AdminSessionBase>> sessions_;
  uint16_t port_ = 0;
};

}  // namespace symphony::server::admin
