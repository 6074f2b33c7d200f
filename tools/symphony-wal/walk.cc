#include <date/date.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "protocol/message_body.h"
#include "protocol/wire.h"
#include "tools/symphony-wal/wal_tool.h"
#include "wal/record_codec.h"
#include "wal/recovery.h"

namespace symphony::wal_tool {

namespace fs = std::filesystem;

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "symphony-wal: %s\n", message.c_str());
  return code;
}

void warn(const std::string& message) {
  std::fprintf(stderr, "symphony-wal: warning: %s\n", message.c_str());
}

int open_log(const std::string& data_dir, OpenLog& out, bool read_only) {
  std::error_code ec;
  // DataDirLock::acquire creates a missing directory: check first, so a typo creates nothing
  if (!fs::is_directory(data_dir, ec)) {
    return fail(kExitFailed, "no data directory at " + data_dir);
  }
  // locking the RocksDB directory itself would drop a stray lock file into it
  if (fs::exists(fs::path(data_dir) / "CURRENT", ec) &&
      !fs::exists(fs::path(data_dir) / "log", ec)) {
    fs::path dir(data_dir);
    if (!dir.has_filename()) dir = dir.parent_path();  // "data/log/"
    return fail(kExitFailed, data_dir + " is a log directory: give the data directory that " +
                                 "holds it (--data-dir " + dir.parent_path().string() + ")");
  }
  std::string error;
  if (!wal::DataDirLock::acquire(data_dir, out.lock, error)) {
    // the lock's message names the holder's pid; anything else is a plain failure
    const bool held = error.find("in use by another process") != std::string::npos;
    return fail(held ? kExitLocked : kExitFailed, error);
  }
  // LogStore::open would create an empty log where there is none
  const std::string log_dir = data_dir + "/log";
  if (!fs::exists(log_dir + "/CURRENT", ec)) {
    return fail(kExitFailed,
                "no Symphony log in " + data_dir + " (" + log_dir + "/CURRENT is missing)");
  }
  if (wal::StoreStatus st = wal::LogStore::open(log_dir, out.store, read_only); !st.ok) {
    return fail(kExitFailed, st.message);
  }
  return kExitOk;
}

namespace {

/// What can still be read of a record that failed to decode at `pos`.
std::string damaged_record_hint(std::string_view records, size_t pos) {
  if (pos >= records.size()) return "";
  const auto type = static_cast<uint8_t>(records[pos]);
  std::string hint =
      type >= 1 && type <= wal::kMaxRecordType
          ? fmt::format("type {}", record_type_name(static_cast<wal::RecordType>(type)))
          : fmt::format("type byte {}", type);
  // every payload starts with the message id, after u8 type and u32 length
  if (pos + 13 <= records.size()) {
    protocol::ByteReader r(records.substr(pos + 5, 8));
    hint += fmt::format(", message {}", r.u64());
  }
  return " (" + hint + ")";
}

}  // namespace

bool walk_log(wal::LogStore& store, wal::LogState& state, const WalkHooks& hooks,
              WalkResult& result) {
  uint64_t base_id = 0;
  if (wal::StoreStatus st = wal::read_base_id(store, base_id); !st.ok) {
    result.error = st.message;
    return false;
  }
  state = wal::LogState(base_id);
  // A bad group is a torn tail only if nothing follows it (recovery's rule): decide at the next
  // group or at the end.
  std::optional<uint64_t> bad_seq;
  std::string bad_why;
  uint64_t expected_seq = 0;
  bool failed = false;
  wal::Record record;
  wal::StoreStatus st = store.for_each_group([&](uint64_t seq, std::string_view value) {
    if (bad_seq) {
      result.error =
          fmt::format("log group {} is damaged ({}) and is not the last one", *bad_seq, bad_why);
      failed = true;
      return false;
    }
    if (expected_seq != 0 && seq != expected_seq) {
      result.error = fmt::format("log group {} is missing (group {} follows group {})",
                                 expected_seq, seq, expected_seq - 1);
      failed = true;
      return false;
    }
    expected_seq = seq + 1;
    GroupView g;
    g.seq = seq;
    g.bytes = value.size();
    std::string_view records;
    const wal::GroupCheck check = wal::decode_group(value, g.header, records);
    if (check != wal::GroupCheck::kOk || g.header.seq != seq) {
      bad_seq = seq;
      bad_why = check != wal::GroupCheck::kOk
                    ? std::string(group_check_name(check))
                    : fmt::format("its header names sequence number {}", g.header.seq);
      return true;
    }
    if (hooks.on_group && !hooks.on_group(g)) {
      result.stopped = true;
      return false;
    }
    state.observe_group(g.header);
    wal::RecordReader reader(records);
    uint32_t index = 0;
    size_t start = 0;
    while (reader.next(record)) {
      const RecordView view{g, index, record, reader.position() - start};
      if (hooks.on_record) hooks.on_record(view, state);
      if (const std::string illegal = state.apply(record); !illegal.empty()) {
        result.error =
            fmt::format("log group {} record {} ({} of message {}): {}", seq, index,
                        record_type_name(type_of(record)), message_id_of(record), illegal);
        failed = true;
        return false;
      }
      start = reader.position();
      ++index;
    }
    if (!reader.at_end()) {
      result.error = fmt::format("log group {} record {}{} is damaged: {}", seq, index,
                                 damaged_record_hint(records, reader.position()), reader.error());
      failed = true;
      return false;
    }
    if (index != g.header.record_count) {
      result.error = fmt::format("log group {} holds {} records but its header says {}", seq, index,
                                 g.header.record_count);
      failed = true;
      return false;
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
  if (bad_seq) {
    result.damaged_tail_seq = bad_seq;
    result.tail_problem = bad_why;
  }
  return true;
}

// ---- time ----

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso(int64_t unix_ms) {
  return protocol::format_iso8601_ms(unix_ms);
}

bool parse_time(const std::string& text, int64_t& unix_ms) {
  return protocol::parse_time_ms(text, unix_ms);
}

}  // namespace symphony::wal_tool
