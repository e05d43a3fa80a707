// The simulator's own encoder: A-XDR writer, data-notification APDU, general-glo-ciphering with
// AES-128-GCM (Botan), HDLC and M-Bus frame writers with segmentation. It shares no code with the
// engine's decoders (only core's CRC and checksum), so a mistake in one is not hidden by the same
// mistake in the other: they meet only in the tests, and both are held to the golden vectors.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace meterlab::sim {

using Buffer = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

// COSEM date-time (Blue Book 4.1.6.1), the 12 bytes as sent.
struct CosemDateTime {
  std::uint16_t year = 0xFFFF;
  std::uint8_t month = 0xFF, day = 0xFF, weekday = 0xFF;
  std::uint8_t hour = 0xFF, minute = 0xFF, second = 0xFF, hundredths = 0xFF;
  std::int16_t deviation = static_cast<std::int16_t>(0x8000);  // minutes, 0x8000 = not specified
  std::uint8_t status = 0xFF;
  std::array<std::uint8_t, 12> bytes() const;
};

// A-XDR Data (Blue Book 4.1.5 / Green Book 9.5): tag then value, appended to `out`.
class AxdrWriter {
 public:
  explicit AxdrWriter(Buffer& out) noexcept : out_(out) {}

  void null_data();
  void array(std::size_t count);      // 0x01 + length, then `count` elements follow
  void structure(std::size_t count);  // 0x02 + length
  void boolean(bool v);               // 0x03, true as FF
  void boolean_byte(std::uint8_t v);  // 0x03 and the byte a meter sends (FF or 01 for true)
  void bit_string(ByteSpan bits, std::size_t bit_count);  // 0x04
  void int32(std::int32_t v);                             // 0x05 double-long
  void uint32(std::uint32_t v);                           // 0x06 double-long-unsigned
  void octet_string(ByteSpan v);                          // 0x09
  void visible_string(std::string_view v);                // 0x0A
  void utf8_string(std::string_view v);                   // 0x0C
  void bcd(std::uint8_t v);                               // 0x0D
  void int8(std::int8_t v);                               // 0x0F
  void int16(std::int16_t v);                             // 0x10
  void uint8(std::uint8_t v);                             // 0x11
  void uint16(std::uint16_t v);                           // 0x12
  void int64(std::int64_t v);                             // 0x14
  void uint64(std::uint64_t v);                           // 0x15
  void enumeration(std::uint8_t v);                       // 0x16
  void float32(float v);                                  // 0x17
  void float64(double v);                                 // 0x18
  void date_time(const CosemDateTime& v);                 // 0x19 + 12 bytes
  void date_time_octets(const CosemDateTime& v);  // 0x09 0x0C + 12 bytes (how most meters send it)
  // compact-array (0x13) of one simple type: contents description + packed values.
  void compact_array_u16(std::span<const std::uint16_t> values);
  void raw(ByteSpan bytes);  // bytes as they are

 private:
  void length(std::size_t n);  // A-XDR length: < 0x80 one byte, else 0x81 n / 0x82 nn
  Buffer& out_;
};

// data-notification (0x0F) date-time field forms seen on meters.
enum class DateTimeForm : std::uint8_t {
  absent,        // 0x00 (Aidon, L&G)
  octet_string,  // 0x09 0x0C + 12 bytes (Kaifa)
  bare,          // 0x0C + 12 bytes (Kamstrup, Kaifa MA309)
};

// 0x0F, long-invoke-id-and-priority (4 bytes), date-time, then the notification body (A-XDR Data)
// exactly as given. A null `time` writes the absent form (00) whatever `form` says.
Buffer data_notification(std::uint32_t invoke_id, DateTimeForm form, const CosemDateTime* time,
                         ByteSpan body);

// general-block-transfer (0xE0, Green Book 9.3.10) as a push meter streams it: the APDU cut into
// blocks, each E0, block-control (0x80 on the last block), block-number, block-number-ack, then
// the block's data behind its BER length. Each block goes in its own link frame.
struct GbtParams {
  std::vector<std::size_t> sizes;  // data bytes of each block but the last, which takes the rest
  std::uint8_t control = 0x40;     // block-control of every block (0x40 streaming), last | 0x80
  std::uint16_t first_block = 1;   // the first block's number; each next one is one more
  std::uint16_t ack = 0;           // block-number-acknowledged, as the meter sends it
  bool llc_every_block = false;    // HDLC: the LLC in front of every block, not only the first
};
constexpr std::uint8_t kGbtLastBlock = 0x80;
std::vector<Buffer> general_block_transfer(ByteSpan apdu, const GbtParams& params);

