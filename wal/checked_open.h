#pragma once
// Opening the log without ever starting on less than it holds.
//
// RocksDB's write-ahead log (WAL) holds the groups not yet flushed into table files. Its
// replay modes trade safety for availability: point-in-time recovery silently stops at the
// first damaged record, so one flipped byte near the start of the WAL used to look like a
// shorter, valid log. open_checked() opens strictly, and when RocksDB reports damage it tells
// the two cases apart by replaying the WAL twice more, read-only:
//
//   - up to the damage (point-in-time), and skipping every damaged record (salvage mode).
//     If the second finds anything the first does not, intact records follow the damage: it is
//     not the end of the log, so it is damage, never a torn write. The open fails and names it.
//   - if both agree and RocksDB's complaint is a record cut short by the end of its file, the
//     damage is a write torn at the very end. A crash or power loss leaves exactly that, and by
//     construction it held nothing confirmed (a confirmation waits for the write, and under
//     --fsync=always for its sync): it is cut, and reported. After a clean stop there is no
//     torn write (`tail_may_be_torn` false): the open fails.
//
// Table files are checked block by block (LogStore::verify_checksums) when `verify_tables`.
#include <memory>
#include <string>

#include "wal/log_store.h"

namespace symphony::wal {

struct CheckedOpenOptions {
  /// Change nothing: a torn end is left in place and reported (tools). Default: false
  bool read_only = false;
  /// False after a clean stop: a damaged end of the WAL is then damage. Default: true
  bool tail_may_be_torn = true;
  /// Read every block of every table file. Default: true
  bool verify_tables = true;
  /// Diagnostics and test Env (read_only and wal_replay are set by open_checked).
  LogStoreOptions store;
};

struct CheckedOpenReport {
  /// The WAL ended in a torn write: cut (read-only: left out of what the store shows).
  bool tail_cut = false;
  /// What RocksDB reported about the torn end.
  std::string detail;
};

/// Opens the log in `log_dir` (<data-dir>/log). On damage, the error names it and says what to
/// run (symphony-wal verify / salvage); `out` is then unset.
StoreStatus open_checked(const std::string& log_dir, std::unique_ptr<LogStore>& out,
                         const CheckedOpenOptions& options, CheckedOpenReport& report);

/// "; run `symphony-wal verify --data-dir D` ..." for messages about the log in `log_dir`.
std::string damage_hint(const std::string& log_dir);

}  // namespace symphony::wal
