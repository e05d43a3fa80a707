// DLMS security suite 0/1 for ciphered APDUs (DLMS Green Book 9.2.7.2, NIST SP 800-38D GCM)
// through Botan 2. This is the only file of the engine that includes Botan.
//
// IV = system title (8) || invocation counter (4). With the authentication bit (SC 0x10) the
// APDU carries a 12-byte GCM tag over AAD = SC || AK; without it (SC 0x20/0x21) there is no tag
// and the ciphertext is the GCM keystream alone: AES-CTR from counter block IV || 00000002
// (IV || 00000001 only masks the tag). Authentication only (SC 0x10/0x11, no encryption bit):
// the APDU travels in clear, its tag a GMAC over AAD = SC || AK || APDU (Green Book 9.2.7.2.4.2).
// Keyed Botan objects are made once per key, in KeyRing::add.
#include "meterlab/dlms/security.hpp"

#include <botan/aead.h>
#include <botan/mem_ops.h>
#include <botan/secmem.h>
#include <botan/stream_cipher.h>
#if defined(__cpp_exceptions)
#include <botan/exceptn.h>
#endif

#include <algorithm>

namespace meterlab::dlms {

namespace {

// Security control byte (Green Book 9.2.7.2.4.1 "security header").
constexpr std::uint8_t kScAuthentication = 0x10;
constexpr std::uint8_t kScEncryption = 0x20;
constexpr std::uint8_t kScCompression = 0x80;
constexpr std::uint8_t kScSuiteMask = 0x0F;
constexpr std::uint8_t kMaxSuite = 1;  // suites 0 and 1 are both AES-128-GCM here

constexpr std::size_t kScAndIcLength = 5;            // SC (1) + IC (4) before the ciphertext
constexpr std::size_t kSystemTitleOffset = 2;        // tag (DB/DC) + length 08
constexpr const char* kGcmSpec = "AES-128/GCM(12)";  // DLMS uses a 12-byte tag
constexpr const char* kCtrSpec = "CTR-BE(AES-128)";

using Iv = std::array<std::uint8_t, 12>;
using CounterBlock = std::array<std::uint8_t, 16>;

Iv make_iv(const SystemTitle& st, std::uint32_t ic) noexcept {
  Iv iv{};
  std::copy(st.begin(), st.end(), iv.begin());
  for (std::size_t i = 0; i < 4; ++i) {
    iv[8 + i] = static_cast<std::uint8_t>(ic >> (24 - 8 * i));
  }
  return iv;
}

// GCM's first keystream block for the data: inc32(J0) with J0 = IV || 00000001.
CounterBlock first_data_counter(const Iv& iv) noexcept {
  CounterBlock block{};
  std::copy(iv.begin(), iv.end(), block.begin());
  block[15] = 2;
  return block;
}

// A wrong key decrypts to noise; a right one to an xDLMS APDU (Green Book 9.5 tags):
// data-notification (parsed up to its body), get/set/action requests and responses,
// general-block-transfer.
bool looks_like_apdu(Bytes p) {
  if (p.empty()) return false;
  switch (p.front()) {
    case kDataNotification: {
      DataNotification dn;
      return parse_data_notification(p, dn).has_value();
    }
    case 0xC0:  // get-request
    case 0xC1:  // set-request
    case 0xC2:  // event-notification-request
    case 0xC3:  // action-request
    case 0xC4:  // get-response
    case 0xC7:  // action-response
    case kGeneralBlockTransfer:
      return true;
    default:
      return false;
  }
}

Result<void> check_security_control(std::uint8_t sc, std::size_t at) {
  if ((sc & kScCompression) != 0) return fail(Errc::security_unsupported, at);
  if ((sc & kScSuiteMask) > kMaxSuite) return fail(Errc::security_unsupported, at);
  // No protection at all inside a ciphered APDU means nothing to undo: not a real frame.
  if ((sc & (kScEncryption | kScAuthentication)) == 0) return fail(Errc::security_unsupported, at);
  return {};
}

}  // namespace

// Botan reports a GCM tag that does not verify only by throwing Invalid_Authentication_Tag. With
// exceptions the decryption object opens the message and the throw is caught; a build without
// them (-fno-exceptions) must not let Botan throw, so there the data is decrypted with the
// keystream (AES-CTR) and the tag recomputed by sealing that plaintext again with an encryption
// object under the same key, IV and AAD, and compared in constant time.
#if defined(__cpp_exceptions)
constexpr Botan::Cipher_Dir kGcmDirection = Botan::DECRYPTION;
#else
constexpr Botan::Cipher_Dir kGcmDirection = Botan::ENCRYPTION;
#endif

struct KeyRing::Entry {
  std::optional<SystemTitle> title;          // nullopt: the default entry
  std::unique_ptr<Botan::StreamCipher> ctr;  // AES-CTR keyed with EK
  std::unique_ptr<Botan::AEAD_Mode> gcm;     // GCM keyed with EK (kGcmDirection); only with an AK
  // SC || AK, the GCM additional data (SC is written per message); empty without an AK.
  // Key material lives only in Botan objects and secure_vectors, which are zeroed when freed.
  mutable Botan::secure_vector<std::uint8_t> aad;
  // The buffer Botan's in-place finish() works on, reused from frame to frame.
  mutable Botan::secure_vector<std::uint8_t> scratch;
};

KeyRing::KeyRing() = default;
KeyRing::~KeyRing() = default;
KeyRing::KeyRing(KeyRing&&) noexcept = default;
KeyRing& KeyRing::operator=(KeyRing&&) noexcept = default;

// Botan's create() returns null rather than throwing; an entry whose ciphers could not be made
// (a Botan without AES) is not added, and its messages fail with security_no_key.
void KeyRing::add(std::optional<SystemTitle> title, const Key& ek, std::optional<Key> ak) {
  auto e = std::make_unique<Entry>();
  e->title = title;
  e->ctr = Botan::StreamCipher::create(kCtrSpec);
  if (!e->ctr) return;
  e->ctr->set_key(ek.data(), ek.size());
  if (ak) {
    e->gcm = Botan::AEAD_Mode::create(kGcmSpec, kGcmDirection);
    if (!e->gcm) return;
    e->gcm->set_key(ek.data(), ek.size());
    e->aad.resize(1 + ak->size());
    std::copy(ak->begin(), ak->end(), e->aad.begin() + 1);
    Botan::secure_scrub_memory(ak->data(), ak->size());  // our by-value copy
  }
  for (auto& existing : entries_) {
    if (existing->title == title) {
      existing = std::move(e);
      return;
    }
  }
  entries_.push_back(std::move(e));
}

bool KeyRing::empty() const noexcept { return entries_.empty(); }

const KeyRing::Entry* KeyRing::find(const SystemTitle& title) const noexcept {
  const Entry* fallback = nullptr;
  for (const auto& e : entries_) {
    if (!e->title) {
      fallback = e.get();
    } else if (*e->title == title) {
      return e.get();
    }
  }
  return fallback;
}

namespace {

void ctr_decrypt(const KeyRing::Entry& e, const Iv& iv, Bytes ciphertext,
                 std::vector<std::uint8_t>& out) {
  const CounterBlock counter = first_data_counter(iv);
  e.ctr->set_iv(counter.data(), counter.size());
  out.resize(ciphertext.size());
  e.ctr->cipher(ciphertext.data(), out.data(), ciphertext.size());
}

void start_gcm(const KeyRing::Entry& e, std::uint8_t sc, const Iv& iv) {
  e.aad[0] = sc;
  e.gcm->set_associated_data(e.aad.data(), e.aad.size());
  e.gcm->start(iv.data(), iv.size());
}

#if defined(__cpp_exceptions)
// GCM decryption with tag verification: the one place that catches Botan's tag failure.
bool gcm_open(const KeyRing::Entry& e, const CipheredApdu& c, const Iv& iv,
              std::vector<std::uint8_t>& out) {
  start_gcm(e, c.security_control, iv);
  e.scratch.assign(c.ciphertext.begin(), c.ciphertext.end());
  e.scratch.insert(e.scratch.end(), c.tag_bytes.begin(), c.tag_bytes.end());
  try {
    e.gcm->finish(e.scratch);
  } catch (const Botan::Invalid_Authentication_Tag&) {
    return false;
  }
  out.assign(e.scratch.begin(), e.scratch.end());
  return true;
}
#else
// Without exceptions: the plaintext from the keystream, then its tag recomputed (GCM encryption
// of the plaintext under the same key, IV and AAD gives back the ciphertext and its tag).
bool gcm_open(const KeyRing::Entry& e, const CipheredApdu& c, const Iv& iv,
              std::vector<std::uint8_t>& out) {
  ctr_decrypt(e, iv, c.ciphertext, out);
  start_gcm(e, c.security_control, iv);
  e.scratch.assign(out.begin(), out.end());
  e.gcm->finish(e.scratch);  // plaintext -> ciphertext || tag
  const std::size_t tag_length = e.scratch.size() - out.size();
  if (c.tag_bytes.size() != tag_length) return false;
  return Botan::constant_time_compare(e.scratch.data() + out.size(), c.tag_bytes.data(),
                                      tag_length);
}
#endif

// SC 0x10/0x11: the GMAC tag over SC || AK || APDU (the APDU is the "ciphertext" field, in clear),
// checked as a GCM message with no data and that AAD. The AAD is hashed when it is set, so the
// scratch buffer that held it is free again for the tag.
bool gmac_verify(const KeyRing::Entry& e, const CipheredApdu& c, const Iv& iv) {
  e.aad[0] = c.security_control;
  e.scratch.assign(e.aad.begin(), e.aad.end());
  e.scratch.insert(e.scratch.end(), c.ciphertext.begin(), c.ciphertext.end());
  e.gcm->set_associated_data(e.scratch.data(), e.scratch.size());
  e.gcm->start(iv.data(), iv.size());
#if defined(__cpp_exceptions)
  e.scratch.assign(c.tag_bytes.begin(), c.tag_bytes.end());
  try {
    e.gcm->finish(e.scratch);
  } catch (const Botan::Invalid_Authentication_Tag&) {
    return false;
  }
  return true;
#else
  e.scratch.clear();
  e.gcm->finish(e.scratch);  // no data: the tag alone
  return e.scratch.size() == c.tag_bytes.size() &&
         Botan::constant_time_compare(e.scratch.data(), c.tag_bytes.data(), c.tag_bytes.size());
#endif
}

// Authentication only: the APDU is in clear. Verified with the AK (EK and AK key the GMAC);
// without them it is delivered as `unverified`, never as authenticated.
Result<Decrypted> authenticate_only(const CipheredApdu& c, const KeyRing::Entry* e,
                                    std::vector<std::uint8_t>& out) {
  out.assign(c.ciphertext.begin(), c.ciphertext.end());
  if (e == nullptr || !e->gcm) return Decrypted{SecurityState::unverified, Bytes(out)};
  if (gmac_verify(*e, c, make_iv(c.system_title, c.invocation_counter))) {
    return Decrypted{SecurityState::authenticated, Bytes(out)};
  }
  return fail(Errc::security_auth_failed, c.ciphertext_offset + c.ciphertext.size());
}

// SC 0x30/0x31 with the AK known. A failed tag is told apart from a wrong key by decrypting
// anyway: an APDU under a failed tag means the frame was corrupted or forged.
Result<Decrypted> decrypt_verified(const CipheredApdu& c, const KeyRing::Entry& e, const Iv& iv,
                                   std::vector<std::uint8_t>& out, PlaintextCheck looks_right) {
  if (gcm_open(e, c, iv, out)) return Decrypted{SecurityState::authenticated, Bytes(out)};
  ctr_decrypt(e, iv, c.ciphertext, out);
  if (looks_right(out)) {
    return fail(Errc::security_auth_failed, c.ciphertext_offset + c.ciphertext.size());
  }
  return fail(Errc::security_wrong_key, c.ciphertext_offset);
}

}  // namespace

Result<Decrypted> decrypt(const CipheredApdu& c, const KeyRing& keys,
                          std::vector<std::uint8_t>& out) {
  return decrypt(c, keys, out, looks_like_apdu);
}

Result<Decrypted> decrypt(const CipheredApdu& c, const KeyRing& keys,
                          std::vector<std::uint8_t>& out, PlaintextCheck looks_right) {
  MLAB_TRY(check_security_control(c.security_control, c.ciphertext_offset - kScAndIcLength));
  const KeyRing::Entry* e = keys.find(c.system_title);
  if ((c.security_control & kScEncryption) == 0) return authenticate_only(c, e, out);
  if (e == nullptr) return fail(Errc::security_no_key, kSystemTitleOffset);
  const Iv iv = make_iv(c.system_title, c.invocation_counter);
  const bool tagged = (c.security_control & kScAuthentication) != 0;
  if (tagged && e->gcm) return decrypt_verified(c, *e, iv, out, looks_right);
  // No tag, or a tag but no AK to check it with: the keystream alone.
  ctr_decrypt(*e, iv, c.ciphertext, out);
  if (!looks_right(out)) return fail(Errc::security_wrong_key, c.ciphertext_offset);
  const SecurityState state =
      tagged ? SecurityState::decrypted_unverified : SecurityState::decrypted;
  return Decrypted{state, Bytes(out)};
}

// Encrypted P1 meters keyed with an AK (Smarty by its Luxembourg P1 specification, Sagemcom
// T210-D-r of Energienetze Steiermark) send SC 0x30 on every frame. One without the
// authentication bit from such a meter is a downgrade or one flipped bit (0x30 -> 0x20), and P1
// has no link check behind the tag: decrypted without it, the frame would look trusted. Not a
// rule for every DLMS meter: the Siemens IM350 of Wiener Netze sends SC 0x20, and readers
// configure an AK for it all the same (vectors/hdlc-encrypted/wienernetze-siemens-im350-*).
Result<void> require_tag(const CipheredApdu& c, const KeyRing& keys) {
  const KeyRing::Entry* e = keys.find(c.system_title);
  if (e == nullptr || !e->gcm || (c.security_control & kScAuthentication) != 0) return {};
  return fail(Errc::security_downgraded, c.ciphertext_offset - kScAndIcLength);
}

namespace {

// Seals with a cipher object made for this one call (the simulator and tests, not a decode path).
bool ctr_seal(const Key& ek, const Iv& iv, Bytes plaintext, std::vector<std::uint8_t>& out) {
  auto ctr = Botan::StreamCipher::create(kCtrSpec);
  if (!ctr) return false;
  ctr->set_key(ek.data(), ek.size());
  const CounterBlock counter = first_data_counter(iv);
  ctr->set_iv(counter.data(), counter.size());
  out.resize(plaintext.size());
  ctr->cipher(plaintext.data(), out.data(), plaintext.size());
  return true;
}

// SC with encryption: ciphertext || tag, AAD = SC || AK. Authentication only: the plaintext in
// clear || its GMAC, AAD = SC || AK || plaintext.
bool gcm_seal(const Key& ek, const Key& ak, std::uint8_t sc, const Iv& iv, Bytes plaintext,
              std::vector<std::uint8_t>& out) {
  auto gcm = Botan::AEAD_Mode::create(kGcmSpec, Botan::ENCRYPTION);
  if (!gcm) return false;
  gcm->set_key(ek.data(), ek.size());
  const bool encrypted = (sc & kScEncryption) != 0;
  Botan::secure_vector<std::uint8_t> aad(1 + ak.size());
  aad[0] = sc;
  std::copy(ak.begin(), ak.end(), aad.begin() + 1);
  if (!encrypted) aad.insert(aad.end(), plaintext.begin(), plaintext.end());
  gcm->set_associated_data(aad.data(), aad.size());
  gcm->start(iv.data(), iv.size());
  Botan::secure_vector<std::uint8_t> buf;
  if (encrypted) buf.assign(plaintext.begin(), plaintext.end());
  gcm->finish(buf);
  out.clear();
  if (!encrypted) out.assign(plaintext.begin(), plaintext.end());
  out.insert(out.end(), buf.begin(), buf.end());
  return true;
}

}  // namespace

bool encrypt(const Key& ek, const std::optional<Key>& ak, std::uint8_t sc, const SystemTitle& st,
             std::uint32_t ic, Bytes plaintext, std::vector<std::uint8_t>& out) {
  out.clear();
  const Iv iv = make_iv(st, ic);
  if ((sc & kScAuthentication) == 0) return ctr_seal(ek, iv, plaintext, out);
  if (!ak) return false;  // a tag needs the AK
  return gcm_seal(ek, *ak, sc, iv, plaintext, out);
}

const char* state_name(SecurityState s) noexcept {
  switch (s) {
    case SecurityState::plain:
      return "plain";
    case SecurityState::decrypted:
      return "decrypted";
    case SecurityState::authenticated:
      return "authenticated";
    case SecurityState::decrypted_unverified:
      return "decrypted_unverified";
    case SecurityState::unverified:
      return "unverified";
  }
  return "unknown";
}

}  // namespace meterlab::dlms
