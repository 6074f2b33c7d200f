#pragma once
// Message headers on the wire: Headers := u16 count, count x (str16 key, str16 value).
// A decoded HeadersView keeps the pairs as the raw bytes they arrived in, so the broker can store
// and forward them without re-encoding; for_each walks them.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/wire.h"

namespace symphony::protocol {

struct HeadersView {
  uint16_t count = 0;
  std::string_view raw;  ///< count x (str16 key, str16 value), already validated

  template <typename F>
  void for_each(F&& fn) const {
    ByteReader r(raw);
    for (uint16_t i = 0; i < count; ++i) {
      std::string_view k = r.str16();
      std::string_view v = r.str16();
      fn(k, v);
    }
  }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// Reads u16 count and walks the pairs; false (reader failed) when they overrun.
inline bool read_headers(ByteReader& r, HeadersView& out) {
  out.count = r.u16();
  const size_t start = r.position();
  // every pair is at least 4 bytes, so a count that cannot fit fails before the walk
  if (!r.ok() || static_cast<size_t>(out.count) * 4 > r.remaining()) {
    r.fail();
    return false;
  }
  for (uint16_t i = 0; i < out.count; ++i) {
    r.str16();
    r.str16();
  }
  if (!r.ok()) return false;
  out.raw = r.since(start);
  return true;
}

/// The raw pair bytes of `headers` (for building a HeadersView on the client side).
inline std::string encode_header_pairs(const HeaderList& headers) {
  std::string raw;
  ByteWriter w(raw);
  for (const auto& [k, v] : headers) {
    w.str16(k);
    w.str16(v);
  }
  return raw;
}

inline void write_headers(ByteWriter& w, const HeadersView& h) {
  w.u16(h.count);
  w.raw(h.raw);
}

inline HeaderList to_header_list(const HeadersView& h) {
  HeaderList out;
  out.reserve(h.count);
  h.for_each([&](std::string_view k, std::string_view v) { out.emplace_back(k, v); });
  return out;
}

}  // namespace symphony::protocol
