#pragma once
// Writes a whole LogState as a fresh run of snapshot groups: how `symphony-wal compact` shrinks a
// stopped broker's log in place, and how `symphony-wal replay --into` builds a new data directory.
#include <cstdint>

#include "wal/log_state.h"
#include "wal/log_store.h"

namespace symphony::wal {

struct StateWriteOptions {
  uint64_t first_seq = 1;  ///< seq of the first group written
  uint64_t epoch = 1;      ///< epoch stamped on the groups
  int64_t now_ms = 0;      ///< written_at of the groups
  /// Delete every group below first_seq in the same write as the last snapshot group, and make
  /// every id below the state's next id "historical" (meta base_id).
  bool drop_older = false;
  size_t max_group_bytes = 16u << 20;
};

/// Returns the number of groups written in `groups`.
StoreStatus write_state(LogStore& store, const LogState& state, const StateWriteOptions& options,
                        uint64_t& groups);

}  // namespace symphony::wal
