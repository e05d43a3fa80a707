// DLMS security suite 0/1 (AES-128-GCM) for ciphered APDUs, through Botan. Only security.cpp
// includes Botan. Keys are held by a KeyRing, looked up by system title, one keyed cipher object
// per key, reused from frame to frame. Keys are never printed.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "meterlab/dlms/apdu.hpp"

namespace meterlab::dlms {

using Key = std::array<std::uint8_t, 16>;
using SystemTitle = std::array<std::uint8_t, 8>;

enum class SecurityState : std::uint8_t {
  plain,                 // no ciphering at all
  decrypted,             // SC 0x20/0x21: encryption only, there is no tag to verify
  authenticated,         // SC 0x30/0x31: GCM tag verified with the authentication key
  decrypted_unverified,  // SC 0x30/0x31 but no AK known: decrypted, tag not checked
  unverified,            // SC 0x10/0x11 (authentication only) but no AK known: in clear, tag
                         // not checked
};
const char* state_name(SecurityState s) noexcept;

class KeyRing {
 public:
  KeyRing();
  ~KeyRing();
  KeyRing(KeyRing&&) noexcept;
  KeyRing& operator=(KeyRing&&) noexcept;
  // A key for one system title, or (title == nullopt) the default for every other title.
  void add(std::optional<SystemTitle> title, const Key& ek, std::optional<Key> ak = std::nullopt);
  bool empty() const noexcept;

  struct Entry;
  const Entry* find(const SystemTitle& title) const noexcept;

 private:
  std::vector<std::unique_ptr<Entry>> entries_;
};

struct Decrypted {
  SecurityState state = SecurityState::plain;
  Bytes plaintext;  // points into the caller's output buffer
};

// Decrypts (and verifies where SC asks for it) into `out` (resized; capacity reused). The keyed
// objects of a KeyRing hold per-message state: one thread uses a KeyRing at a time.
// SC 0x40 (broadcast) uses the same key. Authentication only (SC 0x10/0x11, no 0x20 bit): the
// APDU is in clear; `authenticated` when its GMAC verifies with the AK, `unverified` without an
// AK (or without any key for its system title), security_auth_failed when the GMAC fails.
// Errors: security_no_key (offset = system title offset), security_unsupported (SC with
// compression or an unknown suite), security_auth_failed (tag does not verify and the plaintext
// looks like an APDU: corrupted or forged), security_wrong_key (plaintext is not an APDU).
Result<Decrypted> decrypt(const CipheredApdu& c, const KeyRing& keys,
                          std::vector<std::uint8_t>& out);
// The same, with the test that tells a right key's plaintext from a wrong key's noise given by
// the caller: a P1 frame (DSMR text in a general-glo-ciphering APDU) holds no xDLMS APDU.
using PlaintextCheck = bool (*)(Bytes plaintext);
Result<Decrypted> decrypt(const CipheredApdu& c, const KeyRing& keys,
                          std::vector<std::uint8_t>& out, PlaintextCheck looks_right);

// For a transport with no check of its own behind the tag (encrypted P1): security_downgraded
// (offset = the SC byte) when the key ring holds an AK for the frame's system title but its SC
// asks for no authentication, which that meter never sends: the frame was downgraded or
// corrupted. DLMS over HDLC and M-Bus does not apply it: meters sending SC 0x20 are keyed with
// an AK by their readers too.
Result<void> require_tag(const CipheredApdu& c, const KeyRing& keys);

// Encryption, for the simulator and tests (the engine never encrypts on a decode path).
// Writes ciphertext || tag (tag only when SC has bit 0x10) into out. Never throws: false (out
// empty) when SC asks for a tag and there is no AK, or Botan lacks the cipher.
bool encrypt(const Key& ek, const std::optional<Key>& ak, std::uint8_t sc, const SystemTitle& st,
             std::uint32_t ic, Bytes plaintext, std::vector<std::uint8_t>& out);

}  // namespace meterlab::dlms
