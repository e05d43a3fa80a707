// Test-only: the replaceable global allocation functions ([new.delete.single],
// [new.delete.array]), each form that allocates counted once, all ending in malloc/free. The
// allocation tests (no heap allocation per frame or telegram in steady state) read the count.
// Include it in exactly one source file of a test program: it defines the functions.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

// The replacement operator delete below frees with std::free what the replacement operator new
// took with std::malloc; GCC, seeing both inlined, cannot tell they are a pair.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace meterlab::test {
inline std::atomic<std::uint64_t> g_allocations{0};
}  // namespace meterlab::test

void* operator new(std::size_t size) {
  meterlab::test::g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  meterlab::test::g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return ::operator new(size, tag);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
