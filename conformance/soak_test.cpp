// The soak runs several meters side by side, applies each fault only where it fits, grades every
// meter against its truth and reports memory per virtual hour.
#include "soak.hpp"

#include <gtest/gtest.h>

namespace meterlab::conformance {
namespace {

ScenarioFile two_meters(std::vector<std::string> faults) {
  std::string text = R"({"name": "mini-soak", "profiles": ["lg-e450-burgenland", "aidon-6525"],
                         "seed": 5, "duration": "2h", "faults": [)";
  for (std::size_t i = 0; i < faults.size(); ++i) text += (i ? ",\"" : "\"") + faults[i] + "\"";
  text += "]}";
  ScenarioFile s;
  s.name = "mini-soak";
  s.scenario = sim::parse_scenario(text);
  s.pass = parse_pass(R"({"min_faulted": 1})", true);
  return s;
}

TEST(Soak, FaultsGoWhereTheyFitAndEveryMeterIsGraded) {
  ScenarioResult r = run_soak(two_meters({"tag-fail:p=0.05", "ber:rate=1e-4"}));
  ASSERT_TRUE(r.passed()) << (r.failures.empty() ? "" : r.failures.front());
  const auto& meters = r.details.at("meters");
  ASSERT_EQ(meters.size(), 2u);
  // The L&G meter (SC 0x30) takes forged tags; the plain Aidon only the bit errors.
  EXPECT_EQ(meters[0].at("profile"), "lg-e450-burgenland");
  EXPECT_EQ(meters[0].at("faults"), (nlohmann::json{"tag-fail", "ber"}));
  EXPECT_EQ(meters[1].at("faults"), (nlohmann::json{"ber"}));
  EXPECT_GT(meters[0].at("security_auth_failed").get<std::uint64_t>(), 0u);
  EXPECT_EQ(meters[1].at("security_auth_failed").get<std::uint64_t>(), 0u);
  for (const auto& m : meters) {
    EXPECT_EQ(
        m.at("bytes_in_frames").get<std::uint64_t>() + m.at("bytes_discarded").get<std::uint64_t>(),
        m.at("bytes_in").get<std::uint64_t>());
    EXPECT_EQ(m.at("wrong"), 0);
    EXPECT_EQ(m.at("phantom"), 0);
  }
  EXPECT_EQ(r.wrong, 0u);
  EXPECT_GT(r.sent, 2000u);  // 2 h: 1440 L&G telegrams every 5 s, Aidon more
  // A memory sample at the end of the first hour and one at the end of the run.
  EXPECT_EQ(r.details.at("rss_kib_per_hour").size(), 2u);
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_TRUE(r.details.at("rss_checked").get<bool>());
#endif
}

TEST(Soak, AMeterThatDoesNotPassFailsTheSoakByName) {
  ScenarioFile s = two_meters({"tag-fail:p=0.05"});
  s.pass = parse_pass(R"({"min_faulted": 1})", true);  // the Aidon gets no fault at all
  ScenarioResult r = run_soak(s);
  EXPECT_FALSE(r.passed());
  ASSERT_FALSE(r.failures.empty());
  EXPECT_EQ(r.failures.front().rfind("aidon-6525: ", 0), 0u) << r.failures.front();
}

// Encrypted P1 meters (bare DB frames, delimited by their length alone) take bit errors and cut
// frames too: no faulted telegram accepted, no clean one lost (a cut frame must not swallow the
// next, an SC that lost its authentication bit must not pass untagged).
TEST(Soak, EncryptedP1MetersTakeBitErrorsAndCutFrames) {
  ScenarioFile s;
  s.name = "p1-secure-soak";
  s.scenario = sim::parse_scenario(
      R"({"name": "p1-secure-soak", "profiles": ["smarty-lu", "sagemcom-t210dr-at"], "seed": 9,
          "duration": "3h", "faults": ["ber:rate=1e-4", "truncate:p=0.02"]})");
  s.pass = parse_pass(R"({"min_faulted": 1})", true);
  ScenarioResult r = run_soak(s);
  ASSERT_TRUE(r.passed()) << (r.failures.empty() ? "" : r.failures.front());
  for (const auto& m : r.details.at("meters")) {
    EXPECT_EQ(m.at("faults"), (nlohmann::json{"ber", "truncate"}));
    EXPECT_GT(m.at("faulted").get<std::uint64_t>(), 0u);
    EXPECT_EQ(m.at("accepted"), 0);
    EXPECT_EQ(m.at("missed"), 0);
    EXPECT_EQ(m.at("wrong"), 0);
  }
  EXPECT_GT(r.rejected_by_code.at("p1_truncated"), 0u);
}

TEST(Soak, ResidentSizeIsReadFromProc) { EXPECT_GT(resident_kib(), 100u); }

}  // namespace
}  // namespace meterlab::conformance
