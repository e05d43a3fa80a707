// The M-Bus framer against the real captures in vectors/upstream, plus frames built here (by a
// test encoder, not the framer run backwards) for the bad cases: exact errors and offsets,
// hunting, short frames, the T210-D length overflow.
#include <gtest/gtest.h>

#include "mbus_test_util.hpp"

namespace meterlab::mbus::test {
namespace {

// ---- every real capture ----------------------------------------------------------------------

TEST(MbusVectors, EveryVectorFramesWithTheStatedFields) {
  const auto vectors = wire_vectors();
  ASSERT_EQ(vectors.size(), 5U);
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.name);
    const auto events = run(v.bytes);
    const auto& stated = v.json.at("verification").at("mbus_frames");
    ASSERT_EQ(events.size(), stated.size()) << "no discards in a clean capture";
    std::size_t pos = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const Rec& f = events[i];
      const auto& s = stated[i];
      ASSERT_EQ(f.kind, Event::Kind::frame);
      EXPECT_EQ(f.offset, pos);
      EXPECT_EQ(f.length, s.at("L").get<std::size_t>() + 6);
      EXPECT_EQ(f.c, hex(s.at("C").get<std::string>())[0]);
      EXPECT_EQ(f.a, hex(s.at("A").get<std::string>())[0]);
      EXPECT_EQ(f.ci, hex(s.at("CI").get<std::string>())[0]);
      EXPECT_EQ(f.data.size(), f.length - 9);
      EXPECT_EQ(to_hex(Bytes(f.data).first(2)), s.at("stsap_dtsap").get<std::string>());
      EXPECT_EQ(to_hex(Bytes(v.bytes).subspan(pos + f.length - 2, 1)),
                s.at("cs").get<std::string>());
      pos += f.length;
    }
    EXPECT_EQ(pos, v.bytes.size());
  }
}

TEST(MbusVectors, EveryVectorReassemblesToOneCipheredApdu) {
  for (const auto& v : wire_vectors()) {
    SCOPED_TRACE(v.name);
    const Reassembled r = reassemble(v.bytes);
    const std::size_t frames = v.json.at("verification").at("mbus_frames").size();
    ASSERT_EQ(r.results, std::vector<Errc>(frames, Errc::ok));
    ASSERT_EQ(r.apdus.size(), 1U);
    EXPECT_TRUE(r.done.back());
    const Buf& apdu = r.apdus[0];
    EXPECT_EQ(apdu[0], 0xDB);  // general-glo-ciphering
    EXPECT_EQ(apdu[1], 0x08);  // system title length
    EXPECT_EQ(
        to_hex(Bytes(apdu).subspan(2, 8)),
        v.json.at("verification").at("security_header").at("system_title").get<std::string>());
    // Segments glued in the right order and without their TSAPs give exactly the stated length.
    EXPECT_EQ(apdu.size(), ciphered_apdu_size(apdu));
    EXPECT_EQ(r.messages[0].segments, frames);
    EXPECT_EQ(r.messages[0].stream_offset, 0U);
    EXPECT_EQ(r.messages[0].length, v.bytes.size());
  }
}

TEST(MbusVectors, TinetzGuruxCaptureWithA7EInsideFrames) {
  const Vector v = vector_named("mbus-encrypted/tinetz-kaifa-ma309m-gurux18232.json");
  ASSERT_NE(std::find(v.bytes.begin(), v.bytes.end(), 0x7E), v.bytes.end());
  const auto events = run(v.bytes);
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].kind, Event::Kind::frame);
  EXPECT_EQ(events[1].kind, Event::Kind::frame);
}

TEST(MbusVectors, SyntheticFirmwareFrameWithLengthZeroIsRejected) {
  const Vector v = vector_named("mbus-plain/evn-kaifa-ma309-gh247-firmware-decrypted-mbus.json");
  const auto events = run(v.bytes);
  ASSERT_EQ(events.size(), 1U) << events[1];
  EXPECT_EQ(events[0], discard(0, v.bytes.size(), Errc::mbus_bad_length, 1));
}

// ---- corrupted frames: exact error and offset ------------------------------------------------

