// Nothing lost silently (issue 16): a general block transfer left without its last block is
// reported (at the end of the input, or when a new message or transfer starts), and bytes that
// start no frame before the transport is known are the link's garbage, no transport's.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "decoder_test_util.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/decoder/json.hpp"
#include "meterlab/testing/sample_frames.hpp"

namespace meterlab {
namespace {

using nlohmann::json;
using samples::Buf;

struct Outcome {
  std::vector<json> events;  // telegrams and {"error": ...} in order
  DecoderStats stats;
};

Outcome decode(Bytes stream, std::size_t chunk,
               InputTransport transport = InputTransport::auto_detect) {
  Outcome out;
  Decoder dec(transport);
  for (const std::string& line : testing::decode_lines(dec, stream, chunk)) {
    out.events.push_back(json::parse(line));
  }
  out.stats = dec.stats();
  return out;
}

std::string code_of(const json& e) { return e.contains("error") ? e["error"]["code"] : "telegram"; }

std::vector<std::string> codes(const Outcome& r) {
  std::vector<std::string> out;
  for (const json& e : r.events) out.push_back(code_of(e));
  return out;
}

// The L&G CH capture: one APDU in three GBT blocks, one HDLC frame each.
struct Gbt {
  Buf whole = samples::vector_bytes("hdlc-plain/lg-e450-ch-gh740-gbt-3frames.json");
  Buf first_two = samples::vector_bytes("negative/dlms-gbt-unfinished.json");
};

TEST(UnfinishedGbt, AtTheEndOfInput) {
  const Gbt g;
  ASSERT_LT(g.first_two.size(), g.whole.size());
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, g.first_two.size()}) {
    const Outcome r = decode(g.first_two, chunk);
    ASSERT_EQ(codes(r), std::vector<std::string>{"dlms_gbt_unfinished"}) << chunk;
    const json& e = r.events[0]["error"];
    EXPECT_EQ(e["layer"], "dlms");
    EXPECT_EQ(e["frame"]["offset"], 0);
    EXPECT_EQ(e["frame"]["length"], g.first_two.size());
    EXPECT_GT(e["offset"].get<std::size_t>(), 0u);  // the APDU bytes that had come
    EXPECT_EQ(r.stats.count(Errc::dlms_gbt_unfinished), 1u);
    EXPECT_EQ(r.stats.rejections, 1u);
    EXPECT_EQ(r.stats.bytes_in_frames + r.stats.bytes_discarded, r.stats.bytes_in);
  }
}

// A new transfer (block 1) while one is pending: the pending one is reported first, then the
// new one decodes, whatever the chunk size.
TEST(UnfinishedGbt, WhenANewTransferStarts) {
  const Gbt g;
  const Buf stream = samples::concat({g.first_two, g.whole});
  for (std::size_t chunk : {std::size_t{1}, std::size_t{13}, stream.size()}) {
    const Outcome r = decode(stream, chunk);
    EXPECT_EQ(codes(r), (std::vector<std::string>{"dlms_gbt_unfinished", "telegram"})) << chunk;
    EXPECT_EQ(r.stats.telegrams, 1u);
  }
}

// Another message (a whole data-notification) while a transfer is pending: it decodes, and the
// abandoned transfer is reported right after it.
TEST(UnfinishedGbt, WhenAnotherMessageComes) {
  const Gbt g;
  const Buf stream = samples::concat({g.first_two, samples::kfm_list3_plain()});
  for (std::size_t chunk : {std::size_t{1}, stream.size()}) {
    const Outcome r = decode(stream, chunk);
    EXPECT_EQ(codes(r), (std::vector<std::string>{"telegram", "dlms_gbt_unfinished"})) << chunk;
    EXPECT_EQ(r.events[1]["error"]["frame"]["offset"], 0);
  }
}

TEST(UnfinishedGbt, AFinishedTransferIsNotReported) {
  const Gbt g;
  const Outcome r = decode(g.whole, 5);
  EXPECT_EQ(codes(r), std::vector<std::string>{"telegram"});
}

// Bytes before the first frame are no transport's while none is known: link_garbage; after the
// first frame decided HDLC, garbage is HDLC's own.
TEST(LinkGarbage, BeforeDetectionIsNeutral) {
  const Buf frame = samples::kfm_list3_plain();
  const Buf noise = samples::hex("0102030405");
  const Buf false_flag = samples::hex("7e33aa");  // 7E then no type-3 format byte
  const Buf stream = samples::concat({noise, frame, noise, frame});
  for (std::size_t chunk : {std::size_t{1}, stream.size()}) {
    const Outcome r = decode(stream, chunk);
    ASSERT_EQ(codes(r),
              (std::vector<std::string>{"link_garbage", "telegram", "hdlc_garbage", "telegram"}))
        << chunk;
    EXPECT_EQ(r.events[0]["error"]["layer"], "link");
    EXPECT_EQ(r.events[0]["error"]["frame"]["offset"], 0);
    EXPECT_EQ(r.events[0]["error"]["frame"]["length"], noise.size());
    EXPECT_EQ(r.stats.count(Errc::link_garbage), 1u);
  }
  const Outcome flag = decode(samples::concat({false_flag, frame}), 1);
  EXPECT_EQ(codes(flag), (std::vector<std::string>{"link_garbage", "telegram"}));
}

TEST(LinkGarbage, NothingButGarbage) {
  const Outcome r = decode(samples::hex("0102030405060708"), 3);
  ASSERT_FALSE(r.events.empty());
  for (const json& e : r.events) EXPECT_EQ(code_of(e), "link_garbage");
  EXPECT_EQ(r.stats.bytes_discarded, 8u);
}

// A transport given: its own codes from the first byte.
TEST(LinkGarbage, GivenTransportKeepsItsCodes) {
  const Buf stream = samples::concat({samples::hex("0102030405"), samples::kfm_list3_plain()});
  const Outcome r = decode(stream, 4, InputTransport::hdlc);
  EXPECT_EQ(codes(r), (std::vector<std::string>{"hdlc_garbage", "telegram"}));
}

}  // namespace
}  // namespace meterlab
