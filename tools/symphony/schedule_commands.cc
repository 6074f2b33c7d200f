// symphony schedule create|list|show ID|enable ID|disable ID|delete ID
#include <fmt/format.h>

#include <charconv>
#include <vector>

#include "tools/symphony/cli.h"

namespace symphony::cli {

namespace {

/// "250ms", "30s", "5m", "2h", "1d", or plain milliseconds.
bool parse_duration_ms(const std::string& text, int64_t& ms) {
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n <= 0) return false;
  const std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  int64_t scale = 0;
  if (unit.empty() || unit == "ms") scale = 1;
  if (unit == "s") scale = 1000;
  if (unit == "m" || unit == "min") scale = 60'000;
  if (unit == "h") scale = 3'600'000;
  if (unit == "d") scale = 86'400'000;
  if (scale == 0) return false;
  ms = n * scale;
  return true;
}

std::string when_text(const protocol::ScheduleSpec& s) {
  switch (s.kind) {
    case protocol::ScheduleKind::kOnce: return "at " + iso_or_none(s.at_ms);
    case protocol::ScheduleKind::kInterval: return fmt::format("every {} ms", s.interval_ms);
    case protocol::ScheduleKind::kCron: return fmt::format("cron '{}' {}", s.cron, s.timezone);
  }
  return "";
}

void print_schedule(const protocol::ScheduleInfo& s, bool as_json) {
  if (as_json) {
    print_line(protocol::schedule_json(s));
    return;
  }
  print_text(fmt::format("{:>8}  {:<20} {:<40} {:<8} runs {:<6} next {}{}", s.id,
                         s.spec.name.empty() ? "-" : s.spec.name, when_text(s.spec),
                         s.spec.enabled ? "enabled" : "disabled", s.run_count,
                         iso_or_none(s.next_run_at_ms),
                         s.last_error.empty() ? "" : "  last error: " + s.last_error));
}

struct CreateArgs {
  std::string name, type, payload = "{}", metadata, queue, at, every, cron, timezone = "UTC",
                          start_at;
  int priority = 0;
  uint64_t max_runs = 0;
  bool disabled = false;
  std::vector<std::string> headers;
};

}  // namespace

void add_schedule_commands(CLI::App& app, Cli& cli) {
  auto* schedule = app.add_subcommand("schedule", "Recurring and one-off schedules");
  schedule->require_subcommand(1);

  auto* create =
      schedule->add_subcommand("create", "Create a schedule (one of --at, --every, --cron)");
  auto a = std::make_shared<CreateArgs>();
  create->add_option("--name", a->name, "A label");
  create->add_option("--type", a->type, "Message type")->required();
  create->add_option("--payload", a->payload, "JSON object")->capture_default_str();
  create->add_option("--metadata", a->metadata, "JSON object");
  create->add_option("--queue", a->queue, "Queue (default: routed by type)");
  create->add_option("--priority", a->priority, "1..10 (default: the queue's)");
  create->add_option("--header", a->headers, "Custom header k=v (repeatable)");
  auto* at = create->add_option("--at", a->at, "Run once at this time (ms or ISO 8601)");
  auto* every = create->add_option("--every", a->every, "Run every 250ms, 30s, 5m, 2h, 1d ...");
  auto* cron = create->add_option("--cron", a->cron, "Cron expression, 5 fields or 6 with seconds");
  at->excludes(every)->excludes(cron);
  every->excludes(cron);
  create->add_option("--timezone", a->timezone, "IANA time zone of --cron")->capture_default_str();
  create->add_option("--start-at", a->start_at, "First run of --every (default: now + interval)");
  create->add_option("--max-runs", a->max_runs, "Stop after this many runs (0: never)");
  create->add_flag("--disabled", a->disabled, "Create it disabled");
  create->callback([&cli, a] {
    protocol::ScheduleSpec spec;
    spec.name = a->name;
    if (!a->at.empty()) {
      spec.kind = protocol::ScheduleKind::kOnce;
      spec.at_ms = parse_time_arg(a->at, "--at");
    } else if (!a->every.empty()) {
      spec.kind = protocol::ScheduleKind::kInterval;
      if (!parse_duration_ms(a->every, spec.interval_ms)) {
        cli.exit_code = fail(1, "--every: expected a duration like 500ms, 30s, 5m, 2h or 1d");
        return;
      }
      if (!a->start_at.empty()) spec.start_at_ms = parse_time_arg(a->start_at, "--start-at");
    } else if (!a->cron.empty()) {
      spec.kind = protocol::ScheduleKind::kCron;
      spec.cron = a->cron;
    } else {
      cli.exit_code = fail(1, "give one of --at, --every or --cron");
      return;
    }
    spec.timezone = a->timezone;
    spec.max_runs = a->max_runs;
    spec.enabled = !a->disabled;
    spec.type = a->type;
    spec.payload = a->payload;
    spec.metadata = a->metadata;
    spec.queue = a->queue;
    spec.priority = static_cast<uint8_t>(a->priority);
    for (const auto& h : a->headers) {
      const auto eq = h.find('=');
      if (eq == std::string::npos) {
        cli.exit_code = fail(1, "--header must be k=v: " + h);
        return;
      }
      spec.headers.emplace_back(h.substr(0, eq), h.substr(eq + 1));
    }
    cli.run([&](client::Client& c) {
      print_schedule(c.schedule_create(spec), cli.json_output);
      return 0;
    });
  });

  auto* list = schedule->add_subcommand("list", "Every schedule");
  list->callback([&cli] {
    cli.run([&](client::Client& c) {
      for (const auto& s : c.schedule_list()) print_schedule(s, cli.json_output);
      return 0;
    });
  });

  struct IdCommand {
    const char* name;
    const char* help;
  };
  for (const IdCommand cmd :
       {IdCommand{"show", "One schedule"},
        IdCommand{"enable", "Enable a schedule (its next run is after now)"},
        IdCommand{"disable", "Disable a schedule"}, IdCommand{"delete", "Delete a schedule"}}) {
    auto* sub = schedule->add_subcommand(cmd.name, cmd.help);
    auto id = std::make_shared<uint64_t>(0);
    sub->add_option("id", *id, "Schedule id")->required();
    const std::string verb = cmd.name;
    sub->callback([&cli, id, verb] {
      cli.run([&](client::Client& c) {
        if (verb == "show") {
          const auto s = c.schedule_get(*id);
          if (cli.json_output) {
            print_line(protocol::schedule_json(s));
          } else {
            print_text(protocol::schedule_json(s).dump(2));
          }
          return 0;
        }
        const auto op = verb == "enable"    ? protocol::ScheduleOp::kEnable
                        : verb == "disable" ? protocol::ScheduleOp::kDisable
                                            : protocol::ScheduleOp::kDelete;
        const auto after = c.schedule_update(*id, op);
        if (after) {
          print_schedule(*after, cli.json_output);
        } else if (cli.json_output) {
          print_line({{"id", *id}, {"deleted", true}});
        } else {
          print_text(fmt::format("schedule {} deleted", *id));
        }
        return 0;
      });
    });
  }
}

}  // namespace symphony::cli
