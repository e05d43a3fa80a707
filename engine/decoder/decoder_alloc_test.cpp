// No heap allocation per frame in steady state: the decoder reuses its buffers (framer buffer,
// reassembly buffer, plaintext, A-XDR node tape, Telegram readings and text) from frame to frame.
// Every operator new of this program is counted; after a warm-up the count must not move over
// 10,000 frames of plain HDLC, SC 0x30 HDLC and the two-segment SC 0x21 M-Bus telegram.
#include <gtest/gtest.h>

#include "../core/counting_new.hpp"
#include "meterlab/cosem/layout.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/testing/sample_frames.hpp"

namespace meterlab {
namespace {

using test::g_allocations;

constexpr int kWarmUp = 100;
constexpr int kFrames = 10000;

struct Counts {
  std::uint64_t telegrams = 0;
  std::uint64_t rejections = 0;
  std::uint64_t readings = 0;  // of the last telegram
};

// Pushes the telegram `times` times, drawing every event.
Counts decode(Decoder& dec, Bytes stream, int times) {
  Counts r;
  for (int i = 0; i < times; ++i) {
    dec.push(stream);
    for (auto ev = dec.next(); ev != Decoder::Event::need_more; ev = dec.next()) {
      if (ev == Decoder::Event::rejection) ++r.rejections;
      if (ev != Decoder::Event::telegram) continue;
      ++r.telegrams;
      r.readings = dec.telegram().readings.size();
    }
  }
  return r;
}

// Allocations made while 10,000 frames decode, after the warm-up.
std::uint64_t steady_state_allocations(Decoder& dec, Bytes stream, std::uint64_t readings) {
  const Counts warm = decode(dec, stream, kWarmUp);
  EXPECT_EQ(warm.telegrams, static_cast<std::uint64_t>(kWarmUp));
  const std::uint64_t before = g_allocations.load();
  const Counts run = decode(dec, stream, kFrames);
  const std::uint64_t made = g_allocations.load() - before;
  EXPECT_EQ(run.telegrams, static_cast<std::uint64_t>(kFrames));
  EXPECT_EQ(run.rejections, 0U);
  EXPECT_EQ(run.readings, readings);
  return made;
}

// The counter is wired: a new decoder's first frame grows its buffers, and that is seen.
TEST(DecoderAllocations, CounterSeesTheFirstFramesAllocations) {
  const auto frame = samples::kfm_list3_plain();
  const std::uint64_t before = g_allocations.load();
  Decoder dec(InputTransport::hdlc);
  EXPECT_EQ(decode(dec, frame, 1).telegrams, 1U);
  EXPECT_GT(g_allocations.load() - before, 0U);
}

TEST(DecoderAllocations, PlainHdlcKfmList3AllocatesNothingPerFrame) {
  const auto frame = samples::kfm_list3_plain();
  Decoder dec(InputTransport::hdlc);
  EXPECT_EQ(steady_state_allocations(dec, frame, 18), 0U);
}

TEST(DecoderAllocations, AutoDetectedHdlcAllocatesNothingPerFrame) {
  const auto frame = samples::kfm_list3_plain();
  Decoder dec;
  EXPECT_EQ(steady_state_allocations(dec, frame, 18), 0U);
}

TEST(DecoderAllocations, Sc30HdlcKfmList3AllocatesNothingPerFrame) {
  const auto frame = samples::kfm_list3_sc30();
  Decoder dec(InputTransport::hdlc, samples::sample_keys());
  EXPECT_EQ(steady_state_allocations(dec, frame, 18), 0U);
  EXPECT_EQ(dec.telegram().security, static_cast<std::uint8_t>(dlms::SecurityState::authenticated));
}

TEST(DecoderAllocations, Sc21TwoSegmentMbusAllocatesNothingPerFrame) {
  const auto telegram = samples::ma309_telegram();
  Decoder dec(InputTransport::mbus, samples::sample_keys_ek_only());
  EXPECT_EQ(steady_state_allocations(dec, telegram, 15), 0U);
  EXPECT_EQ(dec.telegram().segments, 2U);
  EXPECT_EQ(dec.telegram().security, static_cast<std::uint8_t>(dlms::SecurityState::decrypted));
}

// Issue 16: a list no layout identifies (30 positional numbers) is mapped generically, and
// allocates nothing per frame either: the shape cache serves it after the first.
TEST(DecoderAllocations, GenericPositionalListAllocatesNothingPerFrame) {
  samples::Buf apdu = samples::hex("0f0000000100021e");
  for (int i = 0; i < 30; ++i) {
    apdu.insert(apdu.end(), {0x06, 0x00, 0x01, static_cast<std::uint8_t>(i), 0x10});
  }
  const auto frame = samples::hdlc_frame(samples::hex("01"), samples::hex("0201"), 0x10,
                                         samples::concat({samples::hex("e6e700"), apdu}));
  Decoder dec(InputTransport::hdlc);
  EXPECT_EQ(steady_state_allocations(dec, frame, 30), 0U);
  EXPECT_EQ(cosem::kGenericLayout, dec.telegram().layout);
  EXPECT_EQ(static_cast<std::uint64_t>(kWarmUp + kFrames), dec.stats().generic_layouts);
  EXPECT_GT(dec.shape_stats().hits, 0U);
}

TEST(DecoderAllocations, ByteAtATimeAllocatesNothingPerFrame) {
  const auto telegram = samples::ma309_telegram();
  Decoder dec(InputTransport::mbus, samples::sample_keys());
  Counts warm;
  for (int i = 0; i < kWarmUp; ++i) {
    for (std::uint8_t b : telegram) {
      dec.push(Bytes(&b, 1));
      while (dec.next() == Decoder::Event::telegram) ++warm.telegrams;
    }
  }
  ASSERT_EQ(warm.telegrams, static_cast<std::uint64_t>(kWarmUp));
  const std::uint64_t before = g_allocations.load();
  std::uint64_t telegrams = 0;
  for (int i = 0; i < kFrames / 10; ++i) {
    for (std::uint8_t b : telegram) {
      dec.push(Bytes(&b, 1));
      while (dec.next() == Decoder::Event::telegram) ++telegrams;
    }
  }
  EXPECT_EQ(g_allocations.load() - before, 0U);
  EXPECT_EQ(telegrams, static_cast<std::uint64_t>(kFrames / 10));
}

}  // namespace
}  // namespace meterlab
