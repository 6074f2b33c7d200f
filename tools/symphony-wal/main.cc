// symphony-wal: offline recovery and forensics on a stopped symphonyd's data directory.
// Results go to stdout, errors and warnings to stderr. Exit codes: 0 success, 1 failure (a bad
// or damaged log, bad input, verify found a problem, an unknown id), 2 the data directory is in
// use by another process (nothing was touched).
#include <CLI/CLI.hpp>

#include <exception>
#include <string>
#include <vector>

#include "tools/symphony-wal/wal_tool.h"

namespace {

using namespace symphony::wal_tool;

/// CLI11 check for a TIME argument.
std::string check_time(const std::string& text) {
  int64_t ms = 0;
  if (parse_time(text, ms)) return {};
  return "'" + text + "' is not a time: give Unix ms or ISO-8601 like 2026-11-22T10:00:00Z";
}

std::optional<int64_t> time_option(const CLI::Option* option, const std::string& text) {
  if (option->count() == 0) return std::nullopt;
  int64_t ms = 0;
  parse_time(text, ms);  // already checked by check_time
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "symphony-wal: inspect, verify, replay, compact and salvage the log of a stopped symphonyd"};
  app.require_subcommand(1);
  // --data-dir may also follow the command
  app.fallthrough();
  std::string data_dir;
  app.add_option("--data-dir", data_dir, "The broker's data directory (holds log/)")->required();

  auto* stats = app.add_subcommand(
      "stats", "Records by type, groups, live envelopes per queue and state, ids, disk use");
  bool stats_json = false;
  stats->add_flag("--json", stats_json, "Print one JSON object");

  app.add_subcommand("verify",
                     "Check every group (checksum, format, seq continuity) and record (decoding, "
                     "replay rules); exit 1 naming the first bad item");

  auto* dump = app.add_subcommand("dump", "Print every record, one per line");
  bool dump_json = false;
  DumpFilter filter;
  uint64_t dump_id = 0;
  std::string since_text, until_text;
  std::vector<std::string> type_names;
  for (uint8_t t = 1; t <= symphony::wal::kMaxRecordType; ++t) {
    type_names.emplace_back(record_type_name(static_cast<symphony::wal::RecordType>(t)));
  }
  dump->add_flag("--json", dump_json, "JSON lines with every field");
  auto* id_opt = dump->add_option("--id", dump_id, "Only records about this message");
  dump->add_option("--queue", filter.queue, "Only records about envelopes of this queue");
  dump->add_option("--type", filter.type, "Only records of this type")
      ->check(CLI::IsMember(type_names));
  auto* since_opt = dump->add_option("--since", since_text,
                                     "Only groups written at or after TIME (Unix ms or ISO-8601)")
                        ->check(check_time);
  auto* until_opt = dump->add_option("--until", until_text,
                                     "Only groups written at or before TIME (Unix ms or ISO-8601)")
                        ->check(check_time);

  auto* history = app.add_subcommand("history", "The timeline of one envelope and its state now");
  uint64_t history_id = 0;
  history->add_option("id", history_id, "Message id")->required();

  auto* replay = app.add_subcommand(
      "replay", "Rebuild a fresh data directory holding the state this log describes");
  std::string into, replay_until_text;
  replay->add_option("--into", into, "New data directory (must not exist or be empty)")->required();
  auto* replay_until_opt =
      replay
          ->add_option("--until", replay_until_text,
                       "Replay only the groups written at or before TIME (Unix ms or ISO-8601)")
          ->check(check_time);

  auto* compact = app.add_subcommand(
      "compact", "Rewrite the log in place as a snapshot of its live state and reclaim space");

  auto* salvage = app.add_subcommand(
      "salvage",
      "Copy every intact record of a damaged log into a new data directory and report exactly "
      "what was lost (groups, time range, ids); the damaged directory is not changed");
  std::string salvage_into;
  bool salvage_json = false;
  salvage->add_option("--into", salvage_into, "New data directory (must not exist or be empty)")
      ->required();
  salvage->add_flag("--json", salvage_json, "Print one JSON object");

  CLI11_PARSE(app, argc, argv);

  try {
    if (*stats) return run_stats(data_dir, stats_json);
    if (app.got_subcommand("verify")) return run_verify(data_dir);
    if (*dump) {
      if (id_opt->count() > 0) filter.id = dump_id;
      filter.since_ms = time_option(since_opt, since_text);
      filter.until_ms = time_option(until_opt, until_text);
      return run_dump(data_dir, filter, dump_json);
    }
    if (*history) return run_history(data_dir, history_id);
    if (*replay)
      return run_replay(data_dir, into, time_option(replay_until_opt, replay_until_text));
    if (*compact) return run_compact(data_dir);
    if (*salvage) return run_salvage(data_dir, salvage_into, salvage_json);
  } catch (const std::exception& e) {
    return fail(kExitFailed, e.what());
  }
  return kExitFailed;
}
