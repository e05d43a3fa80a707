#include "meterlab/core/crc.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MLAB_CRC_CLMUL 1
#include <immintrin.h>
#endif

namespace meterlab {
namespace {

constexpr std::uint16_t kX25PolyReflected = 0x8408;
constexpr std::uint16_t kArcPolyReflected = 0xA001;  // x^16 + x^15 + x^2 + 1 (CRC-16/ARC)
constexpr std::uint32_t kX25Poly = 0x11021;          // x^16 + x^12 + x^5 + 1
constexpr std::uint32_t kArcPoly = 0x18005;          // x^16 + x^15 + x^2 + 1

using Tables = std::array<std::array<std::uint16_t, 256>, 8>;

// kTables[0] is the classic byte table of a reflected 16-bit CRC; t[k][b] advances the CRC of
// byte b by k more zero bytes, which is what slice-by-8 needs.
constexpr Tables make_tables(std::uint16_t poly_reflected) {
  Tables t{};
  for (unsigned b = 0; b < 256; ++b) {
    std::uint16_t crc = static_cast<std::uint16_t>(b);
    for (int i = 0; i < 8; ++i) {
      crc = static_cast<std::uint16_t>((crc & 1U) ? (crc >> 1) ^ poly_reflected : crc >> 1);
    }
    t[0][b] = crc;
  }
  for (unsigned b = 0; b < 256; ++b) {
    for (std::size_t k = 1; k < 8; ++k) {
      std::uint16_t prev = t[k - 1][b];
      t[k][b] = static_cast<std::uint16_t>((prev >> 8) ^ t[0][prev & 0xFFU]);
    }
  }
  return t;
}

constexpr Tables kX25Tables = make_tables(kX25PolyReflected);
constexpr Tables kArcTables = make_tables(kArcPolyReflected);

template <const Tables& kTables>
inline std::uint16_t step(std::uint16_t crc, std::uint8_t byte) noexcept {
  return static_cast<std::uint16_t>((crc >> 8) ^ kTables[0][(crc ^ byte) & 0xFFU]);
}

// The CRC register over `data`, slice-by-8, without the final XOR.
template <const Tables& kTables>
std::uint16_t update_slice_by_8(std::uint16_t crc, Bytes data) noexcept {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  while (n >= 8) {
    // The 16-bit CRC folds into the first two bytes of the block; each byte is then looked up in
    // the table that carries it over the bytes that follow it in the block.
    std::uint8_t b0 = static_cast<std::uint8_t>(p[0] ^ (crc & 0xFFU));
    std::uint8_t b1 = static_cast<std::uint8_t>(p[1] ^ (crc >> 8));
    crc = static_cast<std::uint16_t>(kTables[7][b0] ^ kTables[6][b1] ^ kTables[5][p[2]] ^
                                     kTables[4][p[3]] ^ kTables[3][p[4]] ^ kTables[2][p[5]] ^
                                     kTables[1][p[6]] ^ kTables[0][p[7]]);
    p += 8;
    n -= 8;
  }
  while (n--) crc = step<kTables>(crc, *p++);
  return crc;
}

}  // namespace

std::uint16_t crc16_x25_bytewise(Bytes data) noexcept {
  std::uint16_t crc = 0xFFFF;
  for (std::uint8_t byte : data) crc = step<kX25Tables>(crc, byte);
  return static_cast<std::uint16_t>(crc ^ 0xFFFF);
}

std::uint16_t crc16_arc_bytewise(Bytes data) noexcept {
  std::uint16_t crc = 0;
  for (std::uint8_t byte : data) crc = step<kArcTables>(crc, byte);
  return crc;
}

namespace {

#ifdef MLAB_CRC_CLMUL

// Folding with carry-less multiplication (the method of Intel's "Fast CRC Computation for Generic
// Polynomials Using PCLMULQDQ", applied to a reflected 16-bit CRC: X.25 and ARC). A 16-byte block
// loaded little-endian holds its message bits reflected: byte 0 bit 0 is the highest power,
// x^127. A block A followed by 128 more bits contributes A(x) * x^128 mod P, and with
// A = H x^64 + L (H the low quadword, L the high one) that is H (x^192 mod P) + L (x^128 mod P):
// two 64 x 16-bit carry-less products that land, reflected, inside the next block. A product of
// two reflected operands comes out one bit short of the reflected position, hence the constants
// for x^191 and x^127. What is left (one block and the tail) is finished by the table, which
// preserves the value mod P.

constexpr std::uint32_t x_pow_mod_p(std::uint32_t poly, unsigned n) {
  std::uint32_t r = 1;
  for (unsigned i = 0; i < n; ++i) {
    r <<= 1;
    if ((r & 0x10000U) != 0) r ^= poly;
  }
  return r;
}

constexpr std::uint64_t reflect64(std::uint64_t v) {
  std::uint64_t r = 0;
  for (unsigned i = 0; i < 64; ++i) r |= ((v >> i) & 1U) << (63 - i);
  return r;
}

constexpr std::size_t kClmulMin = 32;  // shorter inputs are quicker with the table alone

// The fold constants of a distance of `bits` (reflected): the low half of the register is
// multiplied by x^(bits+63) mod P, the high half by x^(bits-1) mod P.
template <std::uint32_t kPoly, unsigned kBits>
__attribute__((target("pclmul,sse2"))) __m128i fold_constants() noexcept {
  constexpr std::uint64_t kLow = reflect64(x_pow_mod_p(kPoly, kBits + 63));
  constexpr std::uint64_t kHigh = reflect64(x_pow_mod_p(kPoly, kBits - 1));
  return _mm_set_epi64x(static_cast<long long>(kHigh), static_cast<long long>(kLow));
}

// `acc` carried across a distance (its constants `k`) onto the 16 bytes there, `next`.
__attribute__((target("pclmul,sse2"))) inline __m128i fold(__m128i acc, __m128i k,
                                                           __m128i next) noexcept {
  const __m128i h = _mm_clmulepi64_si128(acc, k, 0x00);
  const __m128i l = _mm_clmulepi64_si128(acc, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(h, l), next);
}

__attribute__((target("sse2"))) inline __m128i load16(const std::uint8_t* p) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// `acc` (the register over the bytes before `p`) folded over the 16-byte blocks of [p, p + n),
// then the rest finished by the table.
template <std::uint32_t kPoly, const Tables& kTables>
__attribute__((target("pclmul,sse2"), always_inline)) inline std::uint16_t finish_clmul(
    __m128i acc, const std::uint8_t* p, std::size_t n) noexcept {
  const __m128i k = fold_constants<kPoly, 128>();
  for (; n >= 16; p += 16, n -= 16) acc = fold(acc, k, load16(p));
  std::uint8_t last[16];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(last), acc);
  const std::uint16_t crc = update_slice_by_8<kTables>(0, Bytes(last, sizeof last));
  return update_slice_by_8<kTables>(crc, Bytes(p, n));
}

// The CRC register over `data` (at least kClmulMin bytes) from `init`, without a final XOR.
// From 128 bytes on, four registers fold 64-byte blocks side by side (the products of one do
// not wait for another's), then fold into one; one register folds the 16-byte blocks left.
template <std::uint32_t kPoly, const Tables& kTables>
__attribute__((target("pclmul,sse2"))) std::uint16_t crc16_clmul(Bytes data,
                                                                 std::uint16_t init) noexcept {
  constexpr std::size_t kLanes = 4;
  constexpr std::size_t kBlock = 16 * kLanes;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  // The initial register goes into the first two message bytes.
  __m128i acc = _mm_xor_si128(load16(p), _mm_cvtsi32_si128(init));
  if (n < 2 * kBlock) return finish_clmul<kPoly, kTables>(acc, p + 16, n - 16);
  const __m128i k = fold_constants<kPoly, 128>();
  const __m128i k4 = fold_constants<kPoly, 8 * kBlock>();
  __m128i lane[kLanes] = {acc, load16(p + 16), load16(p + 32), load16(p + 48)};
  for (p += kBlock, n -= kBlock; n >= kBlock; p += kBlock, n -= kBlock) {
    for (std::size_t i = 0; i < kLanes; ++i) lane[i] = fold(lane[i], k4, load16(p + 16 * i));
  }
  acc = lane[0];
  for (std::size_t i = 1; i < kLanes; ++i) acc = fold(acc, k, lane[i]);
  return finish_clmul<kPoly, kTables>(acc, p, n);
}

bool has_clmul() noexcept {
  return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
}

// The same fold on 256-bit registers (VPCLMULQDQ with AVX2: Intel from Ice Lake and Alder Lake,
// AMD from Zen 3): each register holds two 16-byte lanes and multiplies both at once, so the
// four lanes of crc16_clmul take two registers, and four registers fold 128 bytes a step.
#define MLAB_CRC_WIDE_TARGET "avx2,vpclmulqdq,pclmul,sse2"
constexpr std::size_t kWideMin = 256;  // below, crc16_clmul is as quick

__attribute__((target(MLAB_CRC_WIDE_TARGET))) inline __m256i load32(
    const std::uint8_t* p) noexcept {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

__attribute__((target(MLAB_CRC_WIDE_TARGET))) inline __m256i fold(__m256i acc, __m256i k,
                                                                  __m256i next) noexcept {
  const __m256i h = _mm256_clmulepi64_epi128(acc, k, 0x00);
  const __m256i l = _mm256_clmulepi64_epi128(acc, k, 0x11);
  return _mm256_xor_si256(_mm256_xor_si256(h, l), next);
}

template <std::uint32_t kPoly, unsigned kBits>
__attribute__((target(MLAB_CRC_WIDE_TARGET))) __m256i wide_constants() noexcept {
  return _mm256_broadcastsi128_si256(fold_constants<kPoly, kBits>());
}

template <std::uint32_t kPoly, const Tables& kTables>
__attribute__((target(MLAB_CRC_WIDE_TARGET))) std::uint16_t crc16_clmul_wide(
    Bytes data, std::uint16_t init) noexcept {
  constexpr std::size_t kBlock = 128;  // four registers (named: an array of them is spilt)
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  __m256i r0 = _mm256_xor_si256(load32(p), _mm256_zextsi128_si256(_mm_cvtsi32_si128(init)));
  __m256i r1 = load32(p + 32);
  __m256i r2 = load32(p + 64);
  __m256i r3 = load32(p + 96);
  const __m256i k_block = wide_constants<kPoly, 8 * kBlock>();
  for (p += kBlock, n -= kBlock; n >= kBlock; p += kBlock, n -= kBlock) {
    r0 = fold(r0, k_block, load32(p));
    r1 = fold(r1, k_block, load32(p + 32));
    r2 = fold(r2, k_block, load32(p + 64));
    r3 = fold(r3, k_block, load32(p + 96));
  }
  // The registers into one, in two steps (64 bytes apart, then 32), then 32-byte blocks, then
  // its two lanes into one, 16 bytes apart.
  const __m256i k64 = wide_constants<kPoly, 512>();
  const __m256i k32 = wide_constants<kPoly, 256>();
  __m256i one = fold(fold(r0, k64, r2), k32, fold(r1, k64, r3));
  for (; n >= 32; p += 32, n -= 32) one = fold(one, k32, load32(p));
  const __m128i k = fold_constants<kPoly, 128>();
  const __m128i acc = fold(_mm256_castsi256_si128(one), k, _mm256_extracti128_si256(one, 1));
  // The upper halves of the registers cleared before any SSE code runs (GCC 12 puts no
  // VZEROUPPER here): left dirty, every SSE instruction after it, Botan's AES and GHASH
  // included, runs slower (Botan's GCM call 470 -> 620 ns, bench/README.md "Sixth round").
  _mm256_zeroupper();
  return finish_clmul<kPoly, kTables>(acc, p, n);
}

bool has_clmul_wide() noexcept {
  return has_clmul() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("vpclmulqdq");
}

#endif

}  // namespace

namespace {

// The fastest path this machine has, found once before main(). Read before that (another static
// initializer computing a CRC), it is still zero: the table, which is right on every machine.
CrcPath find_fastest_path() noexcept {
#ifdef MLAB_CRC_CLMUL
  __builtin_cpu_init();  // a static initializer may run before libgcc's own
  if (has_clmul_wide()) return CrcPath::clmul_wide;
  if (has_clmul()) return CrcPath::clmul;
#endif
  return CrcPath::table;
}
const CrcPath kFastest = find_fastest_path();

// The CRC register over `data` from `init` by `path` (one this machine has), without a final
// XOR. Each fold takes the lengths it is quicker on.
template <std::uint32_t kPoly, const Tables& kTables>
inline std::uint16_t crc_register(CrcPath path, Bytes data, std::uint16_t init) noexcept {
#ifdef MLAB_CRC_CLMUL
  if (path == CrcPath::clmul_wide && data.size() >= kWideMin) {
    return crc16_clmul_wide<kPoly, kTables>(data, init);
  }
  if (path != CrcPath::table && data.size() >= kClmulMin) {
    return crc16_clmul<kPoly, kTables>(data, init);
  }
#else
  (void)path;
#endif
  return update_slice_by_8<kTables>(init, data);
}

}  // namespace

bool crc_path_available(CrcPath path) noexcept { return path <= kFastest; }

std::uint16_t crc16_x25_by(CrcPath path, Bytes data) noexcept {
  const std::uint16_t crc =
      crc_register<kX25Poly, kX25Tables>(std::min(path, kFastest), data, 0xFFFF);
  return static_cast<std::uint16_t>(crc ^ 0xFFFF);
}

std::uint16_t crc16_arc_by(CrcPath path, Bytes data) noexcept {
  return crc_register<kArcPoly, kArcTables>(std::min(path, kFastest), data, 0);
}

std::uint16_t crc16_x25(Bytes data) noexcept {
  const std::uint16_t crc = crc_register<kX25Poly, kX25Tables>(kFastest, data, 0xFFFF);
  return static_cast<std::uint16_t>(crc ^ 0xFFFF);
}

// CRC-16/ARC: init 0, no final XOR; folded like crc16_x25.
std::uint16_t crc16_arc(Bytes data) noexcept {
  return crc_register<kArcPoly, kArcTables>(kFastest, data, 0);
}

// Eight bytes a step (SWAR). E holds the even bytes of each word in 16-bit lanes, and the sum of
// the whole words minus E is the odd bytes' lanes shifted up by 8: a lane below ends under the
// odd byte of the lane above, so nothing carries into it. Each lane's low byte is its sum modulo
// 256, exact while no lane reaches 2^16: 128 words add at most 128 * 255 to one lane.
std::uint8_t mbus_checksum(Bytes data) noexcept {
  constexpr std::uint64_t kEvenBytes = 0x00FF00FF00FF00FFULL;
  constexpr std::uint64_t kAddLanes = 0x0001000100010001ULL;  // the four lanes into the top one
  constexpr std::size_t kWordsPerFold = 128;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  std::uint64_t sum = 0;
  while (n >= 8) {
    const std::size_t words = std::min(n / 8, kWordsPerFold);
    std::uint64_t all = 0;
    std::uint64_t even = 0;
    for (std::size_t i = 0; i < words; ++i, p += 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      all += w;
      even += w & kEvenBytes;
    }
    const std::uint64_t odd = ((all - even) >> 8) & kEvenBytes;
    sum += (((even & kEvenBytes) + odd) * kAddLanes) >> 48;  // lanes <= 510: no carry out
    n -= words * 8;
  }
  for (; n > 0; --n, ++p) sum += *p;
  return static_cast<std::uint8_t>(sum & 0xFFU);
}

}  // namespace meterlab
