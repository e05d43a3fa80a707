// External decoders: adapters map a program's JSON lines, telegrams are matched to the truth by
// order and time, and a program that crashes, hangs, never opens the tty or prints garbage is a
// failing result with a message saying so (real ptys, real processes through /bin/sh).
#include "external.hpp"

#include <gtest/gtest.h>

#include "adapter.hpp"

namespace meterlab::conformance {
namespace {

using nlohmann::json;

bool contains(const std::vector<std::string>& texts, const std::string& part) {
  for (const std::string& t : texts)
    if (t.find(part) != std::string::npos) return true;
  return false;
}

std::string joined(const std::vector<std::string>& texts) {
  std::string out;
  for (const std::string& t : texts) out += t + " | ";
  return out;
}

TEST(Adapter, RefusesUnknownKeysAndBadPointersNamingThem) {
  json doc = {{"telegram", {{"readings", {{"array", "/readings"}}}}}, {"bogus", 1}};
  try {
    parse_adapter(doc, "a.json");
    FAIL() << "accepted an unknown key";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("a.json: unknown key (top).bogus"), std::string::npos)
        << e.what();
  }
  json bad_ptr = {{"telegram", {{"readings", {{"array", "readings"}}}}}};
  EXPECT_THROW(parse_adapter(bad_ptr, "b.json"), std::runtime_error);
  json no_obis = {{"telegram", {{"fields", {{"/p", {{"obis", "power"}}}}}}}};
  EXPECT_THROW(parse_adapter(no_obis, "c.json"), std::runtime_error);
  json nothing = {{"telegram", json::object()}};
  EXPECT_THROW(parse_adapter(nothing, "d.json"), std::runtime_error);
}

TEST(Adapter, BuiltInMeterlabDecodeMapsTelegramsRejectionsAndGarbage) {
  Adapter a = find_adapter("meterlab-decode");
  MappedLine t = map_line(a, R"({"meter_id":"6970631400","security":"plain","timestamp":null,
      "readings":[{"name":"p","obis":"1-0:1.7.0.255","value":1234,"unit":"W"}]})");
  ASSERT_EQ(t.kind, MappedLine::Kind::telegram) << t.error;
  EXPECT_EQ(t.value.at("meter_id"), "6970631400");
  ASSERT_EQ(t.value.at("readings").size(), 1u);
  EXPECT_EQ(t.value["readings"][0],
            (json{{"obis", "1-0:1.7.0.255"}, {"value", 1234}, {"unit", "W"}}));

  MappedLine r = map_line(a, R"({"error":{"layer":"hdlc","code":"hdlc_fcs_mismatch","offset":9}})");
  ASSERT_EQ(r.kind, MappedLine::Kind::rejection);
  EXPECT_EQ(r.value["error"]["code"], "hdlc_fcs_mismatch");
  EXPECT_EQ(r.value["error"]["offset"], 9);

  EXPECT_EQ(map_line(a, R"({"summary":{"bytes_in":3}})").kind, MappedLine::Kind::ignored);
  MappedLine g = map_line(a, "hello");
  EXPECT_EQ(g.kind, MappedLine::Kind::garbage);
  EXPECT_EQ(g.error, "not a JSON object");
  MappedLine bad_reading = map_line(a, R"({"readings":[{"obis":"power","value":1}]})");
  EXPECT_EQ(bad_reading.kind, MappedLine::Kind::garbage);
  EXPECT_NE(bad_reading.error.find("not an OBIS code"), std::string::npos);
  EXPECT_EQ(map_line(a, R"({"something":"else"})").kind, MappedLine::Kind::garbage);
}

