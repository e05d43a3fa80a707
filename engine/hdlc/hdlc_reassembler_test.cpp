// HDLC segment reassembly over real captures and test-built segments: LLC forms, addresses,
// the message limit.
#include <gtest/gtest.h>

#include "hdlc_test_util.hpp"

namespace meterlab::hdlc::test {
namespace {

// ---- reassembly ------------------------------------------------------------------------------

Event frame_event(const Buf& bytes, Framer& f) {
  f.push(bytes);
  return f.next();
}

TEST(HdlcReassembler, UnsegmentedFrameIsAMessageWithoutItsLlc) {
  const Vector v = vector_named("hdlc-plain/aidon-6525-list2.json");
  Framer f;
  const Event e = frame_event(v.bytes, f);
  ASSERT_EQ(e.kind, Event::Kind::frame);
  Reassembler r;
  const auto done = r.push(e.frame);
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE(*done);
  EXPECT_TRUE(r.message().had_llc);
  EXPECT_EQ(r.message().segments, 1U);
  EXPECT_EQ(r.message().apdu.size(), e.frame.info.size() - 3);
  EXPECT_EQ(r.message().apdu[0], 0x0F);  // data-notification
  EXPECT_EQ(r.message().length, v.bytes.size());
}

// The vector's quirk says every frame has its own LLC; the bytes say only the first one has:
// the other two are bare GBT blocks. Either way each frame is a message of its own here.
TEST(HdlcReassembler, LgGbtCaptureIsThreeMessages) {
  const Vector v = vector_named("hdlc-plain/lg-e450-ch-gh740-gbt-3frames.json");
  Framer f;
  f.push(v.bytes);
  Reassembler r;
  int messages = 0;
  for (Event e = f.next(); e.kind != Event::Kind::need_more; e = f.next()) {
    ASSERT_EQ(e.kind, Event::Kind::frame);
    const auto done = r.push(e.frame);
    ASSERT_TRUE(done.has_value());
    ASSERT_TRUE(*done);
    EXPECT_EQ(r.message().had_llc, messages == 0);
    EXPECT_EQ(r.message().apdu[0], 0xE0);  // general-block-transfer, the dlms layer's job
    EXPECT_EQ(r.message().apdu.size(), e.frame.info.size() - (messages == 0 ? 3 : 0));
    ++messages;
  }
  EXPECT_EQ(messages, 3);
}

// Splits a real frame's information field into segments with S set on all but the last.
Buf segment(const Buf& wire, const std::vector<std::size_t>& sizes, Buf& info_out) {
  Framer f;
  const Event e = frame_event(wire, f);
  info_out.assign(e.frame.info.begin(), e.frame.info.end());
  const Buf dst = hex("41"), src = hex("0883");
  Buf out;
  std::size_t pos = 0;
  for (std::size_t i = 0; i <= sizes.size(); ++i) {
    const std::size_t n = i < sizes.size() ? sizes[i] : info_out.size() - pos;
    const Buf part(info_out.begin() + static_cast<long>(pos),
                   info_out.begin() + static_cast<long>(pos + n));
    const Buf frame = build_frame(dst, src, 0x13, part, i < sizes.size());
    out.insert(out.end(), frame.begin(), frame.end());
    pos += n;
  }
  return out;
}

TEST(HdlcReassembler, SegmentsOfARealFrameReassembleToItsApdu) {
  const Buf wire = vector_named("hdlc-plain/aidon-6525-list2.json").bytes;
  Buf info;
  const Buf stream = segment(wire, {100, 90}, info);
  Framer f;
  f.push(stream);
  Reassembler r;
  std::vector<bool> done;
  for (Event e = f.next(); e.kind != Event::Kind::need_more; e = f.next()) {
    ASSERT_EQ(e.kind, Event::Kind::frame);
    EXPECT_EQ(e.frame.segmented, done.size() < 2);
    const auto res = r.push(e.frame);
    ASSERT_TRUE(res.has_value());
    done.push_back(*res);
  }
  EXPECT_EQ(done, (std::vector<bool>{false, false, true}));
  const Message& m = r.message();
  EXPECT_EQ(m.segments, 3U);
  EXPECT_TRUE(m.had_llc);
  EXPECT_EQ(m.stream_offset, 0U);
  EXPECT_EQ(m.length, stream.size());
  EXPECT_EQ(m.dst, address_of("41"));
  EXPECT_EQ(m.src, address_of("0883"));
  EXPECT_EQ(Buf(m.apdu.begin(), m.apdu.end()), Buf(info.begin() + 3, info.end()));
}

// Frames `wire` alone and hands the frame to `r`. The framers stay alive: a one-frame message
// points into its framer's buffer.
Result<bool> push_frame(Reassembler& r, const Buf& wire, std::size_t offset = 0) {
  static std::list<Framer> framers;
  Framer& f = framers.emplace_back();
  const Event e = frame_event(wire, f);
  EXPECT_EQ(e.kind, Event::Kind::frame);
  Frame frame = e.frame;
  frame.stream_offset += offset;
  return r.push(frame);
}

TEST(HdlcReassembler, LlcForms) {
  Reassembler r;
  auto res = push_frame(r, build_frame(hex("03"), hex("21"), 0x13, hex("e6e6000f01")));
  ASSERT_TRUE(res.has_value());
  EXPECT_TRUE(r.message().had_llc);
  EXPECT_EQ(Buf(r.message().apdu.begin(), r.message().apdu.end()), hex("0f01"));

  res = push_frame(r, build_frame(hex("03"), hex("21"), 0x13, hex("0f0203")));
  ASSERT_TRUE(res.has_value());
  EXPECT_FALSE(r.message().had_llc);  // no LLC: passed through unchanged
  EXPECT_EQ(Buf(r.message().apdu.begin(), r.message().apdu.end()), hex("0f0203"));

  // E6 followed by something else: info starts after 7E A0 xx 03 21 13 HCS HCS = offset 8.
  res = push_frame(r, build_frame(hex("03"), hex("21"), 0x13, hex("e6010f02")), 1000);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, Errc::hdlc_bad_llc);
  EXPECT_EQ(res.error().offset, 1008U);
  res = push_frame(r, build_frame(hex("03"), hex("21"), 0x13, hex("e6e7")));
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, Errc::hdlc_bad_llc);
}

