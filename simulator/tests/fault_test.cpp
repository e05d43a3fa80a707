// Faults: each kind is applied, recorded in the truth log, and has the effect it claims on a
// real decoder: telegrams marked "decode" decode equal to the truth, "reject" ones never come
// out, "either" ones come out equal or not at all, nothing comes out where nothing was sent,
// and the decoder's counters name the fault (wrong key, failed tag, lost segment...).
#include <gtest/gtest.h>

#include <map>

#include "meterlab/core/error.hpp"
#include "meterlab/testing/sim_test_util.hpp"

namespace meterlab::sim {
namespace {

using test::json;

struct Case {
  const char* name;
  const char* profile;
  std::vector<const char*> faults;
  const char* kind;     // the truth's fault kind that must appear
  Errc decoder_sees;    // a rejection code the decoder must report (Errc::ok: none needed)
  bool rejects = true;  // the faulted telegrams are lost (false: they still decode)
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class Faults : public ::testing::TestWithParam<Case> {};

TEST_P(Faults, AppliedRecordedAndSeenByTheDecoder) {
  const Case& c = GetParam();
  const Profile& p = *find_profile(c.profile);
  SimOptions o;
  o.seed = 11;
  o.start = *parse_iso("2026-10-25T00:00:00", p.zone);  // the autumn DST change
  o.duration = 2 * 3600 * 1000;
  for (const char* f : c.faults) o.faults.push_back(parse_fault(f));
  auto r = test::run(p, o);
  auto d = test::decode(p, r.bytes);

  // A decoded telegram belongs to the truth telegram whose bytes hold its first frame (a message
  // may start at a repeated first segment rather than at the telegram's first byte).
  std::map<std::uint64_t, json> decoded;
  for (const json& t : d.telegrams) decoded[t.at("frame").at("offset").get<std::uint64_t>()] = t;
  int faulted = 0, lost = 0;
  for (const json& t : r.telegrams) {
    auto at = t.at("offset").get<std::uint64_t>();
    auto it = decoded.lower_bound(at);
    if (it != decoded.end() && it->first >= at + t.at("length").get<std::uint64_t>())
      it = decoded.end();
    std::string expect = t.at("expect");
    bool has_kind = false;
    for (const json& f : t.at("faults")) has_kind |= f.at("kind") == c.kind;
    faulted += has_kind;
    if (expect == "decode") {
      ASSERT_NE(it, decoded.end()) << "a telegram marked decode was lost: " << t.dump();
      ASSERT_EQ(test::compare(t, it->second), "") << t.dump();
    } else if (expect == "reject") {
      EXPECT_EQ(it, decoded.end()) << "a corrupted telegram came out: " << t.dump();
      ++lost;
    } else if (it != decoded.end()) {
      EXPECT_EQ(test::compare(t, it->second), "") << t.dump();
    }
    if (it != decoded.end()) decoded.erase(it);
  }
  EXPECT_TRUE(decoded.empty()) << "phantom telegram: " << decoded.begin()->second.dump();
  EXPECT_GT(faulted, 0) << "the fault never applied";
  if (c.rejects) {
    EXPECT_GT(lost, 0);
  }
  if (c.decoder_sees != Errc::ok) {
    EXPECT_GT(d.stats.count(c.decoder_sees), 0u) << name(c.decoder_sees);
  }
  EXPECT_EQ(d.stats.bytes_in, r.bytes.size());
  EXPECT_EQ(d.stats.bytes_in_frames + d.stats.bytes_discarded, d.stats.bytes_in);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, Faults,
    ::testing::Values(
        Case{"ber", "kaifa-kfm001-3ph", {"ber:rate=2e-4"}, "ber", Errc::hdlc_fcs_mismatch},
        Case{"drop", "aidon-6525", {"drop:p=0.05,count=3"}, "drop", Errc::ok},
        Case{"insert", "kamstrup-omnipower", {"insert:p=0.1,count=2"}, "insert", Errc::ok},
        Case{"duplicate", "kaifa-kfm001-1ph", {"duplicate:p=0.05,count=4"}, "duplicate", Errc::ok},
        Case{"truncate", "kaifa-ma309-evn", {"truncate:p=0.05"}, "truncate", Errc::ok},
        Case{"segment_lost",
             "kaifa-ma309-tinetz",
             {"segment-lost:p=0.05"},
             "segment_lost",
             Errc::ok},
        Case{"segment_duplicate",
             "kaifa-ma309-vkw",
             {"segment-dup:p=0.05"},
             "segment_duplicate",
             Errc::ok,
             false},
        Case{"segment_reorder",
             "kaifa-ma309-evn",
             {"segment-reorder:p=0.05"},
             "segment_reorder",
             Errc::ok},
        Case{"wrong_key",
             "kaifa-ma309-tinetz",
             {"wrong-key:at=30m,for=5m"},
             "wrong_key",
             Errc::security_wrong_key},
        Case{"tag_fail",
             "lg-e450-burgenland",
             {"tag-fail:p=0.05"},
             "tag_fail",
             Errc::security_auth_failed},
        Case{"counter_back",
             "iskra-am550-wienernetze",
             {"counter-back:at=1h,by=100"},
             "counter_back",
             Errc::ok,
             false},
        Case{"clock_jump",
             "aidon-6515",
             {"clock-jump:at=40m,by=-1h"},
             "clock_jump",
             Errc::ok,
             false},
        Case{"noise_and_ber",
             "kaifa-ma309-vkw",
             {"noise:p=0.2,max=40", "ber:rate=1e-4"},
             "ber",
             Errc::ok}),
    [](const ::testing::TestParamInfo<Case>& param) { return std::string(param.param.name); });

// The noise bursts are recorded with their place in the stream, and the decoder discards them.
TEST(FaultNoise, BurstsAreRecordedAndDiscarded) {
  const Profile& p = *find_profile("kaifa-kfm001-3ph");
  SimOptions o;
  o.start = *parse_iso("2026-01-05T00:00:00", p.zone);
  o.duration = 3600 * 1000;
  o.faults.push_back(parse_fault("noise:p=0.1,max=30"));
  auto r = test::run(p, o);
  std::uint64_t noise = 0;
  for (const json& t : r.truth)
    if (t.at("type") == "noise") noise += t.at("length").get<std::uint64_t>();
  ASSERT_GT(noise, 0u);
  EXPECT_EQ(r.truth.back().at("noise_bytes"), noise);
  auto d = test::decode(p, r.bytes);
  EXPECT_EQ(d.telegrams.size(), r.telegrams.size());
  EXPECT_EQ(d.stats.bytes_discarded, noise);
}

// A restart silences the meter for its span, and is logged as an event.
TEST(FaultRestart, SilentForItsSpan) {
  const Profile& p = *find_profile("kaifa-kfm001-3ph");
  SimOptions o;
  o.start = *parse_iso("2026-01-05T00:00:00", p.zone);
  o.duration = 3600 * 1000;
  auto clean = test::run(p, o);
  o.faults.push_back(parse_fault("restart:at=10m,for=1m"));
  auto r = test::run(p, o);
  EXPECT_EQ(clean.telegrams.size() - r.telegrams.size(), 30u);  // 60 s at one frame per 2 s
  int events = 0;
  for (const json& t : r.truth) events += t.at("type") == "event" && t.at("kind") == "restart";
  EXPECT_EQ(events, 1);
}

TEST(FaultSpecs, ParsedAndRefused) {
  auto f = parse_fault("noise:p=0.05,max=40");
  EXPECT_EQ(f.kind, FaultKind::noise);
  EXPECT_DOUBLE_EQ(f.rate, 0.05);
  EXPECT_EQ(f.count, 40);
  auto j = parse_fault("clock-jump:at=2h,by=-1h");
  EXPECT_EQ(*j.at, 2 * 3600 * 1000);
  EXPECT_EQ(j.by, -3600 * 1000);
  auto s = fault_from_json(R"({"kind": "restart", "at": "1h", "for": "30s"})");
  EXPECT_EQ(s.span, 30000);
  auto refused = [](const char* spec) {
    try {
      parse_fault(spec);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(refused("zap:p=1"),
            "fault \"zap:p=1\": unknown kind \"zap\" (known: ber, drop, insert, duplicate, "
            "truncate, noise, segment-lost, segment-dup, segment-reorder, wrong-key, "
            "tag-fail, counter-back, clock-jump, restart, drop-end)");
  EXPECT_EQ(refused("ber"), "fault \"ber\": needs p=<probability> (or at=...)");
  EXPECT_EQ(refused("ber:rate=0.5"), "fault \"ber:rate=0.5\": rate out of range");
  EXPECT_EQ(refused("restart:at=1h"), "fault \"restart:at=1h\": needs for=<duration>");
  EXPECT_EQ(refused("truncate:p"), "fault \"truncate:p\": expected key=value, got \"p\"");
  EXPECT_EQ(refused("truncate:q=1"), "fault \"truncate:q=1\": unknown parameter \"q\"");
  // Faults that do not fit the profile are refused when the simulation is made.
  SimOptions o;
  o.faults.push_back(parse_fault("tag-fail:p=0.1"));
  EXPECT_THROW(Simulation(*find_profile("kaifa-ma309-tinetz"), o), std::invalid_argument);
  o.faults = {parse_fault("segment-lost:p=0.1")};
  EXPECT_THROW(Simulation(*find_profile("aidon-6525"), o), std::invalid_argument);
  o.faults = {parse_fault("wrong-key:p=0.1")};
  EXPECT_THROW(Simulation(*find_profile("aidon-6525"), o), std::invalid_argument);
}

}  // namespace
}  // namespace meterlab::sim
