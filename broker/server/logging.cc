#include "broker/server/logging.h"

#include <simdjson.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <memory>
#include <string_view>

namespace symphony::server {

namespace {

spdlog::sink_ptr shared_sink() {
  static spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  return sink;
}

spdlog::logger& component(const char* name) {
  // registered once; the registry's mutex makes the first call from two threads safe
  auto existing = spdlog::get(name);
  if (existing) return *existing;
  auto made = std::make_shared<spdlog::logger>(name, shared_sink());
  made->set_level(spdlog::default_logger()->level());
  try {
    spdlog::register_logger(made);
  } catch (const spdlog::spdlog_ex&) {
    return *spdlog::get(name);  // another thread registered it in between
  }
  return *made;
}

/// %j: the message as a JSON string body (quotes, backslashes and control bytes escaped).
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr char kHex[] = "0123456789abcdef";
    const std::string_view text(msg.payload.data(), msg.payload.size());
    for (size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      const auto byte = static_cast<unsigned char>(c);
      if (byte >= 0x80) {
        // client bytes reach log lines (request targets); a line must stay valid JSON, so a
        // byte that does not start a valid UTF-8 sequence becomes U+FFFD
        const size_t n = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 0;
        if (n && i + n <= text.size() && simdjson::validate_utf8(text.data() + i, n)) {
          dest.append(text.data() + i, text.data() + i + n);
          i += n - 1;
        } else {
          dest.append(std::string_view("\\ufffd"));
        }
        continue;
      }
      switch (c) {
        case '"': dest.append(std::string_view("\\\"")); break;
        case '\\': dest.append(std::string_view("\\\\")); break;
        case '\n': dest.append(std::string_view("\\n")); break;
        case '\r': dest.append(std::string_view("\\r")); break;
        case '\t': dest.append(std::string_view("\\t")); break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            const char esc[] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xF], kHex[c & 0xF]};
            dest.append(esc, esc + sizeof esc);
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

}  // namespace

namespace logs {
spdlog::logger& server() {
  return component("server");
}
spdlog::logger& net() {
  return component("net");
}
spdlog::logger& storage() {
  return component("storage");
}
spdlog::logger& admin() {
  return component("admin");
}
}  // namespace logs

void setup_logging(const std::string& format, const std::string& level) {
  std::unique_ptr<spdlog::formatter> formatter;
  if (format == "json") {
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<JsonMessageFlag>('j').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","msg":"%j"})");
    formatter = std::move(f);
  } else {
    formatter =
        std::make_unique<spdlog::pattern_formatter>("[%Y-%m-%d %H:%M:%S.%e] [%n] [%^%l%$] %v");
  }
  shared_sink()->set_formatter(std::move(formatter));
  const auto lvl = spdlog::level::from_str(level);
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("symphonyd", shared_sink()));
  spdlog::set_level(lvl);  // every registered logger, and the default
  for (auto* l : {&logs::server(), &logs::net(), &logs::storage(), &logs::admin()}) {
    l->set_level(lvl);
  }
}

}  // namespace symphony::server
