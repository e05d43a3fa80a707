// Transport auto-detection decides on the first good frame of the stream (HDLC on a tie), and
// the decision does not depend on how the bytes arrive. A frame one framer finds early in time
// may start later in the stream than one the other framer is still waiting to complete.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "decoder_test_util.hpp"
#include "meterlab/core/crc.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/decoder/json.hpp"
#include "meterlab/testing/sample_frames.hpp"

namespace meterlab {
namespace {

using samples::Buf;

struct Decoded {
  std::vector<std::string> events;  // JSON lines
  InputTransport transport = InputTransport::auto_detect;
};

Decoded decode(Bytes stream, std::size_t chunk) {
  Decoded out;
  Decoder dec;
  out.events = testing::decode_lines(dec, stream, chunk);
  out.transport = dec.transport();
  return out;
}

// An M-Bus long-frame start whose L field (0xFA) reaches past everything else, a good M-Bus frame
// (a continuation segment), then a good HDLC frame that ends before the first candidate's length
// runs out: fed a byte at a time, the HDLC frame is complete first, but the M-Bus frame starts
// first.
Buf mbus_first_in_stream() {
  const Buf bogus = {0x68, 0xFA, 0xFA, 0x68, 0x53, 0xFF, 0x00};
  const Buf segment = samples::mbus_frame(0x53, 0xFF, 0x11, samples::hex("0167 db08 4b46"));
  return samples::concat({bogus, segment, samples::kfm_list3_plain()});
}

TEST(DecoderDetect, FirstGoodFrameInTheStreamDecidesWhateverThePushes) {
  const Buf stream = mbus_first_in_stream();
  ASSERT_LT(stream.size(), 4u + 0xFAu + 2u);  // the bogus candidate is never complete
  const Decoded whole = decode(stream, stream.size());
  EXPECT_EQ(whole.transport, InputTransport::mbus);
  for (std::size_t chunk : {1u, 2u, 7u, 64u}) {
    const Decoded split = decode(stream, chunk);
    EXPECT_EQ(split.transport, InputTransport::mbus) << "pushes of " << chunk;
    EXPECT_EQ(split.events, whole.events) << "pushes of " << chunk;
  }
}

// Without the M-Bus frame the HDLC frame is the first good frame: HDLC, the same every way.
TEST(DecoderDetect, HdlcBehindAnUnfinishedMbusStartIsHdlc) {
  const Buf stream =
      samples::concat({Buf{0x68, 0xFA, 0xFA, 0x68, 0x53, 0xFF, 0x00}, samples::kfm_list3_plain()});
  const Decoded whole = decode(stream, stream.size());
  EXPECT_EQ(whole.transport, InputTransport::hdlc);
  ASSERT_FALSE(whole.events.empty());
  EXPECT_NE(whole.events.back().find("\"layout\":\"kfm001_list3_3phase\""), std::string::npos)
      << whole.events.back();
  for (std::size_t chunk : {1u, 3u, 50u}) {
    const Decoded split = decode(stream, chunk);
    EXPECT_EQ(split.transport, InputTransport::hdlc) << "pushes of " << chunk;
    EXPECT_EQ(split.events, whole.events) << "pushes of " << chunk;
  }
}

// A DSMR telegram (CRC-16/ARC over '/'..'!') behind garbage, with an HDLC frame after it: the
// P1 telegram starts first and decides; the HDLC frame is then garbage on the P1 line.
Buf p1_telegram() {
  const std::string body =
      "/ISK5\\2M550T-1012\r\n\r\n1-3:0.2.8(50)\r\n1-0:1.8.1(000123.456*kWh)\r\n!";
  Buf out(body.begin(), body.end());
  char crc[5];
  std::snprintf(crc, sizeof crc, "%04X", crc16_arc(out));
  out.insert(out.end(), crc, crc + 4);
  out.push_back('\r');
  out.push_back('\n');
  return out;
}

TEST(DecoderDetect, P1TelegramFirstIsP1WhateverThePushes) {
  const Buf stream = samples::concat(
      {Buf{0x00, 0x21, 0x0D}, p1_telegram(), samples::kfm_list3_plain(), p1_telegram()});
  const Decoded whole = decode(stream, stream.size());
  EXPECT_EQ(whole.transport, InputTransport::p1);
  std::size_t telegrams = 0;
  for (const std::string& e : whole.events) {
    if (e.find("\"check\":\"crc16\"") != std::string::npos) ++telegrams;
  }
  EXPECT_EQ(telegrams, 2u);
  for (std::size_t chunk : {1u, 5u, 64u}) {
    const Decoded split = decode(stream, chunk);
    EXPECT_EQ(split.transport, InputTransport::p1) << "pushes of " << chunk;
    EXPECT_EQ(split.events, whole.events) << "pushes of " << chunk;
  }
}

// Encrypted P1 (a bare general-glo-ciphering APDU on the P1 line, DB 08 ...): auto-detected
// when the given keys open a frame into a P1 telegram; without a key nothing decides it.
TEST(DecoderDetect, EncryptedP1WithItsKeyIsP1) {
  const std::string path =
      std::string(MLAB_SOURCE_DIR) + "/vectors/p1/smarty-lu-sagemcom-" + "encrypted-openhab.json";
  std::ifstream in(path);
  const nlohmann::json v = nlohmann::json::parse(in);
  const Buf frame = samples::hex(v["input_hex"].get<std::string>());
  const Buf stream = samples::concat({frame, frame});
  const auto key = [&](const char* k) {
    dlms::Key out{};
    const Buf b = samples::hex(v["keys"][0][k].get<std::string>());
    std::copy(b.begin(), b.end(), out.begin());
    return out;
  };
  for (bool with_key : {true, false}) {
    for (std::size_t chunk : {std::size_t{1}, std::size_t{50}, stream.size()}) {
      dlms::KeyRing ring;
      if (with_key) ring.add(std::nullopt, key("ek"), key("ak"));
      Decoder dec(InputTransport::auto_detect, std::move(ring));
      testing::decode_lines(dec, stream, chunk);
      const std::uint64_t telegrams = dec.stats().telegrams;
      if (with_key) {
        EXPECT_EQ(dec.transport(), InputTransport::p1) << chunk;
        EXPECT_EQ(telegrams, 2u) << chunk;
      } else {
        EXPECT_NE(dec.transport(), InputTransport::p1) << chunk;
        EXPECT_EQ(telegrams, 0u) << chunk;
      }
    }
  }
}

}  // namespace
}  // namespace meterlab
