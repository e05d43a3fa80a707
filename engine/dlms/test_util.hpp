// Helpers shared by the dlms unit tests: hex literals and the public golden vectors.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "meterlab/core/hex.hpp"

namespace meterlab::dlms::test {

inline std::vector<std::uint8_t> hex(std::string_view s) {
  auto r = parse_hex(s);
  EXPECT_TRUE(r) << s;
  return r ? *r : std::vector<std::uint8_t>{};
}

inline nlohmann::json load_vector(const std::string& rel) {
  std::ifstream in(std::string(MLAB_SOURCE_DIR) + "/vectors/upstream/" + rel);
  EXPECT_TRUE(in.good()) << rel;
  return nlohmann::json::parse(in);
}

inline std::vector<std::uint8_t> vector_hex(const nlohmann::json& v, const char* field = "hex") {
  return hex(v[field].get<std::string>());
}

// The information field of each HDLC frame in a captured stream (IEC 62056-46 frame format
// type 3): 7E, format+length (2, length in the low 11 bits), destination address (`dst_len`
// bytes), source address (1), control (1), HCS (2), information, FCS (2), 7E. An LLC header
// E6 E7 00 at the start of the information is stripped (in the L&G GBT capture only the first
// frame has one). Only what these tests need: no address parsing, no checks beyond bounds.
inline std::vector<Bytes> hdlc_apdus(Bytes stream, std::size_t dst_len) {
  std::vector<Bytes> out;
  std::size_t pos = 0;
  while (pos + 3 <= stream.size()) {
    const std::size_t len = ((stream[pos + 1] & 0x07u) << 8) | stream[pos + 2];
    std::size_t info = pos + 1 + 2 + dst_len + 1 + 1 + 2;
    const std::size_t end = pos + 1 + len - 2;  // FCS before the closing flag
    if (len < 8 || pos + len + 2 > stream.size()) {
      ADD_FAILURE() << "bad HDLC frame at " << pos;
      break;
    }
    if (info + 3 <= end && stream[info] == 0xE6 && stream[info + 1] == 0xE7 &&
        stream[info + 2] == 0x00) {
      info += 3;
    }
    out.push_back(stream.subspan(info, end - info));
    pos += len + 2;
  }
  return out;
}

// M-Bus long frames (EN 13757-2): 68 L L 68 C A CI, then STSAP/DTSAP 01 67 (DLMS transport),
// data, CS 16. Concatenates the data of all frames (the ciphered APDU spread over segments).
inline std::vector<std::uint8_t> mbus_payload(Bytes stream) {
  std::vector<std::uint8_t> out;
  std::size_t pos = 0;
  while (pos + 4 <= stream.size()) {
    const std::size_t l = stream[pos + 1];
    const std::size_t first = pos + 9;    // 68 L L 68 C A CI 01 67
    const std::size_t end = pos + 4 + l;  // CS follows the L bytes counted from C
    if (l < 5 || pos + l + 6 > stream.size()) {
      ADD_FAILURE() << "bad M-Bus frame at " << pos;
      break;
    }
    out.insert(out.end(), stream.begin() + static_cast<std::ptrdiff_t>(first),
               stream.begin() + static_cast<std::ptrdiff_t>(end));
    pos += l + 6;
  }
  return out;
}

}  // namespace meterlab::dlms::test
