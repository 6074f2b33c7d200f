#pragma once
// Decoding of log records (the encoding side is RecordBuffer). Decoded records hold views into
// the input bytes.
#include <cstdint>
#include <string_view>

#include "wal/record.h"

namespace symphony::wal {

/// Walks the records in a buffer of concatenated Record encodings.
class RecordReader {
 public:
  explicit RecordReader(std::string_view bytes) : bytes_(bytes) {}
  /// Next record into `out`; false at the end or on damage (then error() says which).
  bool next(Record& out);
  bool at_end() const { return pos_ == bytes_.size(); }
  /// Empty unless the last next() failed on damaged bytes.
  std::string_view error() const { return error_; }
  size_t position() const { return pos_; }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
  const char* error_ = "";
};

/// Decodes one record payload of a known type; false when it does not match its layout.
bool decode_record(RecordType type, std::string_view payload, Record& out);

}  // namespace symphony::wal
