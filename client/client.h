#pragma once
// The C++ client of Symphony: one connection to a broker, for producing and consuming.
//
//   auto c = symphony::client::Client::connect(ClientOptions{});  // 127.0.0.1:7400
//   auto r = c->dispatch({"EmailMessage", R"({"to":"a@b.c"})"},
//   DispatchOptions().with_priority(7)); c->subscribe({"default"}, /*prefetch=*/10); while (auto d
//   = c->receive(std::chrono::seconds(1))) { ...; c->ack(d->id); }
//
// Requests are pipelined: send_dispatch() returns at once with a request id, and wait_dispatch()
// collects its result later, so many batches can be in flight on one connection. Deliveries that
// arrive while waiting for a reply are queued for receive().
//
// Errors: transport failures, timeouts, protocol errors and connection-level ERROR frames throw
// ClientError; per-message problems (validation, unknown ids) come back as values in results.
// Thread-safety: none; use one Client per thread.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "protocol/consume.h"
#include "protocol/control.h"
#include "protocol/dead_letter.h"
#include "protocol/dispatch.h"
#include "protocol/error_code.h"
#include "protocol/handshake.h"
#include "protocol/headers.h"
#include "protocol/observe.h"
#include "protocol/opcode.h"
#include "protocol/queue_admin.h"
#include "protocol/schedule.h"
#include "protocol/settle.h"
#include "protocol/stats.h"

namespace symphony::client {

using protocol::ErrorCode;

struct ClientOptions {
  std::string host = "127.0.0.1";  ///< Default: 127.0.0.1
  uint16_t port = 7400;            ///< Default: 7400
  std::string client_name = "symphony-cpp";
  std::string auth_token;
  /// Speak TLS (docs/tls.md); the server's certificate is always verified. Default: false
  bool tls = false;
  /// PEM CA bundle to verify the server against; empty: the system's default CAs.
  std::string tls_ca_file;
  /// PEM certificate chain and private key presented to a broker that asks for one (mutual TLS);
  /// both or neither. Default: none
  std::string tls_cert_file;
  std::string tls_key_file;
  /// The name sent as SNI and checked against the certificate (a DNS name or an IP address).
  /// Default (empty): `host`
  std::string tls_server_name;
  /// Longest wait for connect and for any reply. Default: 30 s
  std::chrono::milliseconds timeout{30'000};
  /// dispatch()/dispatch_batch() reconnect and resend this many times after a lost connection;
  /// the resend carries the same idempotency keys, so it never makes a second message. Default: 3
  int reconnect_attempts = 3;
  /// Wait before each reconnect attempt (doubling). Default: 100 ms
  std::chrono::milliseconds reconnect_backoff{100};
  /// Give every message without an idempotency key a random one, so resends are safe.
  /// Default: true
  bool auto_idempotency_keys = true;
};

class ClientError : public std::runtime_error {
 public:
  ClientError(ErrorCode code, const std::string& what, bool transport = false)
      : std::runtime_error(what), code_(code), transport_(transport) {}
  ErrorCode code() const { return code_; }
  /// True when the connection failed (connect, send, receive, timeout), not the request.
  bool transport() const { return transport_; }

 private:
  ErrorCode code_;
  bool transport_;
};

/// What a producer sends (the seeds' Message).
struct Message {
  Message() = default;
  Message(std::string type_, std::string payload_ = "{}", std::string metadata_ = "")
      : type(std::move(type_)), payload(std::move(payload_)), metadata(std::move(metadata_)) {}

  std::string type;
  std::string payload = "{}";  ///< a JSON object
  std::string metadata;        ///< a JSON object, or empty
};

/// The seeds' dispatch options.
struct DispatchOptions {
  std::string queue;                       ///< empty: routed by type
  uint8_t priority = 0;                    ///< 1..10; 0: the queue's default
  std::optional<int64_t> delay_ms;         ///< available after this delay
  std::optional<int64_t> scheduled_at_ms;  ///< available at this Unix time (ms)
  std::string idempotency_key;
  protocol::HeaderList headers;
  /// A JSON object merged into the message's metadata (its keys win), as the seeds' dispatcher
  /// merges metadata from the message and from the options.
  std::string metadata;

