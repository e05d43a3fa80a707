// The shape cache (cosem/shape_cache.hpp) changes how fast a body is mapped, never what comes
// out: every event of a Decoder with the cache is compared with a Decoder without it, on every
// golden vector (each fed twice, so the second pass meets the shapes of the first) and on hours
// of every simulated meter with byte errors, where the numbers and clocks change from one
// telegram to the next as they do on a real line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "meterlab/sim/profile.hpp"
#include "meterlab/sim/simulation.hpp"
#include "meterlab/testing/sample_frames.hpp"
#include "vector_check.hpp"

namespace meterlab::conformance {
namespace {

using nlohmann::json;

// Pushes of 997 bytes (a prime: their ends fall at different places in the frames).
constexpr std::size_t kChunk = 997;

// The first entry where two lists of telegrams or of errors differ, for the failure message.
// (Telegrams and errors both carry their stream offsets: two runs whose lists are the same gave
// the same events in the same order.)
std::string first_difference(const std::vector<json>& a, const std::vector<json>& b) {
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] != b[i]) {
      return "entry " + std::to_string(i) + ": cache " + a[i].dump() + "\nwalk  " + b[i].dump();
    }
  }
  return "counts " + std::to_string(a.size()) + " and " + std::to_string(b.size());
}

TEST(ShapeCache, EveryVectorTwiceGivesWhatTheWalkGives) {
  std::size_t vectors = 0, hits = 0;
  for (const auto& path : find_vectors(std::string(MLAB_SOURCE_DIR) + "/vectors")) {
    const Vector v = load_vector(path);
    std::vector<std::uint8_t> twice = v.input;
    twice.insert(twice.end(), v.input.begin(), v.input.end());
    const Decoded cached = decode_bytes(twice, v.transport, key_ring(v), kChunk, true);
    const Decoded walked = decode_bytes(twice, v.transport, key_ring(v), kChunk, false);
    EXPECT_EQ(cached.telegrams, walked.telegrams)
        << v.name << ": " << first_difference(cached.telegrams, walked.telegrams);
    EXPECT_EQ(cached.errors, walked.errors)
        << v.name << ": " << first_difference(cached.errors, walked.errors);
    // Telegrams in the first pass: the second pass meets every shape again (a vector holds
    // fewer lists than the cache has room for). P1 text has no A-XDR body: no shape to cache;
    // nor is a body with an impossible clock cached (its warning would be lost).
    if (walked.telegrams.size() >= 2 && v.transport != InputTransport::p1 &&
        !walked.telegrams[0].contains("clock_warnings")) {
      EXPECT_GE(cached.shapes.hits, walked.telegrams.size() / 2) << v.name;
    }
    EXPECT_EQ(walked.shapes.hits + walked.shapes.learned, 0u) << v.name;
    hits += cached.shapes.hits;
    ++vectors;
  }
  EXPECT_GE(vectors, 70u);
  EXPECT_GE(hits, 60u);
}

// Every simulated meter for two hours: values and clocks change with every telegram, and one
// bit in ten thousand is flipped, so bodies also arrive damaged past the link checks (SC 0x20/21
// lines have no tag): the cache must take none of them for a shape it knows.
TEST(ShapeCache, EverySimulatedMeterGivesWhatTheWalkGives) {
  for (const sim::Profile& p : sim::builtin_profiles()) {
    if (p.framing == sim::Framing::p1) continue;  // text telegrams: no A-XDR shape to cache
    sim::SimOptions o;
    o.seed = 11;
    o.start = *sim::parse_iso("2026-03-29T01:00:00", p.zone);  // 02:00 -> 03:00 inside
    o.duration = 2LL * 3600 * 1000;
    o.faults.push_back(sim::parse_fault("ber:rate=1e-4"));
    sim::Simulation simulation(p, o);
    std::vector<std::uint8_t> bytes;
    sim::Chunk c;
    while (simulation.next(c)) bytes.insert(bytes.end(), c.bytes.begin(), c.bytes.end());
    auto keys = [&p] {
      dlms::KeyRing ring;
      if (p.security) ring.add(p.security->system_title, p.security->ek, p.security->ak);
      return ring;
    };
    const Decoded cached = decode_bytes(bytes, InputTransport::auto_detect, keys(), kChunk, true);
    const Decoded walked = decode_bytes(bytes, InputTransport::auto_detect, keys(), kChunk, false);
    ASSERT_EQ(cached.telegrams, walked.telegrams)
        << p.name << ": " << first_difference(cached.telegrams, walked.telegrams);
    ASSERT_EQ(cached.errors, walked.errors)
        << p.name << ": " << first_difference(cached.errors, walked.errors);
    // A meter sends a few lists: all but the first of each shape (and those damaged past the
    // link checks) come from the cache.
    EXPECT_GE(cached.shapes.hits * 10, walked.telegrams.size() * 9)
        << p.name << ": " << cached.shapes.hits << " hits of " << walked.telegrams.size();
  }
}

