// P1 (DSMR 5.0.2 P1 companion standard; IEC 62056-21 mode D data messages) streaming framer.
//
// A text telegram runs from '/' to the '!' line: '!' + 4 hex digits of CRC-16/ARC + CRLF (DSMR 4
// and 5, clause 6.2), or '!' + CRLF with no CRC (DSMR 2.2/3, IEC 62056-21 mode D). An encrypted
// P1 frame (Luxembourg Smarty, Sagemcom T210-D-r of Energienetze Steiermark) is a DLMS
// general-glo-ciphering APDU sent bare on the line: DB 08 <system title> <BER length> <SC> <IC>
// <ciphertext> <tag>; the framer delimits it by its length and hands it on (secure.hpp opens it).
//
// Push bytes as they arrive, pull events: a frame, bytes discarded with a reason, or need-more,
// with the same shape as hdlc::Framer and mbus::Framer. The framer resynchronises on the next '/'
// by itself, never needs a timeout, and bounds a telegram's length (kMaxTelegram).
#pragma once

#include <array>
#include <cstdint>

#include "meterlab/core/bytes.hpp"
#include "meterlab/core/stream_buffer.hpp"
#include "meterlab/core/stream_framer.hpp"

namespace meterlab::p1 {

constexpr std::uint8_t kStart = '/';  // IEC 62056-21 clause 6.3.14: start character
constexpr std::uint8_t kEnd = '!';    // IEC 62056-21 clause 6.3.14: end character (data message)
constexpr std::uint8_t kCiphered = 0xDB;  // general-glo-ciphering (IEC 62056-5-3), bare on P1
constexpr std::uint8_t kSystemTitleLength = 0x08;
// The longest telegram accepted, '/' to '!'. DSMR 5.0.2 sets no bound; the longest real ones
// (Fluvius with 13 months of maxima, four M-Bus channels) stay under 4 KB, so a missing '!' is
// found at the latest after this many bytes, and so is an encrypted frame's length field.
constexpr std::size_t kMaxTelegram = 16384;
constexpr std::size_t kCrcDigits = 4;  // DSMR 5.0.2 clause 6.2: CRC16 as 4 hex characters

// How a telegram's integrity was checked.
enum class Check : std::uint8_t {
  none,     // no CRC in this DSMR version, no tag
  crc16,    // the CRC-16/ARC after '!' matched
  gcm_tag,  // an encrypted frame whose GCM tag verified
};
const char* check_name(Check c) noexcept;

struct Frame {
  enum class Kind : std::uint8_t { text, ciphered };
  Kind kind = Kind::text;
  std::size_t stream_offset = 0;  // the '/' or the 0xDB
  std::size_t length = 0;         // text: through the CRLF of the '!' line; ciphered: the tag
  Bytes bytes;                    // the frame's bytes; valid until the next push/next call
  Check check = Check::none;      // text: crc16 when the telegram carried a CRC (it matched)
};

// Where a text telegram at the front of some bytes ends, as far as those bytes tell: the rule
// the framer and the plaintext of an encrypted frame share.
struct TextEnd {
  enum class Kind : std::uint8_t { complete, need_more, bad };
  Kind kind = Kind::need_more;
  std::size_t length = 0;   // complete: the telegram, with the CRLF after the '!' line if there
  std::size_t scanned = 0;  // need_more: bytes looked at already (resume the search there)
  std::size_t wants = 0;    // need_more: bytes (from the '/') before the answer can change
  Check check = Check::none;
  // bad: why. complete: p1_crc_mismatch when a CRC is there and differs (the caller decides).
  Error error{};
};
// `w` starts with '/'; `at` is its stream offset; `scanned` bytes were looked at before; at_end:
// no more bytes follow (a telegram without its '!' line is then p1_truncated).
TextEnd find_text_end(Bytes w, std::size_t at, std::size_t scanned, bool at_end) noexcept;

using Discard = meterlab::Discard;
using Event = FramerEvent<Frame>;

struct FramerStats {
  std::uint64_t bytes_in = 0;
  std::uint64_t frames_ok = 0;
  std::uint64_t bytes_in_frames = 0;
  std::uint64_t bytes_discarded = 0;
  std::uint64_t crc_errors = 0;     // p1_crc_mismatch, p1_bad_crc
  std::uint64_t format_errors = 0;  // truncated, too long, bad encrypted frame header
  std::uint64_t resyncs = 0;        // times the framer went back to hunting after a bad candidate
};

class Framer : public StreamFramer<Event, FramerStats, Errc::p1_garbage> {
 public:
  Framer();
  // The next event. Call until it answers need_more, then push more bytes.
  Event next();
  // End of input: a partial telegram is discarded as p1_truncated. Call finish() (or next())
  // until need_more; afterwards bytes_in == bytes_in_frames + bytes_discarded.
  Event finish();

 private:
  struct Verdict;
  Verdict examine_text(Frame& f);
  Verdict examine_ciphered(Frame& f);
  Verdict ciphered_extent(Frame& f, Bytes title, std::size_t total);
  void reject(const Verdict& v);
  Event accept(const Frame& f);

  // The text candidate searched so far: its stream offset and how many of its bytes were
  // looked at, so that a telegram arriving byte by byte is scanned once, not once a byte.
  std::size_t scan_at_ = ~std::size_t{0};
  std::size_t scanned_ = 0;
  // The system title of the last encrypted frame found (none yet: size 0).
  std::array<std::uint8_t, kSystemTitleLength> last_title_{};
  std::size_t last_title_size_ = 0;
};

}  // namespace meterlab::p1
