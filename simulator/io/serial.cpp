// Serial line settings ("2400 8E1") and the --speed argument.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "meterlab/core/serial_line.hpp"
#include "meterlab/sim/io.hpp"

namespace meterlab::sim {
namespace {

// Parses all of `text` as a decimal integer (no sign, no spaces).
std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

Duration SerialSettings::airtime_ms(std::size_t n) const noexcept {
  // Integer ceiling of n * bits * 1000 / baud: 157 bytes at 2400 8E1 = 719.58 ms -> 720.
  const auto bits = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(bits_per_byte());
  const auto baud_u = static_cast<std::uint64_t>(baud);
  return static_cast<Duration>((bits * 1000 + baud_u - 1) / baud_u);
}

std::optional<SerialSettings> SerialSettings::parse(std::string_view text) {
  // "<baud> <data bits><parity><stop bits>", one or more spaces between the two parts.
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::size_t frame_at = text.find_first_not_of(' ', space);
  if (frame_at == std::string_view::npos) return std::nullopt;
  const std::string_view frame = text.substr(frame_at);
  const std::optional<int> baud = parse_int(text.substr(0, space));
  if (!baud || !serial_line::termios_speed(*baud) || frame.size() != 3) return std::nullopt;

  SerialSettings s;
  s.baud = *baud;
  s.data_bits = frame[0] - '0';
  s.parity = serial_line::parity_letter(frame[1]);
  s.stop_bits = frame[2] - '0';
  if (!serial_line::valid_data_bits(s.data_bits) || s.parity == '\0') return std::nullopt;
  if (!serial_line::valid_stop_bits(s.stop_bits)) return std::nullopt;
  return s;
}

std::string SerialSettings::to_string() const {
  std::string out = std::to_string(baud);
  out += ' ';
  out += std::to_string(data_bits);
  out += parity;
  out += std::to_string(stop_bits);
  return out;
}

std::optional<Speed> Speed::parse(std::string_view text) {
  if (text == "realtime") return Speed{};
  if (text == "max") return Speed{.max = true, .factor = 1.0};
  double factor = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, factor, std::chars_format::fixed);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  if (!std::isfinite(factor) || factor <= 0) return std::nullopt;
  return Speed{.max = false, .factor = factor};
}

}  // namespace meterlab::sim
