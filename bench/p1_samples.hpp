// The P1 telegrams of the benchmarks, prepared before any timed loop: the DSMR 5 telegram of
// the dsmr5-nl shape (vectors/p1/dsmr5-iskra-am550-nl.json: Iskra AM550, 890 bytes, 36 lines
// with a gas meter on M-Bus channel 1), and the Luxembourg Smarty telegram
// (vectors/p1/smarty-lu-sagemcom-encrypted-openhab.json) opened with the vector's keys and
// sealed again under the bench keys. Variant i of each has i added to the seconds of the
// telegram's clock and to the last digit of every kWh register, its CRC computed again; the
// Smarty ones are sealed under successive invocation counters.
#pragma once

#include <string_view>
#include <vector>

#include "meterlab/core/crc.hpp"
#include "meterlab/p1/secure.hpp"
#include "meterlab/testing/sample_frames.hpp"

namespace mlab_bench::p1 {

using meterlab::samples::Buf;
namespace samples = meterlab::samples;

inline constexpr std::size_t kDsmr5Readings = 37;   // the vector's expected readings
inline constexpr std::size_t kSmartyReadings = 28;  // the vector's expected readings

// Adds `i` (mod 10) to the digit at `at`.
inline void bump_digit(Buf& t, std::size_t at, std::size_t i) {
  t[at] = static_cast<std::uint8_t>('0' + (static_cast<std::size_t>(t[at] - '0') + i) % 10);
}

// The 4 hex digits after the '!' made to match the text again (CRC-16/ARC, '/' through '!').
inline void reseal_crc(Buf& t) {
  const std::string_view s(reinterpret_cast<const char*>(t.data()), t.size());
  const std::size_t bang = s.find('!');
  if (bang == std::string_view::npos || bang + 5 > t.size()) return;  // no CRC in this telegram
  const std::uint16_t crc = meterlab::crc16_arc(meterlab::Bytes(t).first(bang + 1));
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (std::size_t k = 0; k < 4; ++k) {
    t[bang + 1 + k] = static_cast<std::uint8_t>(kHex[(crc >> (12 - 4 * k)) & 0xF]);
  }
}

// Variant i of a P1 telegram (i < 10 keeps the seconds of any clock below 60).
inline Buf p1_variant(Buf t, std::size_t i) {
  const std::string_view s(reinterpret_cast<const char*>(t.data()), t.size());
  const std::size_t clock = s.find("0-0:1.0.0(");
  if (clock != std::string_view::npos) bump_digit(t, clock + 10 + 11, i);
  for (std::size_t at = s.find("*kWh)"); at != std::string_view::npos;
       at = s.find("*kWh)", at + 1)) {
    bump_digit(t, at - 1, i);
  }
  reseal_crc(t);
  return t;
}

inline const Buf& dsmr5_telegram() {
  static const Buf t = samples::vector_bytes("p1/dsmr5-iskra-am550-nl.json");
  return t;
}

inline std::vector<Buf> dsmr5_variants(std::size_t count) {
  std::vector<Buf> out;
  for (std::size_t i = 0; i < count; ++i) out.push_back(p1_variant(dsmr5_telegram(), i % 10));
  return out;
}

inline meterlab::dlms::Key key(std::string_view hex) {
  const Buf b = samples::hex(hex);
  meterlab::dlms::Key k{};
  std::copy(b.begin(), b.end(), k.begin());
  return k;
}

// The Smarty vector's plaintext telegram (its own keys: EK as published, AK as in the vector).
inline Buf smarty_plaintext() {
  const Buf frame = samples::vector_bytes("p1/smarty-lu-sagemcom-encrypted-openhab.json");
  meterlab::dlms::KeyRing keys;
  keys.add(std::nullopt, key("d491470f47126332b07d1923b3504188"),
           key("00112233445566778899aabbccddeeff"));
  std::vector<std::uint8_t> plaintext;
  const auto opened = meterlab::p1::open(frame, keys, plaintext);
  if (!opened) throw std::runtime_error("p1_samples: the Smarty vector did not open");
  return Buf(plaintext.begin(), plaintext.end());
}

// Smarty's system title ("SAG" + serial) and invocation counter, from the vector.
inline constexpr meterlab::dlms::SystemTitle kSmartyTitle = {0x53, 0x41, 0x47, 0x67,
                                                             0x70, 0x01, 0xBD, 0x54};
inline constexpr std::uint32_t kSmartyCounter = 0x0005A8E3;

inline std::vector<Buf> smarty_variants(std::size_t count) {
  static const Buf plain = smarty_plaintext();
  std::vector<Buf> out;
  for (std::size_t i = 0; i < count; ++i) {
    const Buf text = p1_variant(plain, i % 10);
    out.push_back(samples::glo_ciphered(0x30, kSmartyTitle,
                                        kSmartyCounter + static_cast<std::uint32_t>(i), text));
  }
  return out;
}

}  // namespace mlab_bench::p1
