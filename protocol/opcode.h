#pragma once
// Frame opcodes. A reply's opcode is its request's opcode with the high bit set (DISPATCH 0x10 ->
// DISPATCH_RESULT 0x90); server pushes (DELIVER, ERROR, GOAWAY) live in 0x60..0x7F.
#include <cstdint>
#include <optional>
#include <string_view>

namespace symphony::protocol {

enum class Opcode : uint8_t {
  // client -> server requests
  kHello = 0x01,
  kPing = 0x02,
  kDispatch = 0x10,
  kSubscribe = 0x20,
  kCredit = 0x21,
  kAck = 0x22,
  kNack = 0x23,
  kTouch = 0x24,
  kQueueStats = 0x30,
  kQueuePurge = 0x31,
  kMessageStatus = 0x32,
  kOverview = 0x33,
  kHealth = 0x34,
  kMetrics = 0x35,
  kBackup = 0x36,
  kFailedList = 0x40,
  kFailedGet = 0x41,
  kFailedRetry = 0x42,
  kFailedDelete = 0x43,
  kScheduleCreate = 0x50,
  kScheduleList = 0x51,
  kScheduleGet = 0x52,
  kScheduleUpdate = 0x53,
  // server -> client replies (request | 0x80)
  kWelcome = 0x81,
  kPong = 0x82,
  kDispatchResult = 0x90,
  kSubscribed = 0xA0,
  kCreditOk = 0xA1,
  kAckResult = 0xA2,
  kNackResult = 0xA3,
  kTouchResult = 0xA4,
  kQueueStatsResult = 0xB0,
  kQueuePurgeResult = 0xB1,
  kMessageStatusResult = 0xB2,
  kOverviewResult = 0xB3,
  kHealthResult = 0xB4,
  kMetricsResult = 0xB5,
  kBackupResult = 0xB6,
  kFailedListResult = 0xC0,
  kFailedGetResult = 0xC1,
  kFailedRetryResult = 0xC2,
  kFailedDeleteResult = 0xC3,
  kScheduleCreateResult = 0xD0,
  kScheduleListResult = 0xD1,
  kScheduleGetResult = 0xD2,
  kScheduleUpdateResult = 0xD3,
  // server -> client pushes
  kDeliver = 0x60,
  kError = 0x7E,
  kGoaway = 0x7F,
};

inline constexpr uint8_t kReplyBit = 0x80;

/// The opcode if `raw` is one this protocol version defines.
std::optional<Opcode> to_opcode(uint8_t raw);
std::string_view opcode_name(Opcode op);
/// True for opcodes a client may send (requests are 0x01..0x5F; only defined ones decode).
bool is_request(Opcode op);
/// The reply opcode of a request (DISPATCH -> DISPATCH_RESULT).
inline Opcode reply_of(Opcode request) {
  return static_cast<Opcode>(static_cast<uint8_t>(request) | kReplyBit);
}

}  // namespace symphony::protocol
