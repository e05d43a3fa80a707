// Seeded pseudo-random numbers that give the same sequence on every machine: xoshiro256** seeded
// through splitmix64 (Blackman and Vigna's published algorithms), and distributions built only
// from integer operations and IEEE + - * / (no <random> distributions, whose output differs
// between standard libraries, and no libm transcendental functions).
#pragma once

#include <array>
#include <cstdint>

namespace meterlab::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) noexcept;

  std::uint64_t next() noexcept;                                        // 64 random bits
  double uniform() noexcept;                                            // [0, 1), 53 bits
  double uniform(double lo, double hi) noexcept;                        // [lo, hi)
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) noexcept;  // [lo, hi], unbiased
  bool chance(double p) noexcept;                                       // true with probability p
  double normal(double mean, double sd) noexcept;  // Irwin-Hall (sum of 12 uniforms - 6)
  // An independent stream for a named purpose: same seed + same stream id -> same numbers,
  // whatever else was drawn from this generator.
  Rng fork(std::uint64_t stream_id) const noexcept;

 private:
  std::array<std::uint64_t, 4> s_{};
  std::uint64_t seed_ = 0;
};

}  // namespace meterlab::sim
