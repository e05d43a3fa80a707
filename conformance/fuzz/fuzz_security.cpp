// Security (AES-128-GCM, suite 0/1) with the fixed keys of fuzz_common.hpp. Input byte 0 picks
// the mode:
//  even: the rest is a ciphered APDU (DB/DC ...), parsed and decrypted as it is;
//  odd:  byte 1 picks SC 20/21/30/31/10/11, bytes 2..5 the invocation counter, byte 6 which bit to
//        flip, the rest is the plaintext: it is encrypted, must decrypt back, and the APDU with
//        that one bit flipped (system title, SC, IC, ciphertext or tag) is never authenticated.
// Invariants: "authenticated" only with an AK and an SC that has the authentication bit, and
// never for a frame whose authenticated fields were changed; "decrypted_unverified" (encrypted) or
// "unverified" (authentication only, in clear) exactly when the tag could not be checked; errors
// are security (or dlms header) errors.
#include <vector>

#include "fuzz_common.hpp"
#include "meterlab/dlms/apdu.hpp"
#include "meterlab/dlms/security.hpp"

namespace {

using namespace meterlab;

constexpr std::uint8_t kAuthBit = 0x10;
constexpr std::uint8_t kEncryptionBit = 0x20;
constexpr std::size_t kMaxPlaintext = 4096;

const dlms::KeyRing& ring(bool with_ak) {
  static const dlms::KeyRing with = fuzz::fixed_keys(true);
  static const dlms::KeyRing without = fuzz::fixed_keys(false);
  return with_ak ? with : without;
}

void check_error(const Error& e) {
  Layer l = layer_of(e.code);
  FUZZ_CHECK(l == Layer::security || l == Layer::dlms || l == Layer::core);
}

// Decrypts with both rings; returns the state with the AK (nullopt on an error).
std::optional<dlms::SecurityState> open(Bytes apdu, std::vector<std::uint8_t>& plain) {
  auto c = dlms::parsed(dlms::parse_ciphered, apdu);
  if (!c) {
    check_error(c.error());
    return std::nullopt;
  }
  const bool tagged = (c->security_control & kAuthBit) != 0;
  const bool in_clear = (c->security_control & kEncryptionBit) == 0;
  std::vector<std::uint8_t> out;
  auto without = dlms::decrypt(*c, ring(false), out);
  if (without) {
    FUZZ_CHECK(without->state != dlms::SecurityState::authenticated);
    FUZZ_CHECK((without->state == dlms::SecurityState::decrypted_unverified) ==
               (tagged && !in_clear));
    FUZZ_CHECK((without->state == dlms::SecurityState::unverified) == in_clear);
    FUZZ_CHECK(without->plaintext.size() == c->ciphertext.size());
  } else {
    check_error(without.error());
  }
  auto with = dlms::decrypt(*c, ring(true), plain);
  if (!with) {
    check_error(with.error());
    return std::nullopt;
  }
  FUZZ_CHECK(with->state != dlms::SecurityState::decrypted_unverified);
  FUZZ_CHECK(with->state != dlms::SecurityState::unverified);
  FUZZ_CHECK((with->state == dlms::SecurityState::authenticated) == tagged);
  FUZZ_CHECK(with->plaintext.size() == c->ciphertext.size());
  return with->state;
}

// DB 08 <title> <BER length> SC IC <ciphertext [|| tag]>.
std::vector<std::uint8_t> wrap(std::uint8_t sc, std::uint32_t ic, Bytes sealed) {
  const dlms::SystemTitle title{0x4d, 0x4c, 0x41, 0x42, 0x00, 0x00, 0x00, 0x01};
  std::vector<std::uint8_t> apdu{dlms::kGeneralGloCiphering, 0x08};
  apdu.insert(apdu.end(), title.begin(), title.end());
  const std::size_t len = 5 + sealed.size();
  if (len > 0xFF) {
    apdu.insert(apdu.end(),
                {0x82, static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len & 0xFF)});
  } else if (len > 0x7F) {
    apdu.insert(apdu.end(), {0x81, static_cast<std::uint8_t>(len)});
  } else {
    apdu.push_back(static_cast<std::uint8_t>(len));
  }
  apdu.push_back(sc);
  for (int shift = 24; shift >= 0; shift -= 8)
    apdu.push_back(static_cast<std::uint8_t>(ic >> shift));
  apdu.insert(apdu.end(), sealed.begin(), sealed.end());
  return apdu;
}

void round_trip(Bytes in) {
  if (in.size() < 6) return;
  static constexpr std::uint8_t kScs[] = {0x20, 0x21, 0x30, 0x31, 0x10, 0x11};
  const std::uint8_t sc = kScs[in[0] % 6];
  const std::uint32_t ic = static_cast<std::uint32_t>(in[1]) << 24 |
                           static_cast<std::uint32_t>(in[2]) << 16 |
                           static_cast<std::uint32_t>(in[3]) << 8 | in[4];
  const std::uint8_t flip = in[5];
  Bytes plaintext = in.subspan(6);
  if (plaintext.size() > kMaxPlaintext) plaintext = plaintext.first(kMaxPlaintext);
  std::vector<std::uint8_t> sealed;
  dlms::encrypt(fuzz::fixed_ek(), fuzz::fixed_ak(), sc,
                dlms::SystemTitle{0x4d, 0x4c, 0x41, 0x42, 0, 0, 0, 1}, ic, plaintext, sealed);
  std::vector<std::uint8_t> apdu = wrap(sc, ic, sealed);
  std::vector<std::uint8_t> plain;
  auto state = open(apdu, plain);
  const bool tagged = (sc & kAuthBit) != 0;
  if (tagged) {
    FUZZ_CHECK(state == dlms::SecurityState::authenticated);
  }
  if (state) FUZZ_CHECK(std::equal(plain.begin(), plain.end(), plaintext.begin(), plaintext.end()));
  if (!tagged) return;
  // One bit of the authenticated part flipped: title (2..9), SC, IC, ciphertext or tag; the
  // BER length bytes in between are left alone (changing them is a header error, not a forgery).
  const std::size_t sc_at = apdu.size() - sealed.size() - 5;
  std::vector<std::size_t> places;
  for (std::size_t i = 2; i < 10; ++i) places.push_back(i);
  for (std::size_t i = sc_at; i < apdu.size(); ++i) places.push_back(i);
  const std::size_t where =
      places[(static_cast<std::size_t>(flip) * 131 + plaintext.size()) % places.size()];
  apdu[where] ^= static_cast<std::uint8_t>(1u << (flip % 8));
  auto forged = open(apdu, plain);
  FUZZ_CHECK(forged != dlms::SecurityState::authenticated);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Bytes rest(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    std::vector<std::uint8_t> plain;
    open(rest, plain);
  } else {
    round_trip(rest);
  }
  return 0;
}
