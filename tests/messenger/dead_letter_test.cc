// Messenger semantics, failure side: per-type retry policies (backoff visible in NACK_RESULT,
// redelivery not before it, dead-lettering once retries are exhausted) and the dead-letter
// operations over the client and the `symphony failed` commands, durable across kill -9.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "tests/messenger/messenger_util.h"

namespace symphony::testing::messenger {
namespace {

using protocol::NackMode;
using protocol::NackOutcome;

TEST(MessengerRetry, PerTypePoliciesScheduleBackoffAndDeadLetter) {
  TempDir dir;
  const std::string cfg = dir.write("symphony.toml", R"([retry.EmailMessage]
max_retries = 5
delay_ms = 2000
max_delay_ms = 60000
jitter = 0.0

[retry.FastRetry]
max_retries = 3
delay_ms = 200
multiplier = 2.0
max_delay_ms = 10000
jitter = 0.0

[retry.Fragile]
max_retries = 1
delay_ms = 100
jitter = 0.0
)");
  BrokerProcess broker({"--config", cfg});
  auto producer = connect(broker);
  const auto email = producer->dispatch({"EmailMessage", "{}"}, DispatchOptions().with_queue("e"));
  const auto fast = producer->dispatch({"FastRetry", "{}"}, DispatchOptions().with_queue("f"));
  const auto fragile =
      producer->dispatch({"Fragile", R"({"x":1})"}, DispatchOptions().with_queue("g"));
  ASSERT_TRUE(email.ok() && fast.ok() && fragile.ok());

  // EmailMessage: the first retry is 2000 ms after the nack
  {
    auto c = connect(broker);
    c->subscribe({"e"}, 1);
    auto d = c->receive(10s);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->attempt, 1u);
    const int64_t before = now_ms();
    const auto r = c->nack(d->id, NackMode::kRetry, "smtp down", "SmtpError");
    const int64_t after = now_ms();
    EXPECT_EQ(r.code, ErrorCode::kOk);
    EXPECT_EQ(r.outcome, NackOutcome::kRetryScheduled);
    EXPECT_GE(r.available_at_ms, before + 2000 - 1);
    EXPECT_LE(r.available_at_ms, after + 2000 + 1);
    EXPECT_EQ(queue_stats(*producer, "e").delayed, 1u);
    EXPECT_EQ(queue_stats(*producer, "e").retried_total, 1u);
  }

  // FastRetry: 200 ms, then 400 ms, and no redelivery before its time
  {
    auto c = connect(broker);
    c->subscribe({"f"}, 1);
    auto d = c->receive(10s);
    ASSERT_TRUE(d);
    int64_t expected_delay = 200;
    for (uint32_t attempt = 1; attempt <= 2; ++attempt, expected_delay *= 2) {
      SCOPED_TRACE(attempt);
      ASSERT_EQ(d->attempt, attempt);
      const int64_t before = now_ms();
      const auto r = c->nack(d->id, NackMode::kRetry, "try again", "Transient");
      const int64_t after = now_ms();
      ASSERT_EQ(r.outcome, NackOutcome::kRetryScheduled);
      EXPECT_GE(r.available_at_ms - before, expected_delay - 1);
      EXPECT_LE(r.available_at_ms - after, expected_delay + 1);
      const int64_t early = r.available_at_ms - now_ms() - 20;
      if (early > 0) {
        EXPECT_FALSE(c->receive(std::chrono::milliseconds(early)))
            << "redelivered before available_at";
      }
      d = c->receive(10s);
      const int64_t received = now_ms();
      ASSERT_TRUE(d);
      EXPECT_GE(received, r.available_at_ms) << "redelivered before available_at";
    }
    EXPECT_EQ(d->attempt, 3u);
    EXPECT_EQ(c->ack(d->id).acked, 1u);
  }

