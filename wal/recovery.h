#pragma once
// Recovery: reads every commit group of a log in order, verifies each (checksum, sequence),
// and replays its records into a LogState.
//
// A damaged last group (the tail a crash can leave) is cut with a warning. Damage anywhere else
// (a bad group before the tail, a missing group, an illegal record) stops recovery with an
// error that names the group and record and points at `symphony-wal verify`.
#include <cstdint>
#include <string>
#include <vector>

#include "wal/group.h"
#include "wal/log_state.h"
#include "wal/log_store.h"

namespace symphony::wal {

struct RecoveryReport {
  uint64_t groups = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t last_epoch = 0;  ///< the broker continues with last_epoch + 1
  std::vector<GroupInfo> group_infos;
  bool tail_cut = false;
  std::string warning;  ///< set when the tail was cut
};

/// Replays the log in `store` into `state` (constructed here with the stored base id). `cut_tail`
/// false leaves a damaged tail in place and reports it as an error (for read-only tools).
bool recover(LogStore& store, LogState& state, RecoveryReport& report, std::string& error,
             bool cut_tail = true);

/// Reads the stored base id (0 when the log was never compacted).
StoreStatus read_base_id(LogStore& store, uint64_t& base_id);

}  // namespace symphony::wal
