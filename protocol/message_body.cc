#include "protocol/message_body.h"

#include <fmt/format.h>

#include <cstring>

#include "protocol/wire.h"

namespace symphony::protocol {

bool is_automatic_header(std::string_view key) {
  return key == kHeaderMessageType || key == kHeaderMessageId || key == kHeaderDispatchedAt;
}

size_t message_body_size(const MessageBodyView& m) {
  return 2 + m.type.size() + 2 + 4 + m.headers.raw.size() + 4 + m.metadata.size() + 4 +
         m.payload.size();
}

namespace {

template <typename T>
char* put(char* out, T v) {
  std::memcpy(out, &v, sizeof(T));  // little-endian, like ByteWriter
  return out + sizeof(T);
}

char* put_bytes(char* out, std::string_view s) {
  if (!s.empty()) std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

}  // namespace

void write_message_body(char* out, const MessageBodyView& m) {
  out = put_bytes(put(out, static_cast<uint16_t>(m.type.size())), m.type);
  out = put(out, m.headers.count);
  out = put_bytes(put(out, static_cast<uint32_t>(m.headers.raw.size())), m.headers.raw);
  out = put_bytes(put(out, static_cast<uint32_t>(m.metadata.size())), m.metadata);
  put_bytes(put(out, static_cast<uint32_t>(m.payload.size())), m.payload);
}

void append_message_body(std::string& out, const MessageBodyView& m) {
  const size_t at = out.size();
  out.resize(at + message_body_size(m));
  write_message_body(out.data() + at, m);
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