TEST(Adapter, FlatFieldsBecomeReadingsScaledToTheTruthUnit) {
  json doc = {{"telegram",
               {{"when", "/pwr_kw"},
                {"fields",
                 {{"/pwr_kw", {{"obis", "1.0.1.7.0.255"}, {"unit", "W"}, {"scale", 1000}}},
                  {"/volt", {{"obis", "1-0:32.7.0.255"}, {"unit", "V"}}}}},
                {"telegram_fields", {{"meter_id", "/id"}}}}},
              {"partial", true}};
  Adapter a = parse_adapter(doc, "flat");
  MappedLine t = map_line(a, R"({"pwr_kw":1.234,"volt":"229.5","id":"M1"})");
  ASSERT_EQ(t.kind, MappedLine::Kind::telegram) << t.error;
  EXPECT_EQ(t.value["meter_id"], "M1");
  ASSERT_EQ(t.value["readings"].size(), 2u);
  EXPECT_EQ(t.value["readings"][0]["obis"], "1-0:1.7.0.255");
  EXPECT_DOUBLE_EQ(t.value["readings"][0]["value"].get<double>(), 1234.0);
  EXPECT_EQ(t.value["readings"][0]["unit"], "W");
  EXPECT_DOUBLE_EQ(t.value["readings"][1]["value"].get<double>(), 229.5);
  EXPECT_EQ(map_line(a, R"({"pwr_kw":"n/a"})").kind, MappedLine::Kind::garbage);

  CompareOptions o = compare_options(a);
  EXPECT_TRUE(o.partial);
  EXPECT_EQ(o.telegram_keys, std::vector<std::string>{"meter_id"});
}

TEST(Expand, QuotesValuesForTheShellAndRefusesUnknownPlaceholders) {
  std::map<std::string, std::string> v = {{"meterlab", "/a b/meterlab"}, {"tty", "/dev/x'y"}};
  EXPECT_EQ(expand("{meterlab} decode {tty}", v, true), "'/a b/meterlab' decode '/dev/x'\\''y'");
  EXPECT_EQ(expand("{tty}", v, false), "/dev/x'y");
  EXPECT_THROW(expand("{key}", v, false), std::runtime_error);
  // A command's own braces are not placeholders.
  EXPECT_EQ(expand("{tty} | awk '{ print }' {", v, false), "/dev/x'y | awk '{ print }' {");
}

json truth_telegram(std::uint64_t offset, double power, int second = 0) {
  return {
      {"type", "telegram"},
      {"offset", offset},
      {"length", 10},
      {"meter_id", "M"},
      {"timestamp", "2026-01-05T06:59:" + std::to_string(10 + second)},
      {"readings", json::array({{{"obis", "1-0:1.7.0.255"}, {"value", power}, {"unit", "W"}}})}};
}

json decoded_telegram(double power, int second = 0) {
  return {
      {"meter_id", "M"},
      {"timestamp", "2026-01-05T06:59:" + std::to_string(10 + second)},
      {"readings", json::array({{{"obis", "1-0:1.7.0.255"}, {"value", power}, {"unit", "W"}}})}};
}

TEST(Attribute, MatchesByOrderAndTimeWithoutStreamOffsets) {
  CompareOptions o;
  o.telegram_keys = {"meter_id", "timestamp"};
  std::vector<SentTelegram> sent = {{1.0, truth_telegram(0, 100, 0)},
                                    {2.0, truth_telegram(10, 200, 1)},
                                    {3.0, truth_telegram(20, 300, 2)},
                                    {4.0, truth_telegram(30, 400, 3)}};
  // Before anything was sent (a phantom); T0 equal; T1 missed; T2 read wrong (its timestamp,
  // another value: it differs least from T2, though T1 was also on the line); T3 equal though it
  // arrives late.
  std::vector<json> decoded = {decoded_telegram(100, 0), decoded_telegram(100, 0),
                               decoded_telegram(999, 2), decoded_telegram(400, 3)};
  std::vector<double> arrived = {0.5, 1.1, 3.1, 6.0};
  auto owner = attribute(sent, decoded, arrived, o);
  ASSERT_EQ(owner.size(), 4u);
  EXPECT_FALSE(owner[0].has_value());
  EXPECT_EQ(owner[1], std::optional<std::size_t>(0));
  EXPECT_EQ(owner[2], std::optional<std::size_t>(2));
  EXPECT_EQ(owner[3], std::optional<std::size_t>(3));
}

TEST(Attribute, AnOutputLateByATelegramStillGoesToItsOwn) {
  // A slow reader: each line arrives after the next telegram is already on the line. Each still
  // belongs to the telegram it equals (or differs least from), not to the newest one.
  CompareOptions o;
  o.telegram_keys = {"timestamp"};
  std::vector<SentTelegram> sent = {{1.0, truth_telegram(0, 100, 0)},
                                    {1.2, truth_telegram(10, 200, 1)},
                                    {1.4, truth_telegram(20, 300, 2)}};
  auto owner =
      attribute(sent, {decoded_telegram(1000, 0), decoded_telegram(2000, 1)}, {1.3, 1.5}, o);
  EXPECT_EQ(owner[0], std::optional<std::size_t>(0));
  EXPECT_EQ(owner[1], std::optional<std::size_t>(1));
}

