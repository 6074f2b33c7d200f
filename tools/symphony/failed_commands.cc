// symphony failed list|show ID|retry [ID...|--all] [--dry-run]|delete ID...|purge
#include <fmt/format.h>

#include <vector>

#include "tools/symphony/cli.h"

namespace symphony::cli {

namespace {

/// The filter options shared by list, retry --all and purge.
struct FilterArgs {
  std::string queue, type, error_class, since, until;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--queue", queue, "Only this queue");
    cmd->add_option("--type", type, "Only this message type");
    cmd->add_option("--error-class", error_class, "Only this error class (of the last failure)");
    cmd->add_option("--since", since, "Failed at or after (ms or ISO 8601)");
    cmd->add_option("--until", until, "Failed at or before (ms or ISO 8601)");
  }
  protocol::DeadLetterFilter filter() const {
    protocol::DeadLetterFilter f;
    f.queue = queue;
    f.type = type;
    f.error_class = error_class;
    if (!since.empty()) f.failed_from_ms = parse_time_arg(since, "--since");
    if (!until.empty()) f.failed_to_ms = parse_time_arg(until, "--until");
    return f;
  }
};

/// One line per acted-on id, one per failure; exit 2 if anything failed.
int print_action(const protocol::DeadLetterActionResult& r, const std::string& verb, bool as_json) {
  for (uint64_t id : r.ids) {
    if (as_json) {
      print_line({{"id", id}, {"action", verb}});
    }
  }
  for (const auto& f : r.failures) {
    if (as_json) {
      print_line({{"id", f.id}, {"error", protocol::error_name(f.code)}});
    } else {
      print_text(fmt::format("{}: {} (not a dead letter)", f.id, protocol::error_name(f.code)));
    }
  }
  if (!as_json) {
    std::string ids;
    for (size_t i = 0; i < r.ids.size() && i < 20; ++i)
      ids += (i ? " " : "") + std::to_string(r.ids[i]);
    if (r.ids.size() > 20) ids += " ...";
    print_text(fmt::format("{} {} dead letter{}{}{}", verb, r.ids.size(),
                           r.ids.size() == 1 ? "" : "s", r.ids.empty() ? "" : ": ", ids));
  }
  return r.failures.empty() ? 0 : 2;
}

}  // namespace

void add_failed_commands(CLI::App& app, Cli& cli) {
  auto* failed = app.add_subcommand("failed", "The dead-letter set");
  failed->require_subcommand(1);

  // list
  auto* list = failed->add_subcommand("list", "Dead letters, newest first, paged");
  auto lf = std::make_shared<FilterArgs>();
  lf->add_to(list);
  auto limit = std::make_shared<uint32_t>(50);
  auto cursor = std::make_shared<std::string>();
  list->add_option("--limit", *limit, "Page size (1..1000)")->capture_default_str();
  list->add_option("--cursor", *cursor, "Where the previous page ended (its next_cursor)");
  list->callback([&cli, lf, limit, cursor] {
    cli.run([&](client::Client& c) {
      protocol::FailedListRequest req;
      req.filter = lf->filter();
      req.limit = *limit;
      if (!cursor->empty()) {
        const auto colon = cursor->find(':');
        if (colon == std::string::npos) return fail(1, "--cursor must be FAILED_AT_MS:ID");
        req.cursor_failed_at_ms = std::stoll(cursor->substr(0, colon));
        req.cursor_id = std::stoull(cursor->substr(colon + 1));
      }
      const auto res = c.failed_list(req);
      const std::string next =
          res.next_cursor_id
              ? fmt::format("{}:{}", res.next_cursor_failed_at_ms, res.next_cursor_id)
              : std::string();
      if (cli.json_output) {
        for (const auto& s : res.items) print_line(protocol::dead_letter_summary_json(s));
        print_line({{"total", res.total}, {"next_cursor", next}});
      } else {
        print_text(fmt::format("{:>10}  {:<16} {:<20} {:>8}  {:<24}  {}", "ID", "QUEUE", "TYPE",
                               "ATTEMPTS", "FAILED AT", "ERROR"));
        for (const auto& s : res.items) {
          print_text(fmt::format("{:>10}  {:<16} {:<20} {:>8}  {:<24}  {}: {}", s.id, s.queue,
                                 s.type, s.attempts, iso_or_none(s.failed_at_ms), s.error_class,
                                 s.error));
        }
        print_text(fmt::format("{} of {} dead letters{}", res.items.size(), res.total,
                               next.empty() ? "" : "; next page: --cursor " + next));
      }
      return 0;
    });
  });

  // show
  auto* show = failed->add_subcommand("show", "One dead letter with its attempt history");
  auto show_id = std::make_shared<uint64_t>(0);
  show->add_option("id", *show_id, "Message id")->required();
  show->callback([&cli, show_id] {
    cli.run([&](client::Client& c) {
      const json j = protocol::dead_letter_detail_json(c.failed_get(*show_id));
      if (cli.json_output) {
        print_line(j);
      } else {
        print_text(j.dump(2));
      }
      return 0;
    });
  });

  // retry
  auto* retry = failed->add_subcommand("retry", "Move dead letters back to their queues");
  auto retry_ids = std::make_shared<std::vector<uint64_t>>();
  auto retry_all = std::make_shared<bool>(false);
  auto dry_run = std::make_shared<bool>(false);
  auto rf = std::make_shared<FilterArgs>();
  retry->add_option("id", *retry_ids, "Message ids");
  retry->add_flag("--all", *retry_all, "Every dead letter the filters match");
  retry->add_flag("--dry-run", *dry_run, "Only say what would move");
  rf->add_to(retry);
  retry->callback([&cli, retry_ids, retry_all, dry_run, rf] {
    if (retry_ids->empty() == !*retry_all) {
      cli.exit_code = fail(1, "give message ids, or --all (with optional filters)");
      return;
    }
    cli.run([&](client::Client& c) {
      protocol::DeadLetterTarget t;
      t.by_filter = *retry_all;
      t.ids = *retry_ids;
      if (t.by_filter) t.filter = rf->filter();
      return print_action(c.failed_retry(t, *dry_run), *dry_run ? "would retry" : "retried",
                          cli.json_output);
    });
  });

  // delete
  auto* del = failed->add_subcommand("delete", "Delete dead letters");
  auto del_ids = std::make_shared<std::vector<uint64_t>>();
  del->add_option("id", *del_ids, "Message ids")->required();
  del->callback([&cli, del_ids] {
    cli.run([&](client::Client& c) {
      protocol::DeadLetterTarget t;
      t.ids = *del_ids;
      return print_action(c.failed_delete(t), "deleted", cli.json_output);
    });
  });

  // purge
  auto* purge = failed->add_subcommand("purge", "Delete every dead letter (the filters match)");
  auto pf = std::make_shared<FilterArgs>();
  pf->add_to(purge);
  purge->callback([&cli, pf] {
    cli.run([&](client::Client& c) {
      protocol::DeadLetterTarget t;
      t.by_filter = true;
      t.filter = pf->filter();
      return print_action(c.failed_delete(t), "deleted", cli.json_output);
    });
  });
}

}  // namespace symphony::cli
