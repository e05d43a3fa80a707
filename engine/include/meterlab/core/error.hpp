// Error codes of every layer, in ranges by layer, each with a stable name and a message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace meterlab {

enum class Layer : std::uint8_t { core, hdlc, mbus, dlms, security, axdr, cosem, io, p1, link };

// The numeric ranges are part of the contract: code / 100 is the layer.
enum class Errc : std::uint16_t {
  ok = 0,
  // core: 1..99
  truncated = 1,   // the input ended inside a field
  trailing_bytes,  // bytes left over after a complete structure
  limit_exceeded,  // a named hard limit (length, depth, count) was exceeded
  bad_hex,         // hex text with a non-hex character or an odd digit count
  // hdlc: 100..199
  hdlc_garbage = 100,     // bytes outside any frame (hunting for the 0x7E flag)
  hdlc_bad_format,        // frame format field is not type 3 (0xA)
  hdlc_bad_length,        // length field shorter than a header or longer than the limit
  hdlc_bad_address,       // an address field with no terminating bit within 4 bytes
  hdlc_hcs_mismatch,      // header check sequence wrong
  hdlc_fcs_mismatch,      // frame check sequence wrong
  hdlc_missing_flag,      // no closing 0x7E where the length says the frame ends
  hdlc_truncated,         // the stream ended inside a frame
  hdlc_bad_llc,           // LLC header present but not E6 E7 00
  hdlc_segment_orphan,    // a continuation segment without a first segment
  hdlc_segment_mismatch,  // a segment whose addresses differ from the message it continues
  hdlc_message_too_long,  // reassembled message over kMaxMessage
  // mbus: 200..299
  mbus_garbage = 200,      // bytes outside any frame
  mbus_short_frame,        // E5 or a short frame 10 C A CS 16: skipped, carries no DLMS data
  mbus_bad_length,         // the two L fields differ or L is too small
  mbus_checksum_mismatch,  // arithmetic checksum wrong
  mbus_missing_stop,       // no 0x16 where the L field says the frame ends
  mbus_truncated,          // the stream ended inside a frame
  mbus_bad_ci,             // CI field is not a DLMS transport CI (0x00-0x1F)
  mbus_segment_lost,       // a sequence number was skipped: the message is dropped
  mbus_segment_duplicate,  // the same sequence number twice
  mbus_segment_order,      // a sequence number lower than expected
  mbus_segment_orphan,     // a continuation segment without a first one
  mbus_bad_tsap,           // STSAP/DTSAP not 01 67
  mbus_message_too_long,   // reassembled message over kMaxMessage
  // dlms: 300..399
  dlms_unknown_apdu = 300,  // APDU tag this engine does not decode
  dlms_bad_length,          // a BER length that is malformed or exceeds the APDU
  dlms_bad_date_time,       // data-notification date-time field is neither 00, 0C+12 nor 09 0C+12
  dlms_gbt_out_of_order,    // general-block-transfer block number not the next one
  dlms_gbt_orphan,          // a GBT block that does not start a transfer and has none to continue
  dlms_gbt_too_long,        // reassembled GBT over kMaxMessage
  dlms_gbt_unfinished,      // a GBT without its last block at the end of input or a new message
  // security: 400..499
  security_no_key = 400,  // no key for this system title
  security_unsupported,   // security control byte this engine does not implement
  security_auth_failed,   // GCM tag did not verify: corrupted or forged
  security_wrong_key,     // decrypted to something that is not an APDU: wrong key
  security_bad_header,    // ciphered APDU header malformed (system title length, lengths)
  security_downgraded,    // SC without authentication from a meter whose AK is known
  // axdr: 500..599
  axdr_unknown_type = 500,  // a type tag outside the A-XDR data set
  axdr_too_deep,            // nesting deeper than kMaxDepth
  axdr_too_many,            // more nodes than kMaxNodes, or a count that cannot fit
  axdr_bad_value,           // a value of the right type but an impossible encoding
  // cosem: 600..699
  cosem_unknown_layout = 600,  // the body matched no layout
  cosem_layout_mismatch,       // a layout matched by its key but an element has the wrong type
  cosem_bad_date_time,         // a COSEM date-time with impossible fields
  cosem_bad_obis,              // an OBIS code that is not 6 bytes
  // io: 700..799
  io_open_failed = 700,
  io_read_failed,
  // p1: 800..899 (DSMR / IEC 62056-21 text telegrams)
  p1_garbage = 800,  // bytes outside any telegram (hunting for '/' or an encrypted frame)
  p1_crc_mismatch,   // the CRC after '!' differs from CRC-16/ARC over '/'..'!'
  p1_bad_crc,        // after '!' neither CRLF nor 4 hex digits
  p1_truncated,      // the telegram ended (input end or a new '/') before its '!' line
  p1_too_long,       // no '!' within kMaxTelegram bytes
  p1_bad_line,       // a line that is not OBIS(value)...: skipped, the rest still decodes
  p1_bad_timestamp,  // a YYMMDDhhmmssX timestamp with impossible fields: its value is null
  p1_bad_frame,      // an encrypted P1 frame (DB 08 ...) whose header is malformed
  // link: 900..999 (before the transport is known: no transport's own)
  link_garbage = 900,  // bytes that start no frame of any transport (auto-detection)
};

// One past the last code of the last layer's range (link: 900..999): the size of a table indexed
// by Errc. A new layer's range moves it.
inline constexpr std::size_t kErrcTableSize = 1000;
static_assert(static_cast<std::size_t>(Errc::link_garbage) < kErrcTableSize);

struct Error {
  Errc code = Errc::ok;
  std::size_t offset = 0;  // byte offset in the input of the layer that reported it
};

constexpr Layer layer_of(Errc e) noexcept {
  switch (static_cast<std::uint16_t>(e) / 100) {
    case 1:
      return Layer::hdlc;
    case 2:
      return Layer::mbus;
    case 3:
      return Layer::dlms;
    case 4:
      return Layer::security;
    case 5:
      return Layer::axdr;
    case 6:
      return Layer::cosem;
    case 7:
      return Layer::io;
    case 8:
      return Layer::p1;
    case 9:
      return Layer::link;
    default:
      return Layer::core;
  }
}

std::string_view name(Layer layer) noexcept;
std::string_view name(Errc code) noexcept;     // stable snake_case name, e.g. "hdlc_fcs_mismatch"
std::string_view message(Errc code) noexcept;  // one sentence for people

}  // namespace meterlab
