// Dead-letter operations of the core: list (newest first, filtered, paged), get with the whole
// attempt history, retry (by ids, by filter, dry run) and delete.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "tests/broker/core_fixture.h"

namespace symphony::broker::test {
namespace {

using protocol::DeadLetterFilter;
using protocol::DeadLetterTarget;
using protocol::EnvelopeStatus;
using protocol::ErrorCode;
using protocol::FailedListRequest;
using protocol::NackMode;
using protocol::NackOutcome;

struct Dead {
  MessageId id = 0;
  std::string queue;
  std::string type;
  std::string error_class;  ///< of the last failure
  TimeMs failed_at = 0;
  std::string error;  ///< of the last failure
};

class DeadLetterTest : public CoreTest {
 protected:
  static constexpr ConsumerId kConsumer = 1;

  /// Dispatches a message to `queue` and dead-letters it at `now` (fatal nack).
  MessageId kill(const std::string& type, const std::string& queue, const std::string& error_class,
                 uint8_t priority = 0) {
    MessageSpec s;
    s.type = type;
    s.queue = queue;
    s.priority = priority;
    s.payload = R"({"n":)" + std::to_string(dead_.size()) + "}";
    const protocol::DispatchResult r = dispatch_spec(s);
    EXPECT_EQ(r.code, ErrorCode::kOk) << r.error;
    subscribe(kConsumer, {queue}, 1000, 600'000);
    deliver();
    const std::vector<Delivery> got = sink.take();
    EXPECT_EQ(ids_of(got), std::vector<MessageId>{r.message_id});
    EXPECT_EQ(nack(kConsumer, r.message_id, NackMode::kFatal, "failed: " + error_class, error_class)
                  .outcome,
              NackOutcome::kDeadLettered);
    dead_.push_back({r.message_id, queue, type, error_class, now, "failed: " + error_class});
    return r.message_id;
  }

  /// A population of dead letters over several queues, types, classes and times (three of them
  /// at the same instant, so the id breaks the tie), one with two failures of different classes.
  void populate() {
    now = kT0;
    // two failures: first TimeoutError (retried), then SmtpError (fatal)
    {
      MessageSpec s;
      s.type = "EmailMessage";
      s.queue = "mail";
      s.key = "welcome-1";
      s.metadata = R"({"origin":"signup"})";
      s.headers = {{"trace-id", "t-1"}, {"tenant", "acme"}};
      s.payload = R"({"to":"a@example.com"})";
      s.priority = 8;
      const protocol::DispatchResult r = dispatch_spec(s);
      twice_ = r.message_id;
      subscribe(kConsumer, {"mail"}, 1000, 600'000);
      deliver();
      sink.take();
      EXPECT_EQ(nack(kConsumer, twice_, NackMode::kRetry, "timed out", "TimeoutError").outcome,
                NackOutcome::kRetryScheduled);
      advance_to(now + 1000);
      EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{twice_});
      now += 5;
      EXPECT_EQ(nack(kConsumer, twice_, NackMode::kFatal, "mailbox unknown", "SmtpError").outcome,
                NackOutcome::kDeadLettered);
      dead_.push_back({twice_, "mail", "EmailMessage", "SmtpError", now, "mailbox unknown"});
    }
    now += 100;
    kill("EmailMessage", "mail", "TimeoutError");
    now += 100;
    kill("InvoiceMessage", "billing", "TimeoutError");
    kill("InvoiceMessage", "billing", "ValueError");  // same instant
    kill("EmailMessage", "mail", "SmtpError");        // same instant
    now += 100;
    kill("ReportMessage", "reports", "ValueError");
    now += 100;
    kill("EmailMessage", "billing", "TimeoutError");
    now += 100;
    kill("InvoiceMessage", "billing", "SmtpError");
    now += 1;
    kill("ReportMessage", "mail", "TimeoutError");
    now += 1000;
    // live envelopes that must never show up
    live_ = dispatch_ok("EmailMessage", 0, "mail");
    take_records();
  }

  /// Expected ids of the dead letters matching `pred`, newest first (failed_at, then id).
  template <typename Pred>
  std::vector<MessageId> expected(Pred pred) const {
    std::vector<Dead> matching;
    for (const Dead& d : dead_) {
      if (pred(d)) matching.push_back(d);
    }
    std::sort(matching.begin(), matching.end(), [](const Dead& a, const Dead& b) {
      return a.failed_at != b.failed_at ? a.failed_at > b.failed_at : a.id > b.id;
    });
    std::vector<MessageId> ids;
    for (const Dead& d : matching) ids.push_back(d.id);
    return ids;
  }
  std::vector<MessageId> all_expected() const {
    return expected([](const Dead&) { return true; });
  }

  static std::vector<MessageId> ids_of(const protocol::FailedListResult& r) {
    std::vector<MessageId> ids;
    for (const auto& s : r.items) ids.push_back(s.id);
    return ids;
  }
  using CoreTest::ids_of;

  protocol::FailedListResult list(const DeadLetterFilter& f = {}, uint32_t limit = 1000) {
    FailedListRequest req;
    req.filter = f;
    req.limit = limit;
    return core().list_dead(req);
  }

  /// Walks every page of `f` with `limit`; checks the total on each page.
  std::vector<MessageId> walk(const DeadLetterFilter& f, uint32_t limit, size_t total) {
    std::vector<MessageId> ids;
    FailedListRequest req;
    req.filter = f;
    req.limit = limit;
    for (int page = 0; page < 100; ++page) {
      const protocol::FailedListResult r = core().list_dead(req);
      EXPECT_EQ(r.total, total) << "page " << page;
      EXPECT_LE(r.items.size(), limit);
      for (const auto& s : r.items) ids.push_back(s.id);
      if (r.next_cursor_id == 0) {
        EXPECT_EQ(r.next_cursor_failed_at_ms, 0);
        return ids;
      }
      EXPECT_EQ(r.items.size(), limit) << "only a full page has a next one";
      EXPECT_EQ(r.next_cursor_id, r.items.back().id);
      EXPECT_EQ(r.next_cursor_failed_at_ms, r.items.back().failed_at_ms);
      req.cursor_id = r.next_cursor_id;
      req.cursor_failed_at_ms = r.next_cursor_failed_at_ms;
    }
    ADD_FAILURE() << "paging never ends";
    return ids;
  }

  std::vector<Dead> dead_;
  MessageId twice_ = 0;
  MessageId live_ = 0;
};

TEST_F(DeadLetterTest, ListIsNewestFirstWithTotal) {
  populate();
  const protocol::FailedListResult r = list();
  EXPECT_EQ(r.total, dead_.size());
  EXPECT_EQ(ids_of(r), all_expected());
  EXPECT_EQ(r.next_cursor_id, 0u);
  EXPECT_EQ(r.next_cursor_failed_at_ms, 0);
  // the summaries describe each dead letter
  for (const auto& s : r.items) {
    const auto it =
        std::find_if(dead_.begin(), dead_.end(), [&](const Dead& d) { return d.id == s.id; });
    ASSERT_NE(it, dead_.end());
    EXPECT_EQ(s.queue, it->queue);
    EXPECT_EQ(s.type, it->type);
    EXPECT_EQ(s.error_class, it->error_class);
    EXPECT_EQ(s.failed_at_ms, it->failed_at);
    EXPECT_EQ(s.error, it->error);
  }
  for (size_t i = 1; i < r.items.size(); ++i) {
    EXPECT_GE(r.items[i - 1].failed_at_ms, r.items[i].failed_at_ms);
  }
  const std::vector<MessageId> listed = ids_of(r);
  EXPECT_EQ(std::count(listed.begin(), listed.end(), live_), 0);
}

TEST_F(DeadLetterTest, PagingVisitsEveryDeadLetterOnceInOrder) {
  populate();
  const std::vector<MessageId> all = all_expected();
  for (uint32_t limit : {1u, 2u, 3u, 4u, 9u, 10u, 50u}) {
    SCOPED_TRACE(testing::Message() << "limit " << limit);
    EXPECT_EQ(walk({}, limit, all.size()), all);
  }
  // the first page of 3 says where the second starts
  const protocol::FailedListResult first = list({}, 3);
  ASSERT_EQ(first.items.size(), 3u);
  EXPECT_EQ(first.next_cursor_id, all[2]);
  // paging a filtered list
  DeadLetterFilter mail;
  mail.queue = "mail";
  const std::vector<MessageId> in_mail = expected([](const Dead& d) { return d.queue == "mail"; });
  ASSERT_GE(in_mail.size(), 4u);
  EXPECT_EQ(walk(mail, 2, in_mail.size()), in_mail);
}

TEST_F(DeadLetterTest, FiltersByQueueTypeErrorClassAndTime) {
  populate();
  DeadLetterFilter f;
  f.queue = "billing";
  EXPECT_EQ(ids_of(list(f)), expected([](const Dead& d) { return d.queue == "billing"; }));
  EXPECT_EQ(list(f).total, 4u);

  f = {};
  f.type = "EmailMessage";
  EXPECT_EQ(ids_of(list(f)), expected([](const Dead& d) { return d.type == "EmailMessage"; }));
  EXPECT_EQ(list(f).total, 4u);

  // the class of the last failure counts: twice_ failed with TimeoutError first, SmtpError last
  f = {};
  f.error_class = "TimeoutError";
  const std::vector<MessageId> timeouts = ids_of(list(f));
  EXPECT_EQ(timeouts, expected([](const Dead& d) { return d.error_class == "TimeoutError"; }));
  EXPECT_EQ(std::count(timeouts.begin(), timeouts.end(), twice_), 0);
  f.error_class = "SmtpError";
  const std::vector<MessageId> smtp = ids_of(list(f));
  EXPECT_EQ(std::count(smtp.begin(), smtp.end(), twice_), 1);

  // an inclusive time range
  const TimeMs from = kT0 + 1005 + 100 + 100;  // the three at the same instant
  const TimeMs to = from + 100;
  f = {};
  f.failed_from_ms = from;
  f.failed_to_ms = to;
  const std::vector<MessageId> range =
      expected([&](const Dead& d) { return d.failed_at >= from && d.failed_at <= to; });
  ASSERT_EQ(range.size(), 4u) << "both ends are inclusive";
  EXPECT_EQ(ids_of(list(f)), range);
  f.failed_to_ms = 0;
  EXPECT_EQ(ids_of(list(f)), expected([&](const Dead& d) { return d.failed_at >= from; }));
  f.failed_from_ms = 0;
  f.failed_to_ms = from - 1;
  EXPECT_EQ(ids_of(list(f)), expected([&](const Dead& d) { return d.failed_at < from; }));

  // combined
  f = {};
  f.queue = "billing";
  f.type = "InvoiceMessage";
  f.error_class = "TimeoutError";
  EXPECT_EQ(ids_of(list(f)), expected([](const Dead& d) {
              return d.queue == "billing" && d.type == "InvoiceMessage" &&
                     d.error_class == "TimeoutError";
            }));
  EXPECT_EQ(list(f).total, 1u);
  f.queue = "nowhere";
  EXPECT_EQ(list(f).total, 0u);
  EXPECT_TRUE(list(f).items.empty());
}

TEST_F(DeadLetterTest, GetReturnsSummaryFailuresAndTheMessage) {
  populate();
  protocol::DeadLetterDetail d;
  ASSERT_EQ(core().get_dead(twice_, d), ErrorCode::kOk);
  EXPECT_EQ(d.summary.id, twice_);
  EXPECT_EQ(d.summary.queue, "mail");
  EXPECT_EQ(d.summary.type, "EmailMessage");
  EXPECT_EQ(d.summary.priority, 8);
  EXPECT_EQ(d.summary.created_at_ms, kT0);
  EXPECT_EQ(d.summary.failed_at_ms, kT0 + 1005);
  EXPECT_EQ(d.summary.attempts, 2u);
  EXPECT_EQ(d.summary.error, "mailbox unknown");
  EXPECT_EQ(d.summary.error_class, "SmtpError");
  ASSERT_EQ(d.failures.size(), 2u);
  EXPECT_EQ(d.failures[0].attempt, 1u);
  EXPECT_EQ(d.failures[0].failed_at_ms, kT0);
  EXPECT_EQ(d.failures[0].error, "timed out");
  EXPECT_EQ(d.failures[0].error_class, "TimeoutError");
  EXPECT_EQ(d.failures[1].attempt, 2u);
  EXPECT_EQ(d.failures[1].failed_at_ms, kT0 + 1005);
  EXPECT_EQ(d.failures[1].error_class, "SmtpError");
  EXPECT_EQ(d.headers, (protocol::HeaderList{{"trace-id", "t-1"}, {"tenant", "acme"}}));
  EXPECT_EQ(d.payload, R"({"to":"a@example.com"})");
  EXPECT_EQ(d.metadata, R"({"origin":"signup"})");
  EXPECT_EQ(d.idempotency_key, "welcome-1");

  EXPECT_EQ(core().get_dead(live_, d), ErrorCode::kUnknownMessage) << "a live message";
  EXPECT_EQ(core().get_dead(123456, d), ErrorCode::kUnknownMessage);
  // an acked message is not a dead letter either
  const MessageId acked = dispatch_ok("Job", 0, "acks");
  subscribe(2, {"acks"}, 1);
  deliver();
  ASSERT_EQ(core().ack(2, acked, now), ErrorCode::kOk);
  EXPECT_EQ(core().get_dead(acked, d), ErrorCode::kUnknownMessage);
}

TEST_F(DeadLetterTest, RetryByIdsMovesThemBackWithAttemptsReset) {
  populate();
  const size_t before = dead_.size();
  const uint64_t mail_dead = stats("mail").dead;
  now += 500;
  const DeadLetterTarget target{false, {twice_, live_, 424242}, {}};
  const protocol::DeadLetterActionResult r = core().retry_dead(target, false, now);
  EXPECT_EQ(r.ids, std::vector<MessageId>{twice_});
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(r.failures[0].id, live_);
  EXPECT_EQ(r.failures[0].code, ErrorCode::kUnknownMessage);
  EXPECT_EQ(r.failures[1].id, 424242u);
  EXPECT_EQ(r.failures[1].code, ErrorCode::kUnknownMessage);

  const std::optional<EnvelopeView> e = core().find(twice_);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->state, EnvelopeState::kReady);
  EXPECT_EQ(e->attempts, 0u);
  EXPECT_EQ(e->available_at_ms, now);
  EXPECT_EQ(e->failures.size(), 2u) << "the failure history is kept";
  EXPECT_EQ(core().status(twice_).status, EnvelopeStatus::kPending);

