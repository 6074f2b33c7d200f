// symphony: command-line client of the Symphony broker (see cli.h for the output conventions).
#include "tools/symphony/cli.h"

int main(int argc, char** argv) {
  symphony::cli::Cli cli;
  CLI::App app{"symphony: command-line client of the Symphony broker"};
  app.require_subcommand(1);
  app.add_option("--server", cli.server, "Broker HOST:PORT")->capture_default_str();
  app.add_option("--timeout-ms", cli.timeout_ms, "Longest wait for a reply or a message")
      ->capture_default_str();
  app.add_flag("--json", cli.json_output, "JSON lines instead of readable lines");
  cli.add_connection_options(app);
  // flags may also follow the command: `symphony failed list --json` (set before the commands
  // are added: subcommands inherit fallthrough when they are created, not later)
  app.fallthrough();
  symphony::cli::add_message_commands(app, cli);
  symphony::cli::add_failed_commands(app, cli);
  symphony::cli::add_schedule_commands(app, cli);
  symphony::cli::add_observe_commands(app, cli);
  CLI11_PARSE(app, argc, argv);
  return cli.exit_code;
}
