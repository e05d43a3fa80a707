#include <gtest/gtest.h>

#include <random>
#include <utility>

#include "meterlab/core/bytes.hpp"
#include "meterlab/core/crc.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/core/stream_buffer.hpp"

namespace meterlab {
namespace {

std::vector<std::uint8_t> hex(std::string_view s) { return *parse_hex(s); }

TEST(Crc, X25CheckValue) {
  // The catalogue check value of CRC-16/X.25 over "123456789".
  const std::string_view s = "123456789";
  Bytes b(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  EXPECT_EQ(crc16_x25(b), 0x906E);
  EXPECT_EQ(crc16_x25_bytewise(b), 0x906E);
}

TEST(Crc, ArcCheckValue) {
  // The catalogue check value of CRC-16/ARC over "123456789".
  const std::string_view s = "123456789";
  Bytes b(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  EXPECT_EQ(crc16_arc(b), 0xBB3D);
  EXPECT_EQ(crc16_arc_bytewise(b), 0xBB3D);
  EXPECT_EQ(crc16_arc(Bytes{}), 0x0000);
}

TEST(Crc, HcsOfSeed000Header) {
  // Seed 000 (Kaifa MA304H4D list 3): header A0 9B 01 00 01 10 has HCS 56 1B on the wire.
  auto h = hex("a09b01000110");
  std::uint16_t crc = crc16_x25(h);
  EXPECT_EQ(crc & 0xFF, 0x56);
  EXPECT_EQ(crc >> 8, 0x1B);
}

using Crc16 = std::uint16_t (*)(CrcPath, Bytes) noexcept;
using Crc16Reference = std::uint16_t (*)(Bytes) noexcept;

// Every path this machine can run, the table first; the tests run each, so a machine with
// VPCLMULQDQ still tests the 128-bit fold and the table.
std::vector<CrcPath> available_paths() {
  std::vector<CrcPath> paths;
  for (CrcPath path : {CrcPath::table, CrcPath::clmul, CrcPath::clmul_wide}) {
    if (crc_path_available(path)) paths.push_back(path);
  }
  return paths;
}

// The fast CRC by each path against its byte-table reference on 600 random bytes (seed `seed`),
// from every start 0..8, at every `step`-th length.
void expect_same_on_every_length_and_alignment(Crc16 fast, Crc16Reference slow, unsigned seed,
                                               std::size_t step) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> data(600);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  for (CrcPath path : available_paths()) {
    for (std::size_t start = 0; start < 9; ++start) {
      for (std::size_t len = 0; len + start <= data.size(); len += step) {
        Bytes b(data.data() + start, len);
        ASSERT_EQ(fast(path, b), slow(b)) << int(path) << ": " << start << "+" << len;
      }
    }
  }
}

// From 32 bytes on, the CRCs fold 16-byte blocks with carry-less multiplication where the CPU
// has it (PCLMULQDQ; from 256 bytes on VPCLMULQDQ): every length up to a long HDLC frame, and
// inputs of all ones and all zeros (the extremes of the folded products), against the
// byte-table reference, by every path this machine has.
void expect_same_on_every_folded_length(Crc16 fast, Crc16Reference slow, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> data(2100);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  for (CrcPath path : available_paths()) {
    for (std::size_t len = 0; len <= data.size(); len += len < 600 ? 1 : 97) {
      Bytes b(data.data(), len);
      ASSERT_EQ(fast(path, b), slow(b)) << int(path) << ": " << len;
    }
    for (std::uint8_t fill : {std::uint8_t{0x00}, std::uint8_t{0xFF}}) {
      const std::vector<std::uint8_t> same(600, fill);
      for (std::size_t len = 30; len <= same.size(); ++len) {
        Bytes b(same.data(), len);
        ASSERT_EQ(fast(path, b), slow(b)) << int(path) << ": " << int{fill} << " x " << len;
      }
    }
  }
}

// The plain calls take the fastest path: they give what the fastest available path gives.
TEST(Crc, PlainCallsTakeTheFastestAvailablePath) {
  ASSERT_TRUE(crc_path_available(CrcPath::table));
  std::vector<std::uint8_t> data(1000);
  std::mt19937 rng(3);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  const CrcPath fastest = available_paths().back();
  for (std::size_t len : {0U, 31U, 32U, 255U, 256U, 884U, 1000U}) {
    Bytes b(data.data(), len);
    EXPECT_EQ(crc16_x25(b), crc16_x25_by(fastest, b)) << len;
    EXPECT_EQ(crc16_arc(b), crc16_arc_by(fastest, b)) << len;
    EXPECT_EQ(crc16_arc(b), crc16_arc_bytewise(b)) << len;
  }
}

TEST(Crc, SliceBy8EqualsBytewiseOnEveryLengthAndAlignment) {
  expect_same_on_every_length_and_alignment(crc16_x25_by, crc16_x25_bytewise, 7, 7);
}

TEST(Crc, FoldedPathEqualsBytewiseOnEveryLength) {
  expect_same_on_every_folded_length(crc16_x25_by, crc16_x25_bytewise, 11);
}

TEST(Crc, ArcSliceBy8EqualsBytewiseOnEveryLengthAndAlignment) {
  expect_same_on_every_length_and_alignment(crc16_arc_by, crc16_arc_bytewise, 11, 5);
}

// CRC-16/ARC folds like X.25, with its own polynomial and no initial register.
TEST(Crc, ArcFoldedPathEqualsBytewiseOnEveryLength) {
  expect_same_on_every_folded_length(crc16_arc_by, crc16_arc_bytewise, 13);
}

TEST(Crc, MbusChecksumIsSumModulo256) {
  EXPECT_EQ(mbus_checksum(hex("53ff00")), 0x52);
  EXPECT_EQ(mbus_checksum(hex("ffff02")), 0x00);
}

TEST(Crc, MbusChecksumEqualsTheByteSumOnEveryLengthAndAlignment) {
  // The eight-bytes-a-step sum against a plain byte loop: every tail length, every alignment,
  // and runs of 0xFF long enough to fill the 16-bit lanes (folded every 128 words).
  std::mt19937 rng(11);
  std::vector<std::uint8_t> data(2100);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  const std::vector<std::uint8_t> ones(2100, 0xFF);
  for (const std::vector<std::uint8_t>* v : {&std::as_const(data), &ones}) {
    for (std::size_t start = 0; start < 8; ++start) {
      for (std::size_t len = 0; len + start <= v->size(); len += (len < 64 ? 1 : 13)) {
        const Bytes b(v->data() + start, len);
        unsigned sum = 0;
        for (std::uint8_t x : b) sum += x;
        ASSERT_EQ(mbus_checksum(b), static_cast<std::uint8_t>(sum)) << start << "+" << len;
      }
    }
  }
}

TEST(Hex, ParsesWithSeparatorsAndRejectsOddOrBad) {
  EXPECT_EQ(hex("7E a0:0A\n-ff"), (std::vector<std::uint8_t>{0x7E, 0xA0, 0x0A, 0xFF}));
  auto odd = parse_hex("7ea");
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code, Errc::bad_hex);
  EXPECT_EQ(odd.error().offset, 2u);
  auto bad = parse_hex("7e zz");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().offset, 3u);
  EXPECT_EQ(to_hex(hex("00ff7e")), "00ff7e");
}

// read_uint_be: one load where eight bytes are left, byte by byte near the end; same numbers.
TEST(ByteReader, ReadUintBeAtEveryWidthAndNearTheEnd) {
  const auto data = hex("0102030405060708090a0b");
  for (std::size_t start = 0; start < data.size(); ++start) {
    for (std::size_t n = 0; n <= 8; ++n) {
      ByteReader r(Bytes(data).subspan(start), 100);
      auto v = r.read_uint_be(n);
      if (n > data.size() - start) {
        ASSERT_FALSE(v);
        EXPECT_EQ(v.error().code, Errc::truncated);
        EXPECT_EQ(v.error().offset, 100u);
        continue;
      }
      std::uint64_t want = 0;
      for (std::size_t i = 0; i < n; ++i) want = (want << 8) | data[start + i];
      ASSERT_TRUE(v) << start << "+" << n;
      EXPECT_EQ(*v, want) << start << "+" << n;
      EXPECT_EQ(r.offset(), 100 + n);
    }
  }
}

TEST(ByteReader, BoundsAndAbsoluteOffsets) {
  auto data = hex("0102030405");
  ByteReader r(data, 100);
  EXPECT_EQ(*r.read_u8(), 1);
  EXPECT_EQ(*r.read_u16be(), 0x0203);
  auto sub = r.sub_reader(2);
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->offset(), 103u);
  EXPECT_TRUE(r.expect_end());
  auto over = r.read_bytes(1);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, Errc::truncated);
  EXPECT_EQ(over.error().offset, 105u);
  // A huge length must not wrap the bounds check.
  ByteReader r2(data);
  EXPECT_FALSE(r2.read_bytes(SIZE_MAX));
  EXPECT_EQ(r2.remaining(), 5u);
}

