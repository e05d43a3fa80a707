// The P1 byte watch through the Decoder (core/stream_buffer.hpp watch_for()): a telegram pushed
// one byte at a time is tested where each byte is stored, and the framer looks only when a '!'
// or '/' comes, when a push carries several bytes, at the length bound, or at finish(), then
// once the '!' line can tell more. Each case: the events, when they come (after which byte),
// their offsets, and every byte counted.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "meterlab/core/crc.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/p1/framer.hpp"

namespace meterlab {
namespace {

const std::string kBody =
    "/ISk5\\2MT382-1000\r\n\r\n1-3:0.2.8(50)\r\n0-0:1.0.0(170102192002W)\r\n"
    "1-0:1.8.1(012345.678*kWh)\r\n1-0:1.7.0(00.244*kW)\r\n";

Bytes as_bytes(const std::string& s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// kBody closed with '!', its CRC-16/ARC and CRLF (DSMR 5.0.2 clause 6.2).
std::string telegram() {
  std::string t = kBody + "!";
  const std::array<char, 4> crc = crc16_arc_text(crc16_arc(as_bytes(t)));
  t.append(crc.data(), crc.size());
  return t + "\r\n";
}

// One event with the number of bytes pushed when it came.
struct Seen {
  Decoder::Event event;
  std::size_t after;     // bytes pushed so far
  std::size_t offset;    // telegram: its stream offset; rejection: its error's offset
  Errc code = Errc::ok;  // rejection
  std::size_t frame_offset = 0;
};

void drain(Decoder& dec, std::size_t after, std::vector<Seen>& out) {
  for (auto ev = dec.next(); ev != Decoder::Event::need_more; ev = dec.next()) {
    if (ev == Decoder::Event::telegram) {
      out.push_back({ev, after, dec.telegram().stream_offset});
    } else {
      const Rejection& r = dec.rejection();
      out.push_back({ev, after, r.error.offset, r.error.code, r.frame_offset});
    }
  }
}

// Pushes `s[from, to)` one byte at a time, draining after each.
void push_bytes(Decoder& dec, const std::string& s, std::size_t from, std::size_t to,
                std::vector<Seen>& out) {
  for (std::size_t i = from; i < to; ++i) {
    dec.push(as_bytes(s).subspan(i, 1));
    drain(dec, i + 1, out);
  }
}

void expect_every_byte_counted(const Decoder& dec, std::size_t total) {
  EXPECT_EQ(dec.stats().bytes_in, total);
  EXPECT_EQ(dec.stats().bytes_in, dec.stats().bytes_in_frames + dec.stats().bytes_discarded);
}

// Two copies of `t` pushed one byte at a time: each telegram comes with its own last byte.
void expect_each_with_its_last_byte(const std::string& t) {
  const std::string s = t + t;
  Decoder dec(InputTransport::p1);
  std::vector<Seen> seen;
  push_bytes(dec, s, 0, s.size(), seen);
  ASSERT_EQ(seen.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(seen[i].event, Decoder::Event::telegram);
    EXPECT_EQ(seen[i].offset, i * t.size());
    EXPECT_EQ(seen[i].after, (i + 1) * t.size());
  }
  EXPECT_EQ(dec.stats().telegrams, 2u);
  EXPECT_EQ(dec.stats().bytes_in_frames, s.size());
  expect_every_byte_counted(dec, s.size());
}

TEST(P1ByteWatch, EachTelegramComesWithItsLastByte) { expect_each_with_its_last_byte(telegram()); }

// The '!' arrives inside a push of several bytes after a run of single ones: the push ends the
// wait and the buffer looks at the bytes since its last look.
TEST(P1ByteWatch, APushOfSeveralBytesAfterSingleOnesFindsTheEnd) {
  const std::string t = telegram();
  const std::size_t bang = kBody.size();
  Decoder dec(InputTransport::p1);
  std::vector<Seen> seen;
  push_bytes(dec, t, 0, bang - 5, seen);
  EXPECT_TRUE(seen.empty());
  dec.push(as_bytes(t).subspan(bang - 5, 10));  // five body bytes, '!', four CRC digits
  drain(dec, bang + 5, seen);
  EXPECT_TRUE(seen.empty());  // the CRLF is still to come
  push_bytes(dec, t, bang + 5, t.size(), seen);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event, Decoder::Event::telegram);
  EXPECT_EQ(seen[0].after, t.size());
  expect_every_byte_counted(dec, t.size());
}

// No '!' within kMaxTelegram bytes of the '/': p1_too_long once the bound is reached, at the
// bound's offset, and the telegram after it decodes.
TEST(P1ByteWatch, TheBoundReachedByteByByteIsTooLongAtItsOffset) {
  const std::string t = telegram();
  std::string s = "/XXX5 long\r\n1-0:1.8.0(";
  s.append(p1::kMaxTelegram + 100 - s.size(), '7');
  s += t;
  Decoder dec(InputTransport::p1);
  std::vector<Seen> seen;
  push_bytes(dec, s, 0, s.size(), seen);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].event, Decoder::Event::rejection);
  EXPECT_EQ(seen[0].code, Errc::p1_too_long);
  EXPECT_EQ(seen[0].offset, p1::kMaxTelegram);
  EXPECT_EQ(seen[0].frame_offset, 0u);
  EXPECT_LE(seen[0].after, p1::kMaxTelegram + 100);
  EXPECT_EQ(seen.back().event, Decoder::Event::telegram);
  EXPECT_EQ(seen.back().offset, p1::kMaxTelegram + 100);
  EXPECT_EQ(seen.back().after, s.size());
  EXPECT_EQ(dec.stats().telegrams, 1u);
  EXPECT_EQ(dec.stats().bytes_discarded, p1::kMaxTelegram + 100);
  expect_every_byte_counted(dec, s.size());
}

