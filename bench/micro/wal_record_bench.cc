// Log records (wal/record.h): encoding the three records every message writes (enqueued, leased,
// acked) into the core's RecordBuffer, decoding them back as recovery does, and building one
// commit group (wal/group.h) with its XXH3 checksum.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "bench/micro/alloc_counter.h"
#include "bench/micro/sample_message.h"
#include "wal/group.h"
#include "wal/record.h"
#include "wal/record_buffer.h"
#include "wal/record_codec.h"

namespace symphony::bench {
namespace {

constexpr int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z in ms
// Records appended before the buffer is cleared: a busy turn's worth, so the buffer stays in
// cache and keeps its capacity, as the core's buffer does between turns.
constexpr uint32_t kRecordsPerTurn = 1024;

wal::EnvelopeRecord enqueued(uint64_t id, const std::string& body) {
  wal::EnvelopeRecord r;
  r.id = id;
  r.queue = "default";
  r.priority = 5;
  r.created_at_ms = kT0 + static_cast<int64_t>(id);
  r.available_at_ms = r.created_at_ms;
  r.max_retries = 3;
  r.body = body;
  return r;
}

/// The records every message writes, in the order it writes them.
enum class Kind { kEnqueued, kLeased, kAcked };

/// Appends one record of the given kind to `buf`, the way the core does.
void append(wal::RecordBuffer& buf, Kind kind, uint64_t id, const std::string& body) {
  switch (kind) {
    case Kind::kEnqueued:
      buf.append_envelope(enqueued(id, body), std::span<const wal::FailureView>{});
      break;
    case Kind::kLeased: buf.append(wal::LeasedRecord{id, 7, kT0 + 30'000, 1}); break;
    case Kind::kAcked: buf.append(wal::AckedRecord{id, kT0 + 5}); break;
  }
}

// `payload` sizes the message body, which only an enqueued record carries.
void BM_WalRecordEncode(benchmark::State& state, Kind kind, size_t payload) {
  const SampleMessage sample(payload);
  wal::RecordBuffer buf;
  uint64_t id = 0;
  uint64_t bytes = 0;
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    append(buf, kind, ++id, sample.body());
    if (buf.count() == kRecordsPerTurn) {
      bytes += buf.bytes().size();
      benchmark::DoNotOptimize(buf.bytes().data());
      buf.clear();
    }
  }
  bytes += buf.bytes().size();
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  report_allocations(state, allocs, state.iterations());
}
BENCHMARK_CAPTURE(BM_WalRecordEncode, enqueued_100B, Kind::kEnqueued, 100);
BENCHMARK_CAPTURE(BM_WalRecordEncode, enqueued_4096B, Kind::kEnqueued, 4096);
BENCHMARK_CAPTURE(BM_WalRecordEncode, leased, Kind::kLeased, 100);
BENCHMARK_CAPTURE(BM_WalRecordEncode, acked, Kind::kAcked, 100);

/// `n` records as a stream of messages writes them: enqueued, leased, acked, enqueued, ...
wal::RecordBuffer message_records(uint32_t n, const std::string& body) {
  wal::RecordBuffer buf;
  for (uint32_t i = 0; i < n; ++i) {
    append(buf, static_cast<Kind>(i % 3), 1 + i / 3, body);
  }
  return buf;
}

// Recovery's inner loop: walk a group's records into the Record variant.
void BM_WalRecordDecode(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  const SampleMessage sample(100);
  const wal::RecordBuffer buf = message_records(n, sample.body());
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    wal::RecordReader reader(buf.bytes());
    wal::Record rec;
    uint32_t count = 0;
    while (reader.next(rec)) {
      benchmark::DoNotOptimize(rec);
      ++count;
    }
    if (count != n || !reader.at_end()) {
      state.SkipWithError("the records did not decode");
      break;
    }
  }
  const int64_t items = state.iterations() * static_cast<int64_t>(n);
  state.SetItemsProcessed(items);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(buf.bytes().size()));
  report_allocations(state, allocs, items);
}
BENCHMARK(BM_WalRecordDecode)->ArgName("records")->Arg(1000);

wal::GroupHeader group_header(uint64_t seq, uint32_t records) {
  wal::GroupHeader h;
  h.seq = seq;
  h.first_epoch = seq;
  h.last_epoch = seq;
  h.next_message_id = 1 + records / 3;
  h.written_at_ms = kT0;
  h.record_count = records;
  return h;
}

// The writer's part: header, copy of the records, XXH3 over them. Items are records.
void BM_WalGroupEncode(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  const SampleMessage sample(100);
  const wal::RecordBuffer buf = message_records(n, sample.body());
  std::string group;
  uint64_t seq = 0;
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    wal::encode_group(group, group_header(++seq, n), buf.bytes());
    benchmark::DoNotOptimize(group.data());
    benchmark::ClobberMemory();
  }
  report_throughput(state, allocs, static_cast<int64_t>(n), static_cast<int64_t>(group.size()));
}
BENCHMARK(BM_WalGroupEncode)->ArgName("records")->Arg(1000);

// A whole group from nothing: the core appends its records, then the writer builds the value.
void BM_WalGroupBuild(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  const SampleMessage sample(100);
  wal::RecordBuffer buf;
  std::string group;
  uint64_t seq = 0;
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    buf.clear();
    for (uint32_t i = 0; i < n; ++i) {
      append(buf, static_cast<Kind>(i % 3), 1 + i / 3, sample.body());
    }
    wal::encode_group(group, group_header(++seq, n), buf.bytes());
    benchmark::DoNotOptimize(group.data());
    benchmark::ClobberMemory();
  }
  report_throughput(state, allocs, static_cast<int64_t>(n), static_cast<int64_t>(group.size()));
}
BENCHMARK(BM_WalGroupBuild)->ArgName("records")->Arg(1000);

// Recovery's check of each group: parse the header and verify the checksum.
void BM_WalGroupVerify(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  const SampleMessage sample(100);
  const wal::RecordBuffer buf = message_records(n, sample.body());
  std::string group;
  wal::encode_group(group, group_header(1, n), buf.bytes());
  for (auto _ : state) {
    wal::GroupHeader h;
    std::string_view records;
    if (wal::decode_group(group, h, records) != wal::GroupCheck::kOk) {
      state.SkipWithError("the group did not verify");
      break;
    }
    benchmark::DoNotOptimize(records.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(group.size()));
}
BENCHMARK(BM_WalGroupVerify)->ArgName("records")->Arg(1000);

}  // namespace
}  // namespace symphony::bench
