// Hex text <-> bytes. Parsing ignores white space (and ':' '-' separators) as captures paste it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/core/bytes.hpp"

namespace meterlab {

Result<std::vector<std::uint8_t>> parse_hex(std::string_view text);  // Errc::bad_hex with offset
std::string to_hex(Bytes data);                                      // lowercase, no separators

}  // namespace meterlab
