#include "protocol/opcode.h"

namespace symphony::protocol {

std::string_view opcode_name(Opcode op) {
  switch (op) {
    case Opcode::kHello: return "HELLO";
    case Opcode::kPing: return "PING";
    case Opcode::kDispatch: return "DISPATCH";
    case Opcode::kSubscribe: return "SUBSCRIBE";
    case Opcode::kCredit: return "CREDIT";
    case Opcode::kAck: return "ACK";
    case Opcode::kNack: return "NACK";
    case Opcode::kTouch: return "TOUCH";
    case Opcode::kQueueStats: return "QUEUE_STATS";
    case Opcode::kWelcome: return "WELCOME";
    case Opcode::kPong: return "PONG";
    case Opcode::kDispatchResult: return "DISPATCH_RESULT";
    case Opcode::kSubscribed: return "SUBSCRIBED";
    case Opcode::kCreditOk: return "CREDIT_OK";
    case Opcode::kAckResult: return "ACK_RESULT";
    case Opcode::kNackResult: return "NACK_RESULT";
    case Opcode::kTouchResult: return "TOUCH_RESULT";
    case Opcode::kQueueStatsResult: return "QUEUE_STATS_RESULT";
    case Opcode::kDeliver: return "DELIVER";
    case Opcode::kError: return "ERROR";
    case Opcode::kGoaway: return "GOAWAY";
  }
  return "UNKNOWN";
}

std::optional<Opcode> to_opcode(uint8_t raw) {
  auto op = static_cast<Opcode>(raw);
  if (opcode_name(op) == "UNKNOWN") return std::nullopt;
  return op;
}

bool is_request(Opcode op) {
  switch (op) {
    case Opcode::kHello:
    case Opcode::kPing:
    case Opcode::kDispatch:
    case Opcode::kSubscribe:
    case Opcode::kCredit:
    case Opcode::kAck:
    case Opcode::kNack:
    case Opcode::kTouch:
    case Opcode::kQueueStats: return true;
    default: return false;
  }
}

}  // namespace symphony::protocol
