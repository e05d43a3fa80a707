#include "meterlab/core/crc.hpp"

#include <array>

namespace meterlab {
namespace {

constexpr std::uint16_t kX25PolyReflected = 0x8408;

// kTables[0] is the classic byte table; kTables[k][b] advances the CRC of byte b by k more zero
// bytes, which is what slice-by-8 needs.
constexpr std::array<std::array<std::uint16_t, 256>, 8> make_tables() {
  std::array<std::array<std::uint16_t, 256>, 8> t{};
  for (unsigned b = 0; b < 256; ++b) {
    std::uint16_t crc = static_cast<std::uint16_t>(b);
    for (int i = 0; i < 8; ++i) {
      crc = static_cast<std::uint16_t>((crc & 1U) ? (crc >> 1) ^ kX25PolyReflected : crc >> 1);
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

constexpr auto kTables = make_tables();

inline std::uint16_t step(std::uint16_t crc, std::uint8_t byte) noexcept {
  return static_cast<std::uint16_t>((crc >> 8) ^ kTables[0][(crc ^ byte) & 0xFFU]);
}

}  // namespace

std::uint16_t crc16_x25_bytewise(Bytes data) noexcept {
  std::uint16_t crc = 0xFFFF;
  for (std::uint8_t byte : data) crc = step(crc, byte);
  return static_cast<std::uint16_t>(crc ^ 0xFFFF);
}

std::uint16_t crc16_x25(Bytes data) noexcept {
  std::uint16_t crc = 0xFFFF;
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
  while (n--) crc = step(crc, *p++);
  return static_cast<std::uint16_t>(crc ^ 0xFFFF);
}

std::uint8_t mbus_checksum(Bytes data) noexcept {
  unsigned sum = 0;
  for (std::uint8_t byte : data) sum += byte;
  return static_cast<std::uint8_t>(sum & 0xFFU);
}

}  // namespace meterlab
