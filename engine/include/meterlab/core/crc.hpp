// Checksums of the link layers: CRC-16/X.25 (HDLC HCS and FCS), CRC-16/ARC (P1 telegrams) and
// the M-Bus arithmetic sum.
#pragma once

#include <array>
#include <cstdint>

#include "meterlab/core/bytes.hpp"

namespace meterlab {

// CRC-16/X.25 (poly 0x1021 reflected, init 0xFFFF, xorout 0xFFFF), as IEC 62056-46 / ISO 13239
// use for HCS and FCS. Slice-by-8 over tables generated at compile time. The result is sent on
// the wire least significant byte first.
std::uint16_t crc16_x25(Bytes data) noexcept;

// The same CRC one byte a step from a 256-entry table: the reference implementation that tests
// and benchmarks compare the fast one against.
std::uint16_t crc16_x25_bytewise(Bytes data) noexcept;

// CRC-16/ARC (poly 0x8005 reflected = 0xA001, init 0, no final XOR), as the DSMR 5.0.2 P1
// companion standard (clause 6.2) puts after the '!' of a telegram, over '/' to '!' inclusive.
// Slice-by-8 over tables generated at compile time, like crc16_x25.
std::uint16_t crc16_arc(Bytes data) noexcept;
// The same one byte a step: the reference the fast one is tested against.
std::uint16_t crc16_arc_bytewise(Bytes data) noexcept;
// A CRC-16/ARC as a P1 telegram writes it after the '!' (DSMR 5.0.2 clause 6.2): 4 hex digits,
// most significant first, upper case. The one spelling of it for every writer and checker.
constexpr std::array<char, 4> crc16_arc_text(std::uint16_t crc) noexcept {
  constexpr const char* kDigits = "0123456789ABCDEF";
  return {kDigits[(crc >> 12) & 0xF], kDigits[(crc >> 8) & 0xF], kDigits[(crc >> 4) & 0xF],
          kDigits[crc & 0xF]};
}

// The ways crc16_x25 and crc16_arc can run, slowest first: slice-by-8 tables, carry-less
// multiplication on 128-bit registers (PCLMULQDQ), and on 256-bit ones (VPCLMULQDQ with AVX2).
// They take the fastest this machine has; the `_by` forms let tests and benchmarks run each.
enum class CrcPath : std::uint8_t { table, clmul, clmul_wide };
// Whether this machine can run `path`.
bool crc_path_available(CrcPath path) noexcept;
// The CRCs by `path`, or by the fastest available path below it when it is not available.
std::uint16_t crc16_x25_by(CrcPath path, Bytes data) noexcept;
std::uint16_t crc16_arc_by(CrcPath path, Bytes data) noexcept;

// EN 13757-2 long frame checksum: arithmetic sum modulo 256 of C, A, CI and user data.
std::uint8_t mbus_checksum(Bytes data) noexcept;

}  // namespace meterlab
