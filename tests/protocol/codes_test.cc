#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "protocol/error_code.h"
#include "protocol/opcode.h"
#include "tests/protocol/test_util.h"

namespace symphony::protocol {
namespace {

const std::vector<Opcode> kRequests = {
    Opcode::kHello,        Opcode::kPing,        Opcode::kDispatch,      Opcode::kSubscribe,
    Opcode::kCredit,       Opcode::kAck,         Opcode::kNack,          Opcode::kTouch,
    Opcode::kQueueStats,   Opcode::kQueuePurge,  Opcode::kMessageStatus, Opcode::kOverview,
    Opcode::kHealth,       Opcode::kMetrics,     Opcode::kBackup,        Opcode::kFailedList,
    Opcode::kFailedGet,    Opcode::kFailedRetry, Opcode::kFailedDelete,  Opcode::kScheduleCreate,
    Opcode::kScheduleList, Opcode::kScheduleGet, Opcode::kScheduleUpdate};
const std::vector<Opcode> kReplies = {Opcode::kWelcome,
                                      Opcode::kPong,
                                      Opcode::kDispatchResult,
                                      Opcode::kSubscribed,
                                      Opcode::kCreditOk,
                                      Opcode::kAckResult,
                                      Opcode::kNackResult,
                                      Opcode::kTouchResult,
                                      Opcode::kQueueStatsResult,
                                      Opcode::kQueuePurgeResult,
                                      Opcode::kMessageStatusResult,
                                      Opcode::kOverviewResult,
                                      Opcode::kHealthResult,
                                      Opcode::kMetricsResult,
                                      Opcode::kBackupResult,
                                      Opcode::kFailedListResult,
                                      Opcode::kFailedGetResult,
                                      Opcode::kFailedRetryResult,
                                      Opcode::kFailedDeleteResult,
                                      Opcode::kScheduleCreateResult,
                                      Opcode::kScheduleListResult,
                                      Opcode::kScheduleGetResult,
                                      Opcode::kScheduleUpdateResult};
const std::vector<Opcode> kPushes = {Opcode::kDeliver, Opcode::kError, Opcode::kGoaway};

TEST(ErrorCodeTest, Names) {
  EXPECT_EQ(error_name(ErrorCode::kOk), "OK");
  EXPECT_EQ(error_name(ErrorCode::kMalformedFrame), "MALFORMED_FRAME");
  EXPECT_EQ(error_name(ErrorCode::kPriorityOutOfRange), "PRIORITY_OUT_OF_RANGE");
  EXPECT_EQ(error_name(ErrorCode::kBatchTooLarge), "BATCH_TOO_LARGE");
  EXPECT_EQ(error_name(ErrorCode::kInternal), "INTERNAL");
  EXPECT_EQ(error_name(static_cast<ErrorCode>(9999)), "UNKNOWN_ERROR");
}

TEST(ErrorCodeTest, KnownValues) {
  EXPECT_TRUE(is_known_error(0));
  EXPECT_TRUE(is_known_error(100));
  EXPECT_TRUE(is_known_error(303));
  EXPECT_TRUE(is_known_error(602));
  EXPECT_FALSE(is_known_error(9999));
  EXPECT_FALSE(is_known_error(1));
  EXPECT_FALSE(is_known_error(106));
  EXPECT_FALSE(is_known_error(0xFFFF));
  int known = 0;
  for (uint32_t v = 0; v <= 0xFFFF; ++v) known += is_known_error(static_cast<uint16_t>(v)) ? 1 : 0;
  EXPECT_EQ(known, 32);  // every ErrorCode enumerator, including kOk
}

TEST(ErrorCodeTest, CategoryFollowsHundredsDigit) {
  EXPECT_EQ(error_category(ErrorCode::kOk), ErrorCategory::kNone);
  EXPECT_EQ(error_category(ErrorCode::kUnknownOpcode), ErrorCategory::kProtocol);
  EXPECT_EQ(error_category(ErrorCode::kAuthFailed), ErrorCategory::kAuth);
  EXPECT_EQ(error_category(ErrorCode::kEmptyType), ErrorCategory::kValidation);
  EXPECT_EQ(error_category(ErrorCode::kInvalidArgument), ErrorCategory::kValidation);
  EXPECT_EQ(error_category(ErrorCode::kNotLeaseHolder), ErrorCategory::kState);
  EXPECT_EQ(error_category(ErrorCode::kTooManyHeaders), ErrorCategory::kLimit);
  EXPECT_EQ(error_category(ErrorCode::kStorageError), ErrorCategory::kServer);
  EXPECT_EQ(error_category(ErrorCode::kStorageFull), ErrorCategory::kServer);
  EXPECT_EQ(error_category(ErrorCode::kMemoryLimit), ErrorCategory::kLimit);
  EXPECT_EQ(error_name(ErrorCode::kTooManyConnections), "TOO_MANY_CONNECTIONS");
  EXPECT_EQ(error_category(ErrorCode::kShuttingDown), ErrorCategory::kServer);

  EXPECT_EQ(category_name(ErrorCategory::kNone), "none");
  EXPECT_EQ(category_name(ErrorCategory::kProtocol), "protocol");
  EXPECT_EQ(category_name(ErrorCategory::kAuth), "auth");
  EXPECT_EQ(category_name(ErrorCategory::kValidation), "validation");
  EXPECT_EQ(category_name(ErrorCategory::kState), "state");
  EXPECT_EQ(category_name(ErrorCategory::kLimit), "limit");
  EXPECT_EQ(category_name(ErrorCategory::kServer), "server");
}

TEST(OpcodeTest, ToOpcodeAcceptsExactlyTheDefinedValues) {
  std::vector<Opcode> all = kRequests;
  all.insert(all.end(), kReplies.begin(), kReplies.end());
  all.insert(all.end(), kPushes.begin(), kPushes.end());
  for (Opcode op : all) {
    const std::optional<Opcode> got = to_opcode(static_cast<uint8_t>(op));
    ASSERT_TRUE(got.has_value()) << opcode_name(op);
    EXPECT_EQ(*got, op);
    EXPECT_NE(opcode_name(op), "UNKNOWN");
  }
  int defined = 0;
  for (int raw = 0; raw < 256; ++raw) defined += to_opcode(static_cast<uint8_t>(raw)) ? 1 : 0;
  EXPECT_EQ(defined, static_cast<int>(all.size()));
  EXPECT_FALSE(to_opcode(0x00).has_value());
  EXPECT_FALSE(to_opcode(0x80).has_value());
  EXPECT_FALSE(to_opcode(0xFF).has_value());
  EXPECT_EQ(to_opcode(0x10), Opcode::kDispatch);
  EXPECT_EQ(opcode_name(Opcode::kQueueStatsResult), "QUEUE_STATS_RESULT");
}

TEST(OpcodeTest, ReplyOfSetsTheHighBit) {
  EXPECT_EQ(reply_of(Opcode::kDispatch), Opcode::kDispatchResult);
  EXPECT_EQ(reply_of(Opcode::kHello), Opcode::kWelcome);
  EXPECT_EQ(reply_of(Opcode::kPing), Opcode::kPong);
  ASSERT_EQ(kRequests.size(), kReplies.size());
  for (size_t i = 0; i < kRequests.size(); ++i) {
    EXPECT_EQ(reply_of(kRequests[i]), kReplies[i]) << opcode_name(kRequests[i]);
  }
}

TEST(OpcodeTest, IsRequestOnlyForClientOpcodes) {
  for (Opcode op : kRequests) EXPECT_TRUE(is_request(op)) << opcode_name(op);
  for (Opcode op : kReplies) EXPECT_FALSE(is_request(op)) << opcode_name(op);
  for (Opcode op : kPushes) EXPECT_FALSE(is_request(op)) << opcode_name(op);
}

}  // namespace
}  // namespace symphony::protocol
