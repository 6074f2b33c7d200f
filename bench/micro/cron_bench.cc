// Recurring schedules: parsing a cron expression and computing its next firing (cron.h), in UTC
// and in a zone with daylight saving. The starting instants are spread over 2026, so the walk
// meets month ends, weekends and both DST changes as the scheduler would.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bench/micro/alloc_counter.h"
#include "broker/core/cron.h"
#include "broker/core/schedule.h"

namespace symphony::bench {
namespace {

constexpr int64_t k2026Ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kYearMs = int64_t{365} * 24 * 3600 * 1000;

constexpr std::string_view kEvery5Min = "*/5 * * * *";
constexpr std::string_view kWeekdays0230 = "30 2 * * 1-5";
// 6 fields, seconds first: every quarter hour in office hours on weekdays
constexpr std::string_view kOfficeQuarters = "0 */15 9-17 * * MON-FRI";

/// 1024 instants in 2026, fixed seed.
std::vector<int64_t> start_instants() {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> dist(0, kYearMs - 1);
  std::vector<int64_t> out(1024);
  for (int64_t& t : out) t = k2026Ms + dist(rng);
  return out;
}

void BM_CronParse(benchmark::State& state, std::string_view text) {
  std::string error;
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    std::optional<broker::CronExpression> expr = broker::CronExpression::parse(text, error);
    if (!expr) {
      state.SkipWithError(error.c_str());
      break;
    }
    benchmark::DoNotOptimize(expr);
  }
  state.SetItemsProcessed(state.iterations());
  report_allocations(state, allocs, state.iterations());
}
BENCHMARK_CAPTURE(BM_CronParse, every_5_min, kEvery5Min);
BENCHMARK_CAPTURE(BM_CronParse, weekdays_0230, kWeekdays0230);
BENCHMARK_CAPTURE(BM_CronParse, office_quarters_6f, kOfficeQuarters);

void BM_CronNextAfter(benchmark::State& state, std::string_view text, std::string_view zone_name) {
  std::string error;
  const std::optional<broker::CronExpression> expr = broker::CronExpression::parse(text, error);
  const date::time_zone* zone = broker::find_time_zone(zone_name);
  if (!expr || !zone) {
    state.SkipWithError("bad expression or zone");
    return;
  }
  const std::vector<int64_t> starts = start_instants();
  size_t i = 0;
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    std::optional<int64_t> next = expr->next_after(starts[i++ & (starts.size() - 1)], zone);
    benchmark::DoNotOptimize(next);
  }
  state.SetItemsProcessed(state.iterations());
  report_allocations(state, allocs, state.iterations());
}
BENCHMARK_CAPTURE(BM_CronNextAfter, every_5_min_UTC, kEvery5Min, "UTC");
BENCHMARK_CAPTURE(BM_CronNextAfter, every_5_min_Paris, kEvery5Min, "Europe/Paris");
BENCHMARK_CAPTURE(BM_CronNextAfter, weekdays_0230_UTC, kWeekdays0230, "UTC");
BENCHMARK_CAPTURE(BM_CronNextAfter, weekdays_0230_Paris, kWeekdays0230, "Europe/Paris");
BENCHMARK_CAPTURE(BM_CronNextAfter, office_quarters_6f_UTC, kOfficeQuarters, "UTC");
BENCHMARK_CAPTURE(BM_CronNextAfter, office_quarters_6f_Paris, kOfficeQuarters, "Europe/Paris");

// The same through the schedule layer the core calls (schedule.h: zone lookup done once in
// prepare_schedule, then next_run_after per firing).
void BM_ScheduleNextRun(benchmark::State& state, std::string_view text, std::string_view zone) {
  broker::Schedule s;
  s.info.spec.kind = protocol::ScheduleKind::kCron;
  s.info.spec.cron = std::string(text);
  s.info.spec.timezone = std::string(zone);
  if (const std::string error = broker::prepare_schedule(s); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  const std::vector<int64_t> starts = start_instants();
  size_t i = 0;
  const uint64_t allocs = allocations();
  for (auto _ : state) {
    benchmark::DoNotOptimize(broker::next_run_after(s, starts[i++ & (starts.size() - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
  report_allocations(state, allocs, state.iterations());
}
BENCHMARK_CAPTURE(BM_ScheduleNextRun, weekdays_0230_Paris, kWeekdays0230, "Europe/Paris");

}  // namespace
}  // namespace symphony::bench