  // Fragile (max_retries = 1): its second failure dead-letters it, with both failures kept
  {
    auto c = connect(broker);
    c->subscribe({"g"}, 1);
    auto d1 = c->receive(10s);
    ASSERT_TRUE(d1);
    const auto r1 = c->nack(d1->id, NackMode::kRetry, "boom-1", "Timeout");
    EXPECT_EQ(r1.outcome, NackOutcome::kRetryScheduled);
    auto d2 = c->receive(10s);
    ASSERT_TRUE(d2);
    EXPECT_EQ(d2->id, d1->id);
    EXPECT_EQ(d2->attempt, 2u);
    const auto r2 = c->nack(d2->id, NackMode::kRetry, "boom-2", "Crash");
    EXPECT_EQ(r2.outcome, NackOutcome::kDeadLettered);
    EXPECT_EQ(queue_stats(*producer, "g").dead, 1u);
  }
  auto show = run_cli(broker, {"failed", "show", std::to_string(fragile.id), "--json"});
  ASSERT_EQ(show.code, 0) << show.err;
  const json j = json::parse(show.out);
  EXPECT_EQ(j["id"], fragile.id);
  EXPECT_EQ(j["attempts"], 2);
  EXPECT_EQ(j["error"], "boom-2");
  EXPECT_EQ(j["error_class"], "Crash");
  ASSERT_EQ(j["failures"].size(), 2u) << show.out;
  EXPECT_EQ(j["failures"][0]["attempt"], 1);
  EXPECT_EQ(j["failures"][0]["error"], "boom-1");
  EXPECT_EQ(j["failures"][0]["error_class"], "Timeout");
  EXPECT_EQ(j["failures"][1]["attempt"], 2);
  EXPECT_EQ(j["failures"][1]["error"], "boom-2");
  EXPECT_EQ(j["failures"][1]["error_class"], "Crash");
  EXPECT_EQ(j["payload"]["x"], 1);
}

std::set<uint64_t> ids_of(const std::vector<json>& lines) {
  std::set<uint64_t> out;
  for (const auto& l : lines) {
    if (l.contains("id")) out.insert(l["id"].get<uint64_t>());
  }
  return out;
}

TEST(MessengerDeadLetters, ListShowRetryDeleteAndPurgeSurviveKill9) {
  BrokerProcess broker;
  auto c = connect(broker);

  // 4 Alpha in qa (ErrA), 3 Beta in qb (ErrB), 2 Gamma in qc (ErrA): all dead-lettered
  std::vector<OutgoingMessage> batch;
  for (int i = 0; i < 4; ++i) {
    batch.push_back(outgoing("Alpha", R"({"n":)" + std::to_string(i) + "}",
                             DispatchOptions().with_queue("qa").with_header("origin", "test")));
  }
  for (int i = 0; i < 3; ++i)
    batch.push_back(outgoing("Beta", "{}", DispatchOptions().with_queue("qb")));
  for (int i = 0; i < 2; ++i) {
    batch.push_back(outgoing("Gamma", "{}", DispatchOptions().with_queue("qc")));
  }
  const auto results = c->dispatch_batch(batch);
  ASSERT_EQ(results.size(), 9u);
  std::vector<uint64_t> qa, qb, qc;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error;
    (r.queue == "qa" ? qa : r.queue == "qb" ? qb : qc).push_back(r.id);
  }
  {
    auto consumer = connect(broker);
    consumer->subscribe({"qa", "qb", "qc"}, 100);
    const auto got = receive_n(*consumer, 9);
    ASSERT_EQ(got.size(), 9u);
    for (const auto& d : got) {
      const auto r = consumer->nack(d.id, NackMode::kFatal, "failed-" + std::to_string(d.id),
                                    d.type == "Beta" ? "ErrB" : "ErrA");
      ASSERT_EQ(r.outcome, NackOutcome::kDeadLettered);
    }
  }

  // ---- list over the client, with filters ----
  EXPECT_EQ(c->failed_list({}).total, 9u);
  protocol::FailedListRequest by_queue;
  by_queue.filter.queue = "qa";
  const auto qa_list = c->failed_list(by_queue);
  EXPECT_EQ(qa_list.total, 4u);
  EXPECT_EQ(qa_list.items.size(), 4u);
  protocol::FailedListRequest by_class;
  by_class.filter.error_class = "ErrA";
  EXPECT_EQ(c->failed_list(by_class).total, 6u);

