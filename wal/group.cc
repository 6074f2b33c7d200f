#include "wal/group.h"

#include <xxhash.h>

#include "protocol/wire.h"
#include "wal/record.h"

namespace symphony::wal {

namespace {
constexpr size_t kChecksumOffset = kGroupHeaderBytes - 8;

uint64_t checksum_of(std::string_view header_prefix, std::string_view records) {
  // XXH3 of the records, seeded with XXH3 of the header: one pass, no streaming state
  const uint64_t seed = XXH3_64bits(header_prefix.data(), header_prefix.size());
  return XXH3_64bits_withSeed(records.data(), records.size(), seed);
}
}  // namespace

void encode_group(std::string& out, GroupHeader h, std::string_view records) {
  out.clear();
  out.reserve(kGroupHeaderBytes + records.size());
  protocol::ByteWriter w(out);
  w.u32(kGroupMagic);
  w.u16(kRecordFormatVersion);
  w.u16(0);
  w.u64(h.seq);
  w.u64(h.first_epoch);
  w.u64(h.last_epoch);
  w.u64(h.next_message_id);
  w.i64(h.written_at_ms);
  w.u32(h.record_count);
  w.u32(static_cast<uint32_t>(records.size()));
  w.u64(checksum_of(std::string_view(out).substr(0, kChecksumOffset), records));
  w.raw(records);
}

std::string group_key(uint64_t seq) {
  std::string k(9, '\0');
  k[0] = 'g';
  for (int i = 0; i < 8; ++i)
    k[static_cast<size_t>(1 + i)] = static_cast<char>(seq >> (56 - 8 * i));
  return k;
}

bool parse_group_key(std::string_view key, uint64_t& seq) {
  if (key.size() != 9 || key[0] != 'g') return false;
  seq = 0;
  for (size_t i = 1; i < 9; ++i) seq = (seq << 8) | static_cast<uint8_t>(key[i]);
  return true;
}

std::string_view group_check_name(GroupCheck c) {
  switch (c) {
    case GroupCheck::kOk: return "ok";
    case GroupCheck::kTooShort: return "shorter than a group header";
    case GroupCheck::kBadMagic: return "bad magic number";
    case GroupCheck::kUnknownVersion: return "unknown record format version";
    case GroupCheck::kLengthMismatch: return "length does not match its header";
    case GroupCheck::kBadChecksum: return "checksum mismatch";
  }
  return "unknown";
}

GroupCheck decode_group(std::string_view value, GroupHeader& h, std::string_view& records) {
  if (value.size() < kGroupHeaderBytes) return GroupCheck::kTooShort;
  protocol::ByteReader r(value);
  if (r.u32() != kGroupMagic) return GroupCheck::kBadMagic;
  h.format_version = r.u16();
  r.u16();  // flags
  h.seq = r.u64();
  h.first_epoch = r.u64();
  h.last_epoch = r.u64();
  h.next_message_id = r.u64();
  h.written_at_ms = r.i64();
  h.record_count = r.u32();
  h.records_bytes = r.u32();
  h.checksum = r.u64();
  if (h.format_version != kRecordFormatVersion) return GroupCheck::kUnknownVersion;
  if (value.size() - kGroupHeaderBytes != h.records_bytes) return GroupCheck::kLengthMismatch;
  records = value.substr(kGroupHeaderBytes);
  if (checksum_of(value.substr(0, kChecksumOffset), records) != h.checksum) {
    return GroupCheck::kBadChecksum;
  }
  return GroupCheck::kOk;
}

}  // namespace symphony::wal
