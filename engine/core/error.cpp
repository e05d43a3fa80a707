#include "meterlab/core/error.hpp"

namespace meterlab {

std::string_view name(Layer layer) noexcept {
  switch (layer) {
    case Layer::core:
      return "core";
    case Layer::hdlc:
      return "hdlc";
    case Layer::mbus:
      return "mbus";
    case Layer::dlms:
      return "dlms";
    case Layer::security:
      return "security";
    case Layer::axdr:
      return "axdr";
    case Layer::cosem:
      return "cosem";
    case Layer::io:
      return "io";
    case Layer::p1:
      return "p1";
    case Layer::link:
      return "link";
  }
  return "unknown";
}

namespace {
struct ErrcInfo {
  Errc code;
  std::string_view name;
  std::string_view message;
};

// One row per code: the stable name used in JSON and the sentence for people.
constexpr ErrcInfo kErrcTable[] = {
    {Errc::ok, "ok", "no error"},
    {Errc::truncated, "truncated", "input ended inside a field"},
    {Errc::trailing_bytes, "trailing_bytes", "bytes left over after a complete structure"},
    {Errc::limit_exceeded, "limit_exceeded", "a hard limit was exceeded"},
    {Errc::bad_hex, "bad_hex", "not hex text (bad character or odd number of digits)"},
    {Errc::hdlc_garbage, "hdlc_garbage", "bytes outside any HDLC frame discarded"},
    {Errc::hdlc_bad_format, "hdlc_bad_format", "HDLC frame format is not type 3 (0xA)"},
    {Errc::hdlc_bad_length, "hdlc_bad_length", "HDLC length field too short or too long"},
    {Errc::hdlc_bad_address, "hdlc_bad_address",
     "HDLC address field not terminated within 4 bytes"},
    {Errc::hdlc_hcs_mismatch, "hdlc_hcs_mismatch", "HDLC header check sequence (HCS) mismatch"},
    {Errc::hdlc_fcs_mismatch, "hdlc_fcs_mismatch", "HDLC frame check sequence (FCS) mismatch"},
    {Errc::hdlc_missing_flag, "hdlc_missing_flag",
     "no closing 0x7E flag where the HDLC length ends"},
    {Errc::hdlc_truncated, "hdlc_truncated", "input ended inside an HDLC frame"},
    {Errc::hdlc_bad_llc, "hdlc_bad_llc", "LLC header is not E6 E7 00"},
    {Errc::hdlc_segment_orphan, "hdlc_segment_orphan",
     "HDLC continuation segment without a first segment"},
    {Errc::hdlc_segment_mismatch, "hdlc_segment_mismatch",
     "HDLC segment addresses differ from the message it continues"},
    {Errc::hdlc_message_too_long, "hdlc_message_too_long",
     "reassembled HDLC message exceeds the limit"},
    {Errc::mbus_garbage, "mbus_garbage", "bytes outside any M-Bus frame discarded"},
    {Errc::mbus_short_frame, "mbus_short_frame", "M-Bus E5 or short frame skipped (no DLMS data)"},
    {Errc::mbus_bad_length, "mbus_bad_length", "M-Bus L fields differ or are too small"},
    {Errc::mbus_checksum_mismatch, "mbus_checksum_mismatch", "M-Bus checksum mismatch"},
    {Errc::mbus_missing_stop, "mbus_missing_stop",
     "no 0x16 stop byte where the M-Bus L field ends"},
    {Errc::mbus_truncated, "mbus_truncated", "input ended inside an M-Bus frame"},
    {Errc::mbus_bad_ci, "mbus_bad_ci", "M-Bus CI field is not a DLMS transport CI (0x00-0x1F)"},
    {Errc::mbus_segment_lost, "mbus_segment_lost", "M-Bus segment missing: message dropped"},
    {Errc::mbus_segment_duplicate, "mbus_segment_duplicate", "M-Bus segment repeated"},
    {Errc::mbus_segment_order, "mbus_segment_order", "M-Bus segment out of order: message dropped"},
    {Errc::mbus_segment_orphan, "mbus_segment_orphan",
     "M-Bus continuation segment without a first segment"},
    {Errc::mbus_bad_tsap, "mbus_bad_tsap", "M-Bus STSAP/DTSAP is not 01 67"},
    {Errc::mbus_message_too_long, "mbus_message_too_long",
     "reassembled M-Bus message exceeds the limit"},
    {Errc::dlms_unknown_apdu, "dlms_unknown_apdu", "APDU type not decoded"},
    {Errc::dlms_bad_length, "dlms_bad_length", "APDU length malformed or beyond the APDU"},
    {Errc::dlms_bad_date_time, "dlms_bad_date_time", "data-notification date-time field malformed"},
    {Errc::dlms_gbt_out_of_order, "dlms_gbt_out_of_order",
     "general-block-transfer block out of order"},
    {Errc::dlms_gbt_orphan, "dlms_gbt_orphan",
     "general-block-transfer block without its first block"},
    {Errc::dlms_gbt_too_long, "dlms_gbt_too_long",
     "general-block-transfer message exceeds the limit"},
    {Errc::dlms_gbt_unfinished, "dlms_gbt_unfinished",
     "general-block-transfer without its last block: dropped"},
    {Errc::security_no_key, "security_no_key", "no key for this system title"},
    {Errc::security_unsupported, "security_unsupported", "security control byte not supported"},
    {Errc::security_auth_failed, "security_auth_failed",
     "GCM tag does not verify: frame corrupted or forged"},
    {Errc::security_wrong_key, "security_wrong_key",
     "decryption produced no valid APDU: wrong key"},
    {Errc::security_bad_header, "security_bad_header", "ciphered APDU header malformed"},
    {Errc::security_downgraded, "security_downgraded",
     "no authentication asked although the AK is known: downgraded or corrupted"},
    {Errc::axdr_unknown_type, "axdr_unknown_type", "unknown A-XDR type tag"},
    {Errc::axdr_too_deep, "axdr_too_deep", "A-XDR nesting deeper than the limit"},
    {Errc::axdr_too_many, "axdr_too_many", "A-XDR element count beyond the limit or the input"},
    {Errc::axdr_bad_value, "axdr_bad_value", "A-XDR value with an impossible encoding"},
    {Errc::cosem_unknown_layout, "cosem_unknown_layout",
     "notification body matches no known layout"},
    {Errc::cosem_layout_mismatch, "cosem_layout_mismatch", "element type differs from the layout"},
    {Errc::cosem_bad_date_time, "cosem_bad_date_time", "COSEM date-time with impossible fields"},
    {Errc::cosem_bad_obis, "cosem_bad_obis", "OBIS code is not 6 bytes"},
    {Errc::io_open_failed, "io_open_failed", "could not open the input"},
    {Errc::io_read_failed, "io_read_failed", "read from the input failed"},
    {Errc::p1_garbage, "p1_garbage", "bytes outside any P1 telegram discarded"},
    {Errc::p1_crc_mismatch, "p1_crc_mismatch", "P1 telegram CRC-16 mismatch"},
    {Errc::p1_bad_crc, "p1_bad_crc", "P1 '!' line is neither CRLF nor 4 hex digits"},
    {Errc::p1_truncated, "p1_truncated", "P1 telegram ended before its '!' line"},
    {Errc::p1_too_long, "p1_too_long", "no '!' within the longest P1 telegram accepted"},
    {Errc::p1_bad_line, "p1_bad_line", "P1 line is not OBIS(value): skipped"},
    {Errc::p1_bad_timestamp, "p1_bad_timestamp", "P1 timestamp with impossible fields"},
    {Errc::p1_bad_frame, "p1_bad_frame", "encrypted P1 frame header malformed"},
    {Errc::link_garbage, "link_garbage", "bytes that start no frame of any transport discarded"},
};

const ErrcInfo* find(Errc code) noexcept {
  for (const auto& row : kErrcTable) {
    if (row.code == code) return &row;
  }
  return nullptr;
}
}  // namespace

std::string_view name(Errc code) noexcept {
  const ErrcInfo* row = find(code);
  return row ? row->name : "unknown_error";
}

std::string_view message(Errc code) noexcept {
  const ErrcInfo* row = find(code);
  return row ? row->message : "unknown error";
}

}  // namespace meterlab
