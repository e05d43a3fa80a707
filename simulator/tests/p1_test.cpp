// P1 meters: the text writer against a real telegram, each profile's lines against its capture
// (same OBIS lines in the same order, the same widths, units and header identification), 24 h of
// every P1 profile decoded equal to the truth, the S/W flag at the DST instants, the channel
// meters' captures, and the text faults seen by the engine.
#include "meterlab/sim/p1.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "meterlab/core/hex.hpp"
#include "meterlab/sim/profile.hpp"
#include "meterlab/testing/sim_test_util.hpp"

namespace meterlab::sim {
namespace {

using test::json;

constexpr Duration kHour = 3600 * 1000;

json load_vector(const std::string& name) {
  std::ifstream in(std::string(MLAB_SOURCE_DIR) + "/vectors/" + name + ".json");
  return json::parse(in);
}

std::string text_of(const Buffer& b) { return std::string(b.begin(), b.end()); }

// The plaintext of a capture: the telegram itself, or decrypted with the vector's key.
std::string capture_text(const json& v) {
  auto bytes = parse_hex(v.at("input_hex").get<std::string>());
  std::string raw(bytes->begin(), bytes->end());
  if (raw.front() == '/') return raw;
  std::ifstream in(std::string(MLAB_SOURCE_DIR) + "/vectors/upstream/dsmr/" +
                   v.at("name").get<std::string>() + ".json");
  return json::parse(in).at("text").get<std::string>();  // the upstream file keeps the plaintext
}

// A line's shape: its OBIS code, then each value group with digits as 9 and letters as a, units
// kept; a group of hex (even length, 8 or more) is x times its length. Lines without an OBIS
// code (the header, the blank line, DSMR 2.2's gas value) keep their place as "-".
std::vector<std::pair<std::string, std::string>> shapes(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  static const std::regex kObis(R"(^(\d+-\d+:\d+\.\d+\.\d+)(.*)$)");
  static const std::regex kHex(R"(^\(([0-9A-F]{8,})\))");
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find("\r\n", at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    at = end + 2;
    std::smatch m;
    if (line.starts_with("!") || !std::regex_match(line, m, kObis)) {
      out.emplace_back("-", line.starts_with("/") ? line.substr(0, 5) : "");
      continue;
    }
    std::string groups = m[2], shape;
    bool unit = false;
    for (std::size_t i = 0; i < groups.size(); ++i) {
      std::smatch h;
      std::string rest = groups.substr(i);
      if (groups[i] == '(' && std::regex_search(rest, h, kHex) && h[1].length() % 2 == 0) {
        shape += "(" + std::string(static_cast<std::size_t>(h[1].length()), 'x') + ")";
        i += static_cast<std::size_t>(h[0].length()) - 1;
        continue;
      }
      char c = groups[i];
      unit = c == '*' ? true : (c == '(' || c == ')') ? false : unit;
      shape += unit                                          ? c
               : std::isdigit(static_cast<unsigned char>(c)) ? '9'
               : std::isalpha(c)                             ? 'a'
                                                             : c;
    }
    out.emplace_back(m[1], shape);
  }
  return out;
}

class P1Profile : public ::testing::TestWithParam<std::string> {
 protected:
  const Profile& profile() const { return *find_profile(GetParam()); }
};

bool has_clock_line(const Profile& p) {
  return std::any_of(p.p1->lines.begin(), p.p1->lines.end(),
                     [](const P1Line& l) { return l.kind == P1Kind::time; });
}

std::vector<std::string> p1_names() {
  std::vector<std::string> out;
  for (const Profile& p : builtin_profiles())
    if (p.framing == Framing::p1) out.push_back(p.name);
  return out;
}

// The P1 profiles with a clock line (all but DSMR 2.2, whose telegram has none).
std::vector<std::string> p1_clock_names() {
  std::vector<std::string> out;
  for (const Profile& p : builtin_profiles())
    if (p.framing == Framing::p1 && has_clock_line(p)) out.push_back(p.name);
  return out;
}

class P1ClockProfile : public P1Profile {};

TEST(P1Writer, RebuildsTheCrcLineOfARealTelegram) {
  json v = load_vector("p1/dsmr5-iskra-am550-nl");
  std::string real = capture_text(v);
  std::string body = real.substr(0, real.rfind('!'));
  p1_close(body, true);
  EXPECT_EQ(body, real);  // "!6EEE" CRLF: CRC-16/ARC over '/'..'!'
  std::string old = "/ISK5\r\n\r\n";
  p1_close(old, false);
  EXPECT_EQ(old, "/ISK5\r\n\r\n!\r\n");
  EXPECT_EQ(p1_number(12345678, 6, 3), "012345.678");
  EXPECT_EQ(p1_number(123, 2, 3), "00.123");
  EXPECT_EQ(p1_number(2300, 4, 1), "0230.0");
  EXPECT_EQ(p1_number(7, 3, 0), "007");
  EXPECT_EQ(p1_timestamp(2017, 1, 2, 19, 20, 2, 'W'), "170102192002W");
  EXPECT_EQ(p1_timestamp(2012, 10, 30, 14, 0, 0, 0), "121030140000");
}

TEST(P1Writer, RefusesABadLineWithItsPath) {
  std::string bad = R"({"name": "t", "vectors": [], "meter": {"id": "1", "type": "T",
    "zone": "Europe/Amsterdam"}, "serial": "115200 8N1", "framing": {"kind": "p1"}, "step": "1s",
    "schedule": [{"list": "telegram", "every": "1s"}],
    "p1": {"header": "T", "lines": [{"obis": "1-0:1.7.0", "number": "$p_imprt", "format": "2.3"}]}})";
  try {
    parse_profile(bad);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "t: p1.lines[0].number: unknown source \"$p_imprt\"");
  }
}

