#pragma once
// One client connection: owns its socket, read buffer, frame decoder and two output buffers (one
// being written, one filling), and nothing else (style.md §4). Frames go to a FrameHandler. At
// most one read and one write are in flight; everything queued while a write is in flight leaves
// in the next single write.
//
// The stream is plain TCP or TLS over TCP (docs/tls.md). A TLS connection handshakes in start()
// before the handler hears of it (on_open) and reads frames; a failed or slow handshake just
// closes it. The same buffers and single read/write serve both streams.
//
// Before authentication the connection is kept small (docs/architecture.md §3): its decoder
// accepts only a HELLO of at most protocol::kMaxHelloBodyBytes (anything else is refused from the
// 12-byte header, before any body is buffered), its read buffer never grows past one such frame,
// and a deadline closes it if the handler has not called authenticated() in time.
//
// Thread-safety: none; all calls on the io_context's one thread.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "broker/server/asio.h"

#include <boost/asio/ssl.hpp>
#include "broker/server/frame_handler.h"
#include "protocol/frame_decoder.h"

namespace symphony::server {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  /// Reading pauses while more than this much output waits for a client that does not read.
  static constexpr size_t kMaxQueuedOutputBytes = 64u << 20;

  using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  struct Options {
    /// Largest frame body once authenticated. Default: 16 MiB
    uint32_t max_frame_bytes = protocol::kDefaultMaxFrameBytes;
    /// From accept to authenticated() (TLS handshake included); then the handler hears
    /// on_malformed(HELLO_REQUIRED) and the connection closes. Default: 10 s
    std::chrono::milliseconds hello_timeout{10'000};
  };

  /// `tls`: when set, the connection speaks TLS with this context, which must outlive it.
  Connection(boost::asio::ip::tcp::socket socket, uint64_t id, FrameHandler& handler,
             Options options, boost::asio::ssl::context* tls = nullptr);

  /// Handshakes first when the connection is TLS, then calls on_open() and reads.
  void start();
  /// The client passed HELLO: from now on any opcode and frames up to max_frame_bytes are read,
  /// and the HELLO deadline is off. Frames already received are decoded under the new rules.
  void authenticated();
  bool is_authenticated() const { return authenticated_; }
  /// Output buffer: append whole frames, then call output_queued().
  std::string& out() { return pending_; }
  void output_queued() { handler_.on_output(*this); }
  /// Starts a write of everything queued, unless one is in flight already.
  void flush();
  /// Stops reading; closes once queued output is written.
  void close_after_flush();
  /// Closes now. on_close() follows from the event loop, never from inside this call.
  void stop();

  uint64_t id() const { return id_; }
  bool closing() const { return closing_ || stopped_; }
  size_t queued_output_bytes() const { return pending_.size() + writing_.size(); }
  const std::string& remote() const { return remote_; }

 private:
  void open();
  void on_handshake(const boost::system::error_code& ec);
  void do_read();
  void on_read(const boost::system::error_code& ec, size_t n);
  void on_write(const boost::system::error_code& ec);
  /// After the last write: TLS sends close_notify first (bounded by a timer), then stop().
  void close_stream();
  /// One timer serves the deadlines of a connection: the HELLO deadline (which covers a TLS
  /// handshake too), then the bound on writing the last bytes after close. Re-arming replaces the
  /// deadline; a wait that completes for an older deadline is ignored.
  enum class Deadline : uint8_t { kNone, kHello, kClose };
  void arm_deadline(Deadline what, std::chrono::milliseconds after);
  void on_deadline(Deadline what);
  void finish_close();
  boost::asio::ip::tcp::socket& socket();
  /// Calls `fn` with the plain socket or the TLS stream.
  template <typename Fn>
  void with_stream(Fn&& fn) {
    if (auto* plain = std::get_if<boost::asio::ip::tcp::socket>(&stream_)) {
      fn(*plain);
    } else {
      fn(*std::get_if<TlsStream>(&stream_));
    }
  }

  std::variant<boost::asio::ip::tcp::socket, TlsStream> stream_;
  boost::asio::steady_timer timer_;
  uint32_t deadline_gen_ = 0;  ///< bumped by every arm_deadline()
  Deadline deadline_ = Deadline::kNone;
  uint64_t id_;
  FrameHandler& handler_;
  Options options_;
  protocol::FrameDecoder decoder_;
  std::string remote_;

  std::vector<char> in_;
  size_t filled_ = 0;
  std::string pending_;
  std::string writing_;
  bool handshaking_ = false;
  bool authenticated_ = false;
  bool reading_ = false;
  bool write_in_flight_ = false;
  bool read_paused_ = false;
  bool closing_ = false;
  bool stopped_ = false;
  bool close_notified_ = false;
};

}  // namespace symphony::server
