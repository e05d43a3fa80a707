// The stream buffer's byte watch (watch_for(), rearm()), apart from core_test.cpp: the wait it
// sets, what ends it (a watched byte pushed alone, a push of several bytes, the limit, finish()),
// across compaction, growth and a copy.
#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "meterlab/core/hex.hpp"
#include "meterlab/core/stream_buffer.hpp"

namespace meterlab {
namespace {

std::vector<std::uint8_t> hex(std::string_view s) { return *parse_hex(s); }

// The byte watch (a P1 telegram's '!' or '/'): rearm() looks at every byte since the last look
// and sets the wait up to the limit; from then on a byte pushed alone is tested where it is
// stored, and a watched one, a push of several bytes or the limit ends the wait.
TEST(StreamBuffer, AByteWatchWaitsForItsBytesOrItsLimit) {
  StreamBuffer b(16);
  b.push(hex("6162"));          // "ab"
  b.watch_for('!', '/', 0, 8);  // from stream offset 0, up to 8
  EXPECT_TRUE(b.rearm());
  EXPECT_TRUE(b.waiting());
  EXPECT_EQ(b.awaited(), 6u);  // up to the limit
  b.push(hex("63"));           // "c": still waiting, nothing asked
  EXPECT_TRUE(b.waiting());
  EXPECT_EQ(b.awaited(), 5u);
  b.push(hex("21"));  // "!" alone ends the wait where it is stored
  EXPECT_FALSE(b.waiting());
  EXPECT_FALSE(b.rearm());  // the watch is over
  EXPECT_FALSE(b.rearm());  // no watch
  EXPECT_EQ(b.end_offset(), 4u);

  StreamBuffer c(16);
  c.push(hex("78"));
  c.watch_for('!', '/', 0, 3);
  EXPECT_TRUE(c.rearm());
  c.push(hex("79"));
  EXPECT_TRUE(c.waiting());
  c.push(hex("7A"));  // the third byte reaches the limit
  EXPECT_FALSE(c.waiting());
  EXPECT_FALSE(c.rearm());
}

TEST(StreamBuffer, APushOfSeveralBytesEndsAWatchsWaitForRearmToLook) {
  StreamBuffer b(32);
  b.push(hex("61"));
  b.watch_for('!', '/', 0, 20);
  EXPECT_TRUE(b.rearm());
  b.push(hex("62"));
  b.push(hex("6364"));  // two bytes, neither watched: rearm() looks and waits again
  EXPECT_FALSE(b.waiting());
  EXPECT_TRUE(b.rearm());
  EXPECT_TRUE(b.waiting());
  EXPECT_EQ(b.awaited(), 16u);
  b.push(hex("65"));
  b.push(hex("66"));
  b.push(hex("672F68"));  // "g/h": the '/' after a run of single bytes ends the watch
  EXPECT_FALSE(b.waiting());
  EXPECT_FALSE(b.rearm());
  EXPECT_EQ(b.end_offset(), 9u);
}

TEST(StreamBuffer, AWatchedByteEndsNoWaitOnceTheWatchIsOver) {
  StreamBuffer b(16);
  b.push(hex("61"));
  b.watch_for('!', '/', 0, 10);
  EXPECT_TRUE(b.rearm());
  b.push(hex("21"));
  EXPECT_FALSE(b.rearm());  // over: '!' and '/' are ordinary bytes again
  b.wait_until(5);          // a wait for a length
  b.push(hex("21"));
  b.push(hex("2F"));
  EXPECT_TRUE(b.waiting());
  EXPECT_EQ(b.awaited(), 1u);
  // finish() ends a watch as well as its wait.
  b.watch_for('!', '/', 4, 12);
  EXPECT_TRUE(b.rearm());
  b.finish();
  EXPECT_FALSE(b.waiting());
  EXPECT_FALSE(b.rearm());
  b.wait_until(7);
  b.push(hex("21"));
  EXPECT_TRUE(b.waiting());
}

TEST(StreamBuffer, AWatchGoesOnAcrossCompactionAndIntoACopy) {
  StreamBuffer b(4);
  b.push(hex("616263"));
  b.consume(2);
  b.watch_for('!', '/', 2, 30);
  EXPECT_TRUE(b.rearm());
  b.push(hex("64"));  // fits: end 4
  b.push(hex("65"));  // does not fit: compacts, still waiting for the same stream offsets
  EXPECT_EQ(b.capacity(), 4u);
  EXPECT_TRUE(b.waiting());
  EXPECT_EQ(b.awaited(), 25u);
  StreamBuffer copy(b);
  copy.push(hex("21"));  // the copy's own watch: the '!' ends its wait
  EXPECT_FALSE(copy.waiting());
  EXPECT_FALSE(copy.rearm());
  EXPECT_TRUE(b.waiting());  // the original's watch goes on
  b.consume(b.view().size());
  b.push(hex("2F"));  // through compaction
  EXPECT_FALSE(b.waiting());
  EXPECT_FALSE(b.rearm());
  EXPECT_EQ(b.end_offset(), 6u);
  // A byte that makes the buffer grow keeps the wait up to the same stream offset.
  StreamBuffer g(2);
  g.push(hex("6162"));
  g.watch_for('!', '/', 0, 100);
  EXPECT_TRUE(g.rearm());
  g.push(hex("63"));
  EXPECT_GT(g.capacity(), 2u);
  EXPECT_TRUE(g.waiting());
  EXPECT_EQ(g.awaited(), 97u);
}

}  // namespace
}  // namespace meterlab
