// DISPATCH.
#include "broker/server/broker_service.h"
#include "protocol/dispatch.h"

namespace symphony::server {

using protocol::ErrorCode;
using protocol::Opcode;

void BrokerService::register_produce_ops(OpTable& t) {
  t[static_cast<uint8_t>(Opcode::kDispatch)] = &BrokerService::op_dispatch;
}

// DISPATCH [message...] -> DISPATCH_RESULT [result per destination envelope...]
void BrokerService::op_dispatch(Session& s, const protocol::Frame& f) {
  if (auto st = protocol::decode_dispatch(f.body, options_.core.limits.max_batch, dispatch_batch_);
      !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  if (draining_) {
    send_error(s, f.request_id, ErrorCode::kShuttingDown, "server is shutting down");
    return;
  }
  const broker::TimeMs now = clock_();
  dispatch_results_.clear();
  for (uint32_t i = 0; i < dispatch_batch_.size(); ++i) {
    const size_t first = dispatch_results_.size();
    core_.dispatch(dispatch_batch_[i], i, now, dispatch_results_);
    // The memory figure is sampled every few ms; in between, each new envelope adds an estimate
    // of what it will hold (the stored body, the log's copy until written, the indexes: under 2x
    // its bytes plus 256 as measured in docs/benchmarks.md), so a flood cannot run past the
    // limit between two samples. Items after the one that crosses it are refused per item.
    const protocol::DispatchMessage& m = dispatch_batch_[i];
    const uint64_t bytes = 2 * (m.type.size() + m.payload.size() + m.metadata.size() +
                                m.headers.raw.size() + m.idempotency_key.size()) +
                           256;
    for (size_t r = first; r < dispatch_results_.size(); ++r) {
      const protocol::DispatchResult& res = dispatch_results_[r];
      if (res.code == ErrorCode::kOk && !res.duplicate) {
        on_memory_change(memory_.add(bytes));
      } else if (res.code == ErrorCode::kMemoryLimit) {
        ++metrics_.dispatches_refused_memory;
      }
    }
  }
  // confirmed only once the enqueue records are in the log under the fsync policy
  protocol::encode_dispatch_result(durable_out(s), f.request_id, dispatch_results_);
  schedule_turn_end();
}

}  // namespace symphony::server
