#pragma once
// symphonyd's program as a function: command line, configuration, logging, then the Server.
// main.cc calls it with no hooks; a test build of the daemon (tests/crash/power_cut_broker.cc)
// calls it with a hook that adjusts the ServerOptions the command line produced, so the test
// runs the real daemon's code path end to end.
#include <functional>

#include "broker/server/server.h"

namespace symphony::server {

struct SymphonydHooks {
  /// Called with the final options just before the Server is constructed.
  std::function<void(ServerOptions&)> adjust;
};

/// Returns the process's exit code.
int symphonyd_main(int argc, char** argv, const SymphonydHooks& hooks);

}  // namespace symphony::server