  const std::vector<wal::Record> records = take_records();
  ASSERT_EQ(records.size(), 1u);
  const auto retried = records_of<wal::DeadRetriedRecord>(records);
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].id, twice_);
  EXPECT_EQ(retried[0].available_at_ms, now);

  EXPECT_EQ(stats("mail").dead, mail_dead - 1);
  const protocol::FailedListResult after = list();
  EXPECT_EQ(after.total, before - 1);
  EXPECT_EQ(std::count_if(after.items.begin(), after.items.end(),
                          [&](const auto& s) { return s.id == twice_; }),
            0);
  protocol::DeadLetterDetail d;
  EXPECT_EQ(core().get_dead(twice_, d), ErrorCode::kUnknownMessage);

  // it is delivered again as attempt 1 (with the live message of its queue)
  deliver();
  const std::vector<Delivery> got = sink.take();
  ASSERT_EQ(got.size(), 2u);
  const auto it =
      std::find_if(got.begin(), got.end(), [&](const Delivery& d) { return d.id == twice_; });
  ASSERT_NE(it, got.end());
  EXPECT_EQ(it->attempt, 1u);
  EXPECT_EQ(it->priority, 8);
}

TEST_F(DeadLetterTest, RetryByFilterMovesEveryMatch) {
  populate();
  DeadLetterFilter f;
  f.queue = "billing";
  const std::vector<MessageId> billing =
      expected([](const Dead& d) { return d.queue == "billing"; });
  const protocol::DeadLetterActionResult r = core().retry_dead({true, {}, f}, false, now);
  EXPECT_EQ(std::set<MessageId>(r.ids.begin(), r.ids.end()),
            std::set<MessageId>(billing.begin(), billing.end()));
  EXPECT_EQ(r.ids.size(), billing.size());
  EXPECT_TRUE(r.failures.empty());
  EXPECT_EQ(records_of<wal::DeadRetriedRecord>(take_records()).size(), billing.size());
  for (MessageId id : billing) {
    EXPECT_EQ(core().find(id)->state, EnvelopeState::kReady);
    EXPECT_EQ(core().find(id)->attempts, 0u);
  }
  EXPECT_EQ(stats("billing").dead, 0u);
  EXPECT_EQ(stats("billing").ready, billing.size());
  EXPECT_EQ(list(f).total, 0u);
  EXPECT_EQ(list().total, dead_.size() - billing.size());
}

