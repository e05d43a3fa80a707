#include "meterlab/dlms/security.hpp"

#include <botan/aead.h>
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace meterlab::dlms {
namespace {

using test::hex;
using test::load_vector;
using test::vector_hex;

Key key_of(const nlohmann::json& v, const char* field) {
  auto bytes = hex(v[field].get<std::string>());
  Key k{};
  EXPECT_EQ(bytes.size(), k.size());
  std::copy_n(bytes.begin(), std::min(bytes.size(), k.size()), k.begin());
  return k;
}

std::vector<std::uint8_t> to_vec(Bytes b) { return {b.begin(), b.end()}; }

// One vector: the ciphered APDU bytes, its keys and the plaintext its source states.
struct Case {
  std::vector<std::uint8_t> apdu;
  Key ek{};
  std::optional<Key> ak;
  std::vector<std::uint8_t> plaintext;
};

Case genglo() {
  auto v = load_vector("apdu/dlmscosem-genglo-datanotification-sc30.json");
  return {vector_hex(v), key_of(v, "key_hex"), key_of(v, "auth_key_hex"),
          hex(v["expected"]["source_stated"]["plaintext_hex_from_test_data_notification_apdu"]
                  .get<std::string>())};
}

Case evn() {
  auto v = load_vector("mbus-encrypted/evn-netznoe-kaifa-ma309-doc-example.json");
  return {test::mbus_payload(vector_hex(v)), key_of(v, "key_hex"), std::nullopt,
          hex(v["expected"]["source_stated"]["decrypted_apdu_hex"].get<std::string>())};
}

KeyRing ring_for(const CipheredApdu& c, const Key& ek, std::optional<Key> ak) {
  KeyRing ring;
  ring.add(c.system_title, ek, ak);
  return ring;
}

void expect_plaintext(const Case& k, SecurityState state) {
  auto c = parsed(parse_ciphered, k.apdu);
  ASSERT_TRUE(c) << name(c.error().code) << " at " << c.error().offset;
  KeyRing ring = ring_for(*c, k.ek, k.ak);
  std::vector<std::uint8_t> out;
  auto d = decrypt(*c, ring, out);
  ASSERT_TRUE(d) << name(d.error().code) << " at " << d.error().offset;
  EXPECT_EQ(d->state, state) << state_name(d->state);
  EXPECT_EQ(to_vec(d->plaintext), k.plaintext);
  EXPECT_EQ(d->plaintext.data(), out.data());
}

void expect_failure(const CipheredApdu& c, const KeyRing& ring, Errc code, std::size_t offset) {
  std::vector<std::uint8_t> out;
  auto d = decrypt(c, ring, out);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, code) << name(d.error().code);
  EXPECT_EQ(d.error().offset, offset);
}

TEST(Security, GenGloDataNotificationSc30IsAuthenticated) {
  expect_plaintext(genglo(), SecurityState::authenticated);
}

TEST(Security, GreenBookGetRequestSc30IsAuthenticated) {
  auto v = load_vector("apdu/greenbook-glo-get-request-sc30.json");
  Case k{vector_hex(v), key_of(v, "key_hex"), key_of(v, "auth_key_hex"),
         hex(v["expected"]["source_stated"]["plaintext_hex"].get<std::string>())};
  ASSERT_EQ(k.plaintext.front(), 0xC0);  // a get-request, not a notification
  expect_plaintext(k, SecurityState::authenticated);
}

TEST(Security, LgE450BurgenlandHdlcSc30IsAuthenticated) {
  auto v = load_vector("hdlc-encrypted/lg-e450-burgenland-gh501-1.json");
  auto stream = vector_hex(v);
  auto apdus = test::hdlc_apdus(stream, 2);  // dst CEFF
  ASSERT_EQ(apdus.size(), 1u);
  Case k{to_vec(apdus[0]), key_of(v, "key_hex"), key_of(v, "auth_key_hex"),
         hex(v["verification"]["plaintext_hex"].get<std::string>())};
  ASSERT_EQ(k.apdu.front(), kGeneralGloCiphering);
  expect_plaintext(k, SecurityState::authenticated);
}

TEST(Security, EvnMbusSc20IsDecrypted) { expect_plaintext(evn(), SecurityState::decrypted); }

TEST(Security, TinetzMbusSc21IsDecrypted) {
  auto v = load_vector("mbus-encrypted/tinetz-kaifa-ma309-walkthrough.json");
  Case k{test::mbus_payload(vector_hex(v)), key_of(v, "key_hex"), std::nullopt,
         hex(v["expected"]["source_stated"]["decrypted_apdu_hex"].get<std::string>())};
  expect_plaintext(k, SecurityState::decrypted);
}

TEST(Security, SagemcomStatedKeyIsWrongKey) {
  auto v = load_vector("apdu/gurux-forum-sagemcom-example-badkey.json");
  auto apdu = vector_hex(v);
  auto c = parsed(parse_ciphered, apdu);
  ASSERT_TRUE(c);
  KeyRing ring = ring_for(*c, key_of(v, "key_hex"), std::nullopt);
  expect_failure(*c, ring, Errc::security_wrong_key, c->ciphertext_offset);
}

TEST(Security, FlippedCiphertextBitFailsTheTag) {
  Case k = genglo();
  auto c0 = parsed(parse_ciphered, k.apdu);
  ASSERT_TRUE(c0);
  KeyRing ring = ring_for(*c0, k.ek, k.ak);
  // A bit deep in the body: the plaintext still starts like an APDU, so it is a forgery.
  auto bad = k.apdu;
  bad[30] ^= 0x01;
  auto c = parsed(parse_ciphered, bad);
  ASSERT_TRUE(c);
  expect_failure(*c, ring, Errc::security_auth_failed, bad.size() - 12);
  // The keyed objects are reused: the good frame still decrypts after a failure.
  std::vector<std::uint8_t> out;
  auto d = decrypt(*c0, ring, out);
  ASSERT_TRUE(d);
  EXPECT_EQ(to_vec(d->plaintext), k.plaintext);
}

TEST(Security, FlippedTagBitFailsTheTag) {
  Case k = genglo();
  auto bad = k.apdu;
  bad.back() ^= 0x80;
  auto c = parsed(parse_ciphered, bad);
  ASSERT_TRUE(c);
  KeyRing ring = ring_for(*c, k.ek, k.ak);
  expect_failure(*c, ring, Errc::security_auth_failed, bad.size() - 12);
}

TEST(Security, WrongAuthenticationKeyFailsTheTag) {
  Case k = genglo();
  auto c = parsed(parse_ciphered, k.apdu);
  ASSERT_TRUE(c);
  Key other_ak = *k.ak;
  other_ak[0] ^= 0xFF;
  expect_failure(*c, ring_for(*c, k.ek, other_ak), Errc::security_auth_failed, k.apdu.size() - 12);
}

TEST(Security, Sc30WithOnlyEkIsDecryptedUnverified) {
  Case k = genglo();
  k.ak.reset();
  expect_plaintext(k, SecurityState::decrypted_unverified);
}

TEST(Security, WrongEncryptionKeyIsWrongKey) {
  Case k = genglo();
  auto c = parsed(parse_ciphered, k.apdu);
  ASSERT_TRUE(c);
  Key wrong = k.ek;
  wrong[15] ^= 0x01;
  expect_failure(*c, ring_for(*c, wrong, k.ak), Errc::security_wrong_key, 16);
  expect_failure(*c, ring_for(*c, wrong, std::nullopt), Errc::security_wrong_key, 16);
  Case e = evn();
  auto ce = parsed(parse_ciphered, e.apdu);
  ASSERT_TRUE(ce);
  expect_failure(*ce, ring_for(*ce, wrong, std::nullopt), Errc::security_wrong_key, 17);
}

TEST(Security, UnknownSystemTitleAndDefaultKey) {
  Case k = evn();
  auto c = parsed(parse_ciphered, k.apdu);
  ASSERT_TRUE(c);
  KeyRing ring;
  EXPECT_TRUE(ring.empty());
  ring.add(SystemTitle{1, 2, 3, 4, 5, 6, 7, 8}, k.ek);
  EXPECT_FALSE(ring.empty());
  expect_failure(*c, ring, Errc::security_no_key, 2);
  ring.add(std::nullopt, k.ek);  // the default serves every other title
  std::vector<std::uint8_t> out;
  auto d = decrypt(*c, ring, out);
  ASSERT_TRUE(d);
  EXPECT_EQ(to_vec(d->plaintext), k.plaintext);
  // A title-specific entry wins over the default; adding the same title again replaces it.
  Key wrong = k.ek;
  wrong[0] ^= 1;
  ring.add(c->system_title, wrong);
  expect_failure(*c, ring, Errc::security_wrong_key, 17);
  ring.add(c->system_title, k.ek);
  EXPECT_TRUE(decrypt(*c, ring, out));
}

TEST(Security, UnsupportedSecurityControl) {
  Case k = evn();
  auto c = parsed(parse_ciphered, k.apdu);
  ASSERT_TRUE(c);
  KeyRing ring = ring_for(*c, k.ek, std::nullopt);
  for (int sc : {0xA0, 0x22, 0x25, 0x00}) {
    CipheredApdu changed = *c;
    changed.security_control = static_cast<std::uint8_t>(sc);
    expect_failure(changed, ring, Errc::security_unsupported, 12);  // the SC byte
  }
  CipheredApdu broadcast = *c;
  broadcast.security_control = 0x60;  // broadcast bit: the ring's key serves it too
  std::vector<std::uint8_t> out;
  EXPECT_TRUE(decrypt(broadcast, ring, out));
}

// Authentication only (SC 0x10): the APDU in clear, then a 12-byte GMAC over SC || AK || APDU
// (Green Book 9.2.7.2.4.2). The tag is computed here straight from that formula with Botan, not
// with the engine's encrypt(), so the two meet only in this test.
std::vector<std::uint8_t> gmac_by_formula(const Key& ek, const Key& ak, std::uint8_t sc,
                                          const SystemTitle& st, std::uint32_t ic, Bytes apdu) {
  auto gcm = Botan::AEAD_Mode::create("AES-128/GCM(12)", Botan::ENCRYPTION);
  gcm->set_key(ek.data(), ek.size());
  std::vector<std::uint8_t> aad{sc};
  aad.insert(aad.end(), ak.begin(), ak.end());
  aad.insert(aad.end(), apdu.begin(), apdu.end());
  gcm->set_associated_data(aad.data(), aad.size());
  std::vector<std::uint8_t> iv(st.begin(), st.end());
  for (int shift = 24; shift >= 0; shift -= 8) iv.push_back(static_cast<std::uint8_t>(ic >> shift));
  gcm->start(iv.data(), iv.size());
  Botan::secure_vector<std::uint8_t> tag;
  gcm->finish(tag);
  return {tag.begin(), tag.end()};
}

// DB 08 <title> <length> 10 <IC> <APDU> <tag>, for a notification in clear.
std::vector<std::uint8_t> auth_only_apdu(const Case& k, std::vector<std::uint8_t>& sealed) {
  const SystemTitle st{0x4b, 0x46, 0x4d, 0x10, 0x20, 0x00, 0x37, 0x74};
  EXPECT_TRUE(encrypt(k.ek, k.ak, 0x10, st, 0x01020304, k.plaintext, sealed));
  std::vector<std::uint8_t> apdu{kGeneralGloCiphering, 0x08};
  apdu.insert(apdu.end(), st.begin(), st.end());
  const std::size_t len = 5 + sealed.size();
  apdu.insert(apdu.end(), {0x81, static_cast<std::uint8_t>(len), 0x10, 0x01, 0x02, 0x03, 0x04});
  apdu.insert(apdu.end(), sealed.begin(), sealed.end());
  return apdu;
}

TEST(Security, AuthenticationOnlySc10) {
  Case k = genglo();
  ASSERT_LT(k.plaintext.size() + 17, 0x100u);
  std::vector<std::uint8_t> sealed;
  std::vector<std::uint8_t> apdu = auth_only_apdu(k, sealed);
  // encrypt() writes the APDU in clear and the GMAC of the formula.
  ASSERT_EQ(sealed.size(), k.plaintext.size() + 12);
  EXPECT_TRUE(std::equal(k.plaintext.begin(), k.plaintext.end(), sealed.begin()));
  const SystemTitle st{0x4b, 0x46, 0x4d, 0x10, 0x20, 0x00, 0x37, 0x74};
  const auto tag = gmac_by_formula(k.ek, *k.ak, 0x10, st, 0x01020304, k.plaintext);
  EXPECT_TRUE(std::equal(tag.begin(), tag.end(), sealed.end() - 12));

  auto c = parsed(parse_ciphered, apdu);
  ASSERT_TRUE(c);
  std::vector<std::uint8_t> out;
  auto with_ak = decrypt(*c, ring_for(*c, k.ek, k.ak), out);
  ASSERT_TRUE(with_ak);
  EXPECT_EQ(with_ak->state, SecurityState::authenticated);
  EXPECT_EQ(to_vec(with_ak->plaintext), k.plaintext);
  auto without_ak = decrypt(*c, ring_for(*c, k.ek, std::nullopt), out);
  ASSERT_TRUE(without_ak);
  EXPECT_EQ(without_ak->state, SecurityState::unverified);
  EXPECT_EQ(to_vec(without_ak->plaintext), k.plaintext);
  auto no_key = decrypt(*c, KeyRing{}, out);
  ASSERT_TRUE(no_key);
  EXPECT_EQ(no_key->state, SecurityState::unverified);
  EXPECT_STREQ(state_name(SecurityState::unverified), "unverified");
}

TEST(Security, AuthenticationOnlySc10ForgedIsRejected) {
  Case k = genglo();
  std::vector<std::uint8_t> sealed;
  const std::vector<std::uint8_t> good = auth_only_apdu(k, sealed);
  // One bit of the APDU in clear, of the tag, of the SC suite, of the IC or of the title.
  for (std::size_t at :
       {good.size() - 20, good.size() - 1, std::size_t{12}, std::size_t{15}, std::size_t{5}}) {
    std::vector<std::uint8_t> bad = good;
    bad[at] ^= at == 12 ? 0x01 : 0x04;  // SC 0x10 -> 0x11: another suite, another AAD
    auto c = parsed(parse_ciphered, bad);
    ASSERT_TRUE(c) << at;
    expect_failure(*c, ring_for(*c, k.ek, k.ak), Errc::security_auth_failed, bad.size() - 12);
  }
}

TEST(Security, EncryptReproducesVectorBytes) {
  Case g = genglo();
  auto c = parsed(parse_ciphered, g.apdu);
  ASSERT_TRUE(c);
  std::vector<std::uint8_t> out;
  encrypt(g.ek, g.ak, 0x30, c->system_title, c->invocation_counter, g.plaintext, out);
  EXPECT_EQ(out, to_vec(Bytes(g.apdu).subspan(c->ciphertext_offset)));  // ciphertext || tag

  Case e = evn();
  auto ce = parsed(parse_ciphered, e.apdu);
  ASSERT_TRUE(ce);
  encrypt(e.ek, std::nullopt, 0x20, ce->system_title, ce->invocation_counter, e.plaintext, out);
  EXPECT_EQ(out, to_vec(ce->ciphertext));
}

// Wraps ciphertext into general-glo-ciphering, as a meter would send it.
std::vector<std::uint8_t> wrap(std::uint8_t sc, const SystemTitle& st, std::uint32_t ic,
                               const std::vector<std::uint8_t>& ct) {
  std::vector<std::uint8_t> apdu;
  ByteWriter w(apdu);
  w.put_u8(kGeneralGloCiphering);
  w.put_u8(8);
  w.put_bytes(st);
  w.put_ber_length_prefixed([&](ByteWriter& inner) {
    inner.put_u8(sc);
    inner.put_u32be(ic);
    inner.put_bytes(ct);
  });
  return apdu;
}

TEST(Security, EncryptDecryptRoundTrip) {
  const Key ek{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
               0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
  const Key ak{0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
               0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf};
  const SystemTitle st{'K', 'F', 'M', 0x10, 0x10, 0, 0, 0x23};
  KeyRing ring;
  ring.add(st, ek, ak);
  // 200 bytes: long enough for the 81 xx length form and several AES blocks.
  std::vector<std::uint8_t> plain = hex("0f 00000001 00 0981be");
  plain.resize(200, 0x5A);
  std::vector<std::uint8_t> ct;
  std::vector<std::uint8_t> out;
  for (int sc_value : {0x20, 0x21, 0x30, 0x31}) {
    const auto sc = static_cast<std::uint8_t>(sc_value);
    encrypt(ek, ak, sc, st, 0xCAFE0000u + sc, plain, ct);
    EXPECT_EQ(ct.size(), plain.size() + ((sc & 0x10) ? 12 : 0));
    auto apdu = wrap(sc, st, 0xCAFE0000u + sc, ct);
    auto c = parsed(parse_ciphered, apdu);
    ASSERT_TRUE(c) << int{sc};
    auto d = decrypt(*c, ring, out);
    ASSERT_TRUE(d) << int{sc} << ": " << name(d.error().code);
    EXPECT_EQ(d->state, (sc & 0x10) ? SecurityState::authenticated : SecurityState::decrypted);
    EXPECT_EQ(to_vec(d->plaintext), plain);
  }
}

TEST(Security, OutputBufferIsReused) {
  Case k = genglo();
  auto c = parsed(parse_ciphered, k.apdu);
  ASSERT_TRUE(c);
  KeyRing ring = ring_for(*c, k.ek, k.ak);
  std::vector<std::uint8_t> out;
  out.reserve(256);
  const auto* data = out.data();
  for (int i = 0; i < 5; ++i) {
    auto d = decrypt(*c, ring, out);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->plaintext.data(), data);
  }
}

TEST(Security, StateNames) {
  EXPECT_STREQ(state_name(SecurityState::authenticated), "authenticated");
  EXPECT_STREQ(state_name(SecurityState::decrypted_unverified), "decrypted_unverified");
  EXPECT_STREQ(state_name(SecurityState::plain), "plain");
  EXPECT_STREQ(state_name(SecurityState::decrypted), "decrypted");
}

}  // namespace
}  // namespace meterlab::dlms
