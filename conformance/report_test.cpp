// The reports of `meterlab conform`: JUnit XML and JSON counts from one Report, escaping included.
#include "report.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace meterlab::conformance {
namespace {

Report sample() {
  Report rep;
  rep.vectors.push_back({"good", "hdlc-plain", "vectors/hdlc-plain/good.json", {}, 0.5});
  rep.vectors.push_back({"bad <one>",
                         "mbus-plain",
                         "vectors/mbus-plain/bad.json",
                         {"reading 1.8.0: want \"5\" & got 6\nsecond line\x01"},
                         0.25});
  ScenarioOutcome broken;
  broken.name = "kfm-1h";
  broken.path = "conformance/scenarios/kfm-1h.json";
  broken.mode = "pty";
  broken.error = "no such profile";
  rep.scenarios.push_back(broken);
  return rep;
}

TEST(Report, PassedOnlyWhenEverythingPassed) {
  Report rep = sample();
  EXPECT_FALSE(passed(rep));
  rep.vectors.pop_back();
  EXPECT_FALSE(passed(rep));  // the scenario that could not run
  rep.scenarios.clear();
  EXPECT_TRUE(passed(rep));
}

TEST(Report, JunitCountsAndEscapes) {
  std::ostringstream o;
  write_junit(o, sample());
  const std::string xml = o.str();
  EXPECT_NE(xml.find("<testsuites name=\"meterlab conform\" tests=\"3\" failures=\"2\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testsuite name=\"vectors\" tests=\"2\" failures=\"1\""), std::string::npos);
  EXPECT_NE(xml.find("classname=\"vectors.mbus-plain\" name=\"bad &lt;one&gt;\""),
            std::string::npos);
  EXPECT_NE(xml.find("want &quot;5&quot; &amp; got 6&#10;second line?"), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"kfm-1h [pty]\""), std::string::npos);
  EXPECT_NE(xml.find("cannot run: no such profile"), std::string::npos);
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
}

TEST(Report, JsonCounts) {
  const nlohmann::json j = report_json(sample());
  EXPECT_FALSE(j["passed"].get<bool>());
  EXPECT_EQ(j["vectors"]["total"], 2);
  EXPECT_EQ(j["vectors"]["failed"], 1);
  EXPECT_EQ(j["scenarios"]["failed"], 1);
  EXPECT_EQ(j["scenarios"]["results"][0]["error"], "no such profile");
}

TEST(Report, UnwritableFileIsAnError) {
  EXPECT_THROW(write_junit("/nonexistent-dir/junit.xml", sample()), std::runtime_error);
}

}  // namespace
}  // namespace meterlab::conformance
