// Wire codec: encoding DISPATCH and DELIVER batches, and decoding a stream of frames the way a
// connection does (FrameDecoder over its read buffer, then the DISPATCH body).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "bench/micro/alloc_counter.h"
#include "bench/micro/sample_message.h"
#include "protocol/consume.h"
#include "protocol/dispatch.h"
#include "protocol/frame_decoder.h"
#include "protocol/message_body.h"
#include "protocol/time_text.h"

namespace symphony::bench {
namespace {

constexpr int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z in ms

// Args: {messages per batch, payload bytes}
void BatchArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "payload"})->ArgsProduct({{1, 100}, {100, 4096}});
}

void BM_DispatchEncode(benchmark::State& state) {
  const auto batch = static_cast<size_t>(state.range(0));
  const SampleMessage sample(static_cast<size_t>(state.range(1)));
  const std::vector<protocol::DispatchMessage> messages(batch, sample.view());
  std::string out;
  uint32_t request_id = 0;
  size_t frame_bytes = 0;
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    out.clear();  // keeps its capacity, like a connection's output buffer
    protocol::encode_dispatch(out, ++request_id, messages);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    frame_bytes = out.size();
  }
  report_throughput(state, allocs, static_cast<int64_t>(batch), static_cast<int64_t>(frame_bytes));
}
BENCHMARK(BM_DispatchEncode)->Apply(BatchArgs);

// What the server does per delivery (BrokerService::on_deliver): parse the stored body, then
// append one entry with the automatic headers to the open DELIVER frame.
void BM_DeliverEncode(benchmark::State& state) {
  const auto batch = static_cast<size_t>(state.range(0));
  const SampleMessage sample(static_cast<size_t>(state.range(1)));
  const std::string& body = sample.body();
  std::string out;
  uint64_t id = 1'000'000;
  size_t frame_bytes = 0;
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    out.clear();
    protocol::DeliverWriter writer(out);
    for (size_t i = 0; i < batch; ++i) {
      protocol::MessageBodyView view;
      protocol::parse_message_body(body, view);
      ++id;
      const protocol::DeliveryHead head{
          id, 1, 5, "default", kT0 + static_cast<int64_t>(id), kT0 + 30'000};
      writer.add(head, view);
    }
    writer.finish();
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    frame_bytes = out.size();
  }
  report_throughput(state, allocs, static_cast<int64_t>(batch), static_cast<int64_t>(frame_bytes));
}
BENCHMARK(BM_DeliverEncode)->Apply(BatchArgs);

// The dispatched-at header alone (protocol/time_text.h), which DeliverWriter::add formats for
// every delivery: it shows how much of BM_DeliverEncode is this one header.
void BM_DispatchedAtFormat(benchmark::State& state) {
  int64_t t = kT0;
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    std::string text = protocol::format_iso8601_ms(++t);
    benchmark::DoNotOptimize(text.data());
  }
  state.SetItemsProcessed(state.iterations());
  report_allocations(state, allocs, state.iterations());
}
BENCHMARK(BM_DispatchedAtFormat);

/// `frames` DISPATCH frames of `per_frame` messages each, back to back, as a read buffer holds
/// them.
std::string dispatch_stream(size_t frames, size_t per_frame, const SampleMessage& sample) {
  const std::vector<protocol::DispatchMessage> messages(per_frame, sample.view());
  std::string out;
  for (size_t i = 0; i < frames; ++i) {
    protocol::encode_dispatch(out, static_cast<uint32_t>(i + 1), messages);
  }
  return out;
}

// Frame layer only: split a buffer of 1000 single-message DISPATCH frames. Per-frame cost does
// not depend on the body, so bytes/s grows with the payload.
void BM_FrameDecode(benchmark::State& state) {
  constexpr size_t kFrames = 1000;
  const SampleMessage sample(static_cast<size_t>(state.range(0)));
  const std::string stream = dispatch_stream(kFrames, 1, sample);
  const protocol::FrameDecoder decoder;
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    std::string_view rest = stream;
    size_t frames = 0;
    while (!rest.empty()) {
      const protocol::FrameDecoder::Result r = decoder.decode(rest);
      if (r.status != protocol::FrameDecoder::Status::kComplete) break;
      benchmark::DoNotOptimize(r.frame.body.data());
      rest.remove_prefix(r.consumed);
      ++frames;
    }
    if (frames != kFrames) {
      state.SkipWithError("the stream did not decode into its frames");
      break;
    }
  }
  report_throughput(state, allocs, static_cast<int64_t>(kFrames),
                    static_cast<int64_t>(stream.size()));
}
BENCHMARK(BM_FrameDecode)->ArgName("payload")->Arg(100)->Arg(4096);

// What a connection and the produce handler do with their input: split the frames, then decode
// each DISPATCH body into the handler's reused vector of message views. Items are messages.
void BM_DispatchDecode(benchmark::State& state) {
  const auto per_frame = static_cast<size_t>(state.range(0));
  const size_t frames = per_frame == 1 ? 1000 : 10;
  const SampleMessage sample(static_cast<size_t>(state.range(1)));
  const std::string stream = dispatch_stream(frames, per_frame, sample);
  const protocol::FrameDecoder decoder;
  std::vector<protocol::DispatchMessage> messages;
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    std::string_view rest = stream;
    size_t decoded = 0;
    while (!rest.empty()) {
      const protocol::FrameDecoder::Result r = decoder.decode(rest);
      if (r.status != protocol::FrameDecoder::Status::kComplete) break;
      if (!protocol::decode_dispatch(r.frame.body, 10'000, messages).ok()) break;
      benchmark::DoNotOptimize(messages.data());
      decoded += messages.size();
      rest.remove_prefix(r.consumed);
    }
    if (decoded != frames * per_frame) {
      state.SkipWithError("the stream did not decode into its messages");
      break;
    }
  }
  report_throughput(state, allocs, static_cast<int64_t>(frames * per_frame),
                    static_cast<int64_t>(stream.size()));
}
BENCHMARK(BM_DispatchDecode)->Apply(BatchArgs);

// The client side of delivery: one DELIVER frame's body into views.
void BM_DeliverDecode(benchmark::State& state) {
  const auto batch = static_cast<size_t>(state.range(0));
  const SampleMessage sample(static_cast<size_t>(state.range(1)));
  std::string frame;
  protocol::DeliverWriter writer(frame);
  for (size_t i = 0; i < batch; ++i) {
    writer.add({i + 1, 1, 5, "default", kT0, kT0 + 30'000}, sample.body_view());
  }
  writer.finish();
  const protocol::FrameDecoder::Result r = protocol::FrameDecoder().decode(frame);
  std::vector<protocol::DeliveryView> deliveries;
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    if (!protocol::decode_deliver(r.frame.body, deliveries).ok()) {
      state.SkipWithError("DELIVER did not decode");
      break;
    }
    benchmark::DoNotOptimize(deliveries.data());
    benchmark::ClobberMemory();
  }
  report_throughput(state, allocs, static_cast<int64_t>(batch), static_cast<int64_t>(frame.size()));
}
BENCHMARK(BM_DeliverDecode)->Apply(BatchArgs);

}  // namespace
}  // namespace symphony::bench