  // chainable setters: DispatchOptions().with_queue("email").with_priority(7)
  DispatchOptions& with_queue(std::string q) {
    queue = std::move(q);
    return *this;
  }
  DispatchOptions& with_priority(uint8_t p) {
    priority = p;
    return *this;
  }
  DispatchOptions& with_delay_ms(int64_t ms) {
    delay_ms = ms;
    return *this;
  }
  DispatchOptions& with_scheduled_at_ms(int64_t at) {
    scheduled_at_ms = at;
    return *this;
  }
  DispatchOptions& with_idempotency_key(std::string k) {
    idempotency_key = std::move(k);
    return *this;
  }
  DispatchOptions& with_metadata(std::string json) {
    metadata = std::move(json);
    return *this;
  }
  DispatchOptions& with_header(std::string k, std::string v) {
    headers.emplace_back(std::move(k), std::move(v));
    return *this;
  }
};

struct OutgoingMessage {
  Message message;
  DispatchOptions options;
};

struct DispatchOutcome {
  uint32_t index = 0;
  ErrorCode code = ErrorCode::kOk;
  uint64_t id = 0;
  std::string queue;
  bool duplicate = false;
  protocol::EnvelopeStatus status = protocol::EnvelopeStatus::kPending;
  std::string error;
  bool ok() const { return code == ErrorCode::kOk; }
};

struct Delivery {
  uint64_t id = 0;
  uint32_t attempt = 0;
  uint8_t priority = 0;
  std::string queue;
  std::string type;
  int64_t created_at_ms = 0;
  int64_t lease_deadline_ms = 0;
  protocol::HeaderList headers;  ///< message-type, message-id, dispatched-at first
  std::string metadata;
  std::string payload;
};

class Client {
 public:
  /// Connects and performs the HELLO handshake; throws ClientError.
  static std::unique_ptr<Client> connect(const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const protocol::Welcome& welcome() const { return welcome_; }
  const protocol::ServerLimits& limits() const { return welcome_.limits; }

  // ---- producing ----
  /// Dispatches with reconnect-and-resend (see ClientOptions::reconnect_attempts).
  DispatchOutcome dispatch(const Message& message, const DispatchOptions& options = {});
  std::vector<DispatchOutcome> dispatch_batch(std::span<const OutgoingMessage> batch);
  /// Pipelined: sends the batch and returns its request id without waiting.
  uint32_t send_dispatch(std::span<const OutgoingMessage> batch);
  std::vector<DispatchOutcome> wait_dispatch(uint32_t request_id);

  // ---- consuming ----
  protocol::Subscribed subscribe(const std::vector<std::string>& queues, uint32_t prefetch = 0,
                                 uint32_t lease_ms = 0);
  /// The next delivery, waiting up to `timeout`; nullopt when none came.
  std::optional<Delivery> receive(std::chrono::milliseconds timeout);
  /// Zero-copy batch receive: waits up to `timeout` for deliveries, then calls `fn` once per
  /// delivery received so far (views valid during the call only). Returns how many.
  size_t receive_batch(std::chrono::milliseconds timeout,
                       const std::function<void(const protocol::DeliveryView&)>& fn);
  protocol::AckResult ack(std::span<const uint64_t> ids, bool confirm = false);
  protocol::AckResult ack(uint64_t id, bool confirm = false) { return ack({&id, 1}, confirm); }
  /// Sends an ACK whose reply is not awaited (it is dropped when it arrives).
  void ack_async(std::span<const uint64_t> ids);
  std::vector<protocol::NackResultItem> nack(std::span<const protocol::NackItem> items);
  protocol::NackResultItem nack(uint64_t id, protocol::NackMode mode, std::string_view error,
                                std::string_view error_class = {});
  protocol::TouchResultItem touch(uint64_t id, uint32_t extend_ms = 0);
  protocol::CreditOk credit(uint32_t prefetch);

  // ---- admin ----
  std::vector<protocol::QueueStats> stats(std::string_view queue = {});
  protocol::Pong ping(uint64_t nonce = 0);
  /// Removes every ready and delayed message of `queue`; returns how many.
  uint64_t purge_queue(std::string_view queue);
  std::vector<protocol::MessageStatusItem> status(std::span<const uint64_t> ids);
  protocol::FailedListResult failed_list(const protocol::FailedListRequest& request);
  protocol::DeadLetterDetail failed_get(uint64_t id);
  protocol::DeadLetterActionResult failed_retry(const protocol::DeadLetterTarget& target,
                                                bool dry_run = false);
  protocol::DeadLetterActionResult failed_delete(const protocol::DeadLetterTarget& target);
  protocol::ScheduleInfo schedule_create(const protocol::ScheduleSpec& spec);
  std::vector<protocol::ScheduleInfo> schedule_list();
  protocol::ScheduleInfo schedule_get(uint64_t id);
  /// The schedule after the change; nullopt after a delete.
  std::optional<protocol::ScheduleInfo> schedule_update(uint64_t id, protocol::ScheduleOp op);
  /// The GET /status document as JSON text: per-queue depths and rates over `minutes` (0: the
  /// windows 1, 5 and 60; else 1..60).
  std::string overview(uint8_t minutes = 0);
  /// The GET /health document as JSON text ("status": healthy, degraded or unhealthy).
  std::string health();
  /// The GET /metrics text (Prometheus text format 0.0.4).
  std::string metrics();
  /// Takes an online backup into the broker's backup directory as `name` (letters, digits, '.',
  /// '_', '-'; a new name) and returns {"name", "path", "bytes", "millis"} as JSON text once it
  /// is complete; "path" is where it went on the broker's machine.
  std::string backup(std::string_view name);

  /// Drops the connection and opens a new one (HELLO again). Replies and deliveries of the old
  /// one are gone: waiting for them throws; subscriptions must be made again.
  void reconnect();

  /// True once the server sent GOAWAY.
  bool goaway_received() const { return goaway_; }

 private:
  struct Frame {
    protocol::Opcode opcode;
    uint8_t flags = 0;
    uint32_t request_id = 0;
    std::string body;
  };
  struct Io;

  explicit Client(const ClientOptions& options);
  void open_connection();
  /// Wraps the connected socket in TLS and handshakes (ClientOptions::tls).
  void start_tls();
  /// Sends a request frame built by `encode` and returns the reply of `expected` opcode.
  template <typename Encode>
  Frame call(protocol::Opcode expected, Encode&& encode);
  uint32_t next_request_id();
  void send(const std::string& bytes);
  /// Reads frames until the reply to `request_id` arrives; queues deliveries and other replies.
  Frame wait_reply(uint32_t request_id, protocol::Opcode expected);
  /// Reads and routes one frame; false on timeout.
  bool pump_one(std::chrono::steady_clock::time_point deadline);
  void route(Frame frame);

  ClientOptions options_;
  std::unique_ptr<Io> io_;
  protocol::Welcome welcome_;
  std::string server_name_;
  uint32_t last_request_id_ = 0;
  std::string out_;
  std::unordered_map<uint32_t, Frame> replies_;
  std::unordered_set<uint32_t> discard_;
  /// Requests up to this id were sent on a connection that is gone.
  uint32_t lost_up_to_ = 0;
  /// DELIVER frame bodies not yet decoded (decoding is lazy, so receive_batch never copies).
  std::deque<std::string> deliver_frames_;
  std::deque<Delivery> deliveries_;
  void decode_next_deliver_frame();
  bool goaway_ = false;
};

/// Builds the wire view of an outgoing message; `header_bytes` must outlive the view.
protocol::DispatchMessage to_wire(const OutgoingMessage& m, std::string& header_bytes);

}  // namespace symphony::client