  // ---- list over the CLI ----
  auto human = run_cli(broker, {"failed", "list"});
  ASSERT_EQ(human.code, 0) << human.err;
  EXPECT_NE(human.out.find("ATTEMPTS"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("9 of 9 dead letters"), std::string::npos) << human.out;
  for (uint64_t id : qa) {
    EXPECT_NE(human.out.find("failed-" + std::to_string(id)), std::string::npos) << human.out;
  }
  EXPECT_EQ(human.out.find("next page"), std::string::npos) << human.out;

  auto by_q = run_cli(broker, {"failed", "list", "--json", "--queue", "qa"});
  ASSERT_EQ(by_q.code, 0) << by_q.err;
  auto lines = json_lines(by_q.out);
  ASSERT_EQ(lines.size(), 5u) << by_q.out;
  EXPECT_EQ(lines.back()["total"], 4);
  EXPECT_EQ(lines.back()["next_cursor"], "");
  lines.pop_back();
  EXPECT_EQ(ids_of(lines), std::set<uint64_t>(qa.begin(), qa.end()));
  for (const auto& l : lines) {
    EXPECT_EQ(l["queue"], "qa");
    EXPECT_EQ(l["attempts"], 1);
    EXPECT_EQ(l["error"], "failed-" + std::to_string(l["id"].get<uint64_t>()));
  }
  auto by_type = run_cli(broker, {"failed", "list", "--json", "--type", "Beta"});
  lines = json_lines(by_type.out);
  ASSERT_EQ(lines.size(), 4u) << by_type.out;
  lines.pop_back();
  EXPECT_EQ(ids_of(lines), std::set<uint64_t>(qb.begin(), qb.end()));
  auto by_err = run_cli(broker, {"failed", "list", "--json", "--error-class", "ErrA"});
  lines = json_lines(by_err.out);
  ASSERT_EQ(lines.size(), 7u) << by_err.out;
  EXPECT_EQ(lines.back()["total"], 6);
  lines.pop_back();
  for (const auto& l : lines) EXPECT_EQ(l["error_class"], "ErrA");

  // paging: --limit 4 and --cursor walk 3 pages that cover every id once, in list order
  auto all = json_lines(run_cli(broker, {"failed", "list", "--json", "--limit", "50"}).out);
  ASSERT_EQ(all.size(), 10u);
  all.pop_back();
  std::vector<uint64_t> paged;
  std::string cursor;
  int pages = 0;
  do {
    std::vector<std::string> args{"failed", "list", "--json", "--limit", "4"};
    if (!cursor.empty()) args.insert(args.end(), {"--cursor", cursor});
    auto page = run_cli(broker, args);
    ASSERT_EQ(page.code, 0) << page.err;
    auto pl = json_lines(page.out);
    ASSERT_FALSE(pl.empty());
    EXPECT_EQ(pl.back()["total"], 9);
    cursor = pl.back()["next_cursor"].get<std::string>();
    pl.pop_back();
    EXPECT_LE(pl.size(), 4u);
    for (const auto& l : pl) paged.push_back(l["id"].get<uint64_t>());
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(paged.size(), 9u);
  for (size_t i = 0; i < paged.size(); ++i) EXPECT_EQ(paged[i], all[i]["id"].get<uint64_t>());
  EXPECT_EQ(std::set<uint64_t>(paged.begin(), paged.end()).size(), 9u);

  // ---- show ----
  auto show = run_cli(broker, {"failed", "show", std::to_string(qa[0])});
  ASSERT_EQ(show.code, 0) << show.err;
  const json detail = json::parse(show.out);  // readable: indented JSON
  EXPECT_EQ(detail["id"], qa[0]);
  EXPECT_EQ(detail["queue"], "qa");
  EXPECT_EQ(detail["type"], "Alpha");
  EXPECT_EQ(detail["payload"], json::parse(R"({"n":0})"));
  EXPECT_EQ(detail["headers"]["origin"], "test");
  ASSERT_EQ(detail["failures"].size(), 1u);
  EXPECT_EQ(detail["failures"][0]["attempt"], 1);
  EXPECT_EQ(detail["failures"][0]["error"], "failed-" + std::to_string(qa[0]));
  EXPECT_EQ(detail["failures"][0]["error_class"], "ErrA");
  EXPECT_EQ(run_cli(broker, {"failed", "show", "987654321"}).code, 2);

  // ---- retry one by id: back in its queue, delivered again as attempt 1 ----
  auto retry = run_cli(broker, {"failed", "retry", std::to_string(qa[0])});
  ASSERT_EQ(retry.code, 0) << retry.err;
  EXPECT_NE(retry.out.find("retried 1 dead letter: " + std::to_string(qa[0])), std::string::npos)
      << retry.out;
  EXPECT_EQ(queue_stats(*c, "qa").dead, 3u);
  EXPECT_EQ(queue_stats(*c, "qa").ready, 1u);
  {
    auto consumer = connect(broker);
    consumer->subscribe({"qa"}, 10);
    auto d = consumer->receive(10s);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->id, qa[0]);
    EXPECT_EQ(d->attempt, 1u);
    EXPECT_EQ(json::parse(d->payload), json::parse(R"({"n":0})"));
    EXPECT_EQ(consumer->ack(d->id).acked, 1u);
    EXPECT_FALSE(consumer->receive(100ms));
  }

  // ---- retry --all --dry-run: lists, moves nothing ----
  auto dry = run_cli(broker, {"failed", "retry", "--all", "--queue", "qb", "--dry-run", "--json"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  lines = json_lines(dry.out);
  EXPECT_EQ(ids_of(lines), std::set<uint64_t>(qb.begin(), qb.end()));
  for (const auto& l : lines) EXPECT_EQ(l["action"], "would retry");
  EXPECT_EQ(queue_stats(*c, "qb").dead, 3u);
  EXPECT_EQ(queue_stats(*c, "qb").ready, 0u);

  // ---- retry --all --type: moves them ----
  auto by_type_retry = run_cli(broker, {"failed", "retry", "--all", "--type", "Beta"});
  ASSERT_EQ(by_type_retry.code, 0) << by_type_retry.err;
  EXPECT_NE(by_type_retry.out.find("retried 3 dead letters"), std::string::npos)
      << by_type_retry.out;
  EXPECT_EQ(queue_stats(*c, "qb").dead, 0u);
  EXPECT_EQ(queue_stats(*c, "qb").ready, 3u);
  EXPECT_EQ(queue_stats(*c, "qa").dead, 3u) << "the type filter moved only Beta";

  // ---- delete one, purge a queue ----
  auto del = run_cli(broker, {"failed", "delete", std::to_string(qa[1])});
  ASSERT_EQ(del.code, 0) << del.err;
  EXPECT_NE(del.out.find("deleted 1 dead letter: " + std::to_string(qa[1])), std::string::npos)
      << del.out;
  EXPECT_EQ(run_cli(broker, {"failed", "show", std::to_string(qa[1])}).code, 2);
  auto del_again = run_cli(broker, {"failed", "delete", std::to_string(qa[1])});
  EXPECT_EQ(del_again.code, 2) << "not a dead letter any more";
  EXPECT_NE(del_again.out.find(std::to_string(qa[1])), std::string::npos) << del_again.out;

  auto purge = run_cli(broker, {"failed", "purge", "--queue", "qc", "--json"});
  ASSERT_EQ(purge.code, 0) << purge.err;
  EXPECT_EQ(ids_of(json_lines(purge.out)), std::set<uint64_t>(qc.begin(), qc.end()));
  EXPECT_EQ(queue_stats(*c, "qc").dead, 0u);
  EXPECT_EQ(queue_stats(*c, "qa").dead, 3u - 1u);

  const std::set<uint64_t> still_dead{qa[2], qa[3]};
  {
    const auto l = c->failed_list({});
    EXPECT_EQ(l.total, 2u);
    std::set<uint64_t> ids;
    for (const auto& s : l.items) ids.insert(s.id);
    EXPECT_EQ(ids, still_dead);
  }

  // ---- all of it survives kill -9 ----
  c.reset();
  broker.kill9();
  BrokerProcess again({}, broker.data_dir());
  auto c2 = connect(again);
  const auto l = c2->failed_list({});
  EXPECT_EQ(l.total, 2u);
  std::set<uint64_t> ids;
  for (const auto& s : l.items) ids.insert(s.id);
  EXPECT_EQ(ids, still_dead);
  EXPECT_EQ(queue_stats(*c2, "qa").dead, 2u);
  EXPECT_EQ(queue_stats(*c2, "qa").ready, 0u);
  EXPECT_EQ(queue_stats(*c2, "qb").dead, 0u);
  EXPECT_EQ(queue_stats(*c2, "qb").ready, 3u);
  EXPECT_EQ(queue_stats(*c2, "qc").dead, 0u);
  const std::vector<uint64_t> gone{qa[1], qc[0], qc[1]};
  for (const auto& s : c2->status(gone)) {
    EXPECT_EQ(s.code, ErrorCode::kUnknownMessage) << "id " << s.id << " came back";
  }
  const auto done = c2->status(std::vector<uint64_t>{qa[0]});
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].code, ErrorCode::kOk);
  EXPECT_EQ(done[0].status, protocol::EnvelopeStatus::kCompleted);
  auto json_list = json_lines(run_cli(again, {"failed", "list", "--json"}).out);
  ASSERT_EQ(json_list.size(), 3u);
  EXPECT_EQ(json_list.back()["total"], 2);

  auto consumer = connect(again);
  consumer->subscribe({"qb"}, 10);
  const auto redelivered = receive_n(*consumer, 3);
  ASSERT_EQ(redelivered.size(), 3u);
  for (const auto& d : redelivered) {
    EXPECT_EQ(d.type, "Beta");
    EXPECT_EQ(d.attempt, 1u) << "a retried dead letter starts again at attempt 1";
  }
}

}  // namespace
}  // namespace symphony::testing::messenger
