// Dispatch validation, ids and queue naming, and the retry policy arithmetic.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/core/retry_policy.h"
#include "tests/broker/core_fixture.h"

namespace symphony::broker::test {
namespace {

using protocol::ErrorCode;

class CoreValidationTest : public CoreTest {
 protected:
  /// Dispatches `spec` and expects `code` with nothing enqueued, logged or numbered.
  void expect_rejected(const MessageSpec& spec, ErrorCode code, uint32_t index = 7) {
    const size_t envelopes = core().envelope_count();
    const uint32_t records = log.count();
    const MessageId next = core().next_id();
    const protocol::DispatchResult r = dispatch_spec(spec, index);
    EXPECT_EQ(r.code, code);
    EXPECT_EQ(r.index, index);
    EXPECT_EQ(r.message_id, 0u);
    EXPECT_FALSE(r.error.empty()) << "a rejection carries a detail text";
    EXPECT_EQ(core().envelope_count(), envelopes);
    EXPECT_EQ(log.count(), records);
    EXPECT_EQ(core().next_id(), next);
  }
  void expect_accepted(const MessageSpec& spec) {
    const protocol::DispatchResult r = dispatch_spec(spec);
    EXPECT_EQ(r.code, ErrorCode::kOk) << r.error;
    EXPECT_NE(r.message_id, 0u);
  }
};

TEST_F(CoreValidationTest, EmptyTypeIsRejected) {
  MessageSpec s;
  s.type = "";
  expect_rejected(s, ErrorCode::kEmptyType);
}

TEST_F(CoreValidationTest, PayloadMustBeAJsonObject) {
  for (const char* payload : {"[1,2]", "\"str\"", "{bad", "", "42", "null", "{} {}"}) {
    SCOPED_TRACE(payload);
    MessageSpec s;
    s.payload = payload;
    expect_rejected(s, ErrorCode::kInvalidPayload);
  }
  MessageSpec ok;
  ok.payload = R"({"to":"a@example.com","n":[1,2]})";
  expect_accepted(ok);
}

TEST_F(CoreValidationTest, MetadataMustBeAnObjectWhenPresent) {
  for (const char* metadata : {"[1]", "\"x\"", "{bad", "7"}) {
    SCOPED_TRACE(metadata);
    MessageSpec s;
    s.metadata = metadata;
    expect_rejected(s, ErrorCode::kInvalidMetadata);
  }
  MessageSpec absent;  // empty metadata means none
  expect_accepted(absent);
  MessageSpec object;
  object.metadata = R"({"trace":"abc"})";
  expect_accepted(object);
}

TEST_F(CoreValidationTest, PriorityOutOfRange) {
  for (int p : {11, 255}) {
    SCOPED_TRACE(p);
    MessageSpec s;
    s.priority = static_cast<uint8_t>(p);
    expect_rejected(s, ErrorCode::kPriorityOutOfRange);
  }
}

TEST_F(CoreValidationTest, PriorityZeroMeansDefaultAndOneToTenAreKept) {
  for (int p = 0; p <= 10; ++p) {
    const protocol::DispatchResult r = dispatch("Job", "{}", static_cast<uint8_t>(p));
    ASSERT_EQ(r.code, ErrorCode::kOk) << r.error;
    const std::optional<EnvelopeView> e = core().find(r.message_id);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->priority, p == 0 ? 5 : p);
  }
}

TEST_F(CoreValidationTest, PayloadOverTheLimitIsTooLarge) {
  options.limits.max_payload_bytes = 32;
  MessageSpec exact;
  exact.payload = R"({"k":")" + std::string(32 - 8, 'x') + R"("})";
  ASSERT_EQ(exact.payload.size(), 32u);
  expect_accepted(exact);
  MessageSpec over = exact;
  over.payload.insert(6, "x");
  expect_rejected(over, ErrorCode::kMessageTooLarge);
}

TEST_F(CoreValidationTest, PayloadOverTheDefaultLimitIsTooLarge) {
  MessageSpec s;
  s.payload = R"({"k":")" + std::string(options.limits.max_payload_bytes, 'x') + R"("})";
  expect_rejected(s, ErrorCode::kMessageTooLarge);
}

TEST_F(CoreValidationTest, TooManyHeaders) {
  MessageSpec s;
  for (int i = 0; i < options.limits.max_headers; ++i) {
    s.headers.emplace_back("x-h" + std::to_string(i), "v");
  }
  expect_accepted(s);
  s.headers.emplace_back("x-one-more", "v");
  expect_rejected(s, ErrorCode::kTooManyHeaders);
}

TEST_F(CoreValidationTest, AutomaticHeaderNamesAreRejected) {
  for (const char* name : {"message-id", "message-type", "dispatched-at"}) {
    SCOPED_TRACE(name);
    MessageSpec s;
    s.headers = {{"x-tenant", "acme"}, {name, "42"}};
    expect_rejected(s, ErrorCode::kInvalidHeader);
  }
  MessageSpec custom;
  custom.headers = {{"x-tenant", "acme"}};
  expect_accepted(custom);
}

TEST_F(CoreValidationTest, BadQueueNames) {
  for (const std::string& q : {std::string("has space"), std::string(300, 'q'),
                               std::string("slash/es"), std::string("uni\xc3\xa9")}) {
    SCOPED_TRACE(q.substr(0, 20));
    MessageSpec s;
    s.queue = q;
    expect_rejected(s, ErrorCode::kInvalidQueueName);
  }
  MessageSpec longest;
  longest.queue = std::string(255, 'q');
  expect_accepted(longest);
  MessageSpec punctuated;
  punctuated.queue = "emails.high-prio_v2:eu";
  expect_accepted(punctuated);
}

TEST_F(CoreValidationTest, NegativeDelayIsAnInvalidSchedule) {
  expect_rejected(delayed_spec("Job", -1), ErrorCode::kInvalidSchedule);
  MessageSpec at = delayed_spec("Job", -5);
  at.when = protocol::When::kAtUnixMs;
  expect_rejected(at, ErrorCode::kInvalidSchedule);
}

TEST_F(CoreValidationTest, DelayBeyondTheLimitIsAnInvalidSchedule) {
  options.max_delay_ms = 60'000;
  expect_rejected(delayed_spec("Job", 60'001), ErrorCode::kInvalidSchedule);
  expect_accepted(delayed_spec("Job", 60'000));

  MessageSpec at = delayed_spec("Job", 0);
  at.when = protocol::When::kAtUnixMs;
  at.when_value = now + 60'001;
  expect_rejected(at, ErrorCode::kInvalidSchedule);
  at.when_value = now + 60'000;
  expect_accepted(at);
}

TEST_F(CoreValidationTest, DefaultMaxDelayIsEnforced) {
  expect_rejected(delayed_spec("Job", options.max_delay_ms + 1), ErrorCode::kInvalidSchedule);
}

TEST_F(CoreValidationTest, OverlongIdempotencyKeyIsRejected) {
  MessageSpec s;
  s.key = std::string(kMaxIdempotencyKeyBytes + 1, 'k');
  expect_rejected(s, ErrorCode::kMessageTooLarge);
}

TEST_F(CoreValidationTest, BadMessageInABatchDoesNotStopTheOthers) {
  MessageSpec good1;
  good1.type = "First";
  MessageSpec bad;
  bad.payload = "[1,2]";
  MessageSpec good2;
  good2.type = "Third";

  std::vector<protocol::DispatchResult> out;
  core().dispatch(make_message(good1), 0, now, out);
  core().dispatch(make_message(bad), 1, now, out);
  core().dispatch(make_message(good2), 2, now, out);

  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].index, 0u);
  EXPECT_EQ(out[0].code, ErrorCode::kOk);
  EXPECT_EQ(out[0].message_id, 1u);
  EXPECT_EQ(out[1].index, 1u);
  EXPECT_EQ(out[1].code, ErrorCode::kInvalidPayload);
  EXPECT_EQ(out[1].message_id, 0u);
  EXPECT_EQ(out[2].index, 2u);
  EXPECT_EQ(out[2].code, ErrorCode::kOk);
  EXPECT_EQ(out[2].message_id, 2u);  // the rejected message consumed no id
  EXPECT_EQ(core().envelope_count(), 2u);
  EXPECT_EQ(log.count(), 2u);
  EXPECT_EQ(stats().dispatched_total, 2u);
}

TEST_F(CoreValidationTest, IdsIncreaseFromOneAndQueueDefaults) {
  EXPECT_EQ(core().next_id(), 1u);
  const protocol::DispatchResult a = dispatch("Job");
  const protocol::DispatchResult b = dispatch("Job", "{}", 0, 0, "emails");
  const protocol::DispatchResult c = dispatch("Other");
  EXPECT_EQ(a.message_id, 1u);
  EXPECT_EQ(b.message_id, 2u);
  EXPECT_EQ(c.message_id, 3u);
  EXPECT_EQ(a.queue, "default");
  EXPECT_EQ(b.queue, "emails");
  EXPECT_EQ(c.queue, "default");
  EXPECT_FALSE(a.duplicate);
  EXPECT_EQ(a.status, protocol::EnvelopeStatus::kPending);
  EXPECT_EQ(core().next_id(), 4u);
  EXPECT_EQ(stats("default").dispatched_total, 2u);
  EXPECT_EQ(stats("emails").dispatched_total, 1u);
}

TEST_F(CoreValidationTest, ConfiguredDefaultQueueAndPriority) {
  options.default_queue = "main";
  options.default_priority = 8;
  const protocol::DispatchResult r = dispatch("Job");
  EXPECT_EQ(r.queue, "main");
  ASSERT_NE(core().find(r.message_id), std::nullopt);
  EXPECT_EQ(core().find(r.message_id)->priority, 8);
}

TEST_F(CoreValidationTest, SubscribeValidatesItsArguments) {
  protocol::Subscribed effective;
  std::string detail;
  EXPECT_EQ(core().subscribe(1, {}, 5, 0, effective, detail), ErrorCode::kInvalidArgument);
  const std::vector<std::string_view> bad{"ok", "has space"};
  EXPECT_EQ(core().subscribe(1, bad, 5, 0, effective, detail), ErrorCode::kInvalidQueueName);
  protocol::CreditOk credit;
  EXPECT_EQ(core().set_prefetch(1, 5, credit), ErrorCode::kNotSubscribed)
      << "a failed SUBSCRIBE must not register the consumer";
}

TEST_F(CoreValidationTest, SubscribeDefaultsAndCaps) {
  options.max_prefetch = 50;
  options.max_lease_ms = 60'000;
  const protocol::Subscribed d = subscribe(1, {"q"}, 0, 0);
  EXPECT_EQ(d.prefetch, 10u);
  EXPECT_EQ(d.lease_ms, 30'000u);
  const protocol::Subscribed capped = subscribe(2, {"q"}, 1'000, 600'000);
  EXPECT_EQ(capped.prefetch, 50u);
  EXPECT_EQ(capped.lease_ms, 60'000u);
  EXPECT_EQ(stats("q").consumers, 2u);
  EXPECT_EQ(log.count(), 0u) << "subscribing is not persisted";
}

// ---- RetryPolicy ----

TEST(RetryPolicyTest, DefaultBackoffDoublesUpToTheCap) {
  const RetryPolicy p;
  EXPECT_EQ(p.max_retries, 3);
  EXPECT_EQ(p.delay_for(1), 1000u);
  EXPECT_EQ(p.delay_for(2), 2000u);
  EXPECT_EQ(p.delay_for(3), 4000u);
  EXPECT_EQ(p.delay_for(4), 8000u);
  EXPECT_EQ(p.delay_for(5), 16000u);
  EXPECT_EQ(p.delay_for(6), 30000u);  // 32000 capped
  EXPECT_EQ(p.delay_for(7), 30000u);
  EXPECT_EQ(p.delay_for(0), 1000u) << "n = 0 is treated as the first retry";
  EXPECT_EQ(p.delay_for(100000), 30000u) << "huge n must not overflow";
}

TEST(RetryPolicyTest, NoJitterIgnoresTheRandomInput) {
  const RetryPolicy p;
  EXPECT_EQ(p.delay_for(3, 0.0), 4000u);
  EXPECT_EQ(p.delay_for(3, 0.999), 4000u);
}

TEST(RetryPolicyTest, JitterStaysWithinItsFraction) {
  RetryPolicy p;
  p.jitter = 0.5;
  for (uint32_t n = 1; n <= 7; ++n) {
    SCOPED_TRACE(n);
    const double base = p.delay_for(n);
    const uint32_t low = p.delay_for(n, 0.0);
    const uint32_t high = p.delay_for(n, 0.999);
    EXPECT_GE(low, base * 0.5);
    EXPECT_LE(low, base * 0.5 + 1);  // 0.0 is the bottom of the range
    EXPECT_LE(high, base * 1.5);
    EXPECT_GE(high, base * 1.49);  // 0.999 is near the top
    EXPECT_NEAR(p.delay_for(n, 0.5), base, 1.0);
  }
}

TEST(RetryPolicyTest, SeedsEmailPolicy) {
  const RetryPolicy p{.max_retries = 5, .delay_ms = 2000, .multiplier = 2.0, .max_delay_ms = 60000};
  const std::vector<uint32_t> expected{2000, 4000, 8000, 16000, 32000, 60000, 60000};
  for (uint32_t n = 1; n <= expected.size(); ++n) EXPECT_EQ(p.delay_for(n), expected[n - 1]) << n;
}

TEST(RetryPolicyTest, PoliciesByType) {
  RetryPolicies policies;
  policies.set("EmailMessage", {.max_retries = 5, .delay_ms = 2000});
  EXPECT_EQ(policies.for_type("EmailMessage").max_retries, 5);
  EXPECT_EQ(policies.for_type("EmailMessage").delay_ms, 2000u);
  EXPECT_EQ(policies.for_type("SmsMessage").max_retries, 3);
  EXPECT_EQ(&policies.for_type("SmsMessage"), &policies.default_policy());
}

}  // namespace
}  // namespace symphony::broker::test