using Key = std::array<std::uint8_t, 16>;
using SystemTitle = std::array<std::uint8_t, 8>;

struct CipherParams {
  std::uint8_t security_control = 0x20;  // 0x20/0x21: encryption only; 0x30/0x31: with tag
  SystemTitle system_title{};
  std::uint32_t invocation_counter = 0;
  Key ek{};
  std::optional<Key> ak;  // required when the SC has the authentication bit
  std::size_t tag_length = 12;
};

// general-glo-ciphering (0xDB, Green Book 9.2.7.2.4): DB 08 system-title, BER length, SC, IC,
// ciphertext [, tag]. AES-128-GCM via Botan: IV = system title || IC; with authentication the
// AAD is SC || AK. Returns std::nullopt only when the parameters are inconsistent (SC asks for a
// tag and no AK is given, or an SC this writer does not know).
std::optional<Buffer> general_glo_ciphering(ByteSpan plain_apdu, const CipherParams& params);

// HDLC frame format type 3 (IEC 62056-46 / Green Book 8.4): 7E, A0|S|length(11 bits), destination
// and source address bytes as given (already encoded, last byte with bit 0 set), control, HCS,
// information (LLC E6 E7 00 in the first frame only, when `llc`), FCS, 7E.
struct HdlcParams {
  Buffer dest;                  // e.g. {0x01} Kaifa, {0x41} Aidon, {0xCE, 0xFF} L&G
  Buffer src;                   // e.g. {0x02, 0x01} Kaifa KFM_001, {0x08, 0x83} Aidon
  std::uint8_t control = 0x13;  // UI with P/F (Kaifa sends 0x10)
  bool llc = true;
  std::size_t max_info = 0;  // longest information field (the first frame's LLC counts in it);
                             // 0: no limit. Split, segmentation bit on all but the last frame.
                             // Never more than the 11-bit length field holds.
};
std::vector<Buffer> hdlc_frames(ByteSpan apdu, const HdlcParams& params);

// M-Bus long frames carrying the DLMS transport (EN 13757-2 + the DLMS/COSEM M-Bus profile):
// 68 L L 68, C, A, CI (bits 0-3: segment number, bit 4: last segment), STSAP, DTSAP, data,
// checksum, 16. Kaifa MA309: C 0x53, A 0xFF, STSAP 0x01, DTSAP 0x67, 245 data bytes (L = 0xFA).
struct MbusParams {
  std::uint8_t c = 0x53;
  std::uint8_t a = 0xFF;
  std::uint8_t stsap = 0x01;
  std::uint8_t dtsap = 0x67;
  std::size_t max_data = 245;  // data bytes per frame (0 or above 250: 250, the most L allows)
};
// Empty when the APDU needs more than the 16 segments the 4-bit segment number can count.
std::vector<Buffer> mbus_frames(ByteSpan apdu, const MbusParams& params);

// P1 text (DSMR 5.0.2 clause 6.12; IEC 62056-21 data sets), written by encode/p1_writer.cpp.
// A value as the meters write it: zero-padded to int_digits, then '.' and frac_digits digits when
// frac_digits > 0 ("012345.678", "00.123", "0230.0", "003"). `raw` is the digits as an integer.
std::string p1_number(std::int64_t raw, int int_digits, int frac_digits);
// YYMMDDhhmmss followed by `flag` (S summer time, W winter time; 0: none, DSMR 2.2's gas capture).
std::string p1_timestamp(int year, int month, int day, int hour, int minute, int second, char flag);
// Ends a telegram that runs from '/': "!" + CRC-16/ARC over '/'..'!' inclusive as 4 upper-case
// hex digits + CRLF (DSMR 4 and 5), or "!" CRLF without a CRC (DSMR 2.2/3); `eol` in place of
// CRLF for a meter that ends its lines in LF alone (the CRC covers the bytes as sent).
void p1_close(std::string& telegram, bool crc, std::string_view eol = "\r\n");

}  // namespace meterlab::sim
