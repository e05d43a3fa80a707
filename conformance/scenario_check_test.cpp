// The scenario check: a clean simulated meter passes with every count as it must be, and each pass
// criterion bites. Broken decoders are played by doubles: the engine's real output for a real
// simulation, then edited (every tenth telegram dropped, a scaler misread, a corrupted frame
// "accepted", a telegram invented) and graded again.
#include "scenario_check.hpp"

#include <gtest/gtest.h>

#include "meterlab/sim/profile.hpp"
#include "meterlab/sim/simulation.hpp"
#include "vector_check.hpp"

namespace meterlab::conformance {
namespace {

using nlohmann::json;

ScenarioFile scenario(const std::string& text) {
  ScenarioFile s;
  s.scenario = sim::parse_scenario(text);
  s.name = s.scenario.name;
  s.pass = parse_pass(s.scenario.pass_json, !s.scenario.faults.empty());
  return s;
}

// A simulation's truth lines and the engine's output for its bytes, as lists.
struct Recorded {
  std::vector<json> truth;
  std::vector<json> telegrams;  // truth lines of type telegram
  Decoded decoded;
  PassCriteria pass;
};

Recorded record(const std::string& text) {
  ScenarioFile s = scenario(text);
  const sim::Profile& p = *sim::find_profile(s.scenario.profile);
  sim::SimOptions o;
  o.seed = s.scenario.seed.value_or(1);
  o.start = *sim::parse_iso(s.scenario.start.value_or("2026-01-05T00:00:00"), p.zone);
  o.duration = *s.scenario.duration;
  o.faults = s.scenario.faults;
  sim::Simulation simulation(p, o);
  std::vector<std::uint8_t> bytes;
  sim::Chunk c;
  while (simulation.next(c)) bytes.insert(bytes.end(), c.bytes.begin(), c.bytes.end());
  Recorded r;
  for (const std::string& line : simulation.take_truth()) r.truth.push_back(json::parse(line));
  r.truth.push_back(json::parse(simulation.summary_line()));
  for (const json& t : r.truth)
    if (t.at("type") == "telegram") r.telegrams.push_back(t);
  dlms::KeyRing ring;
  if (p.security) ring.add(p.security->system_title, p.security->ek, p.security->ak);
  r.decoded = decode_bytes(Bytes(bytes.data(), bytes.size()), InputTransport::auto_detect,
                           std::move(ring), 0);
  r.pass = s.pass;
  return r;
}

ScenarioResult grade(const Recorded& r, const std::vector<json>& decoded) {
  return compare_with_truth(r.truth, decoded, r.decoded.errors, r.pass, "double");
}

const char* kClean =
    R"({"name": "clean", "profile": "kaifa-kfm001-3ph", "seed": 3, "duration": "10m"})";

TEST(ScenarioCheck, CleanScenarioPassesWithEveryCount) {
  ScenarioResult r = run_scenario(scenario(kClean));
  EXPECT_TRUE(r.passed()) << (r.failures.empty() ? "" : r.failures[0]);
  EXPECT_EQ(r.name, "clean");
  EXPECT_EQ(r.sent, 300u);  // 10 min at one telegram every 2 s (list 2 and 3 replace list 1)
  EXPECT_EQ(r.decoded, 300u);
  EXPECT_EQ(r.equal, 300u);
  EXPECT_EQ(r.expect_decode, 300u);
  EXPECT_EQ(r.wrong + r.missed + r.phantom + r.accepted + r.faulted + r.rejections, 0u);
  EXPECT_TRUE(r.issues.empty());
  EXPECT_GT(r.bytes, 300u * 30);
}

// The streaming run and the list comparison of the same bytes agree.
TEST(ScenarioCheck, StreamingRunAgreesWithListComparison) {
  const char* text =
      R"({"name": "tag", "profile": "lg-e450-burgenland", "seed": 4, "duration": "20m",
      "faults": ["tag-fail:p=0.05"], "pass": {"min_faulted": 1, "min_rejected": {"security": 1},
      "rejections_include": ["security_auth_failed"]}})";
  ScenarioResult streamed = run_scenario(scenario(text));
  Recorded rec = record(text);
  ScenarioResult listed = grade(rec, rec.decoded.telegrams);
  EXPECT_TRUE(streamed.passed()) << (streamed.failures.empty() ? "" : streamed.failures[0]);
  EXPECT_TRUE(listed.passed());
  EXPECT_EQ(streamed.sent, 240u);  // every 5 s
  EXPECT_EQ(streamed.sent, listed.sent);
  EXPECT_EQ(streamed.equal, listed.equal);
  EXPECT_EQ(streamed.faulted, listed.faulted);
  EXPECT_GT(streamed.faulted, 0u);
  EXPECT_EQ(streamed.faulted_rejected, streamed.faulted);
  EXPECT_EQ(streamed.equal + streamed.faulted, streamed.sent);
  EXPECT_EQ(streamed.rejected_by_code.at("security_auth_failed"), streamed.faulted);
  EXPECT_EQ(streamed.rejected_by_layer, listed.rejected_by_layer);
}