// Each profile's telegram has its capture's lines in the same order with the same formats
// ("full"), or, for a profile without a capture of its own, the formats of the lines it shares
// with the named captures ("header").
TEST_P(P1Profile, LinesHaveTheStructureOfTheCapture) {
  const Profile& p = profile();
  Meter meter(p, 1, *parse_iso("2026-01-15T12:00:00", p.zone));
  auto [t, list] = meter.next_slot(*parse_iso("2026-01-15T12:00:00", p.zone));
  MeterTelegram m = meter.build(t, *list);
  auto ours = shapes(text_of(m.apdu));
  for (const VectorRef& ref : p.vectors) {
    SCOPED_TRACE(ref.vector);
    auto real = shapes(capture_text(load_vector(ref.vector)));
    if (ref.full) {
      ASSERT_EQ(ours.size(), real.size());
      for (std::size_t i = 0; i < ours.size(); ++i) EXPECT_EQ(ours[i], real[i]) << "line " << i;
      continue;
    }
    std::size_t shared = 0;
    for (const auto& [obis, shape] : ours)
      for (const auto& r : real)
        if (obis != "-" && r.first == obis) {
          EXPECT_EQ(shape, r.second) << obis;
          ++shared;
        }
    EXPECT_GE(shared, 5u) << "too few lines in common to compare";
  }
}

// 24 h of simulated time (not real time), streamed through the engine's decoder chunk by chunk:
// every telegram decodes, equal to its truth record; nothing is rejected; every byte is framed.
TEST_P(P1Profile, TwentyFourHoursDecodeEqualTheTruth) {
  const Profile& p = profile();
  SimOptions o;
  o.seed = 5;
  o.start = *parse_iso("2026-10-24T12:00:00", p.zone);  // across the autumn DST change
  o.duration = 24 * kHour;
  Simulation sim(p, o);
  Decoder dec(auto_detectable(p) ? InputTransport::auto_detect : InputTransport::p1,
              test::keys_of(p));
  std::size_t decoded = 0, truths = 0, rejected = 0;
  std::vector<json> pending;
  Chunk c;
  std::string line;
  auto drain = [&] {
    for (auto ev = dec.next(); ev != Decoder::Event::need_more; ev = dec.next()) {
      line.clear();
      if (ev != Decoder::Event::telegram) {
        append_json(dec.rejection(), line);
        ADD_FAILURE() << "rejected: " << line;
        ++rejected;
        continue;
      }
      append_json(dec.telegram(), line);
      ASSERT_LT(decoded, pending.size() + decoded) << "a telegram the truth does not know";
      std::string diff = test::compare(pending.front(), json::parse(line));
      ASSERT_EQ(diff, "") << "telegram at " << pending.front().at("t");
      pending.erase(pending.begin());
      ++decoded;
    }
  };
  while (sim.next(c)) {
    for (auto& l : sim.take_truth()) {
      json t = json::parse(l);
      if (t.at("type") == "telegram") pending.push_back(std::move(t)), ++truths;
    }
    dec.push(Bytes(c.bytes.data(), c.bytes.size()));
    drain();
  }
  dec.finish();
  drain();
  Duration cadence = p.schedule.front().every;
  EXPECT_EQ(truths, static_cast<std::size_t>(24 * kHour / cadence));  // 24 h, 25 on the clock
  EXPECT_EQ(decoded, truths);
  EXPECT_EQ(rejected, 0u);
  EXPECT_EQ(dec.stats().bytes_in_frames, dec.stats().bytes_in);
}