TEST_F(DeadLetterTest, DryRunListsButMovesAndLogsNothing) {
  populate();
  DeadLetterFilter f;
  f.error_class = "TimeoutError";
  const std::vector<MessageId> matching =
      expected([](const Dead& d) { return d.error_class == "TimeoutError"; });
  const protocol::FailedListResult before = list();
  const protocol::DeadLetterActionResult r = core().retry_dead({true, {}, f}, true, now);
  EXPECT_EQ(std::set<MessageId>(r.ids.begin(), r.ids.end()),
            std::set<MessageId>(matching.begin(), matching.end()));
  EXPECT_EQ(r.ids.size(), matching.size());
  EXPECT_TRUE(take_records().empty());
  EXPECT_EQ(ids_of(list()), ids_of(before));
  for (MessageId id : matching) EXPECT_EQ(core().find(id)->state, EnvelopeState::kDead);
  // by ids too, unknown ones still reported
  const protocol::DeadLetterActionResult byid =
      core().retry_dead({false, {matching.front(), 777777}, {}}, true, now);
  EXPECT_EQ(byid.ids, std::vector<MessageId>{matching.front()});
  ASSERT_EQ(byid.failures.size(), 1u);
  EXPECT_EQ(byid.failures[0].id, 777777u);
  EXPECT_TRUE(take_records().empty());
  EXPECT_EQ(list().total, dead_.size());
}

