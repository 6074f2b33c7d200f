#include "wal/log_walk.h"

#include <fmt/format.h>

#include "protocol/wire.h"
#include "wal/record_codec.h"
#include "wal/recovery.h"

namespace symphony::wal {

namespace {

/// What can still be read of a record that failed to decode at `pos`.
std::string damaged_record_hint(std::string_view records, size_t pos) {
  if (pos >= records.size()) return "";
  const auto type = static_cast<uint8_t>(records[pos]);
  std::string hint = type >= 1 && type <= kMaxRecordType
                         ? fmt::format("type {}", record_type_name(static_cast<RecordType>(type)))
                         : fmt::format("type byte {}", type);
  // every payload starts with the message id, after u8 type and u32 length
  if (pos + 13 <= records.size()) {
    protocol::ByteReader r(records.substr(pos + 5, 8));
    hint += fmt::format(", message {}", r.u64());
  }
  return " (" + hint + ")";
}

WalkProblem make_problem(WalkProblem::Kind kind, uint64_t seq, uint64_t seq_end, uint32_t index = 0,
                         uint64_t id = 0) {
  WalkProblem p;
  p.kind = kind;
  p.seq = seq;
  p.seq_end = seq_end;
  p.index = index;
  p.id = id;
  return p;
}

}  // namespace

bool walk_log(LogStore& store, LogState& state, const WalkHooks& hooks, WalkResult& result) {
  uint64_t base_id = 0;
  if (StoreStatus st = read_base_id(store, base_id); !st.ok) {
    result.error = st.message;
    return false;
  }
  state = LogState(base_id);
  // The first group the log must start with: the one a compaction kept first, or seq 1. A log
  // compacted before "first_seq" was recorded (base_id set, no first_seq) can't be checked.
  std::optional<uint64_t> expected_first;
  {
    std::optional<std::string> v;
    if (StoreStatus st = store.get_meta("first_seq", v); !st.ok) {
      result.error = st.message;
      return false;
    }
    uint64_t first = 0;
    if (v && decode_meta_u64(*v, first)) {
      expected_first = first;
    } else if (base_id == 0) {
      expected_first = 1;
    }
  }
  const bool salvage = static_cast<bool>(hooks.on_problem);
  bool failed = false;
  // Strict: record the problem and stop. Salvage: report it and go on.
  auto problem = [&](WalkProblem p) {
    if (salvage) {
      hooks.on_problem(p);
      return true;
    }
    result.error = std::move(p.what);
    failed = true;
    return false;
  };

  uint64_t expected_seq = 0;
  Record record;
  StoreStatus st = store.for_each_group([&](uint64_t seq, std::string_view value) {
    if (expected_seq == 0 && expected_first && seq != *expected_first) {
      WalkProblem p = make_problem(WalkProblem::Kind::kMissingGroups,
                                   std::min(seq, *expected_first), std::max(seq, *expected_first));
      p.what =
          seq > *expected_first
              ? fmt::format(
                    "log groups {} to {} are missing (the log starts at group {}, "
                    "its first group is {})",
                    *expected_first, seq - 1, *expected_first, seq)
              : fmt::format("log group {} precedes the log's first group {}", seq, *expected_first);
      if (!problem(std::move(p))) return false;
    }
    if (expected_seq != 0 && seq != expected_seq) {
      WalkProblem p = make_problem(WalkProblem::Kind::kMissingGroups, expected_seq, seq);
      p.what = seq == expected_seq + 1
                   ? fmt::format("log group {} is missing (group {} follows group {})",
                                 expected_seq, seq, expected_seq - 1)
                   : fmt::format("log groups {} to {} are missing (group {} follows group {})",
                                 expected_seq, seq - 1, seq, expected_seq - 1);
      if (!problem(std::move(p))) return false;
    }
    expected_seq = seq + 1;
    GroupView g;
    g.seq = seq;
    g.bytes = value.size();
    std::string_view records;
    const GroupCheck check = decode_group(value, g.header, records);
    if (check != GroupCheck::kOk || g.header.seq != seq) {
      WalkProblem p = make_problem(WalkProblem::Kind::kDamagedGroup, seq, seq + 1);
      p.what = fmt::format("log group {} is damaged ({})", seq,
                           check != GroupCheck::kOk
                               ? std::string(group_check_name(check))
                               : fmt::format("its header names group {}", g.header.seq));
      return problem(std::move(p));
    }
    if (hooks.on_group && !hooks.on_group(g)) {
      result.stopped = true;
      return false;
    }
    state.observe_group(g.header);
    RecordReader reader(records);
    uint32_t index = 0;
    size_t start = 0;
    while (reader.next(record)) {
      const RecordView view{g, index, record, reader.position() - start};
      if (hooks.on_record) hooks.on_record(view, state);
      if (std::string illegal = state.apply(record); !illegal.empty()) {
        WalkProblem p = make_problem(WalkProblem::Kind::kIllegalRecord, seq, seq + 1, index,
                                     message_id_of(record));
        p.what = fmt::format("log group {} record {} ({} of message {}): {}", seq, index,
                             record_type_name(type_of(record)), message_id_of(record), illegal);
        if (!problem(std::move(p))) return false;
      }
      start = reader.position();
      ++index;
    }
    if (!reader.at_end()) {
      WalkProblem p = make_problem(WalkProblem::Kind::kDamagedRecords, seq, seq + 1, index);
      p.what = fmt::format("log group {} record {}{} is damaged: {}", seq, index,
                           damaged_record_hint(records, reader.position()), reader.error());
      if (!problem(std::move(p))) return false;
    } else if (index != g.header.record_count) {
      WalkProblem p = make_problem(WalkProblem::Kind::kDamagedRecords, seq, seq + 1, index);
      p.what = fmt::format("log group {} holds {} records but its header says {}", seq, index,
                           g.header.record_count);
      if (!problem(std::move(p))) return false;
    }
    ++result.groups;
    result.records += index;
    result.bytes += value.size();
    if (!result.first) result.first = g;
    result.last = g;
    return true;
  });
  if (!st.ok) {
    result.error = st.message;
    return false;
  }
  if (failed) return false;
  if (expected_seq == 0 && expected_first && *expected_first > 1) {
    WalkProblem p = make_problem(WalkProblem::Kind::kMissingGroups, 1, *expected_first);
    p.what = fmt::format("the log holds no group, but it starts at group {}", *expected_first);
    if (!problem(std::move(p))) return false;
  }
  return true;
}

}  // namespace symphony::wal
