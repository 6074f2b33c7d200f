#include "protocol/message_body.h"

#include <fmt/format.h>

#include "protocol/wire.h"

namespace symphony::protocol {

bool is_automatic_header(std::string_view key) {
  return key == kHeaderMessageType || key == kHeaderMessageId || key == kHeaderDispatchedAt;
}

size_t message_body_size(const MessageBodyView& m) {
  return 2 + m.type.size() + 2 + 4 + m.headers.raw.size() + 4 + m.metadata.size() + 4 +
         m.payload.size();
}

void append_message_body(std::string& out, const MessageBodyView& m) {
  ByteWriter w(out);
  w.str16(m.type);
  w.u16(m.headers.count);
  w.blob32(m.headers.raw);
  w.blob32(m.metadata);
  w.blob32(m.payload);
}

bool parse_message_body(std::string_view blob, MessageBodyView& out) {
  ByteReader r(blob);
  out.type = r.str16();
  out.headers.count = r.u16();
  out.headers.raw = r.blob32();
  out.metadata = r.blob32();
  out.payload = r.blob32();
  if (!r.at_end()) return false;
  // the header bytes must hold exactly `count` pairs
  ByteReader h(out.headers.raw);
  for (uint16_t i = 0; i < out.headers.count; ++i) {
    h.str16();
    h.str16();
  }
  return h.at_end();
}

}  // namespace symphony::protocol