TEST_F(DeadLetterTest, DeleteByIdsErasesAndLogs) {
  populate();
  const MessageId victim = dead_[2].id;
  const std::string queue = dead_[2].queue;
  const uint64_t dead_before = stats(queue).dead;
  now += 10;
  const protocol::DeadLetterActionResult r =
      core().delete_dead({false, {victim, live_, 999999}, {}}, now);
  EXPECT_EQ(r.ids, std::vector<MessageId>{victim});
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(r.failures[0].code, ErrorCode::kUnknownMessage);
  EXPECT_EQ(r.failures[1].code, ErrorCode::kUnknownMessage);
  const auto deleted = records_of<wal::DeletedRecord>(take_records());
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].id, victim);
  EXPECT_EQ(deleted[0].at_ms, now);
  EXPECT_EQ(core().find(victim), std::nullopt);
  EXPECT_NE(core().find(live_), std::nullopt) << "a live message is not deleted";
  EXPECT_EQ(core().status(victim).code, ErrorCode::kUnknownMessage);
  EXPECT_EQ(stats(queue).dead, dead_before - 1);
  EXPECT_EQ(list().total, dead_.size() - 1);
  // deleting it again: unknown
  const protocol::DeadLetterActionResult again = core().delete_dead({false, {victim}, {}}, now);
  EXPECT_TRUE(again.ids.empty());
  ASSERT_EQ(again.failures.size(), 1u);
  EXPECT_EQ(again.failures[0].id, victim);
  EXPECT_TRUE(take_records().empty());
}

