// P1 meters whose state follows the simulation: line ends as the meter sends them, power failures
// counted from the meter's own outages (96.7.21, 96.7.9 and the 99.97.0 log), and the Belgian
// monthly maxima (0-0:98.1.0) pushed at each month change; decoded equal to the truth.
#include <gtest/gtest.h>

#include <algorithm>

#include "meterlab/core/crc.hpp"
#include "meterlab/sim/encode.hpp"
#include "meterlab/sim/p1.hpp"
#include "meterlab/sim/profile.hpp"
#include "meterlab/testing/sim_test_util.hpp"

namespace meterlab::sim {
namespace {

using test::json;

// A built-in profile with its P1 section changed by `edit`.
template <class Edit>
Profile edited(const std::string& name, Edit edit) {
  Profile p = *find_profile(name);
  auto spec = std::make_shared<P1Spec>(*p.p1);
  edit(*spec);
  p.p1 = spec;
  return p;
}

std::string text_at(const Profile& p, const char* local) {
  SimTime t = *parse_iso(local, p.zone);
  Meter meter(p, 1, t - 1000);
  MeterTelegram m = meter.build(t, p.lists.at("telegram"));
  return std::string(m.apdu.begin(), m.apdu.end());
}

// "eol": "lf": every line ends in LF alone, the CRC is over the bytes as sent, and the engine
// decodes it (CRC checked) to what the truth says.
TEST(P1LineEnds, LfAloneWrittenCheckedAndDecoded) {
  const Profile crlf = *find_profile("dsmr5-nl");
  const Profile lf = edited("dsmr5-nl", [](P1Spec& s) { s.eol = "\n"; });
  std::string a = text_at(crlf, "2026-01-15T12:00:00"), b = text_at(lf, "2026-01-15T12:00:00");
  EXPECT_EQ(b.find('\r'), std::string::npos);
  std::string stripped = a;
  stripped.erase(std::remove(stripped.begin(), stripped.end(), '\r'), stripped.end());
  const std::size_t bang = b.rfind('!');
  ASSERT_EQ(b.size(), bang + 6);  // "!" + 4 hex digits + LF
  EXPECT_EQ(b.substr(0, bang), stripped.substr(0, bang)) << "only the line ends differ";
  const auto crc =
      crc16_arc_text(crc16_arc(Bytes(reinterpret_cast<const std::uint8_t*>(b.data()), bang + 1)));
  EXPECT_EQ(b.substr(bang + 1, 4), std::string(crc.data(), 4));

  SimOptions o;
  o.start = *parse_iso("2026-01-15T12:00:00", lf.zone);
  o.duration = 60 * 1000;
  test::Run r = test::run(lf, o);
  test::Decoded d = test::decode(lf, r.bytes);
  ASSERT_EQ(d.telegrams.size(), r.telegrams.size());
  EXPECT_TRUE(d.rejections.empty());
  for (std::size_t i = 0; i < d.telegrams.size(); ++i) {
    EXPECT_EQ(d.telegrams[i].at("frame").at("check"), "crc16");
    EXPECT_EQ(test::compare(r.telegrams[i], d.telegrams[i]), "") << i;
  }
}

TEST(P1LineEnds, AnUnknownLineEndIsRefusedWithItsPath) {
  std::string bad = R"({"name": "t", "vectors": [], "meter": {"id": "1", "type": "T",
    "zone": "Europe/Amsterdam"}, "serial": "115200 8N1", "framing": {"kind": "p1"}, "step": "1s",
    "schedule": [{"list": "telegram", "every": "1s"}],
    "p1": {"header": "T", "eol": "cr", "lines": [{"obis": "0-0:96.14.0", "number": 2,
    "format": "4"}]}})";
  try {
    parse_profile(bad);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "t: p1.eol: \"crlf\" or \"lf\"");
  }
}

}  // namespace
}  // namespace meterlab::sim