// The end of input while the buffer watches: the partial telegram is p1_truncated at the end of
// the input, and a new input after it decodes from where the old one ended.
TEST(P1ByteWatch, FinishDuringAWatchTruncatesAndANewInputGoesOn) {
  const std::string t = telegram();
  const std::size_t cut = 40;
  Decoder dec(InputTransport::p1);
  std::vector<Seen> seen;
  push_bytes(dec, t, 0, cut, seen);
  EXPECT_TRUE(seen.empty());
  dec.finish();
  drain(dec, cut, seen);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event, Decoder::Event::rejection);
  EXPECT_EQ(seen[0].code, Errc::p1_truncated);
  EXPECT_EQ(seen[0].offset, cut);
  EXPECT_EQ(seen[0].frame_offset, 0u);
  for (std::size_t i = 0; i < t.size(); ++i) {
    dec.push(as_bytes(t).subspan(i, 1));
    drain(dec, cut + i + 1, seen);
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].event, Decoder::Event::telegram);
  EXPECT_EQ(seen[1].offset, cut);
  EXPECT_EQ(seen[1].after, cut + t.size());
  expect_every_byte_counted(dec, cut + t.size());
}

// `bad` then a good telegram, pushed one byte at a time: `bad` is one discarded run (`code` at
// `error_at`), reported before the telegram that ends it, which comes with its last byte.
void expect_discarded_then_telegram(const std::string& bad, Errc code, std::size_t error_at) {
  const std::string s = bad + telegram();
  Decoder dec(InputTransport::p1);
  std::vector<Seen> seen;
  push_bytes(dec, s, 0, s.size(), seen);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].event, Decoder::Event::rejection);
  EXPECT_EQ(seen[0].code, code);
  EXPECT_EQ(seen[0].offset, error_at);
  EXPECT_EQ(seen[0].frame_offset, 0u);
  EXPECT_EQ(seen[0].after, s.size());
  EXPECT_EQ(seen[1].event, Decoder::Event::telegram);
  EXPECT_EQ(seen[1].offset, bad.size());
  EXPECT_EQ(seen[1].after, s.size());
  EXPECT_EQ(dec.stats().bytes_discarded, bad.size());
  expect_every_byte_counted(dec, s.size());
}

// A '/' before the '!' (the next telegram's start) ends the watch too: the cut telegram is
// p1_truncated at the '/'.
TEST(P1ByteWatch, TheNextStartPushedAloneEndsTheWatch) {
  expect_discarded_then_telegram(kBody.substr(0, 60), Errc::p1_truncated, 60);
}

// After the '!' the framer waits for the four CRC digits and the first byte of the line end at
// once: a bad digit is found then, at its own offset.
TEST(P1ByteWatch, ABadCrcDigitIsReportedAtItsOffset) {
  std::string bad = telegram();
  const std::size_t digit = kBody.size() + 2;  // the second CRC digit
  bad[digit] = 'G';
  expect_discarded_then_telegram(bad, Errc::p1_bad_crc, digit);
}

// A telegram with no CRC (DSMR 2.2: '!' CR LF) is not held back waiting for digits: it comes
// with its LF.
TEST(P1ByteWatch, ATelegramWithoutCrcComesWithItsLineEnd) {
  expect_each_with_its_last_byte(kBody + "!\r\n");
}

}  // namespace
}  // namespace meterlab