class MbusCorruption : public ::testing::Test {
 protected:
  Buf good = vector_named("mbus-encrypted/salzburgnetz-doc-sample-single-frame.json").bytes;

  void expect_rejected(const Buf& bad, Errc code, std::size_t error_offset_in_bad) {
    const auto events = run(cat({good, bad, good}));
    ASSERT_EQ(events.size(), 3U);
    EXPECT_EQ(events[0].kind, Event::Kind::frame);
    EXPECT_EQ(events[1], discard(good.size(), bad.size(), code, good.size() + error_offset_in_bad));
    EXPECT_EQ(events[2].kind, Event::Kind::frame);
    EXPECT_EQ(events[2].offset, good.size() + bad.size());
  }
};

TEST_F(MbusCorruption, FlippedBitInChecksum) {
  Buf bad = good;
  bad[good.size() - 2] ^= 0x08;
  expect_rejected(bad, Errc::mbus_checksum_mismatch, good.size() - 2);
}

TEST_F(MbusCorruption, FlippedBitInDataFailsTheChecksum) {
  Buf bad = good;
  bad[40] ^= 0x01;
  expect_rejected(bad, Errc::mbus_checksum_mismatch, good.size() - 2);
}

TEST_F(MbusCorruption, MissingStopByte) {
  Buf bad = good;
  bad.back() = 0x17;
  expect_rejected(bad, Errc::mbus_missing_stop, good.size() - 1);
}

TEST_F(MbusCorruption, LengthFieldsDiffer) {
  Buf bad = good;
  bad[2] ^= 0x01;
  expect_rejected(bad, Errc::mbus_bad_length, 1);
}

TEST(MbusFramer, TruncatedFrameAtFinish) {
  const Buf good = vector_named("mbus-encrypted/salzburgnetz-doc-sample-single-frame.json").bytes;
  const Buf half(good.begin(), good.begin() + 50);
  const auto events = run(cat({good, half}));
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[1], discard(good.size(), 50, Errc::mbus_truncated, good.size() + 50));
}

// ---- hunting, short frames, resynchronisation ------------------------------------------------

TEST(MbusFramer, GarbageAcksAndShortFrames) {
  const Buf good = vector_named("mbus-encrypted/salzburgnetz-doc-sample-single-frame.json").bytes;
  // A lone 68 (no 68 three bytes on) and an E5 inside garbage are garbage too.
  const Buf junk = hex("00ff68e5a5a5");
  const Buf ack = hex("e5");
  const Buf snd_nke = hex("1040fd3d16");  // short frame: C=40, A=FD, CS=3D
  const std::size_t n = good.size();
  Framer f;
  const auto events = run(f, cat({junk, good, ack, snd_nke, good, junk}));
  ASSERT_EQ(events.size(), 6U);
  EXPECT_EQ(events[0], discard(0, 6, Errc::mbus_garbage, 0));
  EXPECT_EQ(events[1].offset, 6U);
  EXPECT_EQ(events[2], discard(6 + n, 1, Errc::mbus_short_frame, 6 + n));
  EXPECT_EQ(events[3], discard(7 + n, 5, Errc::mbus_short_frame, 7 + n));
  EXPECT_EQ(events[4].offset, 12 + n);
  EXPECT_EQ(events[5], discard(12 + 2 * n, 6, Errc::mbus_garbage, 12 + 2 * n));
  EXPECT_EQ(f.stats().short_frames, 2U);
  EXPECT_EQ(f.stats().frames_ok, 2U);
}

TEST(MbusFramer, StartPatternWithDifferentLengthsIsABadLength) {
  const Buf good = vector_named("mbus-encrypted/salzburgnetz-doc-sample-single-frame.json").bytes;
  const auto events = run(cat({hex("0068e5a5"), good}));  // 68 E5 A5 68: L fields differ
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0], discard(0, 4, Errc::mbus_bad_length, 2));
  EXPECT_EQ(events[1].offset, 4U);
}