TEST(ByteReader, ExpectEndReportsLeftover) {
  auto data = hex("0102");
  ByteReader r(data);
  (void)r.read_u8();
  auto end = r.expect_end();
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().code, Errc::trailing_bytes);
  EXPECT_EQ(end.error().offset, 1u);
}

TEST(ByteWriter, BerLengthPrefixForms) {
  for (std::size_t len : {0u, 0x7Fu, 0x80u, 0xFFu, 0x100u, 0x155u}) {
    std::vector<std::uint8_t> out;
    ByteWriter w(out);
    w.put_u8(0xDB);
    w.put_ber_length_prefixed([&](ByteWriter& c) {
      for (std::size_t i = 0; i < len; ++i) c.put_u8(0xAA);
    });
    ByteReader r(out);
    EXPECT_EQ(*r.read_u8(), 0xDB);
    std::uint8_t first = *r.read_u8();
    std::size_t got = first;
    if (first == 0x81) got = *r.read_u8();
    if (first == 0x82) got = *r.read_u16be();
    EXPECT_EQ(got, len);
    EXPECT_EQ(r.remaining(), len);
  }
}

TEST(Error, NamesLayersAndMessages) {
  EXPECT_EQ(name(Errc::hdlc_fcs_mismatch), "hdlc_fcs_mismatch");
  EXPECT_EQ(layer_of(Errc::security_auth_failed), Layer::security);
  EXPECT_EQ(name(layer_of(Errc::mbus_segment_lost)), "mbus");
  EXPECT_NE(message(Errc::axdr_too_deep), "unknown error");
}

