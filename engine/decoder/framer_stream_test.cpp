// The stream-buffer edge cases both streaming framers (HDLC, M-Bus) must get right, written once:
// events that do not depend on where the input is split, frames kept whole while the buffer is
// compacted under them, a new input after finish(), and the wait from a frame's checked header
// to its last byte. What differs between the framers (the real captures used, the truncation
// code, where the header ends, the frame's fields) is in one traits struct each.
//
// Here rather than beside one framer because it links both (the decoder is the layer above them).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "meterlab/core/hex.hpp"
#include "meterlab/hdlc/framer.hpp"
#include "meterlab/mbus/framer.hpp"
#include "meterlab/testing/sample_frames.hpp"

namespace meterlab {
namespace {

using samples::Buf;
using samples::concat;
using samples::hex;

// The bytes of a published capture (vectors/upstream/<rel>), as received.
Buf upstream_bytes(const std::string& rel) {
  std::ifstream in(std::filesystem::path(MLAB_SOURCE_DIR) / "vectors" / "upstream" / rel);
  return hex(nlohmann::json::parse(in).at("hex").get<std::string>());
}

// A stream of frames, garbage and broken copies, and how many frames it holds.
struct SplitCase {
  Buf stream;
  std::size_t frames = 0;
};

// `copies` copies of `unit` (which holds `frames` frames and nothing else) back to back, pushed
// in pieces of each of `chunks` bytes: sizes around the unit's and around the buffer's capacity.
struct CompactionCase {
  Buf unit;
  std::size_t frames = 0;
  std::size_t copies = 0;
  std::vector<std::size_t> chunks;
};

struct HdlcTraits {
  using Framer = hdlc::Framer;
  using Event = hdlc::Event;
  static constexpr const char* kName = "Hdlc";
  static constexpr Errc kTruncated = Errc::hdlc_truncated;
  // Bytes of good() buffered when the input ends inside it: past its header.
  static constexpr std::size_t kCutAt = 60;
  // Where good()'s header arrives in pieces: flag and half the format cannot tell anything; the
  // third byte gives the length (wait for the 14 bytes that hold any header); with 23 bytes the
  // header and its HCS are checked, and then the framer waits for the whole frame.
  static constexpr std::array<std::size_t, 3> kHeaderSteps = {2, 3, 23};

  static Buf good() { return upstream_bytes("hdlc-plain/kaifa-kfm001-ma304h3e-list3-a09b.json"); }
  static Bytes payload(const hdlc::Frame& f) { return f.info; }
  static auto fields(const hdlc::Frame& f) {
    return std::tuple(f.segmented, f.dst, f.src, f.control);
  }
  static SplitCase split() {
    // Garbage, the three L&G frames, a broken copy of the KFM_001 frame, the good one, half of it.
    const Buf gbt = upstream_bytes("hdlc-plain/lg-e450-ch-gh740-gbt-3frames.json");
    const Buf kfm = good();
    Buf broken = kfm;
    broken[40] ^= 0x01;
    return {concat({hex("7e0102a0"), gbt, broken, kfm, Bytes(kfm).first(30)}), 4};
  }
  static CompactionCase compaction() {
    // Sixty 157-byte frames, about twice the framer's buffer (2 x 2049 bytes).
    return {good(), 1, 60, {1, 5, 156, 157, 158, 1000, 4097, 4099, 9000}};
  }
};

struct MbusTraits {
  using Framer = mbus::Framer;
  using Event = mbus::Event;
  static constexpr const char* kName = "Mbus";
  static constexpr Errc kTruncated = Errc::mbus_truncated;
  static constexpr std::size_t kCutAt = 50;
  // 68 L L cannot tell (the second 68 is not there yet); 68 L L 68 gives the length, and then
  // the framer waits for the whole frame (EN 13757-2 long frame: L + 6 bytes).
  static constexpr std::array<std::size_t, 2> kHeaderSteps = {3, 4};

