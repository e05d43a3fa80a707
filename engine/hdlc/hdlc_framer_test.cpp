// The HDLC framer against the real captures in vectors/upstream, plus frames built here (with an
// encoder written for the tests, not the framer run backwards) for the bad cases: exact errors
// and offsets, hunting and resynchronisation.
#include <gtest/gtest.h>

#include "hdlc_test_util.hpp"

namespace meterlab::hdlc::test {
namespace {

// ---- every real capture ----------------------------------------------------------------------

TEST(HdlcVectors, EveryVectorFramesWithTheStatedFieldsAndChecksums) {
  const auto vectors = hdlc_vectors();
  ASSERT_GE(vectors.size(), 24U);
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.name);
    const auto events = run(v.bytes);
    const auto frames = only(events, Event::Kind::frame);
    const auto& stated = v.json.at("verification").at("hdlc_frames");
    ASSERT_EQ(frames.size(), stated.size());
    std::size_t pos = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const Rec& f = frames[i];
      const auto& s = stated[i];
      const Buf format = hex(s.at("frame_format").get<std::string>());
      const std::size_t length = ((format[0] & 0x07U) << 8 | format[1]) + 2U;
      EXPECT_EQ(f.offset, pos);
      EXPECT_EQ(f.length, length);
      EXPECT_EQ(f.segmented, s.at("segmented").get<bool>());
      EXPECT_EQ(f.dst, address_of(s.at("dst_addr")));
      EXPECT_EQ(f.src, address_of(s.at("src_addr")));
      EXPECT_EQ(f.control, hex(s.at("control").get<std::string>())[0]);
      const std::size_t header = 1U + 2U + f.dst.size + f.src.size + 1U;
      EXPECT_EQ(f.info.size(), length - header - 2 - 3);
      // The frame was accepted, so HCS and FCS held; they are also the bytes the source states.
      const Bytes wire = Bytes(v.bytes).subspan(f.offset, f.length);
      EXPECT_EQ(to_hex(wire.subspan(header, 2)), s.at("hcs_wire").get<std::string>());
      EXPECT_EQ(to_hex(wire.subspan(f.length - 3, 2)), s.at("fcs_wire").get<std::string>());
      EXPECT_TRUE(
          std::equal(f.info.begin(), f.info.end(), wire.begin() + static_cast<long>(header + 2)));
      pos = f.offset + f.length;
    }
    const auto discards = only(events, Event::Kind::discard);
    if (v.json.at("verification").contains("trailer_after_hdlc")) {
      ASSERT_EQ(discards.size(), 1U);
      EXPECT_EQ(discards[0].offset, pos);
      EXPECT_EQ(discards[0].length, 96U);
      EXPECT_EQ(pos + 96, v.bytes.size());
    } else {
      EXPECT_TRUE(discards.empty()) << discards.front();
      EXPECT_EQ(pos, v.bytes.size());
    }
  }
}

TEST(HdlcVectors, WienerNetzeSignedCapturesBackToBackGiveTwoFramesAndTwoDiscards) {
  for (const char* file :
       {"wienernetze-d0-iskra-am550-signed.json", "wienernetze-d0-lg-e450-signed.json",
        "wienernetze-d0-siemens-im350-signed.json"}) {
    SCOPED_TRACE(file);
    const Vector v = vector_named(std::string("hdlc-encrypted/") + file);
    const std::size_t n = v.bytes.size();
    const std::size_t frame_len = n - 96;
    const auto events = run(cat({v.bytes, v.bytes}));
    ASSERT_EQ(events.size(), 4U);
    EXPECT_EQ(events[0].kind, Event::Kind::frame);
    EXPECT_EQ(events[0].offset, 0U);
    // Digest + signature hold no 0x7E in these captures: plain garbage, reported as one run.
    EXPECT_EQ(events[1], discard(frame_len, 96, Errc::hdlc_garbage, frame_len));
    EXPECT_EQ(events[2].kind, Event::Kind::frame);
    EXPECT_EQ(events[2].offset, n);
    EXPECT_EQ(events[2].info, events[0].info);
    EXPECT_EQ(events[3], discard(n + frame_len, 96, Errc::hdlc_garbage, n + frame_len));
  }
}

