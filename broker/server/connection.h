#pragma once
// One client connection: owns its socket, read buffer, frame decoder and two output buffers (one
// being written, one filling), and nothing else (style.md §4). Frames go to a FrameHandler. At
// most one read and one write are in flight; everything queued while a write is in flight leaves
// in the next single write.
//
// Thread-safety: none; all calls on the io_context's one thread.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/server/asio.h"
#include "broker/server/frame_handler.h"
#include "protocol/frame_decoder.h"

namespace symphony::server {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  /// Reading pauses while more than this much output waits for a client that does not read.
  static constexpr size_t kMaxQueuedOutputBytes = 64u << 20;

  Connection(boost::asio::ip::tcp::socket socket, uint64_t id, FrameHandler& handler,
             uint32_t max_frame_bytes);

  void start();
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
  void do_read();
  void on_read(const boost::system::error_code& ec, size_t n);
  void on_write(const boost::system::error_code& ec);
  void finish_close();

  boost::asio::ip::tcp::socket socket_;
  uint64_t id_;
  FrameHandler& handler_;
  protocol::FrameDecoder decoder_;
  std::string remote_;

  std::vector<char> in_;
  size_t filled_ = 0;
  std::string pending_;
  std::string writing_;
  bool reading_ = false;
  bool write_in_flight_ = false;
  bool read_paused_ = false;
  bool closing_ = false;
  bool stopped_ = false;
  bool close_notified_ = false;
};

}  // namespace symphony::server
