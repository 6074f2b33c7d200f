// Commit groups and their replay (wal/group.h, wal/log_state.h): what recovery and
// `symphony-wal verify` do with each group of the log.
//
// Input := u64 base_id, u64 next_message_id, then the records section of one group. (A fuzzer
// cannot forge the group checksum, so the harness seals the records into a group itself with
// encode_group; the raw input is also offered to decode_group, which must refuse it unless it is
// a well-formed group.)
//
// Properties:
//  - decode_group accepts the sealed group and gives back its header and records; the group with
//    any one bit flipped, or cut by one byte, is refused (never read as good data);
//  - every record the reader yields is applied to a LogState(base_id): a legal one keeps the
//    state's invariants, an illegal one gets a reason and changes nothing (the documented
//    contract of LogState::apply); nothing crashes, overflows or allocates beyond the input's
//    size times a constant (libFuzzer's -malloc_limit_mb / -rss_limit_mb enforce the bound);
//  - invariants: next_id() never decreases, is at least the group's next_message_id, and is
//    above every id an accepted enqueue, snapshot or schedule used (the id counter never hands
//    out an id the log has used); every envelope is filed under its own id, in one of its three
//    states; an idempotency key is filed under queue + '\0' + key.
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "protocol/wire.h"
#include "tests/fuzz/fuzz_check.h"
#include "wal/group.h"
#include "wal/log_state.h"
#include "wal/record_codec.h"

using namespace symphony::wal;