TEST(ScenarioCheck, DroppingEveryTenthTelegramIsMissedAndNamed) {
  Recorded rec = record(kClean);
  std::vector<json> kept;
  for (std::size_t i = 0; i < rec.decoded.telegrams.size(); ++i)
    if (i % 10 != 9) kept.push_back(rec.decoded.telegrams[i]);
  ScenarioResult r = grade(rec, kept);
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(r.missed, 30u);
  EXPECT_EQ(r.equal, 270u);
  ASSERT_EQ(r.issues.size(), 30u);
  EXPECT_EQ(r.issues[0].kind, "missed");
  EXPECT_EQ(*r.issues[0].seq, rec.telegrams[9].at("seq").get<std::uint64_t>());
  EXPECT_EQ(r.issues[0].offset, rec.telegrams[9].at("offset").get<std::uint64_t>());
  EXPECT_EQ(r.issues[1].offset, rec.telegrams[19].at("offset").get<std::uint64_t>());
  EXPECT_EQ(r.issues[0].list, rec.telegrams[9].at("list").get<std::string>());
  EXPECT_EQ(r.failures,
            (std::vector<std::string>{"equal 270 of 300 sent", "30 missed (at most 0)"}));
}

TEST(ScenarioCheck, ScalerMisreadIsWrong) {
  Recorded rec = record(kClean);
  std::vector<json> decoded = rec.decoded.telegrams;
  // The first non-zero number of the sixth telegram, read with the scaler off by one decade.
  json* found = nullptr;
  for (json& x : decoded[5].at("readings"))
    if (!found && x.at("value").is_number() && x.at("value").get<double>() != 0) found = &x;
  ASSERT_NE(found, nullptr);
  json& reading = *found;
  const std::string obis = reading.at("obis");
  reading["value"] = reading.at("value").get<double>() * 10;
  ScenarioResult r = grade(rec, decoded);
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(r.wrong, 1u);
  EXPECT_EQ(r.equal, 299u);
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0].kind, "wrong");
  EXPECT_EQ(*r.issues[0].seq, rec.telegrams[5].at("seq").get<std::uint64_t>());
  EXPECT_NE(r.issues[0].what.find(obis), std::string::npos) << r.issues[0].what;
  EXPECT_EQ(r.failures, (std::vector<std::string>{"equal 299 of 300 sent", "1 wrong (at most 0)"}));
}

TEST(ScenarioCheck, AcceptingACorruptedFrameFailsNamingIt) {
  Recorded rec = record(R"({"name": "t", "profile": "kaifa-kfm001-3ph", "duration": "10m",
                            "faults": ["truncate:p=0.05"]})");
  ASSERT_TRUE(grade(rec, rec.decoded.telegrams).passed());
  const json* bad = nullptr;
  for (const json& t : rec.telegrams)
    if (t.at("expect") == "reject") bad = bad ? bad : &t;
  ASSERT_NE(bad, nullptr);
  json forged = rec.decoded.telegrams.front();
  forged["frame"]["offset"] = bad->at("offset");
  std::vector<json> decoded = rec.decoded.telegrams;
  decoded.push_back(forged);
  ScenarioResult r = grade(rec, decoded);
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(r.accepted, 1u);
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0].kind, "accepted");
  EXPECT_EQ(*r.issues[0].seq, bad->at("seq").get<std::uint64_t>());
  EXPECT_NE(r.issues[0].what.find("truncate"), std::string::npos);
  EXPECT_EQ(r.failures, (std::vector<std::string>{"1 corrupted telegrams decoded (at most 0)"}));
}

