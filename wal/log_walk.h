#pragma once
// Walking a log: every group in seq order, checked (format, checksum, seq continuity, the first
// seq the log says it starts at) and replayed record by record into a LogState. Recovery,
// `symphony-wal` and salvage all walk the log through here, so they agree on what is damage.
//
// Strict (the default) stops at the first problem with an error naming the group and record.
// Salvage goes on: a damaged group is skipped whole, a record that breaks the replay rules (its
// envelope's history was in a lost group) is skipped alone, and each is passed to on_problem.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "wal/group.h"
#include "wal/log_state.h"
#include "wal/log_store.h"
#include "wal/record.h"

namespace symphony::wal {

struct GroupView {
  uint64_t seq = 0;
  GroupHeader header;
  size_t bytes = 0;  ///< of the whole group value
};

struct RecordView {
  const GroupView& group;
  uint32_t index = 0;  ///< within the group
  const Record& record;
  size_t bytes = 0;  ///< encoded size (type, length, payload)
};

/// What salvage skipped.
struct WalkProblem {
  enum class Kind : uint8_t {
    kDamagedGroup,   ///< the group is unreadable (`seq`), skipped whole
    kMissingGroups,  ///< groups [seq, seq_end) are not in the log
    kIllegalRecord,  ///< a record of group `seq` that cannot apply; `id` is its envelope
    kDamagedRecords  ///< records of group `seq` from `index` on do not decode
  };
  Kind kind = Kind::kDamagedGroup;
  uint64_t seq = 0;
  uint64_t seq_end = 0;
  uint32_t index = 0;
  uint64_t id = 0;
  std::string what;
};

struct WalkHooks {
  /// Called for every well-formed group before its records; false ends the walk there (the
  /// group is not applied).
  std::function<bool(const GroupView&)> on_group;
  /// Called for every decoded record, with the state as it was before the record.
  std::function<void(const RecordView&, const LogState& before)> on_record;
  /// Set: salvage mode (see above). Unset: strict.
  std::function<void(const WalkProblem&)> on_problem;
};

struct WalkResult {
  uint64_t groups = 0;  ///< applied
  uint64_t records = 0;
  uint64_t bytes = 0;  ///< of the applied group values
  std::optional<GroupView> first, last;
  bool stopped = false;  ///< on_group ended the walk
  /// Set when a strict walk stopped at a bad item (one line naming group, record, type and id).
  std::string error;
};

/// Replays `store` into `state` (constructed here with the stored base id). Modifies nothing in
/// the store. Strict: false with result.error at the first bad item (records before it were
/// applied). Salvage: false only when the store cannot be read.
bool walk_log(LogStore& store, LogState& state, const WalkHooks& hooks, WalkResult& result);

}  // namespace symphony::wal
