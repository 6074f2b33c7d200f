#pragma once
// symphony-wal: offline inspection, verification and rewriting of a stopped broker's log.
// Shared pieces of the commands: opening a data directory under its lock, walking the log
// group by group, and rendering records and times.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wal/checked_open.h"
#include "wal/data_dir_lock.h"
#include "wal/group.h"
#include "wal/log_guard.h"
#include "wal/log_state.h"
#include "wal/log_store.h"
#include "wal/log_walk.h"
#include "wal/open_log.h"
#include "wal/record.h"

namespace symphony::wal_tool {

/// Exit codes: 0 success, 1 failure (bad log, bad input, verify found damage), 2 the data
/// directory is locked by another process.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitLocked = 2;

/// Prints "symphony-wal: <message>" on stderr and returns `code`.
int fail(int code, const std::string& message);
void warn(const std::string& message);

/// A data directory held under its DataDirLock, with its log open.
struct OpenLog {
  wal::DataDirLock lock;
  std::unique_ptr<wal::LogStore> store;
  /// What log.guard says (unset: there is none).
  std::optional<wal::LogGuardState> guard;
  /// The write-ahead log ended in a torn write: cut (read-write) or left out (read-only).
  wal::CheckedOpenReport opened;
};

/// Locks `data_dir` and opens its existing log as the broker would (checked_open.h: damage is
/// an error; a torn end after an unclean stop is cut, or left out when `read_only`, with a
/// warning). Never creates the directory or a log. `verify_tables` also reads every block of
/// every table file. Returns an exit code (kExitOk when `out` is ready) after printing the error.
int open_log(const std::string& data_dir, OpenLog& out, bool read_only, bool verify_tables = false);

/// Writes the guard of a log this tool rewrote: stopped cleanly after `last_seq`, with an id
/// ceiling of at least `next_id` and the old one.
int write_guard(const std::string& data_dir, const std::optional<wal::LogGuardState>& old,
                uint64_t last_seq, uint64_t next_id);

// ---- walking the log (wal/log_walk.h: the same checks as recovery) ----

using wal::GroupView;
using wal::RecordView;
using wal::walk_log;
using wal::WalkHooks;
using wal::WalkResult;

// ---- time ----

int64_t now_ms();
/// "2026-11-22T10:00:00.123Z".
std::string iso(int64_t unix_ms);
/// Unix ms ("1763805600000") or ISO-8601 ("2026-11-22T10:00:00Z", "2026-11-22T10:00:00.5+01:00",
/// "2026-11-22 10:00:00", "2026-11-22"; no zone means UTC). False when neither.
bool parse_time(const std::string& text, int64_t& unix_ms);

// ---- rendering ----

std::string_view state_name(wal::RecoveredEnvelope::State s);
/// Every field of a record as JSON (the message body decoded: payload and metadata embedded
/// as JSON when they parse, headers as an object).
nlohmann::json record_json(const RecordView& r);
/// One human line of the record's fields (payload truncated).
std::string record_text(const RecordView& r);
/// A one-line description of what the record did to its envelope (for `history`).
std::string describe(const wal::Record& record);
/// Whether `record` touches envelope `id`: records naming it, and a purge that removes it.
bool concerns(const wal::Record& record, uint64_t id, const wal::LogState& before);
/// Printable on one line: control bytes escaped, cut at `max` bytes (0: no limit).
std::string one_line(std::string_view text, size_t max = 0);
/// JSON text to stdout with invalid UTF-8 replaced, one line.
void print_json(const nlohmann::json& j);

// ---- commands ----

struct DumpFilter {
  std::optional<uint64_t> id;
  std::string queue;
  std::string type;
  std::optional<int64_t> since_ms, until_ms;
};

int run_stats(const std::string& data_dir, bool json);
int run_verify(const std::string& data_dir);
int run_dump(const std::string& data_dir, const DumpFilter& filter, bool json);
int run_history(const std::string& data_dir, uint64_t id);
int run_replay(const std::string& data_dir, const std::string& into,
               std::optional<int64_t> until_ms);
int run_compact(const std::string& data_dir);
/// Every intact record of a damaged log into a new data directory, with what was lost.
int run_salvage(const std::string& data_dir, const std::string& into, bool json);

}  // namespace symphony::wal_tool
