// No heap allocation per telegram in steady state: the framer's buffer, the plaintext and the
// Telegram's readings and text are reused from telegram to telegram. Every operator new of this
// program is counted (counting_new.hpp); after a warm-up the count must not move over 10,000
// telegrams of DSMR 5 (whole and byte at a time) and of encrypted Smarty, through the framer and
// decode_frame() as a P1-only reader keeps them, and through the Decoder as `meterlab decode` and
// the reader do (its line problems and events included).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../core/counting_new.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/p1/framer.hpp"
#include "meterlab/p1/secure.hpp"

namespace meterlab::p1 {
namespace {

using test::g_allocations;

constexpr int kWarmUp = 100;
constexpr int kTelegrams = 10000;

struct Vector {
  std::vector<std::uint8_t> input;
  std::vector<std::pair<dlms::Key, dlms::Key>> keys;  // EK, AK
};

Vector load(const std::string& name) {
  std::ifstream in(std::string(MLAB_SOURCE_DIR) + "/vectors/p1/" + name + ".json");
  const nlohmann::json v = nlohmann::json::parse(in);
  Vector out{*parse_hex(v["input_hex"].get<std::string>()), {}};
  for (const auto& k : v["keys"]) {
    dlms::Key ek{}, ak{};
    const auto e = *parse_hex(k["ek"].get<std::string>());
    const auto a = *parse_hex(k["ak"].get<std::string>());
    std::copy(e.begin(), e.end(), ek.begin());
    std::copy(a.begin(), a.end(), ak.begin());
    out.keys.emplace_back(ek, ak);
  }
  return out;
}

dlms::KeyRing ring(const Vector& v) {
  dlms::KeyRing keys;
  for (const auto& [ek, ak] : v.keys) keys.add(std::nullopt, ek, ak);
  return keys;
}

// The framer, the decode and the telegram a P1 reader keeps from telegram to telegram.
class Reader {
 public:
  explicit Reader(dlms::KeyRing keys) : keys_(std::move(keys)) {}
  // Pushes `stream` in pieces of `chunk` bytes, `times` times; the telegrams decoded.
  int feed(Bytes stream, std::size_t chunk, int times) {
    int telegrams = 0;
    for (int i = 0; i < times; ++i) {
      for (std::size_t at = 0; at < stream.size(); at += chunk) {
        framer_.push(stream.subspan(at, std::min(chunk, stream.size() - at)));
        for (Event ev = framer_.next(); ev.kind != Event::Kind::need_more; ev = framer_.next()) {
          if (ev.kind != Event::Kind::frame) continue;
          telegrams += decode_frame(ev.frame, keys_, scratch_, telegram_, problems_) ? 1 : 0;
        }
      }
    }
    return telegrams;
  }
  const cosem::Telegram& telegram() const { return telegram_; }

 private:
  dlms::KeyRing keys_;
  Framer framer_;
  std::vector<std::uint8_t> scratch_;
  cosem::Telegram telegram_;
  Problems problems_;
};

// The same through the Decoder (P1 given, as `--transport p1` does).
class DecoderReader {
 public:
  explicit DecoderReader(dlms::KeyRing keys) : decoder_(InputTransport::p1, std::move(keys)) {}
  int feed(Bytes stream, std::size_t chunk, int times) {
    int telegrams = 0;
    for (int i = 0; i < times; ++i) {
      for (std::size_t at = 0; at < stream.size(); at += chunk) {
        decoder_.push(stream.subspan(at, std::min(chunk, stream.size() - at)));
        for (auto ev = decoder_.next(); ev != Decoder::Event::need_more; ev = decoder_.next()) {
          telegrams += ev == Decoder::Event::telegram ? 1 : 0;
        }
      }
    }
    return telegrams;
  }
  const cosem::Telegram& telegram() const { return decoder_.telegram(); }

 private:
  Decoder decoder_;
};

// Allocations made while `times` more telegrams decode, after the warm-up.
template <class R = Reader>
std::uint64_t steady_state_allocations(const Vector& v, std::size_t chunk, int times) {
  R reader(ring(v));
  EXPECT_EQ(reader.feed(v.input, chunk, kWarmUp), kWarmUp);
  const std::uint64_t before = g_allocations.load();
  EXPECT_EQ(reader.feed(v.input, chunk, times), times);
  const std::uint64_t made = g_allocations.load() - before;
  EXPECT_GT(reader.telegram().readings.size(), 10u);
  return made;
}

TEST(P1Allocations, CounterSeesTheFirstTelegramsAllocations) {
  const Vector v = load("dsmr5-iskra-am550-nl");
  const std::uint64_t before = g_allocations.load();
  Reader reader(ring(v));
  EXPECT_EQ(reader.feed(v.input, v.input.size(), 1), 1);
  EXPECT_GT(g_allocations.load() - before, 0u);
}

TEST(P1Allocations, Dsmr5AllocatesNothingPerTelegram) {
  const Vector v = load("dsmr5-iskra-am550-nl");
  EXPECT_EQ(steady_state_allocations(v, v.input.size(), kTelegrams), 0u);
}

TEST(P1Allocations, Dsmr5ByteAtATimeAllocatesNothingPerTelegram) {
  const Vector v = load("dsmr5-iskra-am550-nl");
  EXPECT_EQ(steady_state_allocations(v, 1, kTelegrams / 10), 0u);
}

TEST(P1Allocations, EncryptedSmartyAllocatesNothingPerTelegram) {
  const Vector v = load("smarty-lu-sagemcom-encrypted-openhab");
  EXPECT_EQ(steady_state_allocations(v, v.input.size(), kTelegrams), 0u);
}

// The Decoder: DSMR 5 with gas and encrypted Smarty, each whole and byte at a time.
TEST(P1Allocations, DecoderAllocatesNothingPerTelegram) {
  for (const char* name : {"dsmr5-iskra-am550-nl", "smarty-lu-sagemcom-encrypted-openhab"}) {
    SCOPED_TRACE(name);
    const Vector v = load(name);
    EXPECT_EQ(steady_state_allocations<DecoderReader>(v, v.input.size(), kTelegrams), 0u);
    EXPECT_EQ(steady_state_allocations<DecoderReader>(v, 1, kTelegrams / 10), 0u);
  }
}

}  // namespace
}  // namespace meterlab::p1
