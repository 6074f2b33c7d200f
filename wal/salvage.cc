#include "wal/salvage.h"

#include <algorithm>
#include <map>

#include "wal/log_walk.h"

namespace symphony::wal {

namespace {

struct GroupMark {
  uint64_t next_id = 0;  ///< the id counter after the group
  int64_t written_at_ms = 0;
  uint64_t first_enqueued = 0;  ///< 0: the group created no id
};

}  // namespace

bool salvage_log(LogStore& store, const std::optional<LogGuardState>& guard, LogState& state,
                 SalvageReport& report, std::string& error) {
  report = SalvageReport{};
  std::map<uint64_t, GroupMark> marks;              // intact groups by seq
  std::vector<std::pair<uint64_t, uint64_t>> lost;  // [from, to)
  WalkHooks hooks;
  hooks.on_group = [&](const GroupView& g) {
    marks[g.seq] = {g.header.next_message_id, g.header.written_at_ms, 0};
    return true;
  };
  hooks.on_record = [&](const RecordView& r, const LogState&) {
    if (type_of(r.record) != RecordType::kEnqueued) return;
    GroupMark& m = marks[r.group.seq];
    if (m.first_enqueued == 0) m.first_enqueued = message_id_of(r.record);
  };
  hooks.on_problem = [&](const WalkProblem& p) {
    switch (p.kind) {
      case WalkProblem::Kind::kDamagedGroup:
      case WalkProblem::Kind::kMissingGroups: lost.emplace_back(p.seq, p.seq_end); break;
      case WalkProblem::Kind::kIllegalRecord:
      case WalkProblem::Kind::kDamagedRecords:
        report.skipped.push_back({p.seq, p.index, p.id, p.what});
        break;
    }
  };
  WalkResult walk;
  if (!walk_log(store, state, hooks, walk)) {
    error = walk.error;
    return false;
  }
  report.groups = walk.groups;
  report.records = walk.records;
  // a damaged group is also reported when it is skipped: keep intact marks only
  for (const auto& [from, to] : lost) {
    for (uint64_t s = from; s < to; ++s) marks.erase(s);
  }
  std::sort(lost.begin(), lost.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (const auto& r : lost) {
    if (!merged.empty() && r.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  uint64_t highest_counter = state.next_id();
  for (const auto& [seq, m] : marks) highest_counter = std::max(highest_counter, m.next_id);
  // groups after the last intact one may be gone without a trace; the guard knows
  if (guard && guard->stopped_cleanly && guard->last_seq > 0 &&
      (marks.empty() || marks.rbegin()->first < guard->last_seq)) {
    const uint64_t from = marks.empty() ? 1 : marks.rbegin()->first + 1;
    if (merged.empty() || merged.back().second <= from) merged.emplace_back(from, 0);
  }
  for (const auto& [from, to] : merged) {
    LostGroups g;
    g.from_seq = from;
    g.to_seq = to;
    auto before = marks.lower_bound(from);
    if (before != marks.begin()) {
      const GroupMark& m = std::prev(before)->second;
      g.after_ms = m.written_at_ms;
      g.ids_from = m.next_id;
    } else {
      g.ids_from = std::max<uint64_t>(state.base_id(), 1);  // the log's first ids
    }
    auto after = to == 0 ? marks.end() : marks.lower_bound(to);
    if (after != marks.end()) {
      g.before_ms = after->second.written_at_ms;
      g.ids_to =
          after->second.first_enqueued != 0 ? after->second.first_enqueued : after->second.next_id;
    }
    report.lost.push_back(g);
  }
  // never hand out an id the damaged log may have handed out
  uint64_t next = highest_counter;
  if (guard) {
    next = std::max(next, guard->id_ceiling);
  } else if (!report.intact()) {
    next += kIdReserve;
  }
  state.raise_next_id(next);
  report.next_id = state.next_id();
  return true;
}

}  // namespace symphony::wal