TEST(ScenarioCheck, PhantomTelegramsFail) {
  Recorded rec = record(kClean);
  std::vector<json> decoded = rec.decoded.telegrams;
  json beyond = decoded.front();
  std::uint64_t end = rec.truth.back().at("bytes");
  beyond["frame"]["offset"] = end + 10;
  decoded.push_back(beyond);
  decoded.push_back(decoded[3]);  // the same telegram reported twice
  ScenarioResult r = grade(rec, decoded);
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(r.phantom, 2u);
  EXPECT_EQ(r.equal, 300u);
  ASSERT_EQ(r.issues.size(), 2u);
  EXPECT_EQ(r.issues[0].kind, "phantom");
  EXPECT_EQ(r.issues[0].offset, end + 10);
  EXPECT_FALSE(r.issues[0].seq.has_value());
  EXPECT_EQ(r.issues[1].offset, rec.telegrams[3].at("offset").get<std::uint64_t>());
  EXPECT_EQ(r.failures, (std::vector<std::string>{"2 phantom (at most 0)"}));
}

TEST(ScenarioCheck, RejectionCriteria) {
  Recorded rec = record(kClean);
  ASSERT_TRUE(grade(rec, rec.decoded.telegrams).passed());
  // A clean scenario allows no rejection.
  Decoded extra = rec.decoded;
  extra.errors.push_back(json::parse(R"({"error": {"layer": "hdlc", "code": "hdlc_garbage"}})"));
  ScenarioResult r = compare_with_truth(rec.truth, extra.telegrams, extra.errors, rec.pass);
  EXPECT_EQ(r.failures, (std::vector<std::string>{"1 rejections (at most 0)"}));
  EXPECT_EQ(r.rejected_by_layer.at("hdlc"), 1u);
  // Required rejections that never came.
  rec.pass = parse_pass(
      R"({"min_rejected": {"security": 1}, "rejections_include": ["security_auth_failed"],
                            "min_faulted": 2})",
      true);
  r = grade(rec, rec.decoded.telegrams);
  EXPECT_EQ(r.failures, (std::vector<std::string>{"faults touched 0 telegrams, at least 2 required",
                                                  "0 rejections by layer security (at least 1)",
                                                  "no rejection security_auth_failed"}));
  // Nothing sent is no pass.
  r = compare_with_truth({}, {}, {}, parse_pass("{}", false));
  EXPECT_EQ(r.failures, (std::vector<std::string>{"sent 0 telegrams, at least 1 required"}));
}

TEST(ScenarioCheck, PassCriteriaDefaultsAndErrors) {
  PassCriteria clean = parse_pass("{}", false);
  EXPECT_TRUE(clean.all_equal);
  EXPECT_EQ(clean.max_rejections, 0u);
  PassCriteria faulty = parse_pass("{}", true);
  EXPECT_FALSE(faulty.all_equal);
  EXPECT_FALSE(faulty.max_rejections.has_value());
  EXPECT_EQ(faulty.max_wrong + faulty.max_phantom + faulty.max_missed + faulty.max_accepted, 0u);
  EXPECT_EQ(parse_pass(R"({"max_missed": 3, "max_rejections": 5})", true).max_missed, 3u);
  EXPECT_THROW(parse_pass(R"({"max_wrnog": 1})", false), std::invalid_argument);
  EXPECT_THROW(parse_pass(R"({"max_wrong": -1})", false), std::invalid_argument);
  EXPECT_THROW(parse_pass(R"({"min_rejected": ["security"]})", false), std::invalid_argument);
  EXPECT_THROW(parse_pass("[]", false), std::invalid_argument);
}

// The shipped scenarios load: known profiles, valid faults and pass criteria.
TEST(ScenarioCheck, ShippedScenariosLoad) {
  auto files = find_scenarios(std::filesystem::path(MLAB_SOURCE_DIR) / "conformance" / "scenarios");
  EXPECT_GE(files.size(), 20u);
  for (const auto& f : files) EXPECT_NO_THROW(load_scenario(f)) << f;
  EXPECT_THROW(load_scenario(std::filesystem::path(MLAB_SOURCE_DIR) / "nonexistent.json"),
               std::runtime_error);
}

}  // namespace
}  // namespace meterlab::conformance
