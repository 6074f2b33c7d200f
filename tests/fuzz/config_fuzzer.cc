// The configuration reader (broker/server/config.h): apply_toml over the defaults, then
// finalize_config, as symphonyd does with --config.
//
// The input is the text of a TOML file. Properties:
//  - nothing throws or crashes; a refusal has a message that starts with the file's name;
//  - an accepted file that finalizes prints (to_toml, what --print-config prints) a document
//    that is itself accepted and finalizes, and prints the same text again: the printed
//    configuration is a faithful, reloadable description of the effective one.
#include <string>
#include <string_view>

#include "broker/server/config.h"
#include "tests/fuzz/fuzz_check.h"

using symphony::server::apply_toml;
using symphony::server::BrokerConfig;
using symphony::server::finalize_config;
using symphony::server::to_toml;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = symphony::fuzz::as_view(data, size);
  BrokerConfig cfg;
  std::string error;
  if (!apply_toml(text, "fuzz.toml", cfg, error)) {
    FUZZ_CHECK(error.rfind("fuzz.toml", 0) == 0, "a refusal names the file");
    return 0;
  }
  FUZZ_CHECK(error.empty());
  if (!finalize_config(cfg, error)) {
    FUZZ_CHECK(!error.empty(), "a refusal says why");
    return 0;
  }
  const std::string printed = to_toml(cfg);
  BrokerConfig again;
  std::string error2;
  if (!apply_toml(printed, "printed.toml", again, error2) || !finalize_config(again, error2)) {
    std::fprintf(stderr, "printed config refused: %s\n--- printed ---\n%s\n", error2.c_str(),
                 printed.c_str());
    FUZZ_CHECK(false, "the printed configuration loads");
  }
  const std::string reprinted = to_toml(again);
  if (reprinted != printed) {
    std::fprintf(stderr, "--- printed ---\n%s\n--- reprinted ---\n%s\n", printed.c_str(),
                 reprinted.c_str());
    FUZZ_CHECK(false, "the printed configuration prints the same again");
  }
  return 0;
}