TEST(HdlcVectors, TrailerWithAFalseStartDoesNotEatTheNextFlag) {
  // A 96-byte trailer in which a 7E opens a plausible header (format A0 12, dst 01, src 03):
  // the false start fails its HCS and the real frame right behind it is still found.
  const Vector v = vector_named("hdlc-encrypted/wienernetze-d0-lg-e450-signed.json");
  Buf trailer(96, 0x55);
  const Buf fake = hex("7ea01201031300");  // HCS would be "00 7E": the next frame's flag
  ASSERT_EQ(fake.size(), 7U);
  std::copy(fake.begin(), fake.end(), trailer.begin() + 89);
  const Buf frame(v.bytes.begin(), v.bytes.end() - 96);
  const auto events = run(cat({frame, trailer, frame}));
  ASSERT_EQ(events.size(), 3U) << events[1];
  EXPECT_EQ(events[1].kind, Event::Kind::discard);
  EXPECT_EQ(events[1].offset, frame.size());
  EXPECT_EQ(events[1].length, 96U);
  EXPECT_EQ(events[1].code, Errc::hdlc_hcs_mismatch);
  EXPECT_EQ(events[1].error_offset, frame.size() + 89 + 6);
  EXPECT_EQ(events[2].kind, Event::Kind::frame);
  EXPECT_EQ(events[2].offset, frame.size() + 96);
}

// ---- corrupted frames: exact error and offset ------------------------------------------------

class HdlcCorruption : public ::testing::Test {
 protected:
  // Kaifa list 1: 7E A0 27 01 02 01 10 HCS(2) info FCS(2) 7E, 41 bytes.
  Buf good = vector_named("hdlc-plain/kaifa-kfm001-ma304h3e-list1.json").bytes;

  // good + bad + good: the bad frame must be one discard, both good frames found.
  void expect_rejected(const Buf& bad, Errc code, std::size_t error_offset_in_bad) {
    const auto events = run(cat({good, bad, good}));
    ASSERT_EQ(events.size(), 3U);
    EXPECT_EQ(events[0].kind, Event::Kind::frame);
    EXPECT_EQ(events[1].kind, Event::Kind::discard);
    EXPECT_EQ(events[1].code, code) << name(events[1].code);
    EXPECT_EQ(events[1].error_offset, good.size() + error_offset_in_bad);
    EXPECT_EQ(events[1].offset, good.size());
    EXPECT_EQ(events[1].length, bad.size());
    EXPECT_EQ(events[2].kind, Event::Kind::frame);
    EXPECT_EQ(events[2].offset, good.size() + bad.size());
  }
};

TEST_F(HdlcCorruption, FlippedBitInHcs) {
  Buf bad = good;
  bad[8] ^= 0x04;  // second HCS byte
  expect_rejected(bad, Errc::hdlc_hcs_mismatch, 7);
}

TEST_F(HdlcCorruption, FlippedBitInFcs) {
  Buf bad = good;
  bad[good.size() - 3] ^= 0x80;
  expect_rejected(bad, Errc::hdlc_fcs_mismatch, good.size() - 3);
}

TEST_F(HdlcCorruption, FlippedBitInInfoFailsTheFcs) {
  Buf bad = good;
  bad[20] ^= 0x01;
  expect_rejected(bad, Errc::hdlc_fcs_mismatch, good.size() - 3);
}

TEST_F(HdlcCorruption, FlippedBitInAddressFailsTheHcs) {
  Buf bad = good;
  bad[4] ^= 0x10;  // src 02 -> 12: still a valid shape, so the HCS catches it
  expect_rejected(bad, Errc::hdlc_hcs_mismatch, 7);
}

TEST_F(HdlcCorruption, WrongFormatType) {
  Buf bad = good;
  bad[1] = 0x90;
  expect_rejected(bad, Errc::hdlc_bad_format, 1);
}

TEST_F(HdlcCorruption, MissingClosingFlag) {
  Buf bad = good;
  bad.back() = 0x7F;
  expect_rejected(bad, Errc::hdlc_missing_flag, good.size() - 1);
}

TEST_F(HdlcCorruption, LengthTooShortForAHeader) {
  expect_rejected(hex("7ea0050102037e"), Errc::hdlc_bad_length, 1);
}

TEST_F(HdlcCorruption, AddressWithoutEndBitWithinFourBytes) {
  // dst 02 04 06 08 0A ...: no byte with LSB 1 within 4 bytes.
  expect_rejected(hex("7ea00e020406080a0103aabbccddee7e"), Errc::hdlc_bad_address, 3);
}

TEST_F(HdlcCorruption, ThreeByteAddressIsNotAllowed) {
  Buf bad = build_frame(hex("020405"), hex("03"), 0x13, hex("e6e700aa"));
  expect_rejected(bad, Errc::hdlc_bad_address, 3);
}

TEST_F(HdlcCorruption, LengthLongerThanTheFrameFailsTheHcs) {
  Buf bad = good;
  bad[2] = static_cast<std::uint8_t>(bad[2] + 2);  // length says 2 bytes more; HCS then fails
  expect_rejected(bad, Errc::hdlc_hcs_mismatch, 7);
}