TEST(HdlcReassembler, FrameFromOtherAddressesDropsThePendingMessage) {
  Reassembler r;
  auto res = push_frame(r, build_frame(hex("41"), hex("0883"), 0x13, hex("e6e7000f01"), true));
  ASSERT_TRUE(res.has_value());
  EXPECT_FALSE(*res);
  res = push_frame(r, build_frame(hex("03"), hex("21"), 0x13, hex("e6e7000faa")), 500);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, Errc::hdlc_segment_mismatch);
  EXPECT_EQ(res.error().offset, 500U);
  // The other station's frame is whole by itself and is not lost.
  ASSERT_TRUE(r.ready());
  EXPECT_EQ(Buf(r.message().apdu.begin(), r.message().apdu.end()), hex("0faa"));
  EXPECT_EQ(r.message().src, address_of("21"));
  // And the dropped message never completes: its last segment now opens nothing.
  res = push_frame(r, build_frame(hex("41"), hex("0883"), 0x13, hex("0203")));
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(Buf(r.message().apdu.begin(), r.message().apdu.end()), hex("0203"));
  EXPECT_EQ(r.message().segments, 1U);
}

TEST(HdlcReassembler, MessageLongerThanTheLimitIsDropped) {
  Reassembler r;
  const Buf chunk(1500, 0x11);
  Result<bool> res = false;
  int pushed = 0;
  do {
    res = push_frame(r, build_frame(hex("41"), hex("0883"), 0x13, chunk, true), 0);
    ++pushed;
  } while (res.has_value() && pushed < 20);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, Errc::hdlc_message_too_long);
  EXPECT_EQ(pushed, static_cast<int>(kMaxMessage / 1500) + 1);
  EXPECT_FALSE(r.ready());
}

}  // namespace
}  // namespace meterlab::hdlc::test
