#pragma once
// Salvage: everything intact in a damaged log, and an exact account of what is not.
//
// The damaged log is read with RocksDB skipping every damaged write-ahead record (each one is a
// whole commit group) and walked in salvage mode (log_walk.h): a damaged or missing group is
// skipped whole, a record that cannot apply without them is skipped alone. What was lost is
// reported as ranges of groups, each with what the intact groups around it bound: when it was
// written, and which message ids it can have created. Records of intact groups that had to be
// skipped are listed with their message id: those envelopes may be in an older state than the
// lost records left them (an ack lost: the message comes back; a dispatch lost: it is gone).
//
// The salvaged state continues its ids above every id the damaged log may have handed out: the
// guard's ceiling when the guard is readable, else the highest id counter of any group read
// plus the guard's reserve (log_guard.h), so no id a client holds is handed out again.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wal/log_guard.h"
#include "wal/log_state.h"
#include "wal/log_store.h"

namespace symphony::wal {

struct LostGroups {
  uint64_t from_seq = 0;  ///< first lost group
  uint64_t to_seq = 0;    ///< one past the last lost group (0: every group after from_seq)
  /// Written after this time (the intact group before; 0: unknown) and before this one (the
  /// intact group after; 0: no group after).
  int64_t after_ms = 0;
  int64_t before_ms = 0;
  /// Ids the lost groups can have created: [ids_from, ids_to); ids_to 0: no bound but the
  /// salvaged id counter.
  uint64_t ids_from = 0;
  uint64_t ids_to = 0;
};

struct SkippedRecord {
  uint64_t seq = 0;
  uint32_t index = 0;
  uint64_t id = 0;
  std::string what;
};

struct SalvageReport {
  uint64_t groups = 0;   ///< intact groups applied
  uint64_t records = 0;  ///< records in them (skipped ones included)
  std::vector<LostGroups> lost;
  std::vector<SkippedRecord> skipped;
  uint64_t next_id = 0;  ///< where the salvaged state's ids continue
  bool intact() const { return lost.empty() && skipped.empty(); }
};

/// Walks `store` (opened with WalReplay::kSkipDamage) into `state`. `guard` is the damaged
/// directory's guard, when readable. False with `error` only when the store cannot be read.
bool salvage_log(LogStore& store, const std::optional<LogGuardState>& guard, LogState& state,
                 SalvageReport& report, std::string& error);

}  // namespace symphony::wal
