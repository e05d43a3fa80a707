// gcm_check: runs the GCM path of dlms::decrypt on one ciphered APDU with a tag (SC 0x30) and
// checks what it must give. Built twice: in the normal build (Botan's decryption object, its tag
// failure caught) and with -fno-exceptions (conformance/fuzz/no_exceptions.cmake: keystream plus
// the tag recomputed by sealing again), so both spellings of the tag check are run on the same
// bytes. No GoogleTest: it must build without exceptions.
//
//   MLAB_CHECK_EK=<hex> MLAB_CHECK_AK=<hex> gcm_check <ciphered APDU hex> <plaintext hex>
//
// The keys come through the environment, never the command line (STYLE: keys are not printed).
// Exit 0 when every case gives what it must; 1 with one line per failed case; 2 on bad usage.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include "meterlab/core/hex.hpp"
#include "meterlab/dlms/apdu.hpp"
#include "meterlab/dlms/security.hpp"

namespace {

using meterlab::Errc;
using Buf = std::vector<std::uint8_t>;
namespace dlms = meterlab::dlms;

std::optional<Buf> hex_arg(const char* text) {
  if (text == nullptr) return std::nullopt;
  auto r = meterlab::parse_hex(text);
  if (!r) return std::nullopt;
  return *r;
}

std::optional<dlms::Key> key_env(const char* name) {
  auto bytes = hex_arg(std::getenv(name));
  dlms::Key k{};
  if (!bytes || bytes->size() != k.size()) return std::nullopt;
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = (*bytes)[i];
  return k;
}

struct Check {
  const char* what;
  Buf apdu;
  std::optional<dlms::Key> ak;
  Errc want;  // Errc::ok: authenticated, with the stated plaintext
};

// One case: "" when it gave what it must, else why not.
const char* run(const Check& c, const dlms::Key& ek, const Buf& plaintext) {
  auto parsed = dlms::parsed(dlms::parse_ciphered, c.apdu);
  if (!parsed) return "the APDU does not parse";
  dlms::KeyRing ring;
  ring.add(parsed->system_title, ek, c.ak);
  Buf out;
  auto d = dlms::decrypt(*parsed, ring, out);
  if (c.want != Errc::ok) {
    if (d) return "decrypted although it must fail";
    return d.error().code == c.want ? "" : "failed with another error";
  }
  if (!d) return "failed although it must be authenticated";
  if (d->state != dlms::SecurityState::authenticated) return "not reported as authenticated";
  if (!std::equal(d->plaintext.begin(), d->plaintext.end(), plaintext.begin(), plaintext.end())) {
    return "plaintext differs from the stated one";
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  auto apdu = hex_arg(argc == 3 ? argv[1] : nullptr);
  auto plaintext = hex_arg(argc == 3 ? argv[2] : nullptr);
  auto ek = key_env("MLAB_CHECK_EK");
  auto ak = key_env("MLAB_CHECK_AK");
  if (!apdu || !plaintext || !ek || !ak || apdu->size() < 13) {
    std::fprintf(stderr,
                 "usage: MLAB_CHECK_EK=<hex> MLAB_CHECK_AK=<hex> gcm_check <apdu hex> "
                 "<plaintext hex>\n");
    return 2;
  }
  Buf bad_tag = *apdu;
  bad_tag.back() ^= 0x01;  // the tag is the last 12 bytes
  Buf bad_text = *apdu;
  bad_text[bad_text.size() - 13] ^= 0x80;  // the last ciphertext byte
  dlms::Key other_ak = *ak;
  other_ak[0] ^= 0xFF;
  const Check checks[] = {
      {"good tag", *apdu, ak, Errc::ok},
      {"flipped tag bit", bad_tag, ak, Errc::security_auth_failed},
      {"flipped ciphertext bit", bad_text, ak, Errc::security_auth_failed},
      {"wrong authentication key", *apdu, other_ak, Errc::security_auth_failed},
  };
#if defined(__cpp_exceptions)
  const char* build = "with exceptions";
#else
  const char* build = "-fno-exceptions";
#endif
  int failed = 0;
  for (const Check& c : checks) {
    const std::string_view why = run(c, *ek, *plaintext);
    if (!why.empty()) {
      std::fprintf(stderr, "gcm_check (%s): %s: %.*s\n", build, c.what,
                   static_cast<int>(why.size()), why.data());
      ++failed;
    }
  }
  const int total = static_cast<int>(sizeof checks / sizeof checks[0]);
  std::printf("gcm_check (%s): %d passed, %d failed\n", build, total - failed, failed);
  return failed == 0 ? 0 : 1;
}
