// Checksums of the link layers: CRC-16/X.25 (HDLC HCS and FCS) and the M-Bus arithmetic sum.
#pragma once

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

// EN 13757-2 long frame checksum: arithmetic sum modulo 256 of C, A, CI and user data.
std::uint8_t mbus_checksum(Bytes data) noexcept;

}  // namespace meterlab