  static Buf good() {
    return upstream_bytes("mbus-encrypted/salzburgnetz-doc-sample-single-frame.json");
  }
  static Bytes payload(const mbus::Frame& f) { return f.data; }
  static auto fields(const mbus::Frame& f) { return std::tuple(f.c, f.a, f.ci); }
  static Buf vkw() {
    return upstream_bytes("mbus-encrypted/vkw-kaifa-ma309-smartmeterreadout.json");
  }
  static SplitCase split() {
    // Garbage, an ack, the two VKW segments, a short frame, a broken copy, a partial frame.
    const Buf two = vkw();
    Buf broken = two;
    broken[30] ^= 0x04;
    return {
        concat({hex("0068e5"), hex("e5"), two, hex("1040fd3d16"), broken, Bytes(two).first(40)}),
        3};
  }
  static CompactionCase compaction() {
    // Thirty two-segment telegrams (2 x 188 bytes), several times the framer's buffer (2048).
    return {vkw(), 2, 30, {1, 3, 187, 188, 189, 1000, 2047, 2049, 5000}};
  }
};

// One event with everything it says, owning its bytes, so that runs can be compared.
template <class T>
struct Rec {
  using Kind = typename T::Event::Kind;
  Kind kind = Kind::need_more;
  std::size_t offset = 0;
  std::size_t length = 0;
  Errc code = Errc::ok;
  std::size_t error_offset = 0;
  decltype(T::fields(std::declval<const typename T::Event&>().frame)) fields{};
  Buf payload;
  bool operator==(const Rec&) const = default;
};

template <class T>
std::ostream& operator<<(std::ostream& os, const Rec<T>& r) {
  if (r.kind == Rec<T>::Kind::frame) {
    return os << "frame@" << r.offset << "+" << r.length << " "
              << ::testing::PrintToString(r.fields) << " payload=" << r.payload.size();
  }
  return os << "discard@" << r.offset << "+" << r.length << " " << name(r.code) << "@"
            << r.error_offset;
}

template <class T>
Rec<T> record(const typename T::Event& e) {
  if (e.kind != T::Event::Kind::frame) {
    const Discard& d = e.discard;
    return {e.kind, d.stream_offset, d.length, d.error.code, d.error.offset, {}, {}};
  }
  const auto& f = e.frame;
  const Bytes p = T::payload(f);
  return {e.kind, f.stream_offset, f.length, Errc::ok, 0, T::fields(f), Buf(p.begin(), p.end())};
}

// A new framer gets each piece of `in` in turn, drained after each, then finish(). Every byte
// must end up in a frame or a discard.
template <class T>
std::vector<Rec<T>> run_pieces(const Buf& in, const std::vector<Bytes>& pieces) {
  using Kind = typename T::Event::Kind;
  typename T::Framer f;
  std::vector<Rec<T>> out;
  for (Bytes piece : pieces) {
    f.push(piece);
    for (auto e = f.next(); e.kind != Kind::need_more; e = f.next()) out.push_back(record<T>(e));
  }
  for (auto e = f.finish(); e.kind != Kind::need_more; e = f.finish()) {
    out.push_back(record<T>(e));
  }
  EXPECT_EQ(f.stats().bytes_in, in.size());
  EXPECT_EQ(f.stats().bytes_in, f.stats().bytes_in_frames + f.stats().bytes_discarded)
      << "every byte is in a frame or a discard";
  return out;
}

// `in` in pieces of `chunk` bytes (0: all at once).
template <class T>
std::vector<Rec<T>> run(const Buf& in, std::size_t chunk = 0) {
  const std::size_t step = chunk == 0 ? std::max<std::size_t>(in.size(), 1) : chunk;
  std::vector<Bytes> pieces;
  for (std::size_t i = 0; i < in.size(); i += step) {
    pieces.push_back(Bytes(in).subspan(i, std::min(step, in.size() - i)));
  }
  return run_pieces<T>(in, pieces);
}

// in[0, split) and then the rest (either may be empty).
template <class T>
std::vector<Rec<T>> run_split(const Buf& in, std::size_t split) {
  return run_pieces<T>(in, {Bytes(in).first(split), Bytes(in).subspan(split)});
}

template <class T>
std::size_t frames_in(const std::vector<Rec<T>>& rs) {
  return static_cast<std::size_t>(std::count_if(
      rs.begin(), rs.end(), [](const Rec<T>& r) { return r.kind == Rec<T>::Kind::frame; }));
}

template <class T>
class FramerStream : public ::testing::Test {};

struct FramerName {
  template <class T>
  static std::string GetName(int /*index*/) {
    return T::kName;
  }
};

using Framers = ::testing::Types<HdlcTraits, MbusTraits>;
TYPED_TEST_SUITE(FramerStream, Framers, FramerName);

TYPED_TEST(FramerStream, InputSplitAtEveryByteGivesTheWholeBufferEvents) {
  const SplitCase c = TypeParam::split();
  const auto whole = run<TypeParam>(c.stream);
  ASSERT_EQ(frames_in(whole), c.frames);
  for (std::size_t split = 0; split <= c.stream.size(); ++split) {
    ASSERT_EQ(run_split<TypeParam>(c.stream, split), whole) << "split at " << split;
  }
}

TYPED_TEST(FramerStream, BufferCompactedWhileAFrameArrivesKeepsEveryFrame) {
  // Whatever the push sizes, the buffer is compacted with part of a frame in it, and every frame
  // comes out whole, in place.
  const CompactionCase c = TypeParam::compaction();
  const auto unit = run<TypeParam>(c.unit);
  ASSERT_EQ(unit.size(), c.frames);
  Buf stream;
  std::vector<Rec<TypeParam>> expected;
  for (std::size_t i = 0; i < c.copies; ++i) {
    for (auto r : unit) {
      r.offset += stream.size();
      expected.push_back(r);
    }
    stream.insert(stream.end(), c.unit.begin(), c.unit.end());
  }
  for (std::size_t chunk : c.chunks) {
    SCOPED_TRACE(chunk);
    EXPECT_EQ(run<TypeParam>(stream, chunk), expected);
  }
}

TYPED_TEST(FramerStream, FinishThenPushStartsANewInputWhereTheOldOneEnded) {
  using Kind = typename TypeParam::Event::Kind;
  const Buf good = TypeParam::good();
  const std::size_t cut_at = TypeParam::kCutAt;
  typename TypeParam::Framer f;
  f.push(Bytes(good).first(cut_at));
  EXPECT_EQ(f.next().kind, Kind::need_more);
  EXPECT_TRUE(f.waiting());
  const auto cut = f.finish();
  ASSERT_EQ(cut.kind, Kind::discard);
  EXPECT_EQ(cut.discard.error.code, TypeParam::kTruncated);
  EXPECT_EQ(cut.discard.length, cut_at);
  EXPECT_FALSE(f.waiting());
  EXPECT_EQ(f.finish().kind, Kind::need_more);
  // A new input: the stream offsets go on from cut_at.
  for (std::size_t i = 0; i < good.size(); ++i) {
    f.push(Bytes(good).subspan(i, 1));
    const auto e = f.next();
    if (i + 1 < good.size()) {
      ASSERT_EQ(e.kind, Kind::need_more) << i;
      continue;
    }
    ASSERT_EQ(e.kind, Kind::frame);
    EXPECT_EQ(e.frame.stream_offset, cut_at);
    EXPECT_EQ(e.frame.length, good.size());
  }
  EXPECT_EQ(f.finish().kind, Kind::need_more);
  EXPECT_EQ(f.stats().bytes_in, cut_at + good.size());
  EXPECT_EQ(f.stats().bytes_in, f.stats().bytes_in_frames + f.stats().bytes_discarded);
}

TYPED_TEST(FramerStream, WaitsFromTheCheckedHeaderToTheFramesLastByte) {
  using Kind = typename TypeParam::Event::Kind;
  const Buf good = TypeParam::good();
  const auto& steps = TypeParam::kHeaderSteps;
  typename TypeParam::Framer f;
  EXPECT_FALSE(f.waiting());
  f.push(Bytes(good).first(steps.front()));  // too few bytes to tell anything: wait for more
  EXPECT_EQ(f.next().kind, Kind::need_more);
  EXPECT_TRUE(f.waiting());
  // Each further piece of the header is something new to check: no wait before next() looks.
  for (std::size_t i = 1; i < steps.size(); ++i) {
    SCOPED_TRACE(steps[i]);
    f.push(Bytes(good).subspan(steps[i - 1], steps[i] - steps[i - 1]));
    EXPECT_FALSE(f.waiting());
    EXPECT_EQ(f.next().kind, Kind::need_more);
  }
  // The header is checked: nothing to look at again until the frame's last byte.
  const std::size_t header = steps.back();
  EXPECT_TRUE(f.waiting());
  EXPECT_EQ(f.awaited(), good.size() - header);
  f.push(Bytes(good).subspan(header, good.size() - header - 1));
  EXPECT_TRUE(f.waiting());
  EXPECT_EQ(f.next().kind, Kind::need_more);
  f.push(Bytes(good).last(1));
  EXPECT_FALSE(f.waiting());
  EXPECT_EQ(f.next().kind, Kind::frame);
}

}  // namespace
}  // namespace meterlab
