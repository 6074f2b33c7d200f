#pragma once
// What every harness shares: a property check that aborts (so libFuzzer saves the input as a
// crash), and the view check the codecs' "views, not copies" rule needs.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace symphony::fuzz {

[[noreturn]] inline void property_violated(const char* expr, const char* file, int line,
                                           const char* why) {
  std::fprintf(stderr, "%s:%d: property violated: %s%s%s\n", file, line, expr, *why ? ": " : "",
               why);
  std::abort();
}

/// True when `v` is empty or lies entirely inside `buf`.
inline bool inside(std::string_view v, std::string_view buf) {
  if (v.empty()) return true;
  const auto b = reinterpret_cast<uintptr_t>(buf.data());
  const auto p = reinterpret_cast<uintptr_t>(v.data());
  return p >= b && p + v.size() <= b + buf.size();
}

inline std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace symphony::fuzz

/// Aborts with the expression (and an optional static explanation) when `cond` is false.
#define FUZZ_CHECK(cond, ...)                                                                  \
  do {                                                                                         \
    if (!(cond)) ::symphony::fuzz::property_violated(#cond, __FILE__, __LINE__, "" __VA_ARGS__); \
  } while (false)