TEST_F(DeadLetterTest, DeleteByFilterPurgesTheMatchingDeadLetters) {
  populate();
  DeadLetterFilter f;
  f.type = "EmailMessage";
  const std::vector<MessageId> emails =
      expected([](const Dead& d) { return d.type == "EmailMessage"; });
  const protocol::DeadLetterActionResult r = core().delete_dead({true, {}, f}, now);
  EXPECT_EQ(std::set<MessageId>(r.ids.begin(), r.ids.end()),
            std::set<MessageId>(emails.begin(), emails.end()));
  EXPECT_EQ(records_of<wal::DeletedRecord>(take_records()).size(), emails.size());
  for (MessageId id : emails) EXPECT_EQ(core().find(id), std::nullopt);
  EXPECT_EQ(list(f).total, 0u);
  EXPECT_EQ(ids_of(list()), expected([](const Dead& d) { return d.type != "EmailMessage"; }));
  EXPECT_NE(core().find(live_), std::nullopt);

  // an empty filter purges the whole dead-letter set
  const protocol::DeadLetterActionResult rest = core().delete_dead({true, {}, {}}, now);
  EXPECT_EQ(rest.ids.size(), dead_.size() - emails.size());
  EXPECT_EQ(list().total, 0u);
  for (const auto& s : core().stats("")) EXPECT_EQ(s.dead, 0u) << s.name;
  EXPECT_EQ(core().envelope_count(), 1u) << "only the live message is left";
}

}  // namespace
}  // namespace symphony::broker::test
