#pragma once
#include <string_view>

#include "protocol/error_code.h"

namespace symphony::protocol {

/// Outcome of decoding a frame body: kOk, or an error code with a static explanation.
struct DecodeStatus {
  ErrorCode code = ErrorCode::kOk;
  const char* what = "";

  bool ok() const { return code == ErrorCode::kOk; }
  static DecodeStatus malformed(const char* what) { return {ErrorCode::kMalformedFrame, what}; }
};

}  // namespace symphony::protocol
