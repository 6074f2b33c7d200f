// The broker core end to end, per message: dispatch, delivery to a subscribed consumer, ack.
// Each iteration is two event-loop turns as the server runs them (broker_service.cc end_turn):
// a producer's batch is dispatched, then tick + deliver; the consumer's acks come in, then
// tick + deliver again. The log buffer is drained after each turn like submit_log() hands it to
// the writer, so memory stays flat.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/micro/alloc_counter.h"
#include "bench/micro/sample_message.h"
#include "broker/core/core.h"
#include "broker/core/delivery_sink.h"
#include "wal/record_buffer.h"

namespace symphony::bench {
namespace {

using broker::ConsumerId;
using broker::MessageId;
using broker::TimeMs;

constexpr TimeMs kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z in ms
constexpr ConsumerId kConsumer = 1;
// One turn per simulated millisecond with a 1 s lease: the timer heap holds about 1000 turns of
// lease deadlines (entries are removed lazily, when their time passes).
constexpr uint32_t kLeaseMs = 1000;

/// Keeps the ids delivered this turn; the server would write DELIVER entries instead
/// (BM_DeliverEncode measures that).
class IdSink : public broker::DeliverySink {
 public:
  bool on_deliver(ConsumerId, const broker::Delivery& d) override {
    ids.push_back(d.envelope.id);
    return true;
  }
  std::vector<MessageId> ids;
};

/// A core with one consumer subscribed to the default queue, prefetch = batch.
class CoreRig {
 public:
  explicit CoreRig(size_t batch)
      : sample_(100), messages_(batch, sample_.view()), core_(broker::CoreOptions{}, log_, sink_) {
    const std::vector<std::string_view> queues{"default"};
    protocol::Subscribed effective;
    std::string detail;
    core_.subscribe(kConsumer, queues, static_cast<uint32_t>(batch), kLeaseMs, effective, detail);
    results_.reserve(batch);
    sink_.ids.reserve(batch);
  }

  /// One dispatch turn and one ack turn; false if the batch did not go round.
  bool cycle() {
    results_.clear();
    for (size_t i = 0; i < messages_.size(); ++i) {
      core_.dispatch(messages_[i], static_cast<uint32_t>(i), now_, results_);
    }
    end_turn();
    if (sink_.ids.size() != messages_.size()) return false;
    for (MessageId id : sink_.ids) {
      if (core_.ack(kConsumer, id, now_) != protocol::ErrorCode::kOk) return false;
    }
    sink_.ids.clear();
    end_turn();
    ++now_;
    return true;
  }

  uint64_t log_bytes() const { return log_bytes_; }

 private:
  void end_turn() {
    core_.tick(now_);
    core_.deliver(now_);
    log_bytes_ += log_.bytes().size();
    log_.clear();  // the writer takes the records; the core goes on with an empty buffer
  }

  SampleMessage sample_;
  std::vector<protocol::DispatchMessage> messages_;
  wal::RecordBuffer log_;
  IdSink sink_;
  broker::Core core_;
  std::vector<protocol::DispatchResult> results_;
  TimeMs now_ = kT0;
  uint64_t log_bytes_ = 0;
};

void BM_CoreCycle(benchmark::State& state) {
  const auto batch = static_cast<size_t>(state.range(0));
  CoreRig rig(batch);
  // Warm up past the completed-status retention (100000 acks by default), so every ack also
  // evicts the oldest completion, and the lease timers reach their steady depth.
  const uint64_t warmup = 150'000 / batch;
  for (uint64_t i = 0; i < warmup; ++i) {
    if (!rig.cycle()) {
      state.SkipWithError("warm-up cycle failed");
      return;
    }
  }
  const uint64_t log_start = rig.log_bytes();
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    if (!rig.cycle()) {
      state.SkipWithError("a message was not delivered or acked");
      break;
    }
  }
  const int64_t items = state.iterations() * static_cast<int64_t>(batch);
  state.SetItemsProcessed(items);
  report_allocations(state, allocs, items);
  state.counters["log_B/msg"] =
      items > 0 ? static_cast<double>(rig.log_bytes() - log_start) / static_cast<double>(items)
                : 0.0;
}
BENCHMARK(BM_CoreCycle)->ArgName("batch")->Arg(1)->Arg(100);

}  // namespace
}  // namespace symphony::bench
