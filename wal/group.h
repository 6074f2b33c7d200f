#pragma once
// A commit group: everything the log writer took in one go, stored as one RocksDB value under
// key 'g' + u64 big-endian sequence number (so keys sort in log order).
//
// Group := GroupHeader, records_bytes of concatenated Records (record.h)
// GroupHeader (64 bytes) := u32 magic "SYMW", u16 format_version, u16 flags (0),
//   u64 seq, u64 first_epoch, u64 last_epoch, u64 next_message_id, i64 written_at_ms,
//   u32 record_count, u32 records_bytes, u64 checksum
//
// `checksum` is XXH3-64 of the records seeded with XXH3-64 of the header bytes before it, so a
// reader can tell a damaged or half-written value from good data. Epochs are the broker's
// submission counter: every event-loop turn that produced records is one epoch, and a group holds
// a contiguous range of them. next_message_id is the broker's id counter when the group was
// written.
#include <cstdint>
#include <string>
#include <string_view>

namespace symphony::wal {

inline constexpr uint32_t kGroupMagic = 0x574D5953;  // "SYMW" little-endian
inline constexpr size_t kGroupHeaderBytes = 64;

struct GroupHeader {
  uint16_t format_version = 0;
  uint64_t seq = 0;
  uint64_t first_epoch = 0;
  uint64_t last_epoch = 0;
  uint64_t next_message_id = 0;
  int64_t written_at_ms = 0;
  uint32_t record_count = 0;
  uint32_t records_bytes = 0;
  uint64_t checksum = 0;
};

/// Where a group sits in the log (kept in memory by the writer, rebuilt by recovery).
struct GroupInfo {
  uint64_t seq = 0;
  uint64_t first_epoch = 0;
  uint64_t last_epoch = 0;
  uint64_t next_message_id = 0;
};

/// Writes header + records into `out` (replacing its contents) and fills in the checksum.
void encode_group(std::string& out, GroupHeader header, std::string_view records);

/// Key of a group: 'g' + big-endian seq.
std::string group_key(uint64_t seq);
/// The seq of a group key; false for other keys.
bool parse_group_key(std::string_view key, uint64_t& seq);

enum class GroupCheck { kOk, kTooShort, kBadMagic, kUnknownVersion, kLengthMismatch, kBadChecksum };
std::string_view group_check_name(GroupCheck c);

/// Parses and verifies a group value; on kOk, `records` views the record bytes.
GroupCheck decode_group(std::string_view value, GroupHeader& header, std::string_view& records);

}  // namespace symphony::wal