// A value the cache cannot read (a clock with month 13) goes to the walk, which reports it
// exactly as it does without the cache; the next good telegram is a hit again.
// Issue 16: the impossible clock is a null reading with a warning, not a rejection; a body with
// one is not learned (the cache would give the null without its warning).
TEST(ShapeCache, ImpossibleClockIsWarnedAsByTheWalk) {
  using samples::Buf;
  const Buf frame = samples::kfm_list3_plain();
  const Buf apdu = samples::hdlc_apdu(frame);
  Buf bad = samples::vary_notification(apdu, 1);
  // The list's clock: the last 12-byte octet-string (09 0C) of the APDU; month is its byte 2.
  const std::uint8_t octets12[] = {0x09, 0x0C};
  const auto clock =
      std::find_end(bad.begin(), bad.end(), std::begin(octets12), std::end(octets12));
  ASSERT_GT(clock - bad.begin(), 40);  // in the body, not the APDU's date-time
  clock[2 + 2] = 13;
  std::vector<std::uint8_t> stream;
  for (const Buf& f :
       {frame, samples::hdlc_replace_apdu(frame, apdu, bad),
        samples::hdlc_replace_apdu(frame, apdu, samples::vary_notification(apdu, 2))}) {
    stream.insert(stream.end(), f.begin(), f.end());
  }
  const Decoded cached = decode_bytes(stream, InputTransport::hdlc, {}, kChunk, true);
  const Decoded walked = decode_bytes(stream, InputTransport::hdlc, {}, kChunk, false);
  ASSERT_EQ(cached.telegrams.size(), 3u);
  ASSERT_EQ(cached.errors.size(), 0u);
  EXPECT_EQ(cached.telegrams, walked.telegrams)
      << first_difference(cached.telegrams, walked.telegrams);
  // The second frame's telegram has the warning.
  ASSERT_TRUE(cached.telegrams[1].contains("clock_warnings"));
  EXPECT_EQ(cached.telegrams[1].at("clock_warnings")[0].at("code"), "cosem_bad_date_time");
  EXPECT_EQ(cached.telegrams[1].at("frame").at("offset"), frame.size());
  EXPECT_EQ(cached.stats.clock_warnings, 1u);
  EXPECT_EQ(cached.shapes.hits, 1u);  // the third telegram; the second fell back
  EXPECT_EQ(cached.shapes.learned, 1u);
}

// A changed string (here the meter id, same length) is part of the shape: no hit, and the new
// id comes out.
TEST(ShapeCache, ChangedMeterIdIsNotTakenFromTheCache) {
  using samples::Buf;
  const Buf frame = samples::kfm_list3_plain();
  const Buf apdu = samples::hdlc_apdu(frame);
  Decoder first(InputTransport::hdlc);
  first.push(frame);
  ASSERT_EQ(first.next(), Decoder::Event::telegram);
  const std::string id(first.telegram().text(first.telegram().meter_id));
  ASSERT_FALSE(id.empty());
  Buf changed = apdu;
  const auto at = std::search(changed.begin(), changed.end(), id.begin(), id.end());
  ASSERT_NE(at, changed.end());
  *at = static_cast<std::uint8_t>(*at == '9' ? '8' : '9');
  const std::string new_id(at, at + static_cast<std::ptrdiff_t>(id.size()));

  Decoder dec(InputTransport::hdlc);
  dec.push(frame);
  ASSERT_EQ(dec.next(), Decoder::Event::telegram);
  dec.push(samples::hdlc_replace_apdu(frame, apdu, changed));
  ASSERT_EQ(dec.next(), Decoder::Event::telegram);
  EXPECT_EQ(dec.telegram().text(dec.telegram().meter_id), new_id);
  EXPECT_EQ(dec.shape_stats().hits, 0u);
  EXPECT_EQ(dec.shape_stats().learned, 2u);
  dec.push(frame);  // the first shape is still remembered
  ASSERT_EQ(dec.next(), Decoder::Event::telegram);
  EXPECT_EQ(dec.telegram().text(dec.telegram().meter_id), id);
  EXPECT_EQ(dec.shape_stats().hits, 1u);
}

}  // namespace
}  // namespace meterlab::conformance