namespace {

/// A digest of the part of `s` a record about `id` (or schedule `schedule_id`) can change, plus
/// the sizes of everything: equal before and after an illegal record.
std::string digest(const LogState& s, uint64_t id, uint64_t schedule_id) {
  std::string d;
  symphony::protocol::ByteWriter w(d);
  w.u64(s.envelopes().size());
  w.u64(s.keys().size());
  w.u64(s.completions().size());
  w.u64(s.schedules().size());
  w.u64(s.next_id());
  w.u64(s.orphans());
  if (auto it = s.envelopes().find(id); it != s.envelopes().end()) {
    const RecoveredEnvelope& e = it->second;
    w.u64(e.id);
    w.raw(e.queue);
    w.u8(e.priority);
    w.u8(static_cast<uint8_t>(e.state));
    w.i64(e.created_at_ms);
    w.i64(e.available_at_ms);
    w.u32(e.attempts);
    w.u16(e.max_retries);
    w.raw(e.idempotency_key);
    for (const RecoveredFailure& f : e.failures) {
      w.u32(f.attempt);
      w.i64(f.failed_at_ms);
      w.raw(f.error);
      w.raw(f.error_class);
    }
    w.raw(e.body);
    w.u64(e.lease_consumer);
    w.i64(e.lease_deadline_ms);
  }
  if (auto it = s.completions().find(id); it != s.completions().end()) {
    w.raw(it->second.queue);
    w.i64(it->second.completed_at_ms);
  }
  if (auto it = s.schedules().find(schedule_id); it != s.schedules().end()) {
    std::string info;
    symphony::protocol::ByteWriter iw(info);
    symphony::protocol::write_schedule_info(iw, it->second);
    w.raw(info);
  }
  return d;
}

/// The schedule a record names (0 for others).
uint64_t schedule_of(const Record& record) {
  if (const auto* s = std::get_if<ScheduleSetRecord>(&record)) return s->info.id;
  if (const auto* s = std::get_if<ScheduleDeletedRecord>(&record)) return s->schedule_id;
  return 0;
}

/// The id a legal record makes "used" (enqueue, snapshot, schedule), if any.
bool used_id(const Record& record, uint64_t& id) {
  if (const auto* e = std::get_if<EnvelopeRecord>(&record)) {
    id = e->id;
    return true;
  }
  if (const auto* e = std::get_if<SnapshotRecord>(&record)) {
    id = e->id;
    return true;
  }
  if (const auto* s = std::get_if<ScheduleSetRecord>(&record)) {
    id = s->info.id;
    return true;
  }
  return false;
}

void check_state(const LogState& s) {
  for (const auto& [id, e] : s.envelopes()) {
    FUZZ_CHECK(e.id == id, "an envelope is filed under its own id");
    FUZZ_CHECK(static_cast<uint8_t>(e.state) <= 2);
    FUZZ_CHECK(s.next_id() > id, "the id counter is above every live envelope");
  }
  for (const auto& [composite, k] : s.keys()) {
    FUZZ_CHECK(composite == k.queue + std::string(1, '\0') + k.key);
  }
  for (const auto& [id, info] : s.schedules()) {
    FUZZ_CHECK(info.id == id && s.next_id() > id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = symphony::fuzz::as_view(data, size);
  {
    GroupHeader h;
    std::string_view records;
    if (decode_group(in, h, records) == GroupCheck::kOk) {
      FUZZ_CHECK(in.size() == kGroupHeaderBytes + h.records_bytes && records.size() == h.records_bytes);
    }
  }
  if (size < 16) return 0;
  uint64_t base_id = 0;
  uint64_t next_message_id = 0;
  std::memcpy(&base_id, data, 8);
  std::memcpy(&next_message_id, data + 8, 8);
  const std::string_view records = in.substr(16);

  // seal the records into a group, as the log writer does
  GroupHeader header;
  header.seq = base_id ^ 0x5A5A;
  header.first_epoch = next_message_id / 2;
  header.last_epoch = next_message_id;
  header.next_message_id = next_message_id;
  header.written_at_ms = static_cast<int64_t>(base_id);
  header.record_count = static_cast<uint32_t>(records.size() / 21);
  std::string value;
  encode_group(value, header, records);
  GroupHeader h;
  std::string_view got;
  FUZZ_CHECK(decode_group(value, h, got) == GroupCheck::kOk, "a sealed group decodes");
  FUZZ_CHECK(h.format_version == kRecordFormatVersion && h.seq == header.seq &&
             h.first_epoch == header.first_epoch && h.last_epoch == header.last_epoch &&
             h.next_message_id == header.next_message_id &&
             h.written_at_ms == header.written_at_ms && h.record_count == header.record_count &&
             h.records_bytes == records.size() && got == records);
  {
    // damage anywhere is detected: one flipped bit (its place chosen by the input), one byte cut
    std::string flipped = value;
    const size_t bit = static_cast<size_t>(next_message_id % (flipped.size() * 8));
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1u << (bit % 8)));
    GroupHeader fh;
    std::string_view fr;
    FUZZ_CHECK(decode_group(flipped, fh, fr) != GroupCheck::kOk, "a flipped bit is detected");
    FUZZ_CHECK(decode_group(std::string_view(value).substr(0, value.size() - 1), fh, fr) !=
                   GroupCheck::kOk,
               "a cut group is detected");
  }

  LogState state(base_id);
  state.observe_group(h);
  FUZZ_CHECK(state.next_id() >= h.next_message_id);
  uint64_t max_used = 0;
  bool any_used = false;
  RecordReader reader(got);
  Record record;
  while (reader.next(record)) {
    const uint64_t id = message_id_of(record);
    const uint64_t sched = schedule_of(record);
    const std::string before = digest(state, id, sched);
    const uint64_t next_before = state.next_id();
    const uint64_t orphans_before = state.orphans();
    const std::string error = state.apply(record);
    if (!error.empty()) {
      FUZZ_CHECK(digest(state, id, sched) == before, "an illegal record changes nothing");
      continue;
    }
    FUZZ_CHECK(state.next_id() >= next_before, "the id counter never goes back");
    FUZZ_CHECK(state.orphans() >= orphans_before);
    uint64_t used = 0;
    if (used_id(record, used)) {
      max_used = any_used ? std::max(max_used, used) : used;
      any_used = true;
    }
    if (any_used) FUZZ_CHECK(state.next_id() > max_used, "the id counter is above every used id");
    if (auto it = state.envelopes().find(id); it != state.envelopes().end()) {
      FUZZ_CHECK(it->second.id == id);
    }
  }
  FUZZ_CHECK(reader.at_end() || !reader.error().empty());
  check_state(state);
  return 0;
}
