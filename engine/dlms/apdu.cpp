// The xDLMS APDUs a push meter sends (IEC 62056-5-3, DLMS Green Book 9.3): data-notification,
// general-glo/ded-ciphering and general-block-transfer. Each parser reads through a ByteReader,
// checks every length against what is left, and ends with nothing left over.
#include "meterlab/dlms/apdu.hpp"

#include <algorithm>

namespace meterlab::dlms {

namespace {

// Green Book 9.3 data-notification: date-time is an OPTIONAL octet-string. Meters send it as
// 00 (absent), 0C + 12 bytes (bare length, no octet-string tag) or 09 0C + 12 bytes (tagged).
constexpr std::uint8_t kDateTimeAbsent = 0x00;
constexpr std::uint8_t kOctetStringTag = 0x09;
constexpr std::size_t kDateTimeLength = 12;

Result<DateTimeForm> read_date_time(ByteReader& r, Bytes& out) {
  const std::size_t at = r.offset();
  MLAB_ASSIGN(std::uint8_t first, r.read_u8());
  if (first == kDateTimeAbsent) return DateTimeForm::absent;
  DateTimeForm form = DateTimeForm::bare;
  if (first == kOctetStringTag) {
    form = DateTimeForm::tagged;
    MLAB_ASSIGN(first, r.read_u8());
  }
  if (first != kDateTimeLength) return fail(Errc::dlms_bad_date_time, at);
  MLAB_ASSIGN(out, r.read_bytes(kDateTimeLength));
  return form;
}

// Security control byte: authentication bit (Green Book 9.2.7.2.4.1).
constexpr std::uint8_t kScAuthentication = 0x10;
constexpr std::size_t kSystemTitleLength = 8;
constexpr std::size_t kTagLength = 12;  // DLMS GCM tag: 12 bytes (security suite 0/1)

}  // namespace

// Into `n` in place: the decoder's hot path copies no DataNotification (a struct written field
// by field and then copied whole stalls store-to-load forwarding).
Result<void> parse_data_notification(Bytes apdu, DataNotification& n) {
  ByteReader r(apdu);
  MLAB_ASSIGN(std::uint8_t tag, r.read_u8());
  if (tag != kDataNotification) return fail(Errc::dlms_unknown_apdu, 0);
  n = DataNotification{};
  MLAB_ASSIGN(n.long_invoke_id_and_priority, r.read_u32be());
  MLAB_ASSIGN(n.date_time_form, read_date_time(r, n.date_time));
  // notification-body is one A-XDR value: it cannot be empty.
  if (r.empty()) return fail(Errc::truncated, r.offset());
  n.body_offset = r.offset();
  n.body = r.rest();
  return {};
}

// BER definite length (X.690 8.1.3): short form below 0x80, long form 81 xx or 82 xx xx.
// Longer forms would exceed kMaxMessage and are refused.
Result<std::size_t> read_ber_length(ByteReader& r) {
  const std::size_t at = r.offset();
  MLAB_ASSIGN(std::uint8_t first, r.read_u8());
  if (first < 0x80) return std::size_t{first};
  if (first == 0x81) {
    MLAB_ASSIGN(std::uint8_t len, r.read_u8());
    return std::size_t{len};
  }
  if (first == 0x82) {
    MLAB_ASSIGN(std::uint16_t len, r.read_u16be());
    return std::size_t{len};
  }
  return fail(Errc::dlms_bad_length, at);
}

// general-glo-ciphering / general-ded-ciphering (Green Book 9.3.6): system-title (octet-string
// of 8), then ciphered-content as an octet-string with a BER length: SC, IC, ciphertext [, tag].
// Every header fault (system title length, the length field, room for SC/IC/tag) is
// security_bad_header, at the offset of the field at fault. Into `c` in place (the decoder's hot
// path: no CipheredApdu copied, see parse_data_notification).
Result<void> parse_ciphered(Bytes apdu, CipheredApdu& c) {
  ByteReader r(apdu);
  MLAB_ASSIGN(std::uint8_t tag, r.read_u8());
  if (tag != kGeneralGloCiphering && tag != kGeneralDedCiphering) {
    return fail(Errc::dlms_unknown_apdu, 0);
  }
  c = CipheredApdu{};
  c.tag = tag;
  const std::size_t st_len_at = r.offset();
  MLAB_ASSIGN(std::uint8_t st_len, r.read_u8());
  if (st_len != kSystemTitleLength) return fail(Errc::security_bad_header, st_len_at);
  MLAB_ASSIGN(Bytes st, r.read_bytes(kSystemTitleLength));
  std::copy(st.begin(), st.end(), c.system_title.begin());
  const std::size_t len_at = r.offset();
  auto len = read_ber_length(r);
  if (!len && len.error().code == Errc::dlms_bad_length) {
    return fail(Errc::security_bad_header, len_at);
  }
  MLAB_TRY(len);
  // The length covers SC .. end and must be exactly what is left: SC (1) + IC (4) at least.
  if (*len != r.remaining() || *len < 5) return fail(Errc::security_bad_header, len_at);
  MLAB_ASSIGN(c.security_control, r.read_u8());
  MLAB_ASSIGN(c.invocation_counter, r.read_u32be());
  c.ciphertext_offset = r.offset();
  std::size_t tag_len = (c.security_control & kScAuthentication) ? kTagLength : 0;
  if (tag_len > r.remaining()) return fail(Errc::security_bad_header, len_at);
  MLAB_ASSIGN(c.ciphertext, r.read_bytes(r.remaining() - tag_len));
  MLAB_ASSIGN(c.tag_bytes, r.read_bytes(tag_len));
  MLAB_TRY(r.expect_end());
  return {};
}

void GbtAssembler::reset() noexcept {
  buf_.clear();
  next_block_ = 1;
  blocks_ = 0;
  pending_ = false;
}

// general-block-transfer (Green Book 9.3.10): E0, block-control, block-number (2),
// block-number-acknowledged (2), block-data as an octet-string with a BER length. A push meter
// streams the blocks without waiting for acknowledgements; only the order is checked here.
// Block 1 always starts a new transfer (abandoning an unfinished one).
Result<GbtBlock> read_gbt_block(Bytes gbt_apdu) {
  ByteReader r(gbt_apdu);
  MLAB_ASSIGN(std::uint8_t tag, r.read_u8());
  if (tag != kGeneralBlockTransfer) return fail(Errc::dlms_unknown_apdu, 0);
  GbtBlock b;
  MLAB_ASSIGN(b.control, r.read_u8());
  MLAB_ASSIGN(b.number, r.read_u16be());
  MLAB_ASSIGN(b.ack, r.read_u16be());
  MLAB_ASSIGN(std::size_t len, read_ber_length(r));
  if (len != r.remaining()) return fail(Errc::dlms_bad_length, kGbtLengthAt);
  b.data = r.rest();
  return b;
}

Result<bool> GbtAssembler::push(Bytes gbt_apdu) {
  MLAB_ASSIGN(const GbtBlock block, read_gbt_block(gbt_apdu));
  const std::uint16_t number = block.number;
  if (number == 1) {
    reset();
  } else if (!pending_) {
    return fail(Errc::dlms_gbt_orphan, kGbtNumberAt);
  } else if (number != next_block_) {
    reset();
    return fail(Errc::dlms_gbt_out_of_order, kGbtNumberAt);
  }
  if (block.data.size() > kMaxMessage - buf_.size()) {
    reset();
    return fail(Errc::dlms_gbt_too_long, kGbtLengthAt);
  }
  buf_.insert(buf_.end(), block.data.begin(), block.data.end());
  ++blocks_;
  next_block_ = static_cast<std::uint16_t>(number + 1);
  pending_ = !block.last();
  return !pending_;
}

}  // namespace meterlab::dlms
