// Writes the seed corpora of tests/fuzz/corpus/<harness>/ with the real encoders, so every seed
// is a valid input the harness accepts (mutations then start from real frames, records and
// requests). Run from the fuzz build after a codec changes:
//   build/asan/bin/symphony-fuzz-corpus tests/fuzz/corpus
// It rewrites the files it names (seed-*) and leaves others (inputs a campaign merged) alone.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "broker/server/config.h"
#include "protocol/consume.h"
#include "protocol/control.h"
#include "protocol/dead_letter.h"
#include "protocol/dispatch.h"
#include "protocol/handshake.h"
#include "protocol/headers.h"
#include "protocol/message_body.h"
#include "protocol/observe.h"
#include "protocol/queue_admin.h"
#include "protocol/schedule.h"
#include "protocol/settle.h"
#include "protocol/stats.h"
#include "protocol/wire.h"
#include "wal/group.h"
#include "wal/record_buffer.h"

using namespace symphony::protocol;
namespace wal = symphony::wal;
namespace fs = std::filesystem;

namespace {

fs::path g_root;

void write(const std::string& harness, const std::string& name, const std::string& bytes) {
  const fs::path dir = g_root / harness;
  fs::create_directories(dir);
  std::ofstream out(dir / ("seed-" + name), std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

template <typename F>
void frame(const std::string& harness, const std::string& name, F&& encode) {
  std::string wire;
  encode(wire);
  write(harness, name, wire);
}

// Request ids double as the harnesses' batch limit: 10000 (the default max_batch) unless a seed
// is about the limit itself.
constexpr uint32_t kBatch = 10'000;

const std::string kHeaders = encode_header_pairs({{"trace-id", "t-1"}, {"tenant", "acme"}});

void protocol_seeds() {
  frame("handshake", "hello", [](std::string& w) { encode_hello(w, 1, {1, "worker-1", "tok"}); });
  frame("handshake", "hello-empty", [](std::string& w) { encode_hello(w, 1, {1, "", ""}); });
  frame("handshake", "welcome", [](std::string& w) {
    encode_welcome(w, 1, Welcome{1, "symphonyd/0.1.0", 42, ServerLimits{}});
  });

  frame("dispatch", "dispatch", [](std::string& w) {
    std::vector<DispatchMessage> batch(2);
    batch[0] = {"order.created", R"({"id":1})", R"({"m":true})", HeadersView{2, kHeaders},
                "orders",        7,          When::kDelayMs,  250,
                "idem-1"};
    batch[1].type = "t";
    batch[1].payload = "{}";
    batch[1].when = When::kAtUnixMs;
    batch[1].when_value = 1'795'305'600'000;
    encode_dispatch(w, kBatch, batch);
  });
  frame("dispatch", "dispatch-over-limit", [](std::string& w) {
    std::vector<DispatchMessage> batch(3);
    for (auto& m : batch) m = {"t", "{}", "", {}, "", 0, When::kNow, 0, ""};
    encode_dispatch(w, 2, batch);  // request id 2: the harness's limit is 2
  });
  frame("dispatch", "dispatch-result", [](std::string& w) {
    std::vector<DispatchResult> res(2);
    res[0].queue = "orders";
    res[0].message_id = 77;
    res[0].duplicate = true;
    res[1].index = 1;
    res[1].code = ErrorCode::kEmptyType;
    res[1].status = EnvelopeStatus::kFailed;
    res[1].error = "type is empty";
    encode_dispatch_result(w, 2, res);
  });

  frame("consume", "subscribe", [](std::string& w) {
    encode_subscribe(w, 64, Subscribe{{"orders", "audit"}, 10, 30'000});
  });
  frame("consume", "subscribed", [](std::string& w) { encode_subscribed(w, 3, {10, 30'000}); });
  frame("consume", "credit", [](std::string& w) { encode_credit(w, 4, 20); });
  frame("consume", "credit-ok", [](std::string& w) { encode_credit_ok(w, 4, {20, 3}); });
  frame("consume", "deliver", [](std::string& w) {
    DeliverWriter d(w);
    d.add(DeliveryHead{1, 1, 5, "orders", 1'700'000'000'123, 1'700'000'030'123},
          MessageBodyView{"order.created", HeadersView{2, kHeaders}, R"({"m":1})", R"({"id":1})"});
    d.add(DeliveryHead{2, 3, 1, "q", 0, 0}, MessageBodyView{"t", {}, "", "{}"});
    d.finish();
  });

  const std::vector<uint64_t> ids = {1, 2, 3};
  frame("settle", "ack", [&](std::string& w) { encode_ack(w, kBatch, ids, true); });
  frame("settle", "ack-result", [](std::string& w) {
    encode_ack_result(w, 5, AckResult{2, {{3, ErrorCode::kUnknownMessage}}});
  });
  frame("settle", "nack", [](std::string& w) {
    const std::vector<NackItem> items = {{1, NackMode::kRetry, "boom", "TimeoutError"},
                                         {2, NackMode::kFatal, "bad", ""},
                                         {3, NackMode::kRelease, "", ""}};
    encode_nack(w, kBatch, items);
  });
  frame("settle", "nack-result", [](std::string& w) {
    const std::vector<NackResultItem> items = {
        {1, ErrorCode::kOk, NackOutcome::kRetryScheduled, 1'700'000'001'000},
        {2, ErrorCode::kNotLeaseHolder, NackOutcome::kDeadLettered, 0}};
    encode_nack_result(w, 6, items);
  });
  frame("settle", "touch", [&](std::string& w) { encode_touch(w, kBatch, 30'000, ids); });
  frame("settle", "touch-result", [](std::string& w) {
    const std::vector<TouchResultItem> items = {{1, ErrorCode::kOk, 1'700'000'030'000}};
    encode_touch_result(w, 7, items);
  });

  frame("stats", "queue-stats", [](std::string& w) { encode_queue_stats(w, 8, "orders"); });
  frame("stats", "queue-stats-all", [](std::string& w) { encode_queue_stats(w, 8, ""); });
  frame("stats", "queue-stats-result", [](std::string& w) {
    std::vector<QueueStats> s(2);
    s[0].name = "orders";
    s[0].ready = 4;
    s[0].acked_total = 100;
    s[1].name = "audit";
    encode_queue_stats_result(w, 8, s);
  });

  frame("control", "ping", [](std::string& w) { encode_ping(w, 9, 123); });
  frame("control", "pong", [](std::string& w) { encode_pong(w, 9, {123, 1'700'000'000'000}); });
  frame("control", "error", [](std::string& w) {
    encode_error(w, 10, ErrorCode::kInvalidHeader, "header 'message-id' is set by the broker");
  });
  frame("control", "goaway", [](std::string& w) {
    encode_goaway(w, ErrorCode::kShuttingDown, "the broker is shutting down");
  });

  frame("observe", "overview", [](std::string& w) { encode_overview(w, 11, 5); });
  frame("observe", "health", [](std::string& w) { encode_health(w, 12); });
  frame("observe", "metrics", [](std::string& w) { encode_metrics(w, 13); });
  frame("observe", "backup", [](std::string& w) { encode_backup(w, 14, "/var/backups/b1"); });
  frame("observe", "overview-result", [](std::string& w) {
    encode_document_result(w, Opcode::kOverviewResult, 11, R"({"queues":[]})");
  });
  frame("observe", "metrics-result", [](std::string& w) {
    encode_document_result(w, Opcode::kMetricsResult, 13, "symphony_up 1\n");
  });

  frame("queue_admin", "purge", [](std::string& w) { encode_queue_purge(w, 15, "orders"); });
  frame("queue_admin", "purge-result", [](std::string& w) { encode_queue_purge_result(w, 15, 9); });
  frame("queue_admin", "message-status", [&](std::string& w) {
    encode_message_status(w, kBatch, ids);
  });
  frame("queue_admin", "message-status-result", [](std::string& w) {
    std::vector<MessageStatusItem> items(2);
    items[0] = {1, ErrorCode::kOk, EnvelopeStatus::kProcessing, "orders", 2, 1'700'000'000'000};
    items[1] = {2, ErrorCode::kUnknownMessage, EnvelopeStatus::kPending, "", 0, 0};
    encode_message_status_result(w, 16, items);
  });

  DeadLetterFilter filter{"orders", "order.created", "TimeoutError", 1'700'000'000'000,
                          1'800'000'000'000};
  frame("dead_letter", "list", [&](std::string& w) {
    encode_failed_list(w, 17, FailedListRequest{filter, 1'700'000'000'500, 12, 50});
  });
  DeadLetterSummary summary{12, "orders", "order.created", 5, 1'700'000'000'000,
                            1'700'000'000'500, 4, "boom", "TimeoutError"};
  frame("dead_letter", "list-result", [&](std::string& w) {
    encode_failed_list_result(w, 17, FailedListResult{1, {summary}, 0, 0});
  });
  frame("dead_letter", "get", [](std::string& w) { encode_failed_get(w, 18, 12); });
  frame("dead_letter", "get-result", [&](std::string& w) {
    DeadLetterDetail d;
    d.summary = summary;
    d.failures = {{1, 1'700'000'000'100, "boom", "TimeoutError"},
                  {2, 1'700'000'000'300, "lease expired", "LeaseExpired"}};
    d.headers = {{"trace-id", "t-1"}};
    d.metadata = R"({"m":1})";
    d.payload = R"({"id":1})";
    d.idempotency_key = "idem-1";
    encode_failed_get_result(w, 18, d);
  });
  frame("dead_letter", "retry-ids", [](std::string& w) {
    encode_failed_retry(w, kBatch, DeadLetterTarget{false, {12, 13}, {}}, true);
  });
  frame("dead_letter", "retry-filter", [&](std::string& w) {
    encode_failed_retry(w, kBatch, DeadLetterTarget{true, {}, filter}, false);
  });
  frame("dead_letter", "delete-ids", [](std::string& w) {
    encode_failed_delete(w, kBatch, DeadLetterTarget{false, {12}, {}});
  });
  frame("dead_letter", "delete-filter", [&](std::string& w) {
    encode_failed_delete(w, kBatch, DeadLetterTarget{true, {}, filter});
  });
  frame("dead_letter", "retry-result", [](std::string& w) {
    encode_dead_letter_action_result(w, Opcode::kFailedRetryResult, 19,
                                     {{12, 13}, {{14, ErrorCode::kUnknownMessage}}});
  });

  ScheduleSpec spec;
  spec.name = "nightly";
  spec.kind = ScheduleKind::kCron;
  spec.cron = "0 3 * * *";
  spec.timezone = "Europe/Paris";
  spec.max_runs = 10;
  spec.type = "report.build";
  spec.payload = R"({"kind":"daily"})";
  spec.metadata = R"({"team":"ops"})";
  spec.headers = {{"tenant", "acme"}};
  spec.queue = "reports";
  spec.priority = 3;
  ScheduleInfo info{7, spec, 1'795'305'600'000, 1'795'219'200'000, 3, 1'700'000'000'000,
                    1'700'000'000'000, ""};
  frame("schedule", "create", [&](std::string& w) { encode_schedule_create(w, 20, spec); });
  frame("schedule", "create-interval", [](std::string& w) {
    ScheduleSpec s;
    s.kind = ScheduleKind::kInterval;
    s.interval_ms = 60'000;
    s.type = "tick";
    encode_schedule_create(w, 20, s);
  });
  frame("schedule", "get", [](std::string& w) { encode_schedule_get(w, 21, 7); });
  frame("schedule", "update", [](std::string& w) {
    encode_schedule_update(w, 22, 7, ScheduleOp::kDisable);
  });
  frame("schedule", "result", [&](std::string& w) {
    encode_schedule_result(w, Opcode::kScheduleGetResult, 21, info);
  });
  frame("schedule", "list-result", [&](std::string& w) {
    ScheduleInfo once = info;
    once.id = 8;
    once.spec.kind = ScheduleKind::kOnce;
    once.spec.at_ms = 1'795'305'600'000;
    once.spec.enabled = false;
    once.last_error = "queue 'reports' is full";
    encode_schedule_list_result(w, 23, {info, once});
  });
  frame("schedule", "update-result", [&](std::string& w) {
    encode_schedule_update_result(w, 22, &info);
  });
  frame("schedule", "update-result-deleted", [](std::string& w) {
    encode_schedule_update_result(w, 22, nullptr);
  });
}

/// Every frame of the other families, one after the other: a stream as a connection sees it.
void frame_decoder_seeds() {
  std::string stream;
  encode_hello(stream, 1, {1, "client", "token"});
  encode_ping(stream, 2, 7);
  std::vector<DispatchMessage> batch(1);
  batch[0] = {"t", "{}", "", {}, "", 0, When::kNow, 0, ""};
  encode_dispatch(stream, 3, batch);
  encode_ack(stream, 4, std::vector<uint64_t>{1, 2}, false);
  encode_health(stream, 5);
  write("frame_decoder", "stream", stream);
  std::string one;
  encode_subscribe(one, 6, Subscribe{{"orders"}, 10, 0});
  write("frame_decoder", "subscribe", one);
  std::string partial = stream.substr(0, stream.size() - 3);
  write("frame_decoder", "partial", partial);
  std::string bad = one;
  bad.append("\x05\x00\x00\x00\xEE\x00\x00\x00\x01\x00\x00\x00", 12);  // unknown opcode 0xEE
  write("frame_decoder", "unknown-opcode", bad);
  std::string big;
  FrameBuilder b(big, Opcode::kDispatch, 9);
  big.append(100, 'x');  // over the 64-byte limit of the harness's small decoder
  b.finish();
  write("frame_decoder", "over-small-limit", one + big);
}

void message_body_seeds() {
  std::string body;
  append_message_body(body, MessageBodyView{"order.created", HeadersView{2, kHeaders},
                                            R"({"m":1})", R"({"id":1,"items":[1,2]})"});
  write("message_body", "full", body);
  body.clear();
  append_message_body(body, MessageBodyView{"t", {}, "", "{}"});
  write("message_body", "minimal", body);
}

void time_text_seeds() {
  const char* texts[] = {"1763805600000",
                         "2026-11-22",
                         "2026-11-22T10:00:00Z",
                         "2026-11-22T10:00:00.5+01:00",
                         "2026-11-22 10:00:00",
                         "2026-11-22T10:00:00.123456-02:30",
                         "2000-02-29T23:59:59.999+0530",
                         "17-7-73"};
  int i = 0;
  for (const char* t : texts) write("time_text", std::to_string(i++), t);
}

wal::EnvelopeRecord envelope(uint64_t id, std::string_view body, std::string_view key = "") {
  wal::EnvelopeRecord e;
  e.id = id;
  e.queue = "orders";
  e.priority = 5;
  e.created_at_ms = 1'700'000'000'000 + static_cast<int64_t>(id);
  e.available_at_ms = e.created_at_ms;
  e.max_retries = 3;
  e.idempotency_key = key;
  e.body = body;
  return e;
}

/// One of every record, in an order the replay accepts.
wal::RecordBuffer history(const std::string& body) {
  wal::RecordBuffer r;
  r.append_envelope(envelope(1, body, "idem-1"), {});
  r.append(wal::LeasedRecord{1, 77, 1'700'000'030'000, 1});
  r.append(wal::AckedRecord{1, 1'700'000'000'900});
  r.append_envelope(envelope(2, body), {});
  r.append(wal::LeasedRecord{2, 77, 1'700'000'030'000, 1});
  r.append(wal::RetryScheduledRecord{2, 1, 1'700'000'001'000, 1'700'000'002'000, "boom", "Err"});
  r.append(wal::LeasedRecord{2, 78, 1'700'000'040'000, 2});
  r.append(wal::ReturnedRecord{2, 2, wal::ReturnReason::kLeaseExpired, 1'700'000'040'000});
  r.append(wal::LeasedRecord{2, 78, 1'700'000'050'000, 3});
  r.append(wal::DeadLetteredRecord{2, 3, 1'700'000'050'000, "fatal", "FatalError"});
  r.append(wal::DeadRetriedRecord{2, 1'700'000'060'000});
  r.append(wal::LeasedRecord{2, 79, 1'700'000'070'000, 1});
  r.append(wal::ReturnedRecord{2, 0, wal::ReturnReason::kReleased, 1'700'000'070'000});
  r.append(wal::LeasedRecord{2, 79, 1'700'000'070'000, 1});
  r.append(wal::DeadLetteredRecord{2, 1, 1'700'000'080'000, "fatal", "FatalError"});
  r.append(wal::DeletedRecord{2, 1'700'000'090'000});
  r.append_envelope(envelope(3, body), {});
  r.append(wal::QueuePurgedRecord{"orders", 1'700'000'100'000});
  const std::vector<wal::FailureView> failures = {{1, 1'700'000'000'100, "boom", "Err"}};
  wal::EnvelopeRecord snap = envelope(4, body);
  snap.state = wal::PersistedState::kLeased;
  snap.attempts = 1;
  r.append_envelope(snap, failures, /*snapshot=*/true);
  r.append(wal::IdempotencyKeyRecord{1, "orders", "idem-1", 1'700'000'000'000});
  r.append(wal::CompletedRecord{1, "orders", 1'700'000'000'900});
  ScheduleInfo info;
  info.id = 9;
  info.spec.name = "tick";
  info.spec.kind = ScheduleKind::kInterval;
  info.spec.interval_ms = 60'000;
  info.spec.type = "tick";
  r.append(wal::ScheduleSetRecord{info});
  r.append(wal::ScheduleDeletedRecord{9, 1'700'000'200'000});
  return r;
}

void wal_seeds() {
  std::string body;
  append_message_body(body, MessageBodyView{"order.created", HeadersView{2, kHeaders}, "",
                                            R"({"id":1})"});
  const wal::RecordBuffer h = history(body);
  write("wal_record", "history", h.bytes());
  wal::RecordBuffer one;
  one.append_envelope(envelope(1, body), {});
  write("wal_record", "enqueue", one.bytes());

  auto replay_input = [](uint64_t base_id, uint64_t next_id, const std::string& records) {
    std::string in;
    ByteWriter w(in);
    w.u64(base_id);
    w.u64(next_id);
    w.raw(records);
    return in;
  };
  write("wal_replay", "history", replay_input(0, 10, h.bytes()));
  // after compaction: records about ids below the base are orphans, not errors
  wal::RecordBuffer orphans;
  orphans.append(wal::AckedRecord{3, 1'700'000'000'000});
  orphans.append(wal::LeasedRecord{4, 1, 1'700'000'030'000, 1});
  orphans.append_envelope(envelope(12, body), {});
  write("wal_replay", "compacted", replay_input(10, 13, orphans.bytes()));
  // a whole group value, for the raw decode_group path
  std::string group;
  wal::GroupHeader gh;
  gh.seq = 1;
  gh.first_epoch = 1;
  gh.last_epoch = 3;
  gh.next_message_id = 5;
  gh.written_at_ms = 1'700'000'000'000;
  gh.record_count = h.count();
  wal::encode_group(group, gh, h.bytes());
  write("wal_replay", "group-value", group);
}

void config_seeds() {
  symphony::server::BrokerConfig defaults;
  write("config", "defaults", symphony::server::to_toml(defaults));
  write("config", "sample", R"([server]
listen = "127.0.0.1:7400"
admin_listen = "[::1]:7401"
data_dir = "/var/lib/symphony"
log_level = "debug"
log_format = "json"
fsync = "interval:50"
shutdown_grace_ms = 2000

[auth]
tokens = ["s3cret", "other"]

[limits]
max_frame_bytes = 1048576
max_batch = 500
max_payload_bytes = 65536
max_metadata_bytes = 4096
max_headers = 16

[defaults]
queue = "default"
priority = 5
lease_ms = 30000
prefetch = 10
strict_queues = true

[idempotency]
window_ms = 86400000

[retention]
completed_count = 1000
completed_age_ms = 3600000

[compaction]
min_bytes = 67108864
ratio = 1.5
chunk = 20000

[health]
min_free_disk_mb = 512
max_expired_per_minute = 10

[queues.orders]
priority = 7
lease_ms = 60000
max_length = 100000

[queues."emails.high"]
max_length = 0

[routing]
"order.created" = ["orders", "default"]
EmailMessage = "emails.high"

[retry.default]
max_retries = 3
delay_ms = 1000
multiplier = 2.0
max_delay_ms = 30000
jitter = 0.1

[retry.EmailMessage]
max_retries = 5
delay_ms = 2000
max_delay_ms = 60000
)");
  write("config", "insecure", "[server]\nlisten = \"0.0.0.0:7400\"\ninsecure = true\n");
  write("config", "tls", "[tls]\ncert = \"/etc/symphony/cert.pem\"\nkey = \"/etc/symphony/key.pem\"\n"
                         "client_ca = \"/etc/symphony/ca.pem\"\n");
}

void admin_seeds() {
  const char* requests[] = {
      "/failed?queue=orders&type=order.created&since=2026-11-22&until=1795305600000&limit=10"
      "&cursor=1795305600000:12\n",
      "/failed/12/retry?dry_run=true\n",
      "/failed/retry\n{\"ids\":[1,2,3],\"dry_run\":true}",
      "/failed/retry\n{\"queue\":\"orders\",\"error_class\":\"Timeout\",\"since\":\"2026-11-22\","
      "\"until\":1795305600000}",
      "/failed/retry\n{\"all\":true}",
      "/schedules\n{\"name\":\"nightly\",\"type\":\"report.build\",\"cron\":\"0 3 * * *\","
      "\"timezone\":\"Europe/Paris\",\"payload\":{\"a\":1},\"metadata\":{\"m\":2},\"headers\":"
      "{\"tenant\":\"acme\"},\"queue\":\"reports\",\"priority\":3,\"max_runs\":10,\"enabled\":true}",
      "/schedules\n{\"type\":\"tick\",\"interval_ms\":60000,\"start_at\":\"2026-11-22T10:00:00Z\"}",
      "/schedules\n{\"type\":\"once\",\"at\":1795305600000}",
      "/schedules/7/disable\n",
      "/messages/42\n",
      "/queues/emails%2Ehigh/purge\n",
      "/status?minutes=5\n",
      "/failed?all=1&queue=a+b%20c\n",
  };
  int i = 0;
  for (const char* r : requests) write("admin_request", std::to_string(i++), r);

  const char* http[] = {
      "GET / HTTP/1.1\r\nHost: 127.0.0.1:7401\r\n\r\n",
      "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\nHEAD /ready HTTP/1.1\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nAuthorization: Bearer s3cret-token\r\n\r\n",
      "GET /failed?queue=orders&limit=5 HTTP/1.1\r\nAuthorization: Bearer s3cret-token\r\n\r\n",
      "POST /failed/retry HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 14\r\n\r\n{\"ids\":[1,2]}\n",
      "POST /schedules HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: "
      "chunked\r\n\r\n1c\r\n{\"type\":\"t\",\"interval_ms\":5}\r\n0\r\n\r\n",
      "DELETE /failed?all=true HTTP/1.1\r\nOrigin: http://evil.example\r\n\r\n",
      "PUT /schedules/3 HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
      "POST /backup HTTP/1.1\r\nContent-Length: 20\r\n\r\n{\"path\":\"/tmp/b1\"}\n\n",
      "GET /nowhere/at/all?x=%zz HTTP/1.0\r\n\r\n",
  };
  i = 0;
  for (const char* r : http) write("admin_http", std::to_string(i++), r);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus root, e.g. tests/fuzz/corpus>\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  protocol_seeds();
  frame_decoder_seeds();
  message_body_seeds();
  time_text_seeds();
  wal_seeds();
  config_seeds();
  admin_seeds();
  return 0;
}
