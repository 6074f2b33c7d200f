#pragma once
// Heap allocations made by the calling thread. The suite replaces the global operator new
// (alloc_counter.cc) so each benchmark can show allocations per item next to its time: on the
// hot paths an allocation usually costs more than the work around it.
#include <benchmark/benchmark.h>

#include <cstdint>

namespace symphony::bench {

/// Calls of operator new on this thread since it started.
uint64_t allocations();

/// Sets the counter "allocs/item": allocations since `start` divided by `items`.
inline void report_allocations(benchmark::State& state, uint64_t start, int64_t items) {
  const uint64_t n = allocations() - start;
  state.counters["allocs/item"] =
      items > 0 ? static_cast<double>(n) / static_cast<double>(items) : 0.0;
}

/// The usual ending of a benchmark here: items/s, bytes/s (when `bytes_per_iteration` > 0) and
/// allocs/item, for `items_per_iteration` items handled by each iteration.
inline void report_throughput(benchmark::State& state, uint64_t allocs_start,
                              int64_t items_per_iteration, int64_t bytes_per_iteration = 0) {
  const int64_t items = state.iterations() * items_per_iteration;
  state.SetItemsProcessed(items);
  if (bytes_per_iteration > 0) state.SetBytesProcessed(state.iterations() * bytes_per_iteration);
  report_allocations(state, allocs_start, items);
}

}  // namespace symphony::bench
