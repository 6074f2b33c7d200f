#pragma once
// A canonical dump of a LogState: equal dumps, equal states (to check "unchanged").
#include <cstdint>
#include <map>
#include <sstream>
#include <string>

#include "wal/log_state.h"

namespace symphony::wal::test {

inline const char* state_name(RecoveredEnvelope::State s) {
  switch (s) {
    case RecoveredEnvelope::State::kPending: return "pending";
    case RecoveredEnvelope::State::kLeased: return "leased";
    case RecoveredEnvelope::State::kDead: return "dead";
  }
  return "?";
}

/// Every field of a LogState as text, envelopes in id order: equal dumps, equal states.
inline std::string dump(const LogState& s) {
  std::ostringstream o;
  o << "base=" << s.base_id() << " next=" << s.next_id() << " orphans=" << s.orphans() << "\n";
  std::map<uint64_t, const RecoveredEnvelope*> sorted;
  for (const auto& [id, e] : s.envelopes()) sorted[id] = &e;
  for (const auto& [id, e] : sorted) {
    o << id << " q=" << e->queue << " p=" << int(e->priority) << " s=" << state_name(e->state)
      << " c=" << e->created_at_ms << " a=" << e->available_at_ms << " n=" << e->attempts
      << " m=" << e->max_retries << " k=" << e->idempotency_key << " b=" << e->body
      << " lc=" << e->lease_consumer << " ld=" << e->lease_deadline_ms << " f=[";
    for (const RecoveredFailure& f : e->failures) {
      o << "(" << f.attempt << "," << f.failed_at_ms << "," << f.error << "," << f.error_class
        << ")";
    }
    o << "]\n";
  }
  for (const auto& [composite, k] : s.keys()) {
    o << "key " << k.queue << "/" << k.key << " -> " << k.id << " @" << k.seen_at_ms << "\n";
  }
  return o.str();
}

}  // namespace symphony::wal::test
