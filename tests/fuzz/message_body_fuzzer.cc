// The stored message body and its headers (protocol/message_body.h, protocol/headers.h): the form
// the broker keeps in memory, writes to the log and copies into DELIVER frames.
//
// The input is a MessageBody blob (as in a log record). Properties:
//  - parse_message_body accepts exactly the well-formed blobs: on success the views lie inside
//    the blob, message_body_size() is the blob's size and append_message_body() writes the blob
//    back byte for byte; the headers walk exactly `count` pairs, and to_header_list() /
//    encode_header_pairs() give back the raw pair bytes;
//  - read_headers on the header section agrees with the parse;
//  - a DELIVER written by DeliverWriter from the parsed body decodes (decode_deliver) to the same
//    type, metadata and payload, with the three automatic headers (message-type, message-id,
//    dispatched-at) in front of the stored ones.
#include <string>
#include <string_view>
#include <vector>

#include "protocol/consume.h"
#include "protocol/frame_decoder.h"
#include "protocol/headers.h"
#include "protocol/message_body.h"
#include "protocol/time_text.h"
#include "protocol/wire.h"
#include "tests/fuzz/fuzz_check.h"

using namespace symphony::protocol;
using symphony::fuzz::inside;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view blob = symphony::fuzz::as_view(data, size);
  MessageBodyView m;
  if (!parse_message_body(blob, m)) return 0;
  FUZZ_CHECK(inside(m.type, blob) && inside(m.headers.raw, blob) && inside(m.metadata, blob) &&
             inside(m.payload, blob));
  FUZZ_CHECK(message_body_size(m) == blob.size());
  std::string again;
  append_message_body(again, m);
  FUZZ_CHECK(again == blob, "append_message_body(parse_message_body(blob)) == blob");
  MessageBodyView cut;
  FUZZ_CHECK(!parse_message_body(blob.substr(0, blob.size() - 1), cut), "a cut blob is refused");

  uint16_t pairs = 0;
  m.headers.for_each([&](std::string_view k, std::string_view v) {
    FUZZ_CHECK(inside(k, m.headers.raw) && inside(v, m.headers.raw));
    ++pairs;
  });
  FUZZ_CHECK(pairs == m.headers.count);
  const HeaderList list = to_header_list(m.headers);
  FUZZ_CHECK(list.size() == m.headers.count);
  FUZZ_CHECK(encode_header_pairs(list) == m.headers.raw, "header pairs re-encode to their bytes");

  // the same pairs behind a u16 count, as DISPATCH carries them
  std::string section;
  ByteWriter w(section);
  w.u16(m.headers.count);
  w.raw(m.headers.raw);
  ByteReader r(section);
  HeadersView h;
  FUZZ_CHECK(read_headers(r, h) && r.at_end() && h.count == m.headers.count &&
             h.raw == m.headers.raw);

  // a DELIVER of this body, with a head derived from the blob (a realistic time: the broker's
  // clock writes created_at)
  DeliveryHead head;
  head.message_id = blob.size() * 7919 + 1;
  head.attempt = static_cast<uint32_t>(m.payload.size() + 1);
  head.priority = static_cast<uint8_t>(1 + blob.size() % 10);
  head.queue = m.type;
  head.created_at_ms = 1'700'000'000'000 + static_cast<int64_t>(blob.size()) * 1'234'567;
  head.lease_deadline_ms = head.created_at_ms + 30'000;
  std::string wire;
  DeliverWriter dw(wire);
  dw.add(head, m);
  dw.finish();
  const FrameDecoder::Result fr = FrameDecoder(kHardMaxFrameBytes).decode(wire);
  FUZZ_CHECK(fr.status == FrameDecoder::Status::kComplete && fr.consumed == wire.size());
  FUZZ_CHECK(fr.frame.opcode == Opcode::kDeliver && fr.frame.request_id == 0);
  std::vector<DeliveryView> out;
  FUZZ_CHECK(decode_deliver(fr.frame.body, out).ok() && out.size() == 1);
  const DeliveryView& d = out[0];
  FUZZ_CHECK(d.head.message_id == head.message_id && d.head.attempt == head.attempt &&
             d.head.priority == head.priority && d.head.queue == head.queue &&
             d.head.created_at_ms == head.created_at_ms &&
             d.head.lease_deadline_ms == head.lease_deadline_ms);
  FUZZ_CHECK(d.message.type == m.type && d.message.metadata == m.metadata &&
             d.message.payload == m.payload);
  FUZZ_CHECK(d.message.headers.count == m.headers.count + kAutomaticHeaderCount);
  const HeaderList delivered = to_header_list(d.message.headers);
  FUZZ_CHECK(delivered[0].first == kHeaderMessageType && delivered[0].second == m.type);
  FUZZ_CHECK(delivered[1].first == kHeaderMessageId &&
             delivered[1].second == std::to_string(head.message_id));
  FUZZ_CHECK(delivered[2].first == kHeaderDispatchedAt &&
             delivered[2].second == format_iso8601_ms(head.created_at_ms));
  for (size_t i = 0; i < list.size(); ++i) FUZZ_CHECK(delivered[3 + i] == list[i]);
  return 0;
}
