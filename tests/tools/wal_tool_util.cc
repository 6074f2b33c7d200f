#include "tests/tools/wal_tool_util.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "protocol/message_body.h"
#include "wal/group.h"
#include "wal/log_store.h"

namespace symphony::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

ToolResult wal_tool(const std::string& data_dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv{SYMPHONY_WAL_PATH, "--data-dir", data_dir};
  argv.insert(argv.end(), args.begin(), args.end());
  ToolResult r;
  r.code = run_command(argv, r.out, &r.err);
  return r;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso(int64_t unix_ms) {
  return protocol::format_iso8601_ms(unix_ms);
}

std::unique_ptr<client::Client> connect_to(const BrokerProcess& broker) {
  client::ClientOptions o;
  o.port = broker.port();
  o.timeout = 20s;
  // these tests count the idempotency keys they set themselves
  o.auto_idempotency_keys = false;
  return client::Client::connect(o);
}

std::map<std::string, QueueCounts> queue_counts(const BrokerProcess& broker) {
  auto c = connect_to(broker);
  std::map<std::string, QueueCounts> out;
  for (const auto& s : c->stats()) {
    const QueueCounts q{s.ready, s.delayed, s.in_flight, s.dead};
    if (!(q == QueueCounts{})) out[s.name] = q;
  }
  return out;
}

namespace {

std::unique_ptr<wal::LogStore> open_store(const std::string& data_dir) {
  std::unique_ptr<wal::LogStore> store;
  const wal::StoreStatus st = wal::LogStore::open(data_dir + "/log", store);
  if (!st.ok) throw std::runtime_error(st.message);
  return store;
}

}  // namespace

std::vector<uint64_t> group_seqs(const std::string& data_dir) {
  auto store = open_store(data_dir);
  std::vector<uint64_t> seqs;
  store->for_each_group([&](uint64_t seq, std::string_view) {
    seqs.push_back(seq);
    return true;
  });
  return seqs;
}

void corrupt_group(const std::string& data_dir, uint64_t seq) {
  auto store = open_store(data_dir);
  std::string value;
  store->for_each_group([&](uint64_t s, std::string_view v) {
    if (s == seq) value.assign(v);
    return s < seq;
  });
  if (value.size() <= wal::kGroupHeaderBytes) throw std::runtime_error("no such group to corrupt");
  value[wal::kGroupHeaderBytes + (value.size() - wal::kGroupHeaderBytes) / 2] ^= 0x20;
  const wal::StoreStatus st = store->write_group(seq, value, /*sync=*/true);
  if (!st.ok) throw std::runtime_error(st.message);
}

void delete_group(const std::string& data_dir, uint64_t seq) {
  const wal::StoreStatus st = open_store(data_dir)->delete_group(seq);
  if (!st.ok) throw std::runtime_error(st.message);
}

uint64_t append_group(const std::string& data_dir, std::string_view records, uint32_t count) {
  auto store = open_store(data_dir);
  wal::GroupHeader last;
  store->for_each_group([&](uint64_t, std::string_view v) {
    std::string_view ignored;
    if (wal::decode_group(v, last, ignored) != wal::GroupCheck::kOk) {
      throw std::runtime_error("append_group: the log is damaged");
    }
    return true;
  });
  wal::GroupHeader h;
  h.seq = last.seq + 1;
  h.first_epoch = h.last_epoch = last.last_epoch + 1;
  h.next_message_id = last.next_message_id;
  h.written_at_ms = now_ms();
  h.record_count = count;
  std::string value;
  wal::encode_group(value, h, records);
  const wal::StoreStatus st = store->write_group(h.seq, value, /*sync=*/true);
  if (!st.ok) throw std::runtime_error(st.message);
  return h.seq;
}

namespace {

Workload build_workload(const std::string& data_dir) {
  Workload w;
  w.data_dir = data_dir;
  BrokerProcess broker({}, data_dir);
  {
    auto producer = connect_to(broker);
    auto dispatch = [&](const std::string& type, const std::string& payload,
                        const client::DispatchOptions& options, const std::string& metadata = "") {
      const auto r = producer->dispatch({type, payload, metadata}, options);
      if (!r.ok()) throw std::runtime_error("dispatch failed: " + r.error);
      return r.id;
    };
    w.m1 = dispatch(
        "EmailMessage", R"({"n":1})",
        client::DispatchOptions().with_queue("email").with_priority(7).with_idempotency_key("k1"));
    w.m2 = dispatch("EmailMessage", R"({"n":2})",
                    client::DispatchOptions().with_queue("email").with_header("trace", "t2"),
                    R"({"m":2})");
    w.m3 = dispatch("EmailMessage", R"({"text":")" + std::string(1000, 'x') + R"("})",
                    client::DispatchOptions().with_queue("email"));
    w.m4 = dispatch(
        "Sms", R"({"n":4})",
        client::DispatchOptions().with_queue("sms").with_delay_ms(3'600'000).with_idempotency_key(
            "k4"));
    w.m5 = dispatch("Job", R"({"n":5})", client::DispatchOptions().with_queue("jobs"));

    // email: lease two (m1 first, by priority), stop the flow, ack both
    auto a = connect_to(broker);
    a->subscribe({"email"}, 2);
    std::vector<uint64_t> got;
    while (got.size() < 2) {
      auto d = a->receive(10s);
      if (!d) throw std::runtime_error("email delivery missing");
      got.push_back(d->id);
    }
    a->credit(0);
    if (got != std::vector<uint64_t>{w.m1, w.m2}) throw std::runtime_error("unexpected order");
    for (uint64_t id : got) a->ack(id);

    // jobs: a retryable failure, then a fatal one
    auto b = connect_to(broker);
    b->subscribe({"jobs"}, 1);
    auto d1 = b->receive(10s);
    if (!d1 || d1->id != w.m5 || d1->attempt != 1) throw std::runtime_error("jobs attempt 1");
    b->nack(w.m5, protocol::NackMode::kRetry, "smtp timeout", "TimeoutError");
    auto d2 = b->receive(10s);
    if (!d2 || d2->id != w.m5 || d2->attempt != 2) throw std::runtime_error("jobs attempt 2");
    b->nack(w.m5, protocol::NackMode::kFatal, "bad address", "FatalError");
  }
  if (broker.terminate() != 0) throw std::runtime_error("broker did not stop cleanly");
  return w;
}

}  // namespace

const Workload& standard_workload() {
  static TempDir dir;  // lives until the test binary exits
  static const Workload w = build_workload(dir.sub("data"));
  return w;
}

void copy_workload(const std::string& dir) {
  fs::copy(standard_workload().data_dir, dir, fs::copy_options::recursive);
}

}  // namespace symphony::testing