TEST(HdlcFramer, TruncatedFrameAtFinish) {
  const Buf good = vector_named("hdlc-plain/kaifa-kfm001-ma304h3e-list2.json").bytes;
  const Buf half(good.begin(), good.begin() + 60);
  const auto events = run(cat({good, half}));
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].kind, Event::Kind::frame);
  EXPECT_EQ(events[1].kind, Event::Kind::discard);
  EXPECT_EQ(events[1].code, Errc::hdlc_truncated);
  EXPECT_EQ(events[1].error_offset, good.size() + 60);
  EXPECT_EQ(events[1].offset, good.size());
  EXPECT_EQ(events[1].length, 60U);
}

TEST(HdlcFramer, NeedMoreIsNotAnErrorBeforeFinish) {
  const Buf good = vector_named("hdlc-plain/kaifa-kfm001-ma304h3e-list2.json").bytes;
  Framer f;
  f.push(Bytes(good).first(60));
  EXPECT_EQ(f.next().kind, Event::Kind::need_more);
  EXPECT_EQ(f.stats().bytes_discarded, 0U);
  f.push(Bytes(good).subspan(60));
  const Event e = f.next();
  ASSERT_EQ(e.kind, Event::Kind::frame);
  EXPECT_EQ(e.frame.length, good.size());
}

// ---- hunting and resynchronisation -----------------------------------------------------------

TEST(HdlcFramer, GarbageBetweenFramesIsOneDiscardPerRun) {
  const Buf a = vector_named("hdlc-plain/aidon-6525-list1.json").bytes;
  const Buf junk = hex("0102030405");
  const auto events = run(cat({junk, a, junk, junk, a, junk}));
  ASSERT_EQ(events.size(), 5U);
  const std::size_t n = a.size();
  EXPECT_EQ(events[0], discard(0, 5, Errc::hdlc_garbage, 0));
  EXPECT_EQ(events[1].offset, 5U);
  EXPECT_EQ(events[2], discard(5 + n, 10, Errc::hdlc_garbage, 5 + n));
  EXPECT_EQ(events[3].offset, 15 + n);
  EXPECT_EQ(events[4], discard(15 + 2 * n, 5, Errc::hdlc_garbage, 15 + 2 * n));
}

TEST(HdlcFramer, ClosingFlagSharedAsTheNextOpeningFlag) {
  const Buf a = vector_named("hdlc-plain/aidon-6525-list1.json").bytes;
  const Buf b = vector_named("hdlc-plain/kaifa-kfm001-ma304h3e-list1.json").bytes;
  const Buf shared = cat({Buf(a.begin(), a.end() - 1), b, Buf(a.begin() + 1, a.end())});
  Framer f;
  const auto events = run(f, shared);
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[0].offset, 0U);
  EXPECT_EQ(events[1].offset, a.size() - 1);
  EXPECT_EQ(events[1].length, b.size());
  EXPECT_EQ(events[2].offset, a.size() + b.size() - 2);
  EXPECT_EQ(only(events, Event::Kind::frame).size(), 3U);
  EXPECT_EQ(f.stats().bytes_in_frames, shared.size());
  EXPECT_EQ(f.stats().bytes_discarded, 0U);
  for (std::size_t chunk : {1U, 2U, 3U}) EXPECT_EQ(run(shared, chunk), events) << chunk;
}

TEST(HdlcFramer, ExtraIdleFlagIsGarbageWithoutAnError) {
  const Buf a = vector_named("hdlc-plain/aidon-6525-list1.json").bytes;
  Framer f;
  const auto events = run(f, cat({a, hex("7e"), a}));
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[1], discard(a.size(), 1, Errc::hdlc_garbage, a.size()));
  EXPECT_EQ(f.stats().format_errors, 0U);
  EXPECT_EQ(f.stats().resyncs, 0U);
}

TEST(HdlcFramer, FrameWithoutInformationFieldHasNoHcs) {
  const Buf rr = build_frame(hex("03"), hex("21"), 0x31, {});
  ASSERT_EQ(rr.size(), 9U);  // 7E A0 07 03 21 31 FCS FCS 7E
  const auto events = run(rr);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, Event::Kind::frame);
  EXPECT_EQ(events[0].control, 0x31);
  EXPECT_TRUE(events[0].info.empty());
}

