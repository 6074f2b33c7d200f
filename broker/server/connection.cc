#include "broker/server/connection.h"
#include "broker/server/logging.h"

#include <spdlog/spdlog.h>

#include <cstring>

namespace symphony::server {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;

namespace {
// Small first read buffer so idle connections stay cheap; it doubles while reads fill it.
constexpr size_t kInitialReadBytes = 4096;
constexpr size_t kMaxStreamingReadBytes = 1u << 20;
// A client that connects and never finishes its handshake holds a socket for this long at most.
constexpr std::chrono::milliseconds kTlsHandshakeTimeout{10'000};
// Longest wait for our close_notify to be written before the socket is closed anyway.
constexpr std::chrono::milliseconds kTlsCloseTimeout{1'000};

std::variant<tcp::socket, Connection::TlsStream> make_stream(tcp::socket socket,
                                                             ssl::context* tls) {
  using Stream = std::variant<tcp::socket, Connection::TlsStream>;
  if (tls) return Stream(std::in_place_type<Connection::TlsStream>, std::move(socket), *tls);
  return Stream(std::in_place_type<tcp::socket>, std::move(socket));
}
}  // namespace

Connection::Connection(tcp::socket socket, uint64_t id, FrameHandler& handler,
                       uint32_t max_frame_bytes, ssl::context* tls)
    : stream_(make_stream(std::move(socket), tls)),
      id_(id),
      handler_(handler),
      decoder_(max_frame_bytes) {
  boost::system::error_code ec;
  auto ep = this->socket().remote_endpoint(ec);
  remote_ =
      ec ? std::string("unknown") : ep.address().to_string() + ":" + std::to_string(ep.port());
  this->socket().set_option(tcp::no_delay(true), ec);
  in_.resize(kInitialReadBytes);
}

tcp::socket& Connection::socket() {
  if (auto* plain = std::get_if<tcp::socket>(&stream_)) return *plain;
  return std::get_if<TlsStream>(&stream_)->next_layer();
}

void Connection::start() {
  auto* tls = std::get_if<TlsStream>(&stream_);
  if (!tls) {
    open();
    return;
  }
  handshaking_ = true;
  arm_tls_timer(kTlsHandshakeTimeout);
  tls->async_handshake(
      ssl::stream_base::server,
      [self = shared_from_this()](const boost::system::error_code& ec) { self->on_handshake(ec); });
}

void Connection::on_handshake(const boost::system::error_code& ec) {
  handshaking_ = false;
  if (stopped_) return;  // stop(), or the handshake timer, ended it first
  tls_timer_->cancel();
  if (ec) {
    logs::net().info("connection {} ({}): TLS handshake failed: {}; closing", id_, remote_,
                     ec.message());
    stop();
    return;
  }
  open();
}

void Connection::open() {
  handler_.on_open(*this);
  do_read();
}

void Connection::arm_tls_timer(std::chrono::milliseconds after) {
  if (!tls_timer_) tls_timer_.emplace(socket().get_executor());
  tls_timer_->expires_after(after);
  tls_timer_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    // a wait that fired just as the handshake succeeded must not end the connection
    if (ec || self->stopped_ || !(self->handshaking_ || self->closing_)) return;
    if (self->handshaking_) {
      logs::net().info("connection {} ({}): TLS handshake timed out; closing", self->id_,
                       self->remote_);
    }
    self->stop();
  });
}

void Connection::do_read() {
  if (reading_ || closing_ || stopped_ || read_paused_) return;
  if (filled_ == in_.size()) in_.resize(in_.size() * 2);
  reading_ = true;
  with_stream([&](auto& stream) {
    stream.async_read_some(asio::buffer(in_.data() + filled_, in_.size() - filled_),
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       size_t n) { self->on_read(ec, n); });
  });
}