Result<int> half(int v) {
  if (v % 2) return fail(Errc::axdr_bad_value, static_cast<std::size_t>(v));
  return v / 2;
}
Result<int> quarter(int v) {
  MLAB_ASSIGN(int h, half(v));
  MLAB_ASSIGN(int q, half(h));
  return q;
}

TEST(Result, AssignPropagatesTheFirstError) {
  EXPECT_EQ(*quarter(8), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 3u);
}

std::vector<std::uint8_t> bytes_of(Bytes b) { return {b.begin(), b.end()}; }

TEST(StreamBuffer, CompactionKeepsStreamOffsetsAcrossPushes) {
  StreamBuffer b(8);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.offset(), 0u);
  const auto first = hex("0102030405");
  b.push(first);
  b.consume(3);
  EXPECT_EQ(b.offset(), 3u);
  EXPECT_EQ(bytes_of(b.view()), hex("0405"));
  const std::size_t capacity = b.capacity();
  b.push(hex("060708"));  // drops 01 02 03: five bytes fit the reserved eight
  EXPECT_EQ(b.capacity(), capacity);
  EXPECT_EQ(b.offset(), 3u);
  EXPECT_EQ(b.end_offset(), 8u);
  EXPECT_EQ(bytes_of(b.view()), hex("0405060708"));
  b.consume(5);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.offset(), 8u);
  b.push(first);
  EXPECT_EQ(b.offset(), 8u);
  EXPECT_EQ(b.end_offset(), 13u);
  EXPECT_EQ(bytes_of(b.view()), first);
}

TEST(StreamBuffer, PushStartsANewInputAfterFinish) {
  StreamBuffer b(4);
  EXPECT_FALSE(b.finished());
  b.finish();
  EXPECT_TRUE(b.finished());
  b.push(hex("7E"));
  EXPECT_FALSE(b.finished());
}