TEST(HdlcFramer, ByteAtATimeGivesTheSameEventsAsWholeBuffer) {
  Buf stream;
  std::mt19937 rng(42);
  for (const auto& v : hdlc_vectors()) {
    stream.insert(stream.end(), v.bytes.begin(), v.bytes.end());
    Buf bad = v.bytes;
    bad[bad.size() / 2] ^= 0x20;  // a broken copy too
    stream.insert(stream.end(), bad.begin(), bad.end());
    for (int i = 0; i < 7; ++i) stream.push_back(static_cast<std::uint8_t>(rng()));
  }
  std::size_t stated_frames = 0;
  for (const auto& v : hdlc_vectors()) {
    stated_frames += v.json.at("verification").at("hdlc_frames").size();
  }
  // Each broken copy loses the one frame its flipped bit is in (the L&G capture keeps two).
  const auto whole = run(stream);
  EXPECT_EQ(only(whole, Event::Kind::frame).size(), 2 * stated_frames - hdlc_vectors().size());
  for (std::size_t chunk : {1U, 2U, 3U, 7U, 64U, 1000U}) {
    SCOPED_TRACE(chunk);
    EXPECT_EQ(run(stream, chunk), whole);
  }
}

// Split points, compaction, finish() then push() and the wait up to a frame's last byte are
// tested for both framers at once in engine/decoder/framer_stream_test.cpp.

TEST(HdlcFramer, ClosingFlagAloneWaitsUntilTheThirdByteBehindIt) {
  const Buf kfm = vector_named("hdlc-plain/kaifa-kfm001-ma304h3e-list3-a09b.json").bytes;
  Framer f;
  f.push(kfm);
  ASSERT_EQ(f.next().kind, Event::Kind::frame);
  // The closing flag alone: two more bytes cannot give an event (an idle flag, or a format that
  // needs the header), so the framer waits for three.
  EXPECT_EQ(f.next().kind, Event::Kind::need_more);
  EXPECT_EQ(f.awaited(), 3U);
  f.push(Bytes(kfm).first(2));  // the next frame's own opening flag and half its format
  EXPECT_TRUE(f.waiting());
  f.push(Bytes(kfm).subspan(2, 1));
  EXPECT_FALSE(f.waiting());
  EXPECT_EQ(f.next().kind, Event::Kind::need_more);  // the idle flag dropped, the format read
  EXPECT_EQ(f.awaited(), 11U);                       // 14 header bytes from the new flag
  EXPECT_EQ(f.stats().bytes_discarded, 0U);
}

TEST(HdlcFramer, AllVectorsWithRandomGarbageBetweenThemAreAllFound) {
  const auto vectors = hdlc_vectors();
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    Buf stream;
    std::vector<std::size_t> expected;  // offsets of every frame
    for (const auto& v : vectors) {
      const std::size_t gap = rng() % 40;
      for (std::size_t i = 0; i < gap; ++i) {
        // Garbage rich in flags and format bytes, the worst case for a hunter.
        const std::uint8_t pick[] = {0x7E, 0xA0, 0xA1, 0x13, static_cast<std::uint8_t>(rng())};
        stream.push_back(pick[rng() % 5]);
      }
      const auto frames = only(run(v.bytes), Event::Kind::frame);
      for (const auto& f : frames) expected.push_back(stream.size() + f.offset);
      stream.insert(stream.end(), v.bytes.begin(), v.bytes.end());
    }
    std::vector<std::size_t> found;
    for (const auto& r : only(run(stream, 1 + seed * 13), Event::Kind::frame)) {
      found.push_back(r.offset);
    }
    EXPECT_EQ(found, expected) << "seed " << seed;
  }
}

TEST(HdlcFramer, LongGarbageIsCutIntoRunsAtTheSameBytesWhateverThePushSizes) {
  Buf junk(10000, 0x55);
  const auto whole = run(junk);
  ASSERT_EQ(whole.size(), 3U);
  EXPECT_EQ(whole[0].length, Framer::kMaxDiscardRun);
  EXPECT_EQ(whole[1].offset, Framer::kMaxDiscardRun);
  EXPECT_EQ(whole[2].length, 10000 - 2 * Framer::kMaxDiscardRun);
  EXPECT_EQ(run(junk, 1), whole);
  EXPECT_EQ(run(junk, 333), whole);
}

TEST(HdlcFramer, StatsCountEachKindOfError) {
  const Buf good = vector_named("hdlc-plain/kaifa-kfm001-ma304h3e-list1.json").bytes;
  Buf hcs = good, fcs = good;
  hcs[7] ^= 1;
  fcs[good.size() - 2] ^= 1;
  Framer f;
  run(f, cat({good, hcs, good, fcs, good, hex("7e900000")}));
  EXPECT_EQ(f.stats().frames_ok, 3U);
  EXPECT_EQ(f.stats().hcs_errors, 1U);
  EXPECT_EQ(f.stats().fcs_errors, 1U);
  EXPECT_GE(f.stats().format_errors, 1U);
  EXPECT_EQ(f.stats().bytes_in_frames, 3 * good.size());
}

}  // namespace
}  // namespace meterlab::hdlc::test
