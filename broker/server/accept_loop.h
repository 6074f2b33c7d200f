#pragma once
// AcceptLoop: accepts on a listening socket until stop(), handing each new socket on, and
// survives running out of resources (docs/architecture.md §3, "Accepting"):
//   - an accept error pauses accepting (AcceptBackoff: 10 ms doubling to 1 s, reset by a
//     success) on a timer, so a persistent error (EMFILE, ENFILE, ENOBUFS, ENOMEM) can never
//     spin the event loop;
//   - the error is logged at most once per 10 s, with the count of errors held back;
//   - at the descriptor limit (EMFILE, ENFILE) one reserved descriptor is given up to accept the
//     waiting client, write it `refusal` and close it, then taken back: the client gets a clean
//     refusal at once instead of hanging in the listen backlog. Accepting goes on at once after
//     that (a waiting client is worth a try each), so a descriptor freed anywhere is used by the
//     next client.
// Both the protocol port and the admin port use it. Thread-safety: none; one io_context thread.
#include <cstdint>
#include <functional>
#include <string>

#include "broker/server/accept_backoff.h"
#include "broker/server/asio.h"
#include "broker/server/server_metrics.h"

namespace spdlog {
class logger;
}

namespace symphony::server {

class AcceptLoop {
 public:
  using OnSocket = std::function<void(boost::asio::ip::tcp::socket)>;

  struct Options {
    /// Names the port in log lines, e.g. "protocol" or "admin".
    std::string name;
    spdlog::logger* log = nullptr;
    /// Written (best effort, without blocking) to a client refused at the descriptor limit
    /// before it is closed; empty: it is just closed.
    std::string refusal;
    /// Counts errors and refusals; may be null.
    AcceptStats* stats = nullptr;
  };

  AcceptLoop(boost::asio::ip::tcp::acceptor& acceptor, Options options, OnSocket on_socket);
  ~AcceptLoop();
  AcceptLoop(const AcceptLoop&) = delete;
  AcceptLoop& operator=(const AcceptLoop&) = delete;

  void start();
  /// Stops the pause timer; the caller closes the acceptor.
  void stop();

  /// Writes `bytes` to `fd` without blocking (what fits in its send buffer) and closes it after
  /// reading what the client already sent, so that the close does not reset the connection and
  /// take the refusal with it. Also used to refuse a client over a connection cap.
  static void refuse(int fd, const std::string& bytes);

 private:
  void do_accept();
  void on_error(const boost::system::error_code& ec);
  /// EMFILE/ENFILE: frees the reserved descriptor to accept and refuse one waiting client.
  /// True if a client was refused.
  bool refuse_with_spare();
  void reopen_spare();

  boost::asio::ip::tcp::acceptor& acceptor_;
  Options options_;
  OnSocket on_socket_;
  boost::asio::steady_timer pause_;
  AcceptBackoff backoff_;
  LogThrottle log_throttle_;
  uint64_t refused_since_log_ = 0;
  int spare_fd_ = -1;
  bool stopped_ = false;
};

}  // namespace symphony::server
