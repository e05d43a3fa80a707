// Encrypted P1 (Luxembourg Smarty; Sagemcom T210-D-r of Energienetze Steiermark): a DLMS
// general-glo-ciphering APDU sent bare on the P1 line, whose plaintext is a P1 telegram. Opened
// through the engine's security layer (dlms::parse_ciphered, dlms::decrypt) with the key ring.
//
// Trust as for DLMS: `authenticated` when the GCM tag verifies with the AK, `decrypted_unverified`
// without an AK, a forged or corrupted tag rejected (security_auth_failed). The inner telegram's
// CRC is checked and reported apart: some meters' inner CRC does not match while the tag
// verifies, which is a warning then, not a rejection; without a verified tag it is an error.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "meterlab/core/bytes.hpp"
#include "meterlab/cosem/telegram.hpp"
#include "meterlab/dlms/security.hpp"
#include "meterlab/p1/framer.hpp"
#include "meterlab/p1/parser_memory.hpp"
#include "meterlab/p1/telegram.hpp"

namespace meterlab::p1 {

struct Opened {
  dlms::SecurityState state = dlms::SecurityState::plain;
  Check check = Check::none;  // gcm_tag when the tag verified, else the inner telegram's own
  Bytes text;                 // '/' through the '!' line; points into the caller's plaintext
  // p1_crc_mismatch (offset in the plaintext) when the inner CRC differs but the tag verified.
  Error warning{};
  dlms::SystemTitle system_title{};
  std::uint32_t invocation_counter = 0;
};

// Opens one encrypted frame (Frame::Kind::ciphered bytes) into `plaintext` (capacity reused).
// Errors: security_bad_header, security_no_key, security_unsupported, security_auth_failed,
// security_wrong_key (the plaintext is not a P1 telegram: offsets in the APDU),
// security_downgraded (no tag asked although the AK is known: dlms::require_tag); p1_crc_mismatch,
// p1_bad_crc, p1_truncated (the inner telegram; offsets in the plaintext).
Result<Opened> open(Bytes frame, const dlms::KeyRing& keys, std::vector<std::uint8_t>& plaintext);

// What decode_frame() found beside the telegram.
struct Decoded {
  Check check = Check::none;
  Error warning{};  // see Opened::warning
};

// One frame of the Framer to a Telegram: a text telegram is parsed, an encrypted one opened and
// its plaintext parsed (security state, system title and invocation counter set; line problems
// then carry plaintext offsets). The telegram's stream offset and length are the frame's.
Result<Decoded> decode_frame(const Frame& f, const dlms::KeyRing& keys,
                             std::vector<std::uint8_t>& scratch, cosem::Telegram& out,
                             Problems& problems, const Zone& zone = {});
// The same with the caller's telegram shape memory (the one above uses one per thread).
Result<Decoded> decode_frame(const Frame& f, const dlms::KeyRing& keys,
                             std::vector<std::uint8_t>& scratch, cosem::Telegram& out,
                             Problems& problems, ParserMemory& memory, const Zone& zone = {});

}  // namespace meterlab::p1
