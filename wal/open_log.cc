#include "wal/open_log.h"

namespace symphony::wal {

StoreStatus open_log(const std::string& data_dir, const OpenLogOptions& options, OpenedLog& out) {
  out = OpenedLog{};
  out.data_dir = data_dir;
  const std::string log_dir = data_dir + "/log";
  std::string error;
  LogGuardState guard;
  switch (read_log_guard(data_dir, guard, error)) {
    case GuardRead::kOk: out.guard = guard; break;
    case GuardRead::kMissing: break;
    case GuardRead::kDamaged:
      return StoreStatus::error(error + damage_hint(log_dir), StoreStatus::Kind::kCorruption);
  }
  CheckedOpenOptions open;
  open.read_only = options.read_only;
  open.tail_may_be_torn = !(out.guard && out.guard->stopped_cleanly);
  open.verify_tables = options.verify_tables;
  open.store = options.store;
  return open_checked(log_dir, out.store, open, out.opened);
}

bool recover_opened(OpenedLog& log, LogState& state, RecoveryReport& report, std::string& error) {
  if (StoreStatus v = log.store->verify_checksums(); !v.ok) {
    error =
        "a table file of the log is damaged (" + v.message + ")" + damage_hint(log.store->dir());
    return false;
  }
  if (!recover(*log.store, state, report, error)) return false;
  if (!apply_guard(log.guard, report, state, error)) {
    error += damage_hint(log.store->dir());
    return false;
  }
  return true;
}

}  // namespace symphony::wal
