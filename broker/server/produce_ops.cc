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
    core_.dispatch(dispatch_batch_[i], i, now, dispatch_results_);
  }
  // confirmed only once the enqueue records are in the log under the fsync policy
  protocol::encode_dispatch_result(durable_out(s), f.request_id, dispatch_results_);
  schedule_turn_end();
}

}  // namespace symphony::server