TEST(StreamBuffer, EmptyPushAfterFinishStartsANewInputToo) {
  StreamBuffer b(4);
  b.push(hex("0102"));
  b.consume(2);
  b.finish();
  EXPECT_TRUE(b.finished());  // consuming does not end the finish, only a push does
  b.push({});
  EXPECT_FALSE(b.finished());
  EXPECT_EQ(b.end_offset(), 2u);
  b.finish();
  b.push(hex("03"));
  EXPECT_FALSE(b.finished());
  EXPECT_EQ(bytes_of(b.view()), hex("03"));
  EXPECT_EQ(b.offset(), 2u);
}

TEST(StreamBuffer, BytesThatFitBehindAreNotMoved) {
  // Compaction only when a push does not fit at the back: the bytes being looked at stay put.
  StreamBuffer b(8);
  b.push(hex("0102030405"));
  b.consume(4);
  const std::uint8_t* at = b.view().data();
  b.push(hex("06"));
  b.push(hex("0708"));
  EXPECT_EQ(b.view().data(), at);
  EXPECT_EQ(bytes_of(b.view()), hex("05060708"));
  EXPECT_EQ(b.offset(), 4u);
  // Full at the back: this push compacts (05..08 move to the front), without growing.
  b.push(hex("090a"));
  EXPECT_EQ(b.capacity(), 8u);
  EXPECT_NE(b.view().data(), at);
  EXPECT_EQ(bytes_of(b.view()), hex("05060708090a"));
  EXPECT_EQ(b.offset(), 4u);
  EXPECT_EQ(b.end_offset(), 10u);
}

TEST(StreamBuffer, GrowsOnlyWhenTheUnconsumedBytesAndThePushExceedTheCapacity) {
  StreamBuffer b(4);
  b.push(hex("010203"));
  b.consume(1);
  b.push(hex("0405"));  // 02 03 + 04 05 = 4: compacts, fits
  EXPECT_EQ(b.capacity(), 4u);
  b.push(hex("06"));  // 5 unconsumed: grows to twice
  EXPECT_EQ(b.capacity(), 8u);
  b.push(hex("0708090a0b0c0d0e0f101112"));  // 17: more than twice, grows to what is needed
  EXPECT_EQ(b.capacity(), 17u);
  EXPECT_EQ(bytes_of(b.view()), hex("02030405060708090a0b0c0d0e0f101112"));
  EXPECT_EQ(b.offset(), 1u);
  // Byte at a time, consumed as it comes, for many times the capacity: no growth.
  for (std::uint8_t i = 0; i < 200; ++i) {
    b.consume(b.view().size());
    const std::uint8_t one[1] = {i};
    b.push(one);
    ASSERT_EQ(b.view().size(), 1u);
    ASSERT_EQ(b.view()[0], i);
    ASSERT_EQ(b.offset(), 18u + i);
  }
  EXPECT_EQ(b.capacity(), 17u);
}

TEST(StreamBuffer, WaitingUntilTheEndReachesTheMarkAcrossCompaction) {
  StreamBuffer b(8);
  EXPECT_FALSE(b.waiting());
  b.push(hex("0102030405"));
  b.consume(3);
  b.wait_until(9);  // stream offset 9: four more bytes
  EXPECT_TRUE(b.waiting());
  EXPECT_EQ(b.awaited(), 4u);
  b.push(hex("060708"));  // fits behind: end 8
  EXPECT_TRUE(b.waiting());
  b.push(hex("09"));  // does not fit: compacts, the mark moves with the bytes
  EXPECT_EQ(b.end_offset(), 9u);
  EXPECT_FALSE(b.waiting());
  EXPECT_EQ(b.awaited(), 0u);
  b.wait_until(11);
  b.consume(b.view().size());
  b.push(hex("0a"));
  EXPECT_TRUE(b.waiting());
  EXPECT_EQ(b.awaited(), 1u);
  b.wait_until(20);
  EXPECT_EQ(b.awaited(), 10u);
  b.finish();  // end of input: nothing comes to wait for
  EXPECT_FALSE(b.waiting());
  // A mark already reached stays reached when compaction moves the bytes under it.
  StreamBuffer c(4);
  c.push(hex("01020304"));
  c.wait_until(2);
  c.consume(4);
  c.push(hex("05"));
  EXPECT_FALSE(c.waiting());
}

