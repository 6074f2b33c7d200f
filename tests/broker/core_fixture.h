#pragma once
// Test fixture for the broker core: a recording delivery sink, message builders that keep their
// strings alive, and a decoder for the records the core appends.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/core/core.h"
#include "broker/core/queue.h"
#include "protocol/error_code.h"
#include "protocol/message_body.h"
#include "wal/record.h"
#include "wal/record_buffer.h"
#include "wal/record_codec.h"

namespace symphony::protocol {
// Readable gtest output for error codes (found by ADL).
inline void PrintTo(ErrorCode code, std::ostream* os) {
  *os << error_name(code) << " (" << static_cast<int>(code) << ")";
}
}  // namespace symphony::protocol

namespace symphony::broker::test {

struct Delivery {
  ConsumerId consumer = 0;
  MessageId id = 0;
  uint32_t attempt = 0;
  uint8_t priority = 0;
  std::string queue;
  std::string type;
  TimeMs lease_deadline_ms = 0;
};

/// Every field of two schedules is equal.
inline void expect_same_schedule(const protocol::ScheduleInfo& a, const protocol::ScheduleInfo& b) {
  SCOPED_TRACE(::testing::Message() << "schedule " << a.id);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.spec.name, b.spec.name);
  EXPECT_EQ(a.spec.kind, b.spec.kind);
  EXPECT_EQ(a.spec.at_ms, b.spec.at_ms);
  EXPECT_EQ(a.spec.interval_ms, b.spec.interval_ms);
  EXPECT_EQ(a.spec.cron, b.spec.cron);
  EXPECT_EQ(a.spec.timezone, b.spec.timezone);
  EXPECT_EQ(a.spec.start_at_ms, b.spec.start_at_ms);
  EXPECT_EQ(a.spec.max_runs, b.spec.max_runs);
  EXPECT_EQ(a.spec.enabled, b.spec.enabled);
  EXPECT_EQ(a.spec.type, b.spec.type);
  EXPECT_EQ(a.spec.payload, b.spec.payload);
  EXPECT_EQ(a.spec.metadata, b.spec.metadata);
  EXPECT_EQ(a.spec.headers, b.spec.headers);
  EXPECT_EQ(a.spec.queue, b.spec.queue);
  EXPECT_EQ(a.spec.priority, b.spec.priority);
  EXPECT_EQ(a.next_run_at_ms, b.next_run_at_ms);
  EXPECT_EQ(a.last_run_at_ms, b.last_run_at_ms);
  EXPECT_EQ(a.run_count, b.run_count);
  EXPECT_EQ(a.created_at_ms, b.created_at_ms);
  EXPECT_EQ(a.updated_at_ms, b.updated_at_ms);
  EXPECT_EQ(a.last_error, b.last_error);
}

class RecordingSink : public DeliverySink {
 public:
  /// Per consumer: after this many more deliveries, on_deliver() says "no more" (backpressure).
  std::map<ConsumerId, size_t> room;

  bool on_deliver(ConsumerId consumer, const broker::Delivery& d) override {
    const Envelope& e = d.envelope;
    protocol::MessageBodyView body;
    const bool parsed = protocol::parse_message_body(e.body(), body);
    EXPECT_TRUE(parsed) << "delivered envelope " << e.id << " has a malformed body";
    deliveries.push_back({consumer, e.id, e.attempts, e.priority, std::string(d.queue),
                          parsed ? std::string(body.type) : std::string(), d.lease_deadline_ms});
    auto it = room.find(consumer);
    if (it == room.end()) return true;
    if (it->second > 0) --it->second;
    return it->second > 0;
  }
  /// Deliveries since the last take().
  std::vector<Delivery> take() {
    std::vector<Delivery> out;
    out.swap(deliveries);
    return out;
  }

  std::vector<Delivery> deliveries;
};

/// Everything a producer can set on one message; strings are owned.
struct MessageSpec {
  std::string type = "Job";
  std::string payload = "{}";
  std::string metadata;
  protocol::HeaderList headers;
  std::string queue;
  uint8_t priority = 0;
  protocol::When when = protocol::When::kNow;
  int64_t when_value = 0;
  std::string key;
};

inline MessageSpec delayed_spec(std::string type, int64_t delay_ms) {
  MessageSpec s;
  s.type = std::move(type);
  s.when = protocol::When::kDelayMs;
  s.when_value = delay_ms;
  return s;
}

template <typename T>
std::vector<T> records_of(const std::vector<wal::Record>& records) {
  std::vector<T> out;
  for (const wal::Record& r : records) {
    if (const T* t = std::get_if<T>(&r)) out.push_back(*t);
  }
  return out;
}

