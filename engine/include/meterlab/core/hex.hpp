// Hex text <-> bytes. Parsing ignores white space (and ':' '-' separators) as captures paste it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/core/bytes.hpp"

namespace meterlab {

// The value of one hex digit (either case), -1 for any other character.
constexpr int hex_nibble(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::vector<std::uint8_t>> parse_hex(std::string_view text);  // Errc::bad_hex with offset
std::string to_hex(Bytes data);                                      // lowercase, no separators

}  // namespace meterlab
