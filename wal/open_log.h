#pragma once
// A data directory's log, opened and recovered the way symphonyd does it, so the broker, the
// symphony-wal tool and the fault tests agree on every decision:
//   1. read <data-dir>/log.guard (a damaged guard is an error);
//   2. open <data-dir>/log with open_checked(): a torn end of the write-ahead log is cut only
//      when the guard does not say the broker stopped cleanly;
//   3. (recover_opened) check every table file's blocks, replay every group, and hold the result
//      to the guard: a clean stop's last group must be the log's last, and after anything else
//      ids continue from the guard's ceiling.
// The caller holds the DataDirLock.
#include <memory>
#include <optional>
#include <string>

#include "wal/checked_open.h"
#include "wal/log_guard.h"
#include "wal/log_state.h"
#include "wal/log_store.h"
#include "wal/recovery.h"

namespace symphony::wal {

struct OpenedLog {
  std::string data_dir;
  std::unique_ptr<LogStore> store;
  /// What log.guard said (unset: there was none).
  std::optional<LogGuardState> guard;
  /// Whether a torn end of the write-ahead log was cut (or, read-only, left out).
  CheckedOpenReport opened;
};

struct OpenLogOptions {
  bool read_only = false;
  /// Check table files now (open_checked); recover_opened() always does.
  bool verify_tables = false;
  LogStoreOptions store;  ///< diagnostics, test Env
};

/// Steps 1 and 2. On failure the error names the damage and what to run.
StoreStatus open_log(const std::string& data_dir, const OpenLogOptions& options, OpenedLog& out);

/// Step 3. False with `error` (naming the damage and what to run).
bool recover_opened(OpenedLog& log, LogState& state, RecoveryReport& report, std::string& error);

}  // namespace symphony::wal
