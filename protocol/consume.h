#pragma once
// Consuming: SUBSCRIBE names queues, a prefetch window and a lease duration; the server then
// pushes DELIVER frames while the connection holds fewer unsettled deliveries than its prefetch.
// CREDIT changes the window (0 pauses delivery: how a worker stops fetching before shutdown).
//
// SUBSCRIBE  := u16 queue_count, queue_count x str16 queue, u32 prefetch, u32 lease_ms
// SUBSCRIBED := u32 prefetch, u32 lease_ms               (the values in effect)
// CREDIT     := u32 prefetch
// CREDIT_OK  := u32 prefetch, u32 in_flight
// DELIVER    := u32 count, count x Delivery              (server push, request_id 0)
// Delivery   := u64 message_id, u32 attempt, u8 priority, str16 queue, i64 created_at_ms,
//               i64 lease_deadline_ms, str16 type, Headers, blob32 metadata, blob32 payload
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/decode_status.h"
#include "protocol/headers.h"
#include "protocol/message_body.h"

namespace symphony::protocol {

struct Subscribe {
  std::vector<std::string_view> queues;
  uint32_t prefetch = 0;  ///< 0: the server default (10)
  uint32_t lease_ms = 0;  ///< 0: the server default (30000)
};

struct Subscribed {
  uint32_t prefetch = 0;
  uint32_t lease_ms = 0;
};

struct CreditOk {
  uint32_t prefetch = 0;
  uint32_t in_flight = 0;
};

/// The fixed part of one delivery; the rest comes from the stored MessageBody.
struct DeliveryHead {
  uint64_t message_id = 0;
  uint32_t attempt = 0;  ///< 1 on first delivery
  uint8_t priority = 0;
  std::string_view queue;
  int64_t created_at_ms = 0;
  int64_t lease_deadline_ms = 0;
};

/// A decoded delivery (client side). Headers start with the three automatic ones.
struct DeliveryView {
  DeliveryHead head;
  MessageBodyView message;
};

void encode_subscribe(std::string& out, uint32_t request_id, const Subscribe& s);
/// Queue count is capped at `max_queues` (MALFORMED beyond it).
DecodeStatus decode_subscribe(std::string_view body, uint16_t max_queues, Subscribe& out);
void encode_subscribed(std::string& out, uint32_t request_id, const Subscribed& s);
DecodeStatus decode_subscribed(std::string_view body, Subscribed& out);
void encode_credit(std::string& out, uint32_t request_id, uint32_t prefetch);
DecodeStatus decode_credit(std::string_view body, uint32_t& prefetch);
void encode_credit_ok(std::string& out, uint32_t request_id, const CreditOk& c);
DecodeStatus decode_credit_ok(std::string_view body, CreditOk& out);

/// Writes DELIVER frames incrementally: begin(), add() per envelope, finish(). The automatic
/// headers are written in front of the stored ones.
class DeliverWriter {
 public:
  explicit DeliverWriter(std::string& out);
  void add(const DeliveryHead& head, const MessageBodyView& message);
  uint32_t count() const { return count_; }
  void finish();

 private:
  std::string& out_;
  size_t frame_start_;
  size_t count_offset_;
  uint32_t count_ = 0;
};

DecodeStatus decode_deliver(std::string_view body, std::vector<DeliveryView>& out);

}  // namespace symphony::protocol