// The S/W flag flips at 01:00 UTC on the last Sundays of March and October, nowhere else.
TEST_P(P1ClockProfile, SummerFlagFlipsAtTheDstInstants) {
  const Profile& p = profile();
  Duration cadence = p.schedule.front().every;
  auto stamp = [&](const char* utc) {
    SimTime t = *parse_iso(utc, Zone::utc);
    Meter meter(p, 1, t - cadence);
    std::string text = text_of(meter.build(t, p.lists.at("telegram")).apdu);
    auto at = text.find("0-0:1.0.0(");
    return text.substr(at + 10, 13);
  };
  EXPECT_EQ(stamp("2026-03-29T00:59:50Z"), "260329015950W");
  EXPECT_EQ(stamp("2026-03-29T01:00:00Z"), "260329030000S");
  EXPECT_EQ(stamp("2026-10-25T00:59:50Z"), "261025025950S");
  EXPECT_EQ(stamp("2026-10-25T01:00:00Z"), "261025020000W");
}

INSTANTIATE_TEST_SUITE_P(P1, P1Profile, ::testing::ValuesIn(p1_names()), test::param_name);
INSTANTIATE_TEST_SUITE_P(P1, P1ClockProfile, ::testing::ValuesIn(p1_clock_names()),
                         test::param_name);

// The gas register is captured every 5 minutes (DSMR 5) with its capture time, rises with use,
// and stays the same between captures.
TEST(P1Channels, GasIsCapturedEveryFiveMinutesWithItsTime) {
  const Profile& p = *find_profile("dsmr5-nl");
  SimTime start = *parse_iso("2026-01-12T06:00:00", p.zone);
  Meter meter(p, 3, start);
  std::vector<std::pair<std::string, std::int64_t>> seen;
  for (SimTime t = start + 1000; t <= start + kHour; t += 1000) {
    MeterTelegram m = meter.build(t, p.lists.at("telegram"));
    for (const TruthReading& r : m.readings)
      if (r.obis == "0-1:24.2.1.255" && (seen.empty() || seen.back().first != r.captured))
        seen.emplace_back(r.captured, r.raw);
  }
  ASSERT_EQ(seen.size(), 13u);  // 06:00, 06:05, ..., 07:00
  EXPECT_EQ(seen.front().first, "2026-01-12T06:00:00+01:00");
  EXPECT_EQ(seen.back().first, "2026-01-12T07:00:00+01:00");
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i].second, seen[i - 1].second);
  EXPECT_GT(seen.back().second, seen.front().second) << "no gas used on a winter morning";
}

// Text faults: a dropped '!' line and bit errors are rejected (CRC or truncation), never decoded;
// a wrong key on an encrypted profile is rejected by the security layer.
TEST(P1Faults, DropEndBitErrorsAndWrongKeyAreRejected) {
  for (const char* spec : {"drop-end:p=0.2", "ber:rate=1e-4", "truncate:p=0.1", "noise:p=0.2"}) {
    const Profile& p = *find_profile("dsmr5-nl");
    SimOptions o;
    o.seed = 9;
    o.start = *parse_iso("2026-02-02T08:00:00", p.zone);
    o.duration = 10 * 60 * 1000;
    o.faults.push_back(parse_fault(spec));
    auto r = test::run(p, o);
    auto d = test::decode(p, r.bytes);
    std::size_t good = 0, bad = 0, either = 0;
    for (const json& t : r.telegrams) {
      either += t.at("expect") == "either" || t.at("expect") == "undetectable";
      (t.at("expect") == "decode" ? good : bad) += 1;
    }
    SCOPED_TRACE(spec);
    if (std::string(spec) != "noise:p=0.2") {
      EXPECT_GT(bad, 10u);
    }
    // Only "either" (flips in the final CRLF alone) or "undetectable" (a CRC digit's case flipped)
    // may come out beside the untouched ones.
    ASSERT_GE(d.telegrams.size(), good) << "a good telegram lost";
    ASSERT_LE(d.telegrams.size(), good + either) << "a broken telegram decoded";
    std::size_t k = 0;
    for (const json& t : r.telegrams) {
      if (t.at("expect") == "reject") continue;
      if (k == d.telegrams.size() || d.telegrams[k].at("frame").at("offset") != t.at("offset"))
        continue;  // an "either" that was rejected
      EXPECT_EQ(test::compare(t, d.telegrams[k++]), "");
    }
    EXPECT_EQ(k, d.telegrams.size());
  }
  const Profile& s = *find_profile("smarty-lu");
  SimOptions o;
  o.start = *parse_iso("2026-02-02T08:00:00", s.zone);
  o.duration = 10 * 60 * 1000;
  o.faults.push_back(parse_fault("wrong-key:at=2m,for=1m"));
  auto r = test::run(s, o);
  auto d = test::decode(s, r.bytes);
  EXPECT_EQ(d.telegrams.size(), r.telegrams.size() - 6);
  ASSERT_EQ(d.rejections.size(), 6u);
  EXPECT_EQ(d.rejections.front().at("error").at("layer"), "security");
  EXPECT_THROW(Simulation(s,
                          [] {
                            SimOptions x;
                            x.faults.push_back(parse_fault("drop-end:p=0.1"));
                            return x;
                          }()),
               std::invalid_argument);
}

}  // namespace
}  // namespace meterlab::sim
