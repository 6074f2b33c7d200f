#pragma once
// What symphony-bench needs from a peer broker (Redis Streams, beanstalkd) to run the same shapes
// as against Symphony: producer connections that pipeline commands, consumer connections that
// take and acknowledge messages, and a setup step. The Symphony path keeps using client/client.h
// (batched DISPATCH), so this interface only has to fit the peers.
//
// The peers' clients are blocking and single-threaded: one connection per bench thread, like the
// Symphony path. Errors in the transport or protocol throw std::runtime_error.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace symphony::bench {

/// Where a peer listens and what it holds the messages in.
struct PeerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string key = "bench";  ///< Redis stream key, beanstalkd tube
  size_t prefetch = 1000;     ///< most messages one PeerConsumer::receive takes (Redis COUNT)
};

/// One producer connection. Not thread-safe.
class PeerProducer {
 public:
  virtual ~PeerProducer() = default;
  /// Writes one store command per payload, in one write, without waiting for the replies.
  virtual void send(std::span<const std::string> payloads) = 0;
  /// Reads the replies to the next `n` commands sent, in order, calling on_reply(ok) as each one
  /// is parsed (the bench timestamps it there).
  virtual void collect(size_t n, const std::function<void(bool ok)>& on_reply) = 0;
};

/// One consumer connection. Not thread-safe.
class PeerConsumer {
 public:
  virtual ~PeerConsumer() = default;
  /// Acknowledges what the previous call delivered, waits a bounded time (about 100 ms for Redis,
  /// 1 s for beanstalkd) for more, and calls on_message once per payload. Returns how many.
  virtual size_t receive(const std::function<void(std::string_view payload)>& on_message) = 0;
  /// Acknowledges everything delivered so far and waits until the server has applied it.
  virtual void finish() = 0;
};

/// A peer broker: the factory for its connections. producer() and consumer() may be called from
/// several threads at once.
class PeerTarget {
 public:
  virtual ~PeerTarget() = default;
  /// Run once before any connection is made. `from_start`: consumers also get what is already
  /// stored (consume mode), not only what is produced from now on (e2e mode).
  virtual void prepare_consumers(bool from_start) = 0;
  virtual std::unique_ptr<PeerProducer> producer(int index) = 0;
  virtual std::unique_ptr<PeerConsumer> consumer(int index) = 0;
};

/// A blocking TCP connection with a read buffer, enough for the line-based (beanstalkd) and RESP
/// (Redis) protocols. Reads fail after 60 s without data, so a wedged peer ends the run.
class BlockingSocket {
 public:
  BlockingSocket(const std::string& host, uint16_t port);
  ~BlockingSocket();
  BlockingSocket(const BlockingSocket&) = delete;
  BlockingSocket& operator=(const BlockingSocket&) = delete;

  void write_all(std::string_view data);
  /// The next line without its "\r\n". Valid until the next read.
  std::string_view read_line();
  /// The next `n` bytes. Valid until the next read.
  std::string_view read_exact(size_t n);

 private:
  void fill();  // at least one more byte into buf_, or throw

  int fd_ = -1;
  std::vector<char> buf_;
  size_t begin_ = 0;  // unread bytes are buf_[begin_, end_)
  size_t end_ = 0;
};

/// Parses a decimal integer that must fill `text`; throws std::runtime_error with `what` if not.
int64_t parse_int(std::string_view text, const char* what);

}  // namespace symphony::bench
