#pragma once
// Every live envelope, by id. An envelope and its body are one allocation (the 40-byte Envelope,
// then the body), and the index is an open-addressing table of 8-byte slots, so a queued
// 100-byte message costs about 176 + 10..13 bytes here. std::unordered_map<MessageId, Envelope>
// with the body in a std::string took 330 (docs/benchmarks.md, "Memory").
//
// Why not a library map: a slot is one word holding the envelope's address (48 bits), its
// distance from its home slot (8 bits, so erase shifts entries back without reading envelopes)
// and 8 more bits of its hash (so a probe rarely reads an envelope that is not the one sought).
// Flat maps from libraries keep the key beside the value, which would double the table.
//
// Not thread-safe: the core's thread owns it.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "broker/core/envelope.h"

namespace symphony::broker {

class EnvelopeStore {
 public:
  EnvelopeStore() = default;
  ~EnvelopeStore();
  EnvelopeStore(const EnvelopeStore&) = delete;
  EnvelopeStore& operator=(const EnvelopeStore&) = delete;

  /// A new envelope with `id` and room for `body_size` body bytes (to be written through
  /// body_data()); its other fields are zero. `id` must not be in the store.
  Envelope& create(MessageId id, size_t body_size);
  Envelope* find(MessageId id);
  const Envelope* find(MessageId id) const;
  /// Frees the envelope; nothing if `id` is not in the store.
  void erase(MessageId id);
  size_t size() const { return size_; }
  /// Sizes the table for `n` envelopes, so that loading them does not rehash.
  void reserve(size_t n);

  /// Visits every envelope, in no particular order. `fn` must not change the store.
  template <typename F>
  void for_each(F&& fn) const {
    for (uint64_t s : slots_) {
      if (s != 0) fn(*envelope_of(s));
    }
  }
  /// Visits every envelope id, in no particular order. Collect first, then change the store.
  template <typename F>
  void for_each_id(F&& fn) const {
    for (uint64_t s : slots_) {
      if (s != 0) fn(envelope_of(s)->id);
    }
  }

 private:
  static constexpr unsigned kAddressBits = 48;
  static constexpr uint64_t kAddressMask = (uint64_t{1} << kAddressBits) - 1;
  static constexpr uint64_t kMaxDistance = 255;

  static Envelope* envelope_of(uint64_t slot) {
    return reinterpret_cast<Envelope*>(static_cast<uintptr_t>(slot & kAddressMask));
  }
  static uint64_t distance_of(uint64_t slot) { return (slot >> kAddressBits) & 0xFF; }
  static uint64_t tag_of(uint64_t slot) { return slot >> 56; }
  static uint64_t hash(MessageId id) { return id * 0x9E3779B97F4A7C15ull; }  // Fibonacci
  size_t home(uint64_t h) const { return static_cast<size_t>(h >> shift_); }
  /// The 8 hash bits right below those that choose the home slot.
  uint64_t tag(uint64_t h) const { return (h >> (shift_ - 8)) & 0xFF; }
  /// Places `e`; false when it would land more than kMaxDistance from home (the caller grows).
  bool place(Envelope* e);
  void rehash(size_t capacity);
  size_t find_slot(MessageId id) const;  ///< slots_.size() when absent

  std::vector<uint64_t> slots_;  ///< 0: empty
  size_t mask_ = 0;
  unsigned shift_ = 64;
  size_t size_ = 0;
};

}  // namespace symphony::broker
