#include "wal/recovery.h"

#include <fmt/format.h>

#include <filesystem>
#include <optional>

#include "wal/record_codec.h"

namespace symphony::wal {

StoreStatus read_base_id(LogStore& store, uint64_t& base_id) {
  std::optional<std::string> v;
  StoreStatus st = store.get_meta("base_id", v);
  base_id = 0;
  if (st.ok && v && v->size() == 8) {
    for (int i = 7; i >= 0; --i)
      base_id = (base_id << 8) | static_cast<uint8_t>((*v)[static_cast<size_t>(i)]);
  }
  return st;
}

bool recover(LogStore& store, LogState& state, RecoveryReport& report, std::string& error,
             bool cut_tail) {
  uint64_t base_id = 0;
  if (StoreStatus st = read_base_id(store, base_id); !st.ok) {
    error = st.message;
    return false;
  }
  state = LogState(base_id);
  const std::string hint = fmt::format(
      "; run `symphony-wal verify --data-dir {}` for details (docs/operations.md, "
      "\"Recovery\")",
      // the store is <data-dir>/log (server.cc); the tool takes the data directory
      std::filesystem::path(store.dir()).parent_path().string());

  // A bad group is only a torn tail if nothing follows it, so remember it and decide at the
  // next group (or at the end).
  std::optional<uint64_t> bad_seq;
  std::string bad_why;
  uint64_t expected_seq = 0;
  bool failed = false;
  Record record;
  StoreStatus st = store.for_each_group([&](uint64_t seq, std::string_view value) {
    if (bad_seq) {
      error = fmt::format("log group {} is damaged ({}) and is not the last one{}", *bad_seq,
                          bad_why, hint);
      failed = true;
      return false;
    }
    if (expected_seq != 0 && seq != expected_seq) {
      error = fmt::format("log group {} is missing (found {} after {}){}", expected_seq, seq,
                          expected_seq - 1, hint);
      failed = true;
      return false;
    }
    expected_seq = seq + 1;
    GroupHeader h;
    std::string_view records;
    const GroupCheck check = decode_group(value, h, records);
    if (check != GroupCheck::kOk || h.seq != seq) {
      bad_seq = seq;
      bad_why = check != GroupCheck::kOk ? std::string(group_check_name(check))
                                         : std::string("its header names another sequence number");
      return true;
    }
    state.observe_group(h);
    RecordReader reader(records);
    uint32_t index = 0;
    while (reader.next(record)) {
      const std::string illegal = state.apply(record);
      if (!illegal.empty()) {
        error =
            fmt::format("log group {} record {} ({} of message {}): {}{}", seq, index,
                        record_type_name(type_of(record)), message_id_of(record), illegal, hint);
        failed = true;
        return false;
      }
      ++index;
    }
    if (!reader.at_end() || index != h.record_count) {
      error = fmt::format("log group {} record {} is damaged ({}){}", seq, index,
                          reader.error()[0] ? reader.error() : "record count mismatch", hint);
      failed = true;
      return false;
    }
    ++report.groups;
    report.records += index;
    report.bytes += value.size();
    report.last_epoch = h.last_epoch;
    report.group_infos.push_back({seq, h.first_epoch, h.last_epoch, h.next_message_id});
    return true;
  });
  if (!st.ok) {
    error = st.message + hint;
    return false;
  }
  if (failed) return false;
  if (bad_seq) {
    if (!cut_tail) {
      error = fmt::format("the last log group {} is damaged ({})", *bad_seq, bad_why);
      return false;
    }
    if (StoreStatus del = store.delete_group(*bad_seq); !del.ok) {
      error = del.message;
      return false;
    }
    report.tail_cut = true;
    report.warning = fmt::format(
        "the last log group {} was damaged ({}): it was cut; its records were never confirmed",
        *bad_seq, bad_why);
  }
  return true;
}

}  // namespace symphony::wal
