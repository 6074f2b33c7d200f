// The log record codec (wal/record_codec.h, wal/record_buffer.h): the records section of a
// commit group.
//
// The input is a run of concatenated records. Properties:
//  - RecordReader walks them without crashing and stops either at the end or with an error that
//    says why, never past the input; each record it returns has the type its type byte names;
//  - every decoded record, re-encoded by RecordBuffer (the broker's encoder), is the very bytes
//    it came from (a schedule's `enabled` byte is the one normalized field: there the encoding
//    has the same size and is a fixpoint);
//  - decode_record refuses a payload cut short by one byte or followed by one more.
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "protocol/wire.h"
#include "tests/fuzz/fuzz_check.h"
#include "wal/record.h"
#include "wal/record_buffer.h"
#include "wal/record_codec.h"

using namespace symphony::wal;

namespace {

void encode(RecordBuffer& buf, const Record& record) {
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, EnvelopeRecord>) {
          buf.append_envelope(r, r.failures, false);
        } else if constexpr (std::is_same_v<T, SnapshotRecord>) {
          buf.append_envelope(r, r.failures, true);
        } else {
          buf.append(r);
        }
      },
      record);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = symphony::fuzz::as_view(data, size);
  RecordReader reader(in);
  Record record;
  size_t records = 0;
  for (;;) {
    const size_t start = reader.position();
    if (!reader.next(record)) break;
    ++records;
    const size_t end = reader.position();
    FUZZ_CHECK(end > start && end <= in.size(), "the reader moves forward, within the input");
    const std::string_view bytes = in.substr(start, end - start);
    const auto type_byte = static_cast<uint8_t>(bytes[0]);
    FUZZ_CHECK(static_cast<uint8_t>(type_of(record)) == type_byte, "the type byte is the type");
    FUZZ_CHECK(record_type_name(type_of(record)) != "unknown");
    (void)message_id_of(record);

    RecordBuffer buf;
    encode(buf, record);
    FUZZ_CHECK(buf.count() == 1);
    if (type_of(record) != RecordType::kScheduleSet) {
      FUZZ_CHECK(buf.bytes() == bytes, "RecordBuffer re-encodes a decoded record to its bytes");
    } else {
      FUZZ_CHECK(buf.bytes().size() == bytes.size());
      RecordReader again(buf.bytes());
      Record decoded;
      FUZZ_CHECK(again.next(decoded) && again.at_end());
      RecordBuffer buf2;
      encode(buf2, decoded);
      FUZZ_CHECK(buf2.bytes() == buf.bytes(), "a schedule record re-encodes to a fixpoint");
    }

    // the payload alone: exact layout
    const std::string_view payload = bytes.substr(5);
    Record scratch;
    const auto type = static_cast<RecordType>(type_byte);
    FUZZ_CHECK(decode_record(type, payload, scratch));
    if (!payload.empty()) {
      FUZZ_CHECK(!decode_record(type, payload.substr(0, payload.size() - 1), scratch),
                 "a payload cut short is refused");
    }
    std::string longer(payload);
    longer.push_back('\0');
    FUZZ_CHECK(!decode_record(type, longer, scratch), "a payload with a trailing byte is refused");
  }
  if (!reader.at_end()) {
    FUZZ_CHECK(!reader.error().empty(), "a reader that stops early says why");
  } else {
    FUZZ_CHECK(reader.error().empty());
  }
  return 0;
}
