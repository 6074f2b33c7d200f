#pragma once
// The seam between the network layer and the broker: a Connection decodes frames and hands them
// here; it knows nothing about queues, the core or the log (style.md §8).
#include <cstdint>

#include "protocol/frame.h"
#include "protocol/frame_decoder.h"

namespace symphony::server {

class Connection;

class FrameHandler {
 public:
  virtual ~FrameHandler() = default;
  virtual void on_open(Connection& conn) = 0;
  /// One complete frame. The body is valid only during the call.
  virtual void on_frame(Connection& conn, const protocol::Frame& frame) = 0;
  /// The byte stream broke (bad header, unknown opcode, oversize length, before authentication
  /// any frame but a small HELLO) or the HELLO deadline passed (HELLO_REQUIRED). The handler
  /// writes the ERROR; the connection closes once it is written.
  virtual void on_malformed(Connection& conn, const protocol::FrameDecoder::Result& bad) = 0;
  /// The connection is gone (peer closed, I/O error, or stop()). Called exactly once.
  virtual void on_close(Connection& conn) = 0;
  /// Output was queued on `conn`; the handler flushes all such connections at the end of the
  /// current event-loop turn, so replies and deliveries leave in as few writes as possible.
  virtual void on_output(Connection& conn) = 0;
  /// A write finished, so conn.queued_output_bytes() went down (backpressure resumes here).
  virtual void on_write_done(Connection& conn) = 0;
};

}  // namespace symphony::server
