// M-Bus framer and DLMS transport reassembly against the real captures in vectors/upstream, plus
// frames built here (by a test encoder, not the framer run backwards) for the bad cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <list>
#include <nlohmann/json.hpp>
#include <ostream>
#include <random>
#include <string>

#include "meterlab/core/crc.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/mbus/framer.hpp"

namespace meterlab::mbus {
namespace {

namespace fs = std::filesystem;
using Buf = std::vector<std::uint8_t>;

const fs::path kVectors = fs::path(MLAB_SOURCE_DIR) / "vectors" / "upstream";

struct Vector {
  std::string name;
  Buf bytes;
  nlohmann::json json;
};

Vector load(const fs::path& path) {
  std::ifstream in(path);
  Vector v{path.filename().string(), {}, nlohmann::json::parse(in)};
  v.bytes = *parse_hex(v.json.at("hex").get<std::string>());
  return v;
}

std::vector<Vector> wire_vectors() {
  std::vector<fs::path> paths;
  for (const auto& e : fs::directory_iterator(kVectors / "mbus-encrypted"))
    paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  std::vector<Vector> out;
  for (const auto& p : paths) out.push_back(load(p));
  return out;
}

Vector vector_named(const std::string& rel) { return load(kVectors / rel); }

Buf hex(std::string_view s) { return *parse_hex(s); }

Buf cat(std::initializer_list<Buf> parts) {
  Buf out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A test encoder: 68 L L 68 C A CI data CS 16 (EN 13757-2), L written modulo 256 as meters do.
Buf build_long(std::uint8_t ci, const Buf& data, std::uint8_t c = 0x53, std::uint8_t a = 0xFF) {
  Buf body;
  ByteWriter b(body);
  b.put_u8(c);
  b.put_u8(a);
  b.put_u8(ci);
  b.put_bytes(data);
  const auto l = static_cast<std::uint8_t>(body.size() & 0xFF);
  Buf out;
  ByteWriter w(out);
  w.put_u8(kStart);
  w.put_u8(l);
  w.put_u8(l);
  w.put_u8(kStart);
  w.put_bytes(body);
  w.put_u8(mbus_checksum(body));
  w.put_u8(kStop);
  return out;
}

// A DLMS transport segment: STSAP DTSAP 01 67, then a piece of the APDU.
Buf segment(std::uint8_t ci, const Buf& apdu_part) {
  return build_long(ci, cat({hex("0167"), apdu_part}));
}

struct Rec {
  Event::Kind kind = Event::Kind::need_more;
  std::size_t offset = 0;
  std::size_t length = 0;
  Errc code = Errc::ok;
  std::size_t error_offset = 0;
  std::uint8_t c = 0, a = 0, ci = 0;
  Buf data;
  bool operator==(const Rec&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Rec& r) {
  if (r.kind == Event::Kind::frame) {
    return os << "frame@" << r.offset << "+" << r.length << " ci=" << std::hex << int{r.ci}
              << std::dec << " data=" << r.data.size();
  }
  return os << "discard@" << r.offset << "+" << r.length << " " << name(r.code) << "@"
            << r.error_offset;
}

Rec record(const Event& e) {
  Rec r;
  r.kind = e.kind;
  if (e.kind == Event::Kind::frame) {
    r.offset = e.frame.stream_offset;
    r.length = e.frame.length;
    r.c = e.frame.c;
    r.a = e.frame.a;
    r.ci = e.frame.ci;
    r.data.assign(e.frame.data.begin(), e.frame.data.end());
  } else {
    r.offset = e.discard.stream_offset;
    r.length = e.discard.length;
    r.code = e.discard.error.code;
    r.error_offset = e.discard.error.offset;
  }
  return r;
}

Rec discard(std::size_t offset, std::size_t length, Errc code, std::size_t error_offset) {
  Rec r;
  r.kind = Event::Kind::discard;
  r.offset = offset;
  r.length = length;
  r.code = code;
  r.error_offset = error_offset;
  return r;
}

// Pushes `in` in pieces of `chunk` bytes (0: all at once), drains after each, then finishes.
std::vector<Rec> run(Framer& f, const Buf& in, std::size_t chunk = 0) {
  std::vector<Rec> out;
  const std::size_t step = chunk == 0 ? std::max<std::size_t>(in.size(), 1) : chunk;
  for (std::size_t i = 0; i < in.size(); i += step) {
    f.push(Bytes(in).subspan(i, std::min(step, in.size() - i)));
    for (Event e = f.next(); e.kind != Event::Kind::need_more; e = f.next()) {
      out.push_back(record(e));
    }
  }
  for (Event e = f.finish(); e.kind != Event::Kind::need_more; e = f.finish()) {
    out.push_back(record(e));
  }
  return out;
}

std::vector<Rec> run(const Buf& in, std::size_t chunk = 0) {
  Framer f;
  auto out = run(f, in, chunk);
  EXPECT_EQ(f.stats().bytes_in, in.size());
  EXPECT_EQ(f.stats().bytes_in, f.stats().bytes_in_frames + f.stats().bytes_discarded)
      << "every byte is in a frame or a discard";
  return out;
}

std::vector<Rec> only(const std::vector<Rec>& rs, Event::Kind kind) {
  std::vector<Rec> out;
  std::copy_if(rs.begin(), rs.end(), std::back_inserter(out),
               [kind](const Rec& r) { return r.kind == kind; });
  return out;
}

// Frames `in` and feeds every frame to a reassembler: the results in order, and the last APDU.
struct Reassembled {
  std::vector<Errc> results;  // ok for "stored" or "done", else the error
  std::vector<bool> done;
  std::vector<Buf> apdus;
  std::vector<Message> messages;
};

Reassembled reassemble(const Buf& in) {
  Framer f;
  f.push(in);
  Reassembler r;
  Reassembled out;
  for (Event e = f.finish(); e.kind != Event::Kind::need_more; e = f.finish()) {
    if (e.kind != Event::Kind::frame) continue;
    const Result<bool> res = r.push(e.frame);
    out.results.push_back(res ? Errc::ok : res.error().code);
    out.done.push_back(res && *res);
    if (r.ready()) {
      out.apdus.emplace_back(r.message().apdu.begin(), r.message().apdu.end());
      out.messages.push_back(r.message());
    }
  }
  return out;
}

// Bytes of the BER length after DB 08 <system title>: the APDU must hold exactly that much.
std::size_t ciphered_apdu_size(const Buf& apdu) {
  ByteReader r(apdu);
  (void)r.skip(10);
  const std::uint8_t first = *r.read_u8();
  if (first == 0x81) return 12 + *r.read_u8();
  if (first == 0x82) return 13 + *r.read_u16be();
  return 11 + first;
}

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
}  // namespace meterlab::mbus
