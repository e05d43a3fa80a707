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

constexpr Duration kHour = 3600 * 1000;

struct Outcome {
  test::Run run;
  std::vector<json> decoded;
};

// `hours` of `p` from `start` (local) with `faults`; every telegram decodes equal to its truth.
Outcome simulate(const Profile& p, const char* start, Duration hours,
                 std::vector<std::string> faults = {}, std::uint64_t seed = 3) {
  SimOptions o;
  o.seed = seed;
  o.start = *parse_iso(start, p.zone);
  o.duration = hours * kHour;
  for (const auto& f : faults) o.faults.push_back(parse_fault(f));
  Outcome out{test::run(p, o), {}};
  test::Decoded d = test::decode(p, out.run.bytes);
  EXPECT_TRUE(d.rejections.empty());
  EXPECT_EQ(d.telegrams.size(), out.run.telegrams.size());
  for (std::size_t i = 0; i < d.telegrams.size() && i < out.run.telegrams.size(); ++i)
    EXPECT_EQ(test::compare(out.run.telegrams[i], d.telegrams[i]), "") << "telegram " << i;
  out.decoded = std::move(d.telegrams);
  return out;
}

// The readings of a buffer line: its count, then that many entries.
std::vector<json> buffer(const json& telegram, const std::string& obis) {
  const json& rs = telegram.at("readings");
  for (std::size_t i = 0; i < rs.size(); ++i)
    if (rs[i].at("obis") == obis) {
      auto n = rs[i].at("value").get<std::size_t>();
      return std::vector<json>(rs.begin() + static_cast<std::ptrdiff_t>(i + 1),
                               rs.begin() + static_cast<std::ptrdiff_t>(i + 1 + n));
    }
  ADD_FAILURE() << "no " << obis;
  return {};
}

json value_of(const json& telegram, const std::string& obis) {
  for (const json& r : telegram.at("readings"))
    if (r.at("obis") == obis) return r.at("value");
  ADD_FAILURE() << "no " << obis;
  return {};
}

std::string telegram_text(const test::Run& r, const json& t) {
  auto at = t.at("offset").get<std::size_t>(), n = t.at("length").get<std::size_t>();
  return std::string(r.bytes.begin() + static_cast<std::ptrdiff_t>(at),
                     r.bytes.begin() + static_cast<std::ptrdiff_t>(at + n));
}

// A restart of 30 s is a power failure (96.7.21 + 1) but not a long one: 96.7.9 and the log
// stay as they were. The count goes up with the first telegram after the meter came back.
TEST(P1PowerFailures, AShortRestartCountsOnlyInTheNumberOfFailures) {
  const Profile& p = *find_profile("dsmr5-nl");
  Outcome o = simulate(p, "2026-01-05T00:00:00", 2, {"restart:at=1h,for=30s"});
  const SimTime back = *parse_iso("2026-01-05T01:00:30", p.zone);
  ASSERT_EQ(o.decoded.size(), 2 * 3600u - 30u);
  for (const json& t : o.run.telegrams) {
    const bool after = t.at("t_ms").get<SimTime>() >= back;
    ASSERT_EQ(value_of(t, "0-0:96.7.21.255"), after ? 14 : 13) << t.at("t");
    ASSERT_EQ(value_of(t, "0-0:96.7.9.255"), 0);
    ASSERT_TRUE(buffer(t, "1-0:99.97.0.255").empty());
  }
}

// A restart of 5 minutes is long: 96.7.9 + 1 and a log entry (its end, 300 s), with S in summer
// and W in winter; decoded as the truth says.
TEST(P1PowerFailures, AFiveMinuteRestartIsLoggedWithItsEndAndDuration) {
  const Profile& p = *find_profile("dsmr5-nl");
  struct Case {
    const char* start;
    const char* end_stamp;
    const char* end_iso;
  };
  for (const Case& c :
       {Case{"2026-01-05T00:00:00", "260105010500W", "2026-01-05T01:05:00+01:00"},
        Case{"2026-07-06T00:00:00", "260706010500S", "2026-07-06T01:05:00+02:00"}}) {
    SCOPED_TRACE(c.start);
    Outcome o = simulate(p, c.start, 2, {"restart:at=1h,for=5m"});
    const json& last = o.run.telegrams.back();
    EXPECT_EQ(value_of(last, "0-0:96.7.21.255"), 14);
    EXPECT_EQ(value_of(last, "0-0:96.7.9.255"), 1);
    std::vector<json> log = buffer(last, "1-0:99.97.0.255");
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(
        log[0],
        (json{
            {"obis", "0-0:96.7.19.255"}, {"unit", "s"}, {"value", 300}, {"captured", c.end_iso}}));
    EXPECT_NE(telegram_text(o.run, last)
                  .find("1-0:99.97.0(1)(0-0:96.7.19)(" + std::string(c.end_stamp) +
                        ")(0000000300*s)\r\n"),
              std::string::npos);
    const json& before = o.run.telegrams[3599];  // 00:59:59, the last before the outage
    EXPECT_EQ(value_of(before, "0-0:96.7.9.255"), 0);
  }
}

// The log keeps its newest entries last and at most log_max of them: the oldest goes.
TEST(P1PowerFailures, TheLogKeepsItsLastEntriesNewestLast) {
  const Profile p = edited("dsmr4-nl", [](P1Spec& s) { s.power_failures.log_max = 3; });
  Outcome o =
      simulate(p, "2026-01-05T00:00:00", 3, {"restart:at=1h,for=4m", "restart:at=2h,for=1m"});
  const json& last = o.run.telegrams.back();
  EXPECT_EQ(value_of(last, "0-0:96.7.21.255"), 17);
  EXPECT_EQ(value_of(last, "0-0:96.7.9.255"), 4);
  std::vector<json> log = buffer(last, "1-0:99.97.0.255");
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].at("captured"), "2024-06-10T03:15:00+02:00");  // 2023's entry dropped
  EXPECT_EQ(log[1].at("captured"), "2025-01-17T02:00:03+01:00");
  EXPECT_EQ(log[2].at("captured"), "2026-01-05T01:04:00+01:00");
  EXPECT_EQ(log[2].at("value"), 240);
}