TEST(Attribute, ASecondCopyOfOneTelegramIsNotGivenToIt) {
  CompareOptions o;
  o.telegram_keys = {};
  std::vector<SentTelegram> sent = {{1.0, truth_telegram(0, 100)}};
  auto owner = attribute(sent, {decoded_telegram(100), decoded_telegram(100)}, {1.1, 1.2}, o);
  EXPECT_EQ(owner[0], std::optional<std::size_t>(0));
  EXPECT_FALSE(owner[1].has_value());
}

// A 10 s Kaifa run at ten times real time: one second on the tty.
ScenarioFile short_scenario() {
  ScenarioFile s;
  s.name = "short";
  s.scenario.name = "short";
  s.scenario.profile = "kaifa-kfm001-3ph";
  s.scenario.seed = 3;
  s.scenario.duration = 10'000;
  s.scenario.speed = "10";
  s.pass = parse_pass("{}", false);
  return s;
}

DecoderCommand shell(const std::string& command) {
  DecoderCommand d;
  d.command = command;
  d.adapter = find_adapter("meterlab-decode");
  d.self = "/bin/false";
  d.settle = std::chrono::milliseconds(200);
  d.open_limit = std::chrono::milliseconds(2000);
  d.stop_limit = std::chrono::milliseconds(500);
  return d;
}

TEST(PtyRun, ADecoderThatCrashesFailsWithItsSignal) {
  ScenarioResult r =
      run_scenario_pty(short_scenario(), shell("exec 3<{tty}; sleep 0.3; kill -SEGV $$"), {});
  EXPECT_FALSE(r.passed());
  EXPECT_TRUE(contains(r.failures, "decoder ended early (signal 11")) << joined(r.failures);
  EXPECT_GT(r.missed, 0u);
}

TEST(PtyRun, ADecoderThatIgnoresSigtermIsReportedHungAndKilled) {
  ScenarioResult r = run_scenario_pty(
      short_scenario(), shell("trap '' TERM; exec 3<{tty}; while :; do sleep 0.05; done"), {});
  EXPECT_FALSE(r.passed());
  EXPECT_TRUE(contains(r.failures, "decoder hung: still running 500 ms after SIGTERM, killed"))
      << joined(r.failures);
}

TEST(PtyRun, GarbageOutputIsAFailureQuotingTheLine) {
  ScenarioResult r = run_scenario_pty(short_scenario(),
                                      shell("echo 'hello meter'; exec cat {tty} >/dev/null"), {});
  EXPECT_FALSE(r.passed());
  EXPECT_TRUE(contains(r.failures,
                       "decoder printed 1 line(s) its adapter cannot read; line 1: "
                       "not a JSON object: \"hello meter\""))
      << joined(r.failures);
}

TEST(PtyRun, ADecoderThatNeverOpensTheTtyFails) {
  DecoderCommand d = shell("sleep 5");
  ScenarioResult r = run_scenario_pty(short_scenario(), d, {});
  EXPECT_FALSE(r.passed());
  EXPECT_TRUE(contains(r.failures, "decoder did not open the tty within 2 s"))
      << joined(r.failures);
}

TEST(PtyRun, ADecoderThatReadsButPrintsNothingMissesEveryTelegram) {
  ScenarioResult r = run_scenario_pty(short_scenario(), shell("exec cat {tty} >/dev/null"), {});
  EXPECT_FALSE(r.passed());
  EXPECT_GE(r.sent, 5u);
  EXPECT_EQ(r.missed, r.sent);
  EXPECT_EQ(r.decoded, 0u);
}

TEST(PtyRun, AnUnknownPlaceholderInTheCommandIsAnErrorNotACrash) {
  EXPECT_THROW(run_scenario_pty(short_scenario(), shell("cat {device}"), {}), std::runtime_error);
}

}  // namespace
}  // namespace meterlab::conformance
