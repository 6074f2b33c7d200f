#include "wal/recovery.h"

#include <fmt/format.h>

#include "wal/checked_open.h"
#include "wal/log_walk.h"

namespace symphony::wal {

StoreStatus read_base_id(LogStore& store, uint64_t& base_id) {
  std::optional<std::string> v;
  StoreStatus st = store.get_meta("base_id", v);
  base_id = 0;
  if (st.ok && v) decode_meta_u64(*v, base_id);
  return st;
}

bool recover(LogStore& store, LogState& state, RecoveryReport& report, std::string& error) {
  WalkHooks hooks;
  hooks.on_group = [&](const GroupView& g) {
    report.group_infos.push_back(
        {g.seq, g.header.first_epoch, g.header.last_epoch, g.header.next_message_id});
    report.last_epoch = g.header.last_epoch;
    return true;
  };
  WalkResult walk;
  if (!walk_log(store, state, hooks, walk)) {
    error = walk.error + damage_hint(store.dir());
    return false;
  }
  report.groups = walk.groups;
  report.records = walk.records;
  report.bytes = walk.bytes;
  return true;
}

bool apply_guard(const std::optional<LogGuardState>& guard_or_none, const RecoveryReport& report,
                 LogState& state, std::string& error) {
  if (!guard_or_none) return true;
  const LogGuardState& guard = *guard_or_none;
  const uint64_t last_seq = report.group_infos.empty() ? 0 : report.group_infos.back().seq;
  if (guard.stopped_cleanly) {
    if (last_seq != guard.last_seq) {
      error = last_seq < guard.last_seq
                  ? fmt::format(
                        "the log ends at group {}, but the broker stopped cleanly after "
                        "group {}: confirmed groups are missing",
                        last_seq, guard.last_seq)
                  : fmt::format(
                        "the log ends at group {}, but the broker stopped cleanly after "
                        "group {}: the log was changed behind the broker's back",
                        last_seq, guard.last_seq);
      return false;
    }
    return true;
  }
  state.raise_next_id(guard.id_ceiling);
  return true;
}

}  // namespace symphony::wal