// Across a month end (Brussels, 31 January 23:00, 2 h): January's largest finished quarter hour,
// found here from the 1.4.0 averages at the quarters' ends, goes to the front of 0-0:98.1.0 with
// the month's close (260201000000W) and its time; 1.6.0 starts over; the buffer keeps `max`.
TEST(P1MonthlyMaxima, AMonthEndPushesTheMonthsMaximum) {
  constexpr std::uint64_t kSeed = 1;
  const Profile p = edited("fluvius-be", [](P1Spec& s) { s.maxima_max = 3; });
  Outcome o = simulate(p, "2026-01-31T23:00:00", 2, {}, kSeed);
  const SimTime midnight = *parse_iso("2026-02-01T00:00:00", p.zone);
  std::int64_t best = -1;
  std::string best_at;
  for (const json& t : o.run.telegrams) {
    const auto at = t.at("t_ms").get<SimTime>();
    if (at % (15 * kMinuteMs) != 0 || at > midnight || at == o.run.telegrams[0].at("t_ms"))
      continue;
    auto w = value_of(t, "1-0:1.4.0.255").get<std::int64_t>();
    if (w > best) best = w, best_at = t.at("t");
  }
  ASSERT_GT(best, 0);
  // With this seed January's maximum is not its last quarter: its time is not the month's close.
  ASSERT_NE(best_at, "2026-02-01T00:00:00+01:00");
  const std::string best_stamp = best_at.substr(2, 2) + best_at.substr(5, 2) +
                                 best_at.substr(8, 2) + best_at.substr(11, 2) +
                                 best_at.substr(14, 2) + best_at.substr(17, 2) + "W";
  for (const json& t : o.run.telegrams) {
    const auto at = t.at("t_ms").get<SimTime>();
    std::vector<json> months = buffer(t, "0-0:98.1.0.255");
    ASSERT_EQ(months.size(), 3u);
    if (at <= midnight) {
      ASSERT_EQ(months[0].at("value"), 3695) << t.at("t");
      continue;
    }
    ASSERT_EQ(months[0].at("value"), best) << t.at("t");
    ASSERT_EQ(months[0].at("captured"), best_at);
    ASSERT_EQ(months[1].at("value"), 3695);
    ASSERT_EQ(months[2].at("value"), 5980);  // September's went: three months kept
  }
  const json& first = o.run.telegrams[3601];  // 00:00:01: the month closed, 1.6.0 over again
  EXPECT_EQ(value_of(first, "1-0:1.6.0.255"), 0);
  const std::string text = telegram_text(o.run, first);
  EXPECT_NE(text.find("0-0:98.1.0(3)(1-0:1.6.0)(1-0:1.6.0)(260201000000W)(" + best_stamp + ")("),
            std::string::npos)
      << text;
  const json& later = o.run.telegrams.back();
  EXPECT_GT(value_of(later, "1-0:1.6.0.255").get<std::int64_t>(), 0) << "February's own maximum";
}

// DSMR 2.2 sends its gas capture time without the S/W flag. The truth gives it the offset of the
// EU summer-time rule, and none in the hour the clock shows twice (2026-10-25 02:00-02:59, both
// the capture at 00:00Z and the one at 01:00Z); simulate() decodes every telegram equal to it.
TEST(P1Dsmr22, GasCaptureTimesAcrossTheAutumnChange) {
  const Profile& p = *find_profile("dsmr22-nl");
  Outcome o = simulate(p, "2026-10-25T01:30:00", 3);
  std::vector<std::pair<SimTime, std::string>> captures;  // (sent, captured), each change
  for (const json& t : o.run.telegrams) {
    for (const json& r : t.at("readings")) {
      if (r.at("obis") != "0-1:24.2.1.255") continue;
      const std::string c = r.at("captured");
      if (captures.empty() || captures.back().second != c)
        captures.emplace_back(t.at("t_ms").get<SimTime>(), c);
    }
  }
  const SimTime utc0 = *parse_iso("2026-10-25T00:00:00Z", p.zone);
  const std::vector<std::pair<SimTime, std::string>> want = {
      {o.run.telegrams[0].at("t_ms").get<SimTime>(), "2026-10-25T01:00:00+02:00"},
      {utc0, "2026-10-25T02:00:00"},
      {utc0 + 2 * kHour, "2026-10-25T03:00:00+01:00"},
  };
  ASSERT_EQ(captures.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(captures[i].second, want[i].second);
    EXPECT_LT(captures[i].first - want[i].first, 10'000) << want[i].second;  // within a cadence
    EXPECT_GE(captures[i].first, want[i].first) << want[i].second;
  }
}

// The same seed gives the same bytes with the meter's own state moving (outages, month end).
TEST(P1PowerFailures, SameSeedSameBytes) {
  const Profile& p = *find_profile("fluvius-be");
  auto once = [&] {
    SimOptions o;
    o.start = *parse_iso("2026-01-31T23:50:00", p.zone);
    o.duration = 20 * kMinuteMs;
    o.faults.push_back(parse_fault("restart:at=5m,for=4m"));
    return test::run(p, o).bytes;
  };
  EXPECT_EQ(once(), once());
}

}  // namespace
}  // namespace meterlab::sim