class CoreTest : public ::testing::Test {
 protected:
  static constexpr TimeMs kT0 = 1'700'000'000'000;  // a realistic Unix time in ms

  /// Built on first use, so a test may change `options` before.
  Core& core() {
    if (!core_) core_ = std::make_unique<Core>(options, log, sink);
    return *core_;
  }

  std::string_view keep(std::string s) {
    strings_.push_back(std::move(s));
    return strings_.back();
  }

  protocol::DispatchMessage make_message(const MessageSpec& spec) {
    protocol::DispatchMessage m;
    m.type = keep(spec.type);
    m.payload = keep(spec.payload);
    m.metadata = keep(spec.metadata);
    m.headers.count = static_cast<uint16_t>(spec.headers.size());
    m.headers.raw = keep(protocol::encode_header_pairs(spec.headers));
    m.queue = keep(spec.queue);
    m.priority = spec.priority;
    m.when = spec.when;
    m.when_value = spec.when_value;
    m.idempotency_key = keep(spec.key);
    return m;
  }

  /// Dispatches one message at `now`; exactly one result is expected back.
  protocol::DispatchResult dispatch_spec(const MessageSpec& spec, uint32_t index = 0) {
    std::vector<protocol::DispatchResult> out;
    core().dispatch(make_message(spec), index, now, out);
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? protocol::DispatchResult{} : std::move(out.front());
  }

  protocol::DispatchResult dispatch(std::string type, std::string payload = "{}",
                                    uint8_t priority = 0, int64_t delay_ms = 0,
                                    std::string queue = "", std::string key = "") {
    MessageSpec s;
    s.type = std::move(type);
    s.payload = std::move(payload);
    s.priority = priority;
    if (delay_ms != 0) {
      s.when = protocol::When::kDelayMs;
      s.when_value = delay_ms;
    }
    s.queue = std::move(queue);
    s.key = std::move(key);
    return dispatch_spec(s);
  }

  /// Dispatches and expects success; returns the new id.
  MessageId dispatch_ok(std::string type = "Job", uint8_t priority = 0, std::string queue = "") {
    protocol::DispatchResult r = dispatch(std::move(type), "{}", priority, 0, std::move(queue));
    EXPECT_EQ(r.code, protocol::ErrorCode::kOk) << r.error;
    return r.message_id;
  }

  protocol::Subscribed subscribe(ConsumerId consumer,
                                 std::initializer_list<std::string_view> queues, uint32_t prefetch,
                                 uint32_t lease_ms = 0) {
    const std::vector<std::string_view> names(queues);
    protocol::Subscribed effective;
    std::string detail;
    EXPECT_EQ(core().subscribe(consumer, names, prefetch, lease_ms, effective, detail),
              protocol::ErrorCode::kOk)
        << detail;
    return effective;
  }

  /// Moves the fake clock to `t` and runs what the server runs after a batch: tick, then deliver.
  void advance_to(TimeMs t) {
    now = t;
    core().tick(now);
    core().deliver(now);
  }
  void deliver() { core().deliver(now); }

  protocol::NackResultItem nack(ConsumerId consumer, MessageId id, protocol::NackMode mode,
                                std::string_view error = "boom",
                                std::string_view error_class = "Error") {
    return core().nack(consumer, {id, mode, error, error_class}, now);
  }

  /// Decodes every record appended since the last call and clears the buffer. The bytes are
  /// kept, so the records' views stay valid for the whole test.
  std::vector<wal::Record> take_records() {
    const std::string_view bytes = keep(log.bytes());
    const uint32_t expected = log.count();
    log.clear();
    std::vector<wal::Record> out;
    wal::RecordReader reader(bytes);
    wal::Record rec;
    while (reader.next(rec)) out.push_back(rec);
    EXPECT_TRUE(reader.at_end()) << "undecodable record: " << reader.error();
    EXPECT_EQ(out.size(), expected);
    return out;
  }

  /// Stats of one queue (which must exist).
  protocol::QueueStats stats(std::string_view queue = "default") {
    std::vector<protocol::QueueStats> s = core().stats(queue);
    EXPECT_EQ(s.size(), 1u) << "no queue " << queue;
    return s.empty() ? protocol::QueueStats{} : s.front();
  }

  static std::vector<MessageId> ids_of(const std::vector<Delivery>& ds) {
    std::vector<MessageId> out;
    for (const Delivery& d : ds) out.push_back(d.id);
    return out;
  }

  CoreOptions options;
  wal::RecordBuffer log;
  RecordingSink sink;
  TimeMs now = kT0;

 private:
  std::deque<std::string> strings_;  // deque: growing it never moves the strings
  std::unique_ptr<Core> core_;
};

}  // namespace symphony::broker::test
