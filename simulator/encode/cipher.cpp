// general-glo-ciphering (Green Book 9.2.7.2.4, xDLMS APDU tag 0xDB) with security suite 0/1,
// AES-128-GCM (NIST SP 800-38D), through Botan 2. The only file of the simulator that includes
// Botan.
//
// IV = system title (8) || invocation counter (4, big-endian). With the authentication bit
// (SC 0x10) the AAD is SC || AK and the tag (12 bytes in DLMS) follows the ciphertext. Without it
// (SC 0x20/0x21) there is no tag: GCM's ciphertext does not depend on the AAD or the tag, so the
// ciphertext part of a GCM encryption is exactly what the meter sends, and the tag is dropped.
#include <botan/aead.h>
#include <botan/secmem.h>

#include <algorithm>
#include <memory>
#include <string>

#include "meterlab/core/bytes.hpp"
#include "meterlab/sim/encode.hpp"

namespace meterlab::sim {

namespace {

constexpr std::uint8_t kGeneralGloCiphering = 0xDB;
constexpr std::uint8_t kSystemTitleLength = 0x08;

// Security control byte (Green Book 9.2.7.2.4.1 "security header").
constexpr std::uint8_t kScAuthentication = 0x10;
constexpr std::uint8_t kScEncryption = 0x20;
constexpr std::uint8_t kScSuiteMask = 0x0F;
constexpr std::uint8_t kMaxSuite = 1;  // suites 0 and 1: AES-128-GCM

// Botan 2's GCM takes tags of 8 and 12..16 bytes and throws on other lengths; DLMS uses 12.
bool tag_length_ok(std::size_t n) noexcept { return n == 8 || (n >= 12 && n <= 16); }

bool params_ok(const CipherParams& p) noexcept {
  const std::uint8_t sc = p.security_control;
  // Only encryption (0x20) or encryption + authentication (0x30), suite 0 or 1: no compression,
  // no authentication-only, no key-set or broadcast bits.
  const std::uint8_t flags = sc & static_cast<std::uint8_t>(~kScSuiteMask);
  if (flags != kScEncryption && flags != (kScEncryption | kScAuthentication)) return false;
  if ((sc & kScSuiteMask) > kMaxSuite) return false;
  if ((sc & kScAuthentication) != 0 && (!p.ak || !tag_length_ok(p.tag_length))) return false;
  return true;
}

std::array<std::uint8_t, 12> make_iv(const CipherParams& p) noexcept {
  std::array<std::uint8_t, 12> iv{};
  std::copy(p.system_title.begin(), p.system_title.end(), iv.begin());
  for (std::size_t i = 0; i < 4; ++i) {
    iv[8 + i] = static_cast<std::uint8_t>(p.invocation_counter >> (24 - 8 * i));
  }
  return iv;
}

// ciphertext || tag. Without authentication the tag length is irrelevant (it is dropped), so the
// default GCM(12) serves.
std::optional<Botan::secure_vector<std::uint8_t>> gcm_seal(ByteSpan plain, const CipherParams& p) {
  const bool auth = (p.security_control & kScAuthentication) != 0;
  const std::size_t tag = auth ? p.tag_length : 12;
  auto gcm =
      Botan::AEAD_Mode::create("AES-128/GCM(" + std::to_string(tag) + ")", Botan::ENCRYPTION);
  if (!gcm) return std::nullopt;
  gcm->set_key(p.ek.data(), p.ek.size());
  if (auth) {
    Botan::secure_vector<std::uint8_t> aad(1 + p.ak->size());
    aad[0] = p.security_control;
    std::copy(p.ak->begin(), p.ak->end(), aad.begin() + 1);
    gcm->set_associated_data(aad.data(), aad.size());
  }
  const auto iv = make_iv(p);
  gcm->start(iv.data(), iv.size());
  Botan::secure_vector<std::uint8_t> buf(plain.begin(), plain.end());
  gcm->finish(buf);
  if (!auth) buf.resize(plain.size());
  return buf;
}

}  // namespace

std::optional<Buffer> general_glo_ciphering(ByteSpan plain_apdu, const CipherParams& params) {
  if (!params_ok(params)) return std::nullopt;
  auto sealed = gcm_seal(plain_apdu, params);
  if (!sealed) return std::nullopt;
  Buffer out;
  out.reserve(2 + params.system_title.size() + 3 + 5 + sealed->size());
  ByteWriter w(out);
  w.put_u8(kGeneralGloCiphering);
  w.put_u8(kSystemTitleLength);
  w.put_bytes(params.system_title);
  // The ciphered content: SC, IC, ciphertext [, tag], behind its BER length (81 xx / 82 xx xx).
  w.put_ber_length_prefixed([&](ByteWriter& c) {
    c.put_u8(params.security_control);
    c.put_u32be(params.invocation_counter);
    c.put_bytes(*sealed);
  });
  return out;
}

}  // namespace meterlab::sim
