// P1 text: numbers, timestamps and the closing CRC line, as the DSMR meters write them. The CRC
// is the engine core's CRC-16/ARC (the same one the decoder checks with): never a second one.
#include <array>
#include <cstdio>

#include "meterlab/core/crc.hpp"
#include "meterlab/sim/encode.hpp"

namespace meterlab::sim {
namespace {

constexpr std::int64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

}  // namespace

std::string p1_number(std::int64_t raw, int int_digits, int frac_digits) {
  if (raw < 0) raw = 0;  // P1 registers and powers are never negative (export has its own line)
  const std::int64_t scale = kPow10[frac_digits];
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%0*lld", int_digits, static_cast<long long>(raw / scale));
  std::string out(buf, static_cast<std::size_t>(n));
  if (frac_digits > 0) {
    n = std::snprintf(buf, sizeof buf, ".%0*lld", frac_digits, static_cast<long long>(raw % scale));
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string p1_timestamp(int year, int month, int day, int hour, int minute, int second,
                         char flag) {
  char buf[16];
  int n = std::snprintf(buf, sizeof buf, "%02d%02d%02d%02d%02d%02d", year % 100, month, day, hour,
                        minute, second);
  std::string out(buf, static_cast<std::size_t>(n));
  if (flag != 0) out += flag;
  return out;
}

void p1_close(std::string& telegram, bool crc, std::string_view eol) {
  telegram += '!';
  if (crc) {
    const std::array<char, 4> digits = crc16_arc_text(
        crc16_arc(Bytes(reinterpret_cast<const std::uint8_t*>(telegram.data()), telegram.size())));
    telegram.append(digits.data(), digits.size());
  }
  telegram += eol;
}

}  // namespace meterlab::sim