TEST(MbusFramer, ByteAtATimeGivesTheSameEventsAsWholeBuffer) {
  Buf stream;
  std::mt19937 rng(3);
  for (const auto& v : wire_vectors()) {
    Buf bad = v.bytes;
    bad[bad.size() / 3] ^= 0x40;
    stream = cat({stream, v.bytes, hex("e5"), bad, hex("1040fd3d16")});
    for (int i = 0; i < 9; ++i) stream.push_back(static_cast<std::uint8_t>(rng()));
  }
  const auto whole = run(stream);
  EXPECT_EQ(only(whole, Event::Kind::frame).size(), 9U + 4U);  // each broken copy keeps 1 of 2
  for (std::size_t chunk : {1U, 2U, 5U, 64U, 700U}) {
    SCOPED_TRACE(chunk);
    EXPECT_EQ(run(stream, chunk), whole);
  }
}

// Split points, compaction, finish() then push() and the wait up to a frame's last byte are
// tested for both framers at once in engine/decoder/framer_stream_test.cpp.

TEST(MbusFramer, AllVectorsWithRandomGarbageBetweenThemAreAllFound) {
  const auto vectors = wire_vectors();
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    Buf stream;
    std::vector<std::size_t> expected;
    for (const auto& v : vectors) {
      const std::size_t gap = rng() % 40;
      for (std::size_t i = 0; i < gap; ++i) {
        // Garbage rich in start bytes and equal L pairs, the worst case for a hunter.
        const std::uint8_t pick[] = {0x68, 0x10, 0xE5, 0x16, static_cast<std::uint8_t>(rng())};
        stream.push_back(pick[rng() % 5]);
      }
      for (const auto& f : only(run(v.bytes), Event::Kind::frame)) {
        expected.push_back(stream.size() + f.offset);
      }
      stream.insert(stream.end(), v.bytes.begin(), v.bytes.end());
    }
    std::vector<std::size_t> found;
    for (const auto& r : only(run(stream, 1 + seed * 11), Event::Kind::frame)) {
      found.push_back(r.offset);
    }
    EXPECT_EQ(found, expected) << "seed " << seed;
  }
}

// ---- the Sagemcom T210-D length overflow -----------------------------------------------------

TEST(MbusFramer, T210dFrameWithLOneCarries257Bytes) {
  // 257 L-counted bytes (C A CI + 254 data), sent as 68 01 01 68, then a normal closing segment.
  Buf data = hex("0167db0853414759");
  while (data.size() < 254) data.push_back(static_cast<std::uint8_t>(data.size() * 7));
  const Buf first = build_long(0x00, data);
  ASSERT_EQ(to_hex(Bytes(first).first(4)), "68010168");
  ASSERT_EQ(first.size(), 263U);
  const Buf second = segment(0x11, hex("0102030405"));
  const auto events = run(cat({first, second}));
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].kind, Event::Kind::frame);
  EXPECT_EQ(events[0].length, 263U);
  EXPECT_EQ(events[0].data.size(), 254U);
  EXPECT_EQ(events[1].offset, 263U);
  const Reassembled r = reassemble(cat({first, second}));
  ASSERT_EQ(r.apdus.size(), 1U);
  EXPECT_EQ(r.apdus[0].size(), 252U + 5U);
  // The same frame byte by byte: the framer waits for the longer reading.
  EXPECT_EQ(run(cat({first, second}), 1), events);
}

TEST(MbusFramer, SmallLThatFitsNeitherWayIsABadLength) {
  Buf bad = build_long(0x00, Buf(254, 0x22));
  bad[bad.size() - 2] ^= 0xFF;  // checksum wrong at L + 256 too
  const Buf good = vector_named("mbus-encrypted/salzburgnetz-doc-sample-single-frame.json").bytes;
  const auto events = run(cat({bad, good}));
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0], discard(0, bad.size(), Errc::mbus_bad_length, 1));
  EXPECT_EQ(events[1].offset, bad.size());
}

TEST(MbusFramer, SmallLFrameThatIsRightAtLIsNotReadLonger) {
  const Buf tiny = segment(0x10, hex("aa"));  // L = 6
  const auto events = run(cat({tiny, tiny}));
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].length, 12U);
  EXPECT_EQ(events[1].offset, 12U);
}

}  // namespace
}  // namespace meterlab::mbus::test