void Connection::on_read(const boost::system::error_code& ec, size_t n) {
  reading_ = false;
  if (ec) {
    // stream_truncated: a TLS peer that closed without close_notify, as most clients do
    if (ec != asio::error::eof && ec != asio::error::operation_aborted &&
        ec != ssl::error::stream_truncated) {
      logs::net().debug("connection {} ({}): read error: {}", id_, remote_, ec.message());
    }
    stop();
    return;
  }
  const bool filled_all = filled_ + n == in_.size();
  filled_ += n;
  size_t pos = 0;
  size_t needed = 0;
  while (!closing_ && !stopped_) {
    const auto r = decoder_.decode(std::string_view(in_.data() + pos, filled_ - pos));
    if (r.status == protocol::FrameDecoder::Status::kNeedMore) {
      needed = r.needed;
      break;
    }
    if (r.status == protocol::FrameDecoder::Status::kMalformed) {
      handler_.on_malformed(*this, r);
      close_after_flush();
      break;
    }
    handler_.on_frame(*this, r.frame);
    pos += r.consumed;
  }
  if (pos > 0) {
    std::memmove(in_.data(), in_.data() + pos, filled_ - pos);
    filled_ -= pos;
  }
  // Grow to hold a large frame whose header is in (its length is already within the limit), or
  // double while reads keep filling the buffer; shrink back once a large frame has gone.
  if (needed > in_.size()) {
    in_.resize(needed);
  } else if (filled_all && in_.size() < kMaxStreamingReadBytes) {
    in_.resize(in_.size() * 2);
  } else if (filled_ == 0 && in_.size() > kMaxStreamingReadBytes) {
    in_.resize(kMaxStreamingReadBytes);
    in_.shrink_to_fit();
  }
  if (queued_output_bytes() > kMaxQueuedOutputBytes) read_paused_ = true;
  do_read();
}

void Connection::flush() {
  if (write_in_flight_ || handshaking_ || pending_.empty() || stopped_) return;
  writing_.swap(pending_);
  pending_.clear();
  write_in_flight_ = true;
  with_stream([&](auto& stream) {
    asio::async_write(stream, asio::buffer(writing_),
                      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                        self->on_write(ec);
                      });
  });
}

void Connection::on_write(const boost::system::error_code& ec) {
  write_in_flight_ = false;
  writing_.clear();
  if (ec) {
    stop();
    return;
  }
  if (!pending_.empty()) {
    flush();
    return;
  }
  if (closing_) {
    close_stream();
    return;
  }
  if (read_paused_ && queued_output_bytes() <= kMaxQueuedOutputBytes / 2) {
    read_paused_ = false;
    do_read();
  }
}

void Connection::close_after_flush() {
  if (closing_ || stopped_) return;
  closing_ = true;
  if (handshaking_) {
    stop();  // nothing can be said to a client before its handshake ends
  } else if (write_in_flight_ || !pending_.empty()) {
    flush();
  } else if (std::holds_alternative<TlsStream>(stream_)) {
    close_stream();
  } else {
    stop();
  }
}

void Connection::close_stream() {
  auto* tls = std::get_if<TlsStream>(&stream_);
  if (!tls) {
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    stop();
    return;
  }
  // close_notify tells the peer that the stream ended on purpose. Marking the peer's close_notify
  // as received makes the shutdown complete once ours is written, instead of waiting for a reply
  // most clients never send; the timer bounds a peer that does not even read.
  SSL* native = tls->native_handle();
  SSL_set_shutdown(native, SSL_get_shutdown(native) | SSL_RECEIVED_SHUTDOWN);
  write_in_flight_ = true;  // the close_notify is the last write: flush() must not start another
  arm_tls_timer(kTlsCloseTimeout);
  tls->async_shutdown(
      [self = shared_from_this()](const boost::system::error_code&) { self->stop(); });
}

void Connection::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (tls_timer_) tls_timer_->cancel();
  boost::system::error_code ignored;
  socket().close(ignored);
  asio::post(socket().get_executor(), [self = shared_from_this()] { self->finish_close(); });
}

void Connection::finish_close() {
  if (close_notified_) return;
  close_notified_ = true;
  handler_.on_close(*this);
}

}  // namespace symphony::server
