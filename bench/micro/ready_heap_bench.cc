// The per-queue ready heap (broker/core/ready_heap.h): steady state at a given depth (each
// delivery pops the best entry, each dispatch pushes one), and filling it from empty, as
// recovery does for a queue of a million messages.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "bench/micro/alloc_counter.h"
#include "broker/core/ready_heap.h"

namespace symphony::bench {
namespace {

using broker::ReadyHeap;
using broker::TimeMs;

constexpr TimeMs kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z in ms
// Messages dispatched per millisecond: many share an available_at, so ids break ties as in a
// busy broker.
constexpr uint64_t kPerMs = 100;

/// Priorities 1..10, drawn up front so the timed loops do not pay for the generator.
std::vector<uint8_t> random_priorities() {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int> dist(1, 10);
  std::vector<uint8_t> out(1 << 16);
  for (uint8_t& p : out) p = static_cast<uint8_t>(dist(rng));
  return out;
}

void BM_ReadyHeapPopPush(benchmark::State& state) {
  const auto depth = static_cast<uint64_t>(state.range(0));
  const std::vector<uint8_t> prio = random_priorities();
  const size_t mask = prio.size() - 1;
  ReadyHeap heap;
  uint64_t next = 0;
  for (; next < depth; ++next) heap.push(prio[next & mask], kT0 + next / kPerMs, next + 1);
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    benchmark::DoNotOptimize(heap.top());
    heap.pop();
    heap.push(prio[next & mask], kT0 + next / kPerMs, next + 1);
    ++next;
  }
  if (heap.size() != depth) state.SkipWithError("the heap changed depth");
  state.SetItemsProcessed(state.iterations());
  report_allocations(state, allocs, state.iterations());
}
BENCHMARK(BM_ReadyHeapPopPush)->ArgName("depth")->Arg(1'000)->Arg(100'000)->Arg(1'000'000);

// A fresh heap each time, so vector growth is part of the cost, as for a queue rebuilt on
// recovery.
void BM_ReadyHeapFill(benchmark::State& state) {
  const auto count = static_cast<uint64_t>(state.range(0));
  const std::vector<uint8_t> prio = random_priorities();
  const size_t mask = prio.size() - 1;
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    ReadyHeap heap;
    for (uint64_t i = 0; i < count; ++i) heap.push(prio[i & mask], kT0 + i / kPerMs, i + 1);
    benchmark::DoNotOptimize(heap.top());
  }
  const int64_t items = state.iterations() * static_cast<int64_t>(count);
  state.SetItemsProcessed(items);
  report_allocations(state, allocs, items);
}
BENCHMARK(BM_ReadyHeapFill)->ArgName("count")->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace symphony::bench
