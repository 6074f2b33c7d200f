#include "broker/core/envelope_store.h"

#include <bit>
#include <new>
#include <stdexcept>

namespace symphony::broker {

namespace {
constexpr size_t kMinCapacity = 16;
// grow past 80 % full: linear probing stays short there with a multiplicative hash
constexpr size_t kLoadNumerator = 4;
constexpr size_t kLoadDenominator = 5;
}  // namespace

EnvelopeStore::~EnvelopeStore() {
  for (uint64_t s : slots_) {
    if (s != 0) {
      Envelope* e = envelope_of(s);
      e->~Envelope();
      ::operator delete(e);
    }
  }
}

Envelope& EnvelopeStore::create(MessageId id, size_t body_size) {
  void* p = ::operator new(sizeof(Envelope) + body_size);
  if ((reinterpret_cast<uintptr_t>(p) & ~kAddressMask) != 0) {
    // Linux hands user space addresses above 2^47 only when asked for them
    ::operator delete(p);
    throw std::runtime_error("envelope store: an address above 48 bits");
  }
  auto* e = new (p) Envelope();
  e->id = id;
  e->body_size = static_cast<uint32_t>(body_size);
  if ((size_ + 1) * kLoadDenominator > slots_.size() * kLoadNumerator) {
    rehash(std::max(kMinCapacity, slots_.size() * 2));
  }
  while (!place(e)) rehash(slots_.size() * 2);
  ++size_;
  return *e;
}

bool EnvelopeStore::place(Envelope* e) {
  const uint64_t h = hash(e->id);
  size_t i = home(h);
  for (uint64_t d = 0; d <= kMaxDistance; ++d, i = (i + 1) & mask_) {
    if (slots_[i] == 0) {
      slots_[i] = reinterpret_cast<uintptr_t>(e) | (d << kAddressBits) | (tag(h) << 56);
      return true;
    }
  }
  return false;
}

void EnvelopeStore::rehash(size_t capacity) {
  std::vector<uint64_t> old;
  old.swap(slots_);
  for (;;) {
    slots_.assign(capacity, 0);
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
    bool placed = true;
    for (uint64_t s : old) {
      if (s != 0 && !place(envelope_of(s))) {
        placed = false;
        break;
      }
    }
    if (placed) return;
    capacity *= 2;  // a cluster too long for the distance bits: spread wider
  }
}

void EnvelopeStore::reserve(size_t n) {
  const size_t want =
      std::bit_ceil(std::max(kMinCapacity, n * kLoadDenominator / kLoadNumerator + 1));
  if (want > slots_.size()) rehash(want);
}

size_t EnvelopeStore::find_slot(MessageId id) const {
  if (size_ == 0) return slots_.size();
  const uint64_t h = hash(id);
  const uint64_t t = tag(h);
  size_t i = home(h);
  for (uint64_t d = 0; d <= kMaxDistance; ++d, i = (i + 1) & mask_) {
    const uint64_t s = slots_[i];
    if (s == 0) break;
    if (tag_of(s) == t && envelope_of(s)->id == id) return i;
  }
  return slots_.size();
}

Envelope* EnvelopeStore::find(MessageId id) {
  const size_t i = find_slot(id);
  return i == slots_.size() ? nullptr : envelope_of(slots_[i]);
}

const Envelope* EnvelopeStore::find(MessageId id) const {
  const size_t i = find_slot(id);
  return i == slots_.size() ? nullptr : envelope_of(slots_[i]);
}

void EnvelopeStore::erase(MessageId id) {
  size_t hole = find_slot(id);
  if (hole == slots_.size()) return;
  Envelope* e = envelope_of(slots_[hole]);
  e->~Envelope();
  ::operator delete(e);
  slots_[hole] = 0;
  --size_;
  // Backward shift: an entry after the hole moves into it if that keeps it at or after its home,
  // so that no probe sequence has a gap before its entry, and no tombstones are needed.
  size_t j = hole;
  for (;;) {
    j = (j + 1) & mask_;
    const uint64_t s = slots_[j];
    if (s == 0) return;
    const uint64_t gap = (j - hole) & mask_;
    const uint64_t d = distance_of(s);
    if (d >= gap) {
      slots_[hole] = (s & ~(uint64_t{0xFF} << kAddressBits)) | ((d - gap) << kAddressBits);
      slots_[j] = 0;
      hole = j;
    }
  }
}

}  // namespace symphony::broker