TEST(StreamBuffer, CopyOwnsItsBytesAndMoveLeavesAnEmptyBuffer) {
  StreamBuffer a(8);
  a.push(hex("01020304"));
  a.consume(1);
  a.wait_until(6);
  StreamBuffer copy(a);
  EXPECT_NE(copy.view().data(), a.view().data());
  EXPECT_EQ(bytes_of(copy.view()), hex("020304"));
  EXPECT_EQ(copy.offset(), 1u);
  EXPECT_TRUE(copy.waiting());
  copy.push(hex("05"));
  EXPECT_EQ(bytes_of(a.view()), hex("020304"));  // the original did not see it
  EXPECT_EQ(bytes_of(copy.view()), hex("02030405"));
  StreamBuffer moved(std::move(copy));
  EXPECT_EQ(bytes_of(moved.view()), hex("02030405"));
  EXPECT_EQ(moved.end_offset(), 5u);
  EXPECT_EQ(copy.capacity(), 0u);  // the moved-from buffer is empty,
  copy.push(hex("0607"));          // and still usable
  EXPECT_EQ(bytes_of(copy.view()), hex("0607"));
  a = moved;
  EXPECT_EQ(bytes_of(a.view()), hex("02030405"));
  moved.push(hex("06"));
  EXPECT_EQ(bytes_of(a.view()), hex("02030405"));
}

TEST(DiscardRun, ReportsTheFirstErrorOfTheHighestRank) {
  DiscardRun run(100);
  run.add(10, 2);
  run.note(Error{Errc::hdlc_bad_format, 11}, 1);
  run.add(12, 5);
  run.note(Error{Errc::hdlc_bad_length, 13}, 1);    // same rank: the first stays
  run.note(Error{Errc::hdlc_fcs_mismatch, 15}, 2);  // higher: replaces it
  run.note(Error{Errc::hdlc_hcs_mismatch, 16}, 1);  // lower: ignored
  run.note(Error{Errc::hdlc_missing_flag, 16}, 2);  // same rank again: ignored
  const Discard d = run.take(Errc::hdlc_garbage);
  EXPECT_EQ(d.error.code, Errc::hdlc_fcs_mismatch);
  EXPECT_EQ(d.error.offset, 15u);
  EXPECT_EQ(d.stream_offset, 10u);
  EXPECT_EQ(d.length, 7u);
  EXPECT_TRUE(run.empty());
  // A new run starts with no error: the fallback names its first byte.
  run.add(40, 3);
  const Discard garbage = run.take(Errc::mbus_garbage);
  EXPECT_EQ(garbage.error.code, Errc::mbus_garbage);
  EXPECT_EQ(garbage.error.offset, 40u);
  EXPECT_EQ(garbage.stream_offset, 40u);
  EXPECT_EQ(garbage.length, 3u);
}

TEST(DiscardRun, AnEmptyRunTakesNothingAndForgetsItsError) {
  DiscardRun run(100);
  run.note(Error{Errc::hdlc_hcs_mismatch, 5}, 2);  // a candidate on a flag already in a frame
  const Discard none = run.take(Errc::hdlc_garbage);
  EXPECT_EQ(none.length, 0u);
  EXPECT_EQ(none.error.code, Errc::ok);
  run.add(6, 2);
  EXPECT_EQ(run.take(Errc::hdlc_garbage).error.code, Errc::hdlc_garbage);
  // An error noted before the run's first byte stays with the bytes that follow.
  run.note(Error{Errc::hdlc_hcs_mismatch, 9}, 2);
  run.add(10, 1);
  const Discard d = run.take(Errc::hdlc_garbage);
  EXPECT_EQ(d.error.code, Errc::hdlc_hcs_mismatch);
  EXPECT_EQ(d.stream_offset, 10u);
}

TEST(DiscardRun, RoomCapsTheRunLength) {
  DiscardRun run(8);
  EXPECT_EQ(run.room(), 8u);
  run.add(0, 5);
  EXPECT_EQ(run.room(), 3u);
  EXPECT_FALSE(run.full());
  run.add(5, 3);
  EXPECT_TRUE(run.full());
  EXPECT_EQ(run.room(), 0u);
  EXPECT_EQ(run.length(), 8u);
  EXPECT_EQ(run.take(Errc::hdlc_garbage).length, 8u);
  EXPECT_EQ(run.room(), 8u);
}

}  // namespace
}  // namespace meterlab
