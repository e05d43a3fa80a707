// M-Bus DLMS transport reassembly (EN 13757-3 / IEC 62056-7-3 CI segments): the sequence
// checks, lost, repeated and reordered segments, the message limit.
#include <gtest/gtest.h>

#include "mbus_test_util.hpp"

namespace meterlab::mbus::test {
namespace {

// ---- reassembly: sequence checks -------------------------------------------------------------

class MbusSegments : public ::testing::Test {
 protected:
  Buf s0 = segment(0x00, hex("db08aaaa"));
  Buf s1 = segment(0x01, hex("bbbb"));
  Buf s2 = segment(0x02, hex("cccc"));
  Buf s3f = segment(0x13, hex("dddd"));
  Buf s2f = segment(0x12, hex("cccc"));
  Buf s1f = segment(0x11, hex("eeee"));
};

TEST_F(MbusSegments, InOrderGivesTheWholeApdu) {
  const Reassembled r = reassemble(cat({s0, s1, s2, s3f}));
  EXPECT_EQ(r.done, (std::vector<bool>{false, false, false, true}));
  ASSERT_EQ(r.apdus.size(), 1U);
  EXPECT_EQ(r.apdus[0], hex("db08aaaabbbbccccdddd"));
  EXPECT_EQ(r.messages[0].segments, 4U);
}

TEST_F(MbusSegments, LostSegmentDropsTheMessage) {
  const Reassembled r = reassemble(cat({s0, s1, s3f}));
  EXPECT_EQ(r.results, (std::vector<Errc>{Errc::ok, Errc::ok, Errc::mbus_segment_lost}));
  EXPECT_TRUE(r.apdus.empty());
}

TEST_F(MbusSegments, RepeatedSegmentDropsTheMessage) {
  const Reassembled r = reassemble(cat({s0, s1, s1, s2f}));
  EXPECT_EQ(r.results, (std::vector<Errc>{Errc::ok, Errc::ok, Errc::mbus_segment_duplicate,
                                          Errc::mbus_segment_orphan}));
  EXPECT_TRUE(r.apdus.empty());
}

TEST_F(MbusSegments, RepeatedFirstSegmentStartsAgainFromTheRepeat) {
  const Reassembled r = reassemble(cat({s0, s0, s1f}));
  EXPECT_EQ(r.results, (std::vector<Errc>{Errc::ok, Errc::mbus_segment_duplicate, Errc::ok}));
  ASSERT_EQ(r.apdus.size(), 1U);
  EXPECT_EQ(r.apdus[0], hex("db08aaaaeeee"));
  EXPECT_EQ(r.messages[0].segments, 2U);
}

TEST_F(MbusSegments, ReorderedSegmentsNeverGlue) {
  // 0 2 1: segment 2 arrives first (1 looks lost), then 1 has nothing to continue.
  Reassembled r = reassemble(cat({s0, s2f, s1}));
  EXPECT_EQ(r.results,
            (std::vector<Errc>{Errc::ok, Errc::mbus_segment_lost, Errc::mbus_segment_orphan}));
  EXPECT_TRUE(r.apdus.empty());
  // 0 1 2 1: an older segment late.
  r = reassemble(cat({s0, s1, s2, s1, s3f}));
  EXPECT_EQ(r.results, (std::vector<Errc>{Errc::ok, Errc::ok, Errc::ok, Errc::mbus_segment_order,
                                          Errc::mbus_segment_orphan}));
  EXPECT_TRUE(r.apdus.empty());
}

TEST_F(MbusSegments, LostLastSegmentCostsOneMessageNotTwo) {
  const Reassembled r = reassemble(cat({s0, s1, s0, s1f}));
  EXPECT_EQ(r.results, (std::vector<Errc>{Errc::ok, Errc::ok, Errc::mbus_segment_lost, Errc::ok}));
  ASSERT_EQ(r.apdus.size(), 1U);
  EXPECT_EQ(r.apdus[0], hex("db08aaaaeeee"));
}

TEST_F(MbusSegments, ContinuationWithoutFirstIsAnOrphan) {
  Framer f;
  f.push(cat({hex("e5"), s1f}));
  (void)f.next();  // the ack
  const Event e = f.next();
  ASSERT_EQ(e.kind, Event::Kind::frame);
  Reassembler r;
  const Result<bool> res = r.push(e.frame);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, Errc::mbus_segment_orphan);
  EXPECT_EQ(res.error().offset, 1U);
}

TEST_F(MbusSegments, BadCiAndBadTsap) {
  Reassembler r;
  Framer f;
  f.push(cat({s0, build_long(0x72, hex("0167aa")), s0, build_long(0x10, hex("0168aa"))}));
  ASSERT_TRUE(r.push(f.next().frame).has_value());
  Result<bool> res = r.push(f.next().frame);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, Errc::mbus_bad_ci);
  EXPECT_EQ(res.error().offset, s0.size() + 6);
  ASSERT_TRUE(r.push(f.next().frame).has_value());
  res = r.push(f.next().frame);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, Errc::mbus_bad_tsap);
  EXPECT_EQ(res.error().offset, 2 * s0.size() + 12 + 7);  // after s0, the CI 72 frame, s0
  EXPECT_FALSE(r.ready());
}

TEST_F(MbusSegments, MessageLongerThanTheLimitIsDropped) {
  const Buf piece(240, 0x33);
  Buf stream = segment(0x00, piece);
  for (std::uint8_t i = 1; i < 80; ++i) {
    stream = cat({stream, segment(static_cast<std::uint8_t>(i & 0x0F), piece)});
  }
  const Reassembled r = reassemble(stream);
  const std::size_t fits = kMaxMessage / 240;  // segments that fit; the next one is too much
  ASSERT_GT(r.results.size(), fits);
  EXPECT_EQ(r.results[fits], Errc::mbus_message_too_long);
  EXPECT_EQ(std::count(r.results.begin(), r.results.begin() + static_cast<long>(fits), Errc::ok),
            static_cast<long>(fits));
  EXPECT_TRUE(r.apdus.empty());
}

}  // namespace
}  // namespace meterlab::mbus::test
