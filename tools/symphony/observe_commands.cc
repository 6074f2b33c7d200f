// symphony health | overview [--minutes N] | metrics | backup NAME: the admin API's /health,
// /status, /metrics and /backup over the binary protocol. --json prints the broker's document
// itself (the same one the HTTP route serves), on one line.
//
// Exit codes: health exits 0 when healthy or degraded (the broker still serves, as GET /health
// answers 200) and 2 when unhealthy (503); the others follow cli.h.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tools/symphony/cli.h"

namespace symphony::cli {

namespace {

/// Parses a document the broker sent; a broker that sends something else is a protocol failure.
json parse_document(const std::string& text, const char* what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    throw client::ClientError(protocol::ErrorCode::kMalformedFrame,
                              fmt::format("the broker's {} is not JSON", what));
  }
  return j;
}

int run_health(client::Client& c, bool as_json) {
  const json doc = parse_document(c.health(), "health report");
  const std::string status = doc.value("status", "");
  if (as_json) {
    print_line(doc);
  } else {
    print_text(status);
    for (const auto& reason : doc.value("reasons", json::array())) {
      print_text(fmt::format("  - {}", reason.get<std::string>()));
    }
    const json checks = doc.value("checks", json::object());
    const json free = checks.value("free_disk_bytes", json());
    std::string full;
    for (const auto& q : checks.value("full_queues", json::array())) {
      if (!full.empty()) full += ", ";
      full += q.get<std::string>();
    }
    print_text(fmt::format(
        "  storage {}, free disk {}, full queues: {}, lease expiries in the last minute: {}",
        checks.value("storage", "?"),
        free.is_number() ? fmt::format("{} MiB", free.get<uint64_t>() >> 20) : "unknown",
        full.empty() ? "none" : full, checks.value("expired_leases_last_minute", uint64_t{0})));
  }
  return status == "unhealthy" ? 2 : 0;
}

/// A fixed-width table: the first column left-aligned, the others right-aligned.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i == 0) {
        line += fmt::format("{:<{}}", row[i], width[i]);
      } else {
        line += fmt::format("  {:>{}}", row[i], width[i]);
      }
    }
    print_text(line);
  }
}

std::vector<std::string> overview_row(const std::string& name, const json& q,
                                      const std::vector<int>& windows) {
  std::vector<std::string> row{name};
  for (const char* key : {"ready", "delayed", "in_flight", "dead", "consumers"}) {
    row.push_back(std::to_string(q.value(key, uint64_t{0})));
  }
  const json rates = q.value("rates", json::object());
  for (int w : windows) {
    const json r = rates.value(std::to_string(w) + "m", json::object());
    row.push_back(fmt::format("{:.2f}", r.value("dispatch_per_s", 0.0)));
    row.push_back(fmt::format("{:.2f}", r.value("ack_per_s", 0.0)));
  }
  return row;
}

int run_overview(client::Client& c, int minutes, bool as_json) {
  const json doc = parse_document(c.overview(static_cast<uint8_t>(minutes)), "overview");
  if (as_json) {
    print_line(doc);
    return 0;
  }
  const std::vector<int> windows = minutes == 0 ? std::vector<int>{1, 5, 60} : std::vector{minutes};
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head{"QUEUE", "READY", "DELAYED", "IN_FLIGHT", "DEAD", "CONSUMERS"};
  for (int w : windows) {
    head.push_back(fmt::format("DISPATCH/S {}m", w));
    head.push_back(fmt::format("ACK/S {}m", w));
  }
  rows.push_back(std::move(head));
  // a named local: items() of a temporary would outlive it in the range-for
  const json queues = doc.value("queues", json::object());
  for (const auto& [name, q] : queues.items()) {
    rows.push_back(overview_row(name, q, windows));
  }
  rows.push_back(overview_row("(all)", doc.value("totals", json::object()), windows));
  print_table(rows);
  print_text(fmt::format("schedules: {}", doc.value("schedules", uint64_t{0})));
  return 0;
}

int run_backup(client::Client& c, const std::string& name, bool as_json) {
  const json doc = parse_document(c.backup(name), "backup result");
  if (as_json) {
    print_line(doc);
  } else {
    print_text(fmt::format("backup written to {}: {} bytes in {} ms", doc.value("path", name),
                           doc.value("bytes", uint64_t{0}), doc.value("millis", uint64_t{0})));
  }
  return 0;
}

}  // namespace

void add_observe_commands(CLI::App& app, Cli& cli) {
  auto* health =
      app.add_subcommand("health", "Health with reasons (exit 0 healthy or degraded, 2 unhealthy)");
  health->callback(
      [&cli] { cli.run([&](client::Client& c) { return run_health(c, cli.json_output); }); });

  auto* overview =
      app.add_subcommand("overview", "Per-queue depths and dispatch/ack rates (as GET /status)");
  auto minutes = std::make_shared<int>(0);
  auto* minutes_opt = overview->add_option(
      "--minutes", *minutes, "One rate window of 1..60 minutes (default: 1, 5 and 60)");
  overview->callback([&cli, minutes, minutes_opt] {
    // 0 would mean "the default windows" on the wire; as an argument it is a mistake
    if (minutes_opt->count() > 0 && (*minutes < 1 || *minutes > 60)) {
      cli.exit_code = fail(1, "--minutes must be a whole number 1..60");
      return;
    }
    cli.run([&](client::Client& c) { return run_overview(c, *minutes, cli.json_output); });
  });

  auto* metrics = app.add_subcommand("metrics", "Prometheus metrics text (as GET /metrics)");
  metrics->callback([&cli] {
    cli.run([&](client::Client& c) {
      const std::string text = c.metrics();
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      return 0;
    });
  });

  auto* backup = app.add_subcommand(
      "backup", "Online backup into the broker's backup directory (as POST /backup)");
  auto name = std::make_shared<std::string>();
  backup
      ->add_option("name", *name,
                   "Name of the new backup (letters, digits, '.', '_', '-'); it goes to "
                   "BACKUP_DIR/NAME on the broker's machine (printed), restore with symphonyd "
                   "--data-dir BACKUP_DIR/NAME (raise --timeout-ms for a large log)")
      ->required();
  backup->callback([&cli, name] {
    cli.run([&](client::Client& c) { return run_backup(c, *name, cli.json_output); });
  });
}

}  // namespace symphony::cli
