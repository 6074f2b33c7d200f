#pragma once
// Recovery: reads every commit group of a log in order, verifies each (checksum, sequence),
// and replays its records into a LogState.
//
// Any damage stops recovery with an error that names the group and record and points at
// `symphony-wal verify`: a damaged group (RocksDB writes a group atomically, so a bad one is
// never a torn write: that shows in RocksDB's own write-ahead log, see checked_open.h), a
// missing group (a gap in the seqs, or a first group other than the one the log says it
// starts at), an illegal record. The broker never starts on a partial state.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wal/group.h"
#include "wal/log_guard.h"
#include "wal/log_state.h"
#include "wal/log_store.h"

namespace symphony::wal {

struct RecoveryReport {
  uint64_t groups = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t last_epoch = 0;  ///< the broker continues with last_epoch + 1
  std::vector<GroupInfo> group_infos;
};

/// Replays the log in `store` into `state` (constructed here with the stored base id).
bool recover(LogStore& store, LogState& state, RecoveryReport& report, std::string& error);

/// Reads the stored base id (0 when the log was never compacted).
StoreStatus read_base_id(LogStore& store, uint64_t& base_id);

/// Holds a recovered log to what its guard says (log_guard.h). After a clean stop the log must
/// end at the guard's last group. After anything else the id counter continues from the guard's
/// id ceiling, so an id handed out before a crash (or by groups a salvage lost) is never handed
/// out again. Without a guard (a data directory from before the guard, a restored backup) the
/// log's own counter stands. False with `error` on a mismatch.
bool apply_guard(const std::optional<LogGuardState>& guard, const RecoveryReport& report,
                 LogState& state, std::string& error);

}  // namespace symphony::wal
