#pragma once
// A typical message for the benchmarks: an EmailMessage with one custom header and a JSON payload
// of a chosen size. It owns its strings; view() and body() point into them, so keep it in place
// (no moves) while they are in use.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/dispatch.h"
#include "protocol/headers.h"
#include "protocol/message_body.h"

namespace symphony::bench {

class SampleMessage {
 public:
  /// `payload_bytes` is the exact payload size (at least 40, the JSON around the filler).
  explicit SampleMessage(size_t payload_bytes, uint8_t priority = protocol::kDefaultPriority)
      : priority_(priority) {
    constexpr std::string_view kHead = R"({"to":"user@example.com","body":")";
    constexpr std::string_view kTail = R"("})";
    payload_.assign(kHead);
    const size_t fixed = kHead.size() + kTail.size();
    payload_.append(payload_bytes > fixed ? payload_bytes - fixed : 0, 'x');
    payload_.append(kTail);
    header_pairs_ = protocol::encode_header_pairs({{"tenant", "acme"}});
    protocol::append_message_body(body_, body_view());
  }
  SampleMessage(const SampleMessage&) = delete;
  SampleMessage& operator=(const SampleMessage&) = delete;

  /// As a producer sends it: routed by type, no delay, no idempotency key.
  protocol::DispatchMessage view() const {
    protocol::DispatchMessage m;
    m.type = type_;
    m.payload = payload_;
    m.headers = {1, header_pairs_};
    m.priority = priority_;
    return m;
  }
  protocol::MessageBodyView body_view() const { return {type_, {1, header_pairs_}, {}, payload_}; }
  /// The stored form (protocol MessageBody), as an envelope holds it.
  const std::string& body() const { return body_; }

 private:
  std::string type_ = "EmailMessage";
  std::string payload_;
  std::string header_pairs_;
  std::string body_;
  uint8_t priority_;
};

}  // namespace symphony::bench
