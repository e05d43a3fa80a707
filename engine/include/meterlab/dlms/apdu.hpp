// DLMS APDUs that push meters send: data-notification (0x0F), general-block-transfer (0xE0),
// general-glo-ciphering (0xDB) and general-ded-ciphering (0xDC). IEC 62056-5-3.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "meterlab/core/bytes.hpp"

namespace meterlab::dlms {

constexpr std::uint8_t kDataNotification = 0x0F;
constexpr std::uint8_t kGeneralGloCiphering = 0xDB;
constexpr std::uint8_t kGeneralDedCiphering = 0xDC;
constexpr std::uint8_t kGeneralBlockTransfer = 0xE0;
constexpr std::size_t kMaxMessage = 16384;

enum class DateTimeForm : std::uint8_t { absent, bare, tagged };  // 00 | 0C+12 | 09 0C+12

struct DataNotification {
  std::uint32_t long_invoke_id_and_priority = 0;
  DateTimeForm date_time_form = DateTimeForm::absent;
  Bytes date_time;              // 12 bytes when present
  Bytes body;                   // the A-XDR notification-body (one value)
  std::size_t body_offset = 0;  // offset of body in the APDU
};

// Each APDU parser has one form: into an object the caller keeps (the decoder's hot path reuses
// its objects, copying none); on an error the object holds what was read so far. parsed() below
// is the value-returning call of any of them.

// Parses 0F ... ; the body is not parsed here (that is axdr's job).
Result<void> parse_data_notification(Bytes apdu, DataNotification& out);

// Reads a BER length (1 byte; 81 xx; 82 xx xx; 80 and 83+ rejected as dlms_bad_length).
Result<std::size_t> read_ber_length(ByteReader& r);

struct CipheredApdu {
  std::uint8_t tag = 0;  // 0xDB or 0xDC
  std::array<std::uint8_t, 8> system_title{};
  std::uint8_t security_control = 0;  // SC byte
  std::uint32_t invocation_counter = 0;
  Bytes ciphertext;                   // without the tag
  Bytes tag_bytes;                    // 12 bytes when SC has the authentication bit, else empty
  std::size_t ciphertext_offset = 0;  // offset of ciphertext in the APDU
};

// Parses DB/DC: system title (length 08), BER length, SC, IC, ciphertext [, tag].
// Header faults are security_bad_header at the field's offset: system title length not 08, a
// malformed BER length, a length that is not exactly what remains, no room for SC+IC or the tag.
Result<void> parse_ciphered(Bytes apdu, CipheredApdu& out);

// A parser above called for its value (tests, tools): parsed(parse_ciphered, apdu).
template <class T>
Result<T> parsed(Result<void> (*parse)(Bytes, T&), Bytes apdu) {
  T out;
  MLAB_TRY(parse(apdu, out));
  return out;
}

// One general-block-transfer APDU (Green Book 9.3.10): E0, block-control (bit 7 last block,
// bit 6 streaming, bits 0-5 window), block-number, block-number-ack, then the block's data behind
// its BER length, which must be the rest. Errors: dlms_unknown_apdu (not E0), a short read,
// dlms_bad_length (at the length's offset, kGbtLengthAt).
constexpr std::uint8_t kGbtLastBlock = 0x80;
constexpr std::size_t kGbtNumberAt = 2;  // offset of block-number in the APDU
constexpr std::size_t kGbtLengthAt = 6;  // offset of the BER length
struct GbtBlock {
  std::uint8_t control = 0;
  std::uint16_t number = 0;
  std::uint16_t ack = 0;
  Bytes data;
  bool last() const noexcept { return (control & kGbtLastBlock) != 0; }
};
Result<GbtBlock> read_gbt_block(Bytes gbt_apdu);

// General block transfer (0xE0) reassembly: block-control (last-block bit, streaming, window),
// block-number, block-number-ack, BER length, raw data. Blocks must come in order starting at 1;
// block 1 always starts a new transfer. Errors: dlms_gbt_orphan (no transfer to continue),
// dlms_gbt_out_of_order (the transfer is dropped), dlms_gbt_too_long, dlms_bad_length.
class GbtAssembler {
 public:
  // true: apdu() holds the whole reassembled APDU; false: more blocks expected.
  Result<bool> push(Bytes gbt_apdu);
  Bytes apdu() const noexcept { return buf_; }
  std::uint32_t blocks() const noexcept { return blocks_; }
  // A transfer has begun and its last block has not come.
  bool pending() const noexcept { return pending_; }
  void reset() noexcept;

 private:
  std::vector<std::uint8_t> buf_;
  std::uint16_t next_block_ = 1;
  std::uint32_t blocks_ = 0;
  bool pending_ = false;
};

}  // namespace meterlab::dlms
