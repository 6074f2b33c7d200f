// Replaces the global operator new with a counting one (see alloc_counter.h). libstdc++'s
// array and nothrow forms call this one, so they are counted too; the aligned forms are not.
#include "bench/micro/alloc_counter.h"

#include <cstdlib>
#include <new>

namespace {
// thread_local: benchmark threads do not race, and the suite's own thread reads only its count
thread_local uint64_t t_allocations = 0;
}  // namespace

namespace symphony::bench {
uint64_t allocations() {
  return t_allocations;
}
}  // namespace symphony::bench

void* operator new(std::size_t size) {
  ++t_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

// malloc above, so free here (the default deletes would also free, but keep the pair explicit)
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
