// xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number generators", 2018),
// its state filled by splitmix64 as the authors recommend. Written from the published
// description; the first outputs are pinned in model_test.cpp against an independent Python
// implementation.
#include "meterlab/sim/rng.hpp"

namespace meterlab::sim {
namespace {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;  // splitmix64's increment (2^64 / phi)

constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// splitmix64's output function: a bijection of 64-bit words with good avalanche.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

Rng::Rng(std::uint64_t seed) noexcept : seed_(seed) {
  // splitmix64: add the increment, then mix. Its outputs are distinct for four consecutive
  // states, so the xoshiro state is never all zero.
  std::uint64_t x = seed;
  for (auto& word : s_) {
    x += kGolden;
    word = mix64(x);
  }
}

std::uint64_t Rng::next() noexcept {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() noexcept {
  // The top 53 bits scaled by 2^-53: every value is exact, the result is in [0, 1).
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double Rng::uniform(double lo, double hi) noexcept {
  const double x = lo + (hi - lo) * uniform();
  return x < hi ? x : lo;  // rounding may reach hi when the span is tiny
}

std::int64_t Rng::uniform_int(std::int64_t lo, std::int64_t hi) noexcept {
  if (hi <= lo) return lo;
  // Unsigned arithmetic: hi - lo may not fit an int64. span == 0 means all 2^64 values.
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
  std::uint64_t x = next();
  if (span != 0) {
    // Reject the lowest (2^64 mod span) values so every residue is equally likely.
    const std::uint64_t threshold = (0 - span) % span;
    while (x < threshold) x = next();
    x %= span;
  }
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + x);
}

bool Rng::chance(double p) noexcept {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return uniform() < p;
}

double Rng::normal(double mean, double sd) noexcept {
  // Irwin-Hall: the sum of 12 uniforms has mean 6 and variance 1; tails end at +-6 sd.
  double sum = 0;
  for (int i = 0; i < 12; ++i) sum += uniform();
  return mean + sd * (sum - 6.0);
}

Rng Rng::fork(std::uint64_t stream_id) const noexcept {
  // Depends only on the seed and the id, not on what was drawn. Distinct ids give distinct child
  // seeds (both steps are bijections of the id).
  return Rng(mix64(mix64(seed_ ^ 0x6A09E667F3BCC909ULL) + stream_id * kGolden));
}

}  // namespace meterlab::sim
