// Encrypted P1 frames (DB 08 <system title> <length> <SC> <IC> <ciphertext> <tag>) through the
// framer and open(): the trust states, a forged tag, a wrong key, and the inner CRC reported
// apart from the tag.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "meterlab/core/bytes.hpp"
#include "test_util.hpp"

namespace meterlab::p1 {
namespace {

using test::as_bytes;
using test::run_stream;
using test::telegram;

constexpr dlms::Key kEk = {0xd4, 0x91, 0x47, 0x0f, 0x47, 0x12, 0x63, 0x32,
                           0xb0, 0x7d, 0x19, 0x23, 0xb3, 0x50, 0x41, 0x88};
constexpr dlms::Key kAk = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                           0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
constexpr dlms::SystemTitle kTitle = {'S', 'A', 'G', 0x67, 0x70, 0x01, 0xbd, 0x54};
constexpr std::uint8_t kSc = 0x30;  // encrypted and authenticated, suite 0
constexpr std::uint32_t kIc = 0x0005a8e3;

const std::string kBody =
    "/Lux5\\253663629_D\r\n\r\n1-3:0.2.8(42)\r\n0-0:1.0.0(180130102122W)\r\n"
    "1-0:1.8.0(000006.695*kWh)\r\n";

// A Smarty frame around `text`: general-glo-ciphering, SC 0x30, the 12-byte tag.
std::vector<std::uint8_t> smarty_frame(const std::string& text, std::uint32_t ic = kIc) {
  std::vector<std::uint8_t> sealed;
  EXPECT_TRUE(dlms::encrypt(kEk, kAk, kSc, kTitle, ic, as_bytes(text), sealed));
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.put_u8(kCiphered);
  w.put_u8(kSystemTitleLength);
  w.put_bytes(kTitle);
  w.put_ber_length_prefixed([&](ByteWriter& body) {
    body.put_u8(kSc);
    body.put_u32be(ic);
    body.put_bytes(sealed);
  });
  return out;
}

dlms::KeyRing keys(bool with_ak, const dlms::Key& ek = kEk) {
  dlms::KeyRing ring;
  ring.add(std::nullopt, ek, with_ak ? std::optional<dlms::Key>(kAk) : std::nullopt);
  return ring;
}

TEST(P1Secure, TagVerifiedWithTheAkIsAuthenticated) {
  const auto frame = smarty_frame(telegram(kBody));
  for (std::size_t chunk : {0u, 1u, 5u}) {
    const test::Run run = run_stream(frame, chunk, keys(true));
    ASSERT_EQ(run.telegrams.size(), 1u) << chunk;
    const cosem::Telegram& t = run.telegrams[0].telegram;
    EXPECT_EQ(t.security, static_cast<std::uint8_t>(dlms::SecurityState::authenticated));
    EXPECT_EQ(run.telegrams[0].decoded.check, Check::gcm_tag);
    EXPECT_EQ(t.invocation_counter, kIc);
    EXPECT_EQ(t.length, frame.size());
    EXPECT_EQ(t.text(t.meter_type), "Lux5\\253663629_D");
    EXPECT_EQ(t.readings.size(), 3u);
  }
}

TEST(P1Secure, WithoutAnAkItIsDecryptedUnverifiedAndTheCrcIsTheCheck) {
  const auto frame = smarty_frame(telegram(kBody));
  const test::Run run = run_stream(frame, 0, keys(false));
  ASSERT_EQ(run.telegrams.size(), 1u);
  EXPECT_EQ(run.telegrams[0].telegram.security,
            static_cast<std::uint8_t>(dlms::SecurityState::decrypted_unverified));
  EXPECT_EQ(run.telegrams[0].decoded.check, Check::crc16);
}

TEST(P1Secure, AForgedTagIsRejected) {
  auto frame = smarty_frame(telegram(kBody));
  frame.back() ^= 0x01;
  const test::Run run = run_stream(frame, 0, keys(true));
  EXPECT_TRUE(run.telegrams.empty());
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_EQ(run.errors[0].code, Errc::security_auth_failed);
}

TEST(P1Secure, AWrongKeyIsWrongKeyAndNoKeyIsNoKey) {
  const auto frame = smarty_frame(telegram(kBody));
  dlms::Key other = kEk;
  other[0] ^= 0xFF;
  const test::Run wrong = run_stream(frame, 0, keys(false, other));
  ASSERT_EQ(wrong.errors.size(), 1u);
  EXPECT_EQ(wrong.errors[0].code, Errc::security_wrong_key);
  const test::Run none = run_stream(frame, 0);
  ASSERT_EQ(none.errors.size(), 1u);
  EXPECT_EQ(none.errors[0].code, Errc::security_no_key);
}

TEST(P1Secure, AnInnerCrcMismatchIsAWarningOnlyUnderAVerifiedTag) {
  std::string text = telegram(kBody);
  text[text.size() - 3] = text[text.size() - 3] == '0' ? '1' : '0';
  const auto frame = smarty_frame(text);
  const test::Run verified = run_stream(frame, 0, keys(true));
  ASSERT_EQ(verified.telegrams.size(), 1u);
  ASSERT_EQ(verified.warnings.size(), 1u);
  EXPECT_EQ(verified.warnings[0].code, Errc::p1_crc_mismatch);
  const test::Run unverified = run_stream(frame, 0, keys(false));
  EXPECT_TRUE(unverified.telegrams.empty());
  ASSERT_EQ(unverified.errors.size(), 1u);
  EXPECT_EQ(unverified.errors[0].code, Errc::p1_crc_mismatch);
}

TEST(P1Secure, TextTelegramsAroundAnEncryptedFrameAreKept) {
  const std::string plain = telegram("/XXX5\r\n\r\n1-0:1.8.0(1*Wh)\r\n");
  const auto frame = smarty_frame(telegram(kBody));
  std::vector<std::uint8_t> s(plain.begin(), plain.end());
  s.insert(s.end(), frame.begin(), frame.end());
  s.insert(s.end(), plain.begin(), plain.end());
  for (std::size_t chunk : {0u, 1u, 13u}) {
    const test::Run run = run_stream(s, chunk, keys(true));
    EXPECT_TRUE(run.errors.empty()) << chunk;
    ASSERT_EQ(run.telegrams.size(), 3u) << chunk;
    EXPECT_EQ(run.telegrams[1].decoded.check, Check::gcm_tag);
  }
}

TEST(P1Secure, AnEncryptedFrameCutShortIsTruncated) {
  const auto frame = smarty_frame(telegram(kBody));
  const test::Run run = run_stream(Bytes(frame).first(frame.size() - 5), 0, keys(true));
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_EQ(run.errors[0].code, Errc::p1_truncated);
  EXPECT_EQ(run.errors[0].offset, 0u);
}

// A frame cut short claims more bytes than it has: its claimed extent takes in the next frame's
// header. It is truncated where that header starts, hunting resumes there, and the next frame
// is decoded, whatever the chunks. A cut inside the header itself (4 bytes kept: the title read
// runs into the next frame) is found by the title of the frame before.
TEST(P1Secure, AFrameCutShortDoesNotSwallowTheNextOne) {
  const auto before = smarty_frame(telegram(kBody), kIc);
  const auto cut = smarty_frame(telegram(kBody), kIc + 1);
  const auto after = smarty_frame(telegram(kBody), kIc + 2);
  for (std::size_t kept : {std::size_t{4}, std::size_t{13}, std::size_t{40}, cut.size() - 2}) {
    std::vector<std::uint8_t> s = before;
    s.insert(s.end(), cut.begin(), cut.begin() + static_cast<std::ptrdiff_t>(kept));
    s.insert(s.end(), after.begin(), after.end());
    for (std::size_t chunk : {0u, 1u, 7u}) {
      const test::Run run = run_stream(s, chunk, keys(true));
      ASSERT_EQ(run.telegrams.size(), 2u) << kept << " " << chunk;
      EXPECT_EQ(run.telegrams[1].telegram.invocation_counter, kIc + 2);
      EXPECT_EQ(run.telegrams[1].telegram.stream_offset, before.size() + kept);
      ASSERT_EQ(run.errors.size(), 1u) << kept << " " << chunk;
      EXPECT_EQ(run.errors[0].code, Errc::p1_truncated);
      EXPECT_EQ(run.errors[0].offset, before.size());  // the cut frame's first byte
      EXPECT_EQ(run.stats.bytes_discarded, kept);
      EXPECT_EQ(run.stats.format_errors, 1u);
    }
  }
}

// The same at the start of the stream, where no frame came before: the cut frame's own title
// finds the next header; the discarded run says where the cut frame ended.
TEST(P1Secure, ACutFirstFrameIsTruncatedWhereTheNextBegins) {
  const auto cut = smarty_frame(telegram(kBody), kIc);
  const auto after = smarty_frame(telegram(kBody), kIc + 1);
  std::vector<std::uint8_t> s(cut.begin(), cut.begin() + 40);
  s.insert(s.end(), after.begin(), after.end());
  Framer fr;
  fr.push(s);
  const Event discard = fr.next();
  ASSERT_EQ(discard.kind, Event::Kind::discard);
  EXPECT_EQ(discard.discard.stream_offset, 0u);
  EXPECT_EQ(discard.discard.length, 40u);
  EXPECT_EQ(discard.discard.error.code, Errc::p1_truncated);
  EXPECT_EQ(discard.discard.error.offset, 40u);
  const Event frame = fr.next();
  ASSERT_EQ(frame.kind, Event::Kind::frame);
  EXPECT_EQ(frame.frame.stream_offset, 40u);
  EXPECT_EQ(frame.frame.length, after.size());
}

// One flipped bit clears the authentication bit of SC 0x30: the frame would decrypt without its
// tag (the tag's 12 bytes as padding after the '!' line) and look trusted. With the AK known it
// is rejected at the SC byte; without one it decrypts as `decrypted`, never `authenticated`.
TEST(P1Secure, AnScThatLostItsAuthenticationBitIsRejected) {
  const std::string text = telegram(kBody);
  auto frame = smarty_frame(text);
  const std::size_t sc_at = frame.size() - (text.size() + 12) - 5;  // SC, IC (4)
  ASSERT_EQ(frame[sc_at], kSc);
  frame[sc_at] ^= 0x10;
  const test::Run keyed = run_stream(frame, 0, keys(true));
  EXPECT_TRUE(keyed.telegrams.empty());
  ASSERT_EQ(keyed.errors.size(), 1u);
  EXPECT_EQ(keyed.errors[0].code, Errc::security_downgraded);
  EXPECT_EQ(keyed.errors[0].offset, sc_at);
  EXPECT_EQ(layer_of(keyed.errors[0].code), Layer::security);
  const test::Run ek_only = run_stream(frame, 0, keys(false));
  ASSERT_EQ(ek_only.telegrams.size(), 1u);
  EXPECT_EQ(ek_only.telegrams[0].telegram.security,
            static_cast<std::uint8_t>(dlms::SecurityState::decrypted));
}

}  // namespace
}  // namespace meterlab::p1
