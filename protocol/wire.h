#pragma once
// Little-endian primitives shared by every frame codec. Readers are bounds-checked with a sticky
// failure flag: after any over-read every later read returns zero/empty and ok() is false, so a
// decoder can read a whole structure and check once. Nothing here allocates.
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace symphony::protocol {

class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return ok_ && pos_ == data_.size(); }
  size_t position() const { return pos_; }

  uint8_t u8() { return read_int<uint8_t>(); }
  uint16_t u16() { return read_int<uint16_t>(); }
  uint32_t u32() { return read_int<uint32_t>(); }
  uint64_t u64() { return read_int<uint64_t>(); }
  int64_t i64() { return static_cast<int64_t>(read_int<uint64_t>()); }

  /// A string with a u16 length prefix.
  std::string_view str16() { return bytes(u16()); }
  /// A byte string with a u32 length prefix. The length is checked against what is left before
  /// anything else happens, so a huge declared length costs nothing.
  std::string_view blob32() { return bytes(u32()); }

  std::string_view bytes(size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return {};
    }
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  void fail() { ok_ = false; }
  /// The bytes read since position `from`.
  std::string_view since(size_t from) const { return data_.substr(from, pos_ - from); }

 private:
  template <typename T>
  T read_int() {
    if (!ok_ || remaining() < sizeof(T)) {
      ok_ = false;
      return 0;
    }
    T v;
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;  // the wire is little-endian, and so is every target we build for
  }

  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

static_assert(std::endian::native == std::endian::little,
              "Symphony's wire codec assumes a little-endian host");

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}

  /// False once a string longer than its length prefix allows was written (it was written empty).
  bool ok() const { return ok_; }
  std::string& buffer() { return out_; }

  void u8(uint8_t v) { put_int(v); }
  void u16(uint16_t v) { put_int(v); }
  void u32(uint32_t v) { put_int(v); }
  void u64(uint64_t v) { put_int(v); }
  void i64(int64_t v) { put_int(static_cast<uint64_t>(v)); }

  void str16(std::string_view s) {
    if (s.size() > UINT16_MAX) {
      ok_ = false;
      s = {};
    }
    u16(static_cast<uint16_t>(s.size()));
    raw(s);
  }
  void blob32(std::string_view s) {
    if (s.size() > UINT32_MAX) {
      ok_ = false;
      s = {};
    }
    u32(static_cast<uint32_t>(s.size()));
    raw(s);
  }
  void raw(std::string_view s) { out_.append(s.data(), s.size()); }

 private:
  template <typename T>
  void put_int(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out_.append(b, sizeof(T));
  }

  std::string& out_;
  bool ok_ = true;
};

/// Overwrites a u32 at `offset` (used to patch a length prefix once the body is written).
inline void patch_u32(std::string& out, size_t offset, uint32_t v) {
  std::memcpy(out.data() + offset, &v, sizeof(v));
}

}  // namespace symphony::protocol
