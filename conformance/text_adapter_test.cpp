// Text adapters: named groups compiled for std::regex, lines assembled into telegrams, values
// typed (number with scale, string, clock with a format), and bad adapters refused with their
// JSON path before anything runs.
#include <gtest/gtest.h>

#include "adapter.hpp"

namespace meterlab::conformance {
namespace {

using nlohmann::json;

std::string refusal(const json& doc) {
  try {
    parse_adapter(doc, "a.json");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "accepted";
}

Adapter text_adapter(json text, bool rewrite = false) {
  json doc = {{"output", {{"format", "text"}}},
              {"text", std::move(text)},
              {"timestamp_format", "%d.%m.%Y %H:%M:%S"}};
  if (rewrite)
    doc["output"] = {{"from", "file"}, {"path", "x"}, {"rewrite", true}, {"format", "text"}};
  return parse_adapter(doc, "t");
}

TEST(NamedRegex, GroupsAreNumberedPastEscapesClassesAndNonCapturingGroups) {
  NamedRegex r = compile_named(R"(^\((?:x)(a)[(](?<obis>[\d.]+)(?=\s)\s(?<value>\S+)$)");
  EXPECT_EQ(r.groups.at("obis"), 2u);
  EXPECT_EQ(r.groups.at("value"), 3u);
  std::smatch m;
  const std::string line = "(xa(1.8.0 42";
  ASSERT_TRUE(std::regex_search(line, m, r.re));
  EXPECT_EQ(m[2].str(), "1.8.0");
  EXPECT_EQ(m[3].str(), "42");
  EXPECT_THROW(compile_named("(?<a>x)(?<a>y)"), std::invalid_argument);
  EXPECT_THROW(compile_named("(?<value>[0-9"), std::regex_error);
}

TEST(ValueSpec, NumbersScaleStringsStayClocksBecomeIso) {
  EXPECT_EQ(*convert_value({ValueSpec::Type::number, 1000, ""}, json("1.5")), json(1500.0));
  EXPECT_EQ(*convert_value({ValueSpec::Type::string, 1, ""}, json(123)), json("123"));
  const ValueSpec clock{ValueSpec::Type::clock, 1, "%d.%m.%Y %H:%M:%S"};
  EXPECT_EQ(*convert_value(clock, json("05.01.2026 06:59:50")), json("2026-01-05T06:59:50"));
  EXPECT_EQ(*convert_value(clock, json("05.01.2026 00:00:00 +0100")),
            json("2026-01-05T00:00:00+01:00"));
  EXPECT_FALSE(convert_value(clock, json("yesterday")));
  EXPECT_FALSE(convert_value({ValueSpec::Type::number, 1, ""}, json("12 kW")));
}

TEST(TextMapper, StartAndEndLinesMakeOneTelegramTimedAtItsLastLine) {
  Adapter a = text_adapter({{"start", "^--- (?<timestamp>.+)$"},
                            {"end", "^---$"},
                            {"lines", json::array({{{"regex", R"(^id (?<meter_id>\S+)$)"}},
                                                   {{"regex", R"(^P (?<value>[\d.]+) kW$)"},
                                                    {"obis", "1-0:1.7.0.255"},
                                                    {"unit", "W"},
                                                    {"scale", 1000}}})},
                            {"ignore", json::array({"^#"})},
                            {"rejection", R"(^! (?<layer>\w+) (?<code>\w+)$)"}});
  TextMapper t(a);
  EXPECT_TRUE(t.add("--- 05.01.2026 06:59:50", 1.0).empty());
  EXPECT_TRUE(t.add("id 6970631400", 1.1).empty());
  EXPECT_EQ(t.add("# a comment", 1.2).at(0).kind, MappedLine::Kind::ignored);
  EXPECT_TRUE(t.add("P 0.242 kW", 1.3).empty());
  auto out = t.add("---", 1.4);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, MappedLine::Kind::telegram);
  EXPECT_DOUBLE_EQ(out[0].at, 1.4);
  EXPECT_EQ(out[0].value["timestamp"], "2026-01-05T06:59:50");
  EXPECT_EQ(out[0].value["meter_id"], "6970631400");
  EXPECT_EQ(out[0].value["readings"][0],
            (json{{"obis", "1-0:1.7.0.255"}, {"value", 242.0}, {"unit", "W"}}));
  auto r = t.add("! security security_auth_failed", 2.0);
  EXPECT_EQ(r.at(0).value["error"]["code"], "security_auth_failed");
  auto g = t.add("hello", 2.1);
  EXPECT_EQ(g.at(0).kind, MappedLine::Kind::garbage);
  EXPECT_EQ(g.at(0).error, "no text rule matches");
  EXPECT_TRUE(t.boundary().empty());  // the garbage line opened no telegram
  EXPECT_EQ(mapped_telegram_fields(a), (std::vector<std::string>{"meter_id", "timestamp"}));
}

TEST(TextMapper, WithoutBoundariesALineIsATelegramAndARewrittenFileIsOne) {
  json rules = {
      {"lines", json::array({{{"regex", R"(^(?<obis>[^;]+);(?<value>[^;]+);(?<unit>.*)$)"}}})}};
  Adapter lines = text_adapter(rules);
  TextMapper per_line(lines);
  EXPECT_EQ(per_line.add("1-0:1.7.0.255;242;W", 1).size(), 1u);
  Adapter file = text_adapter(rules, true);
  TextMapper rewritten(file);
  EXPECT_TRUE(rewritten.add("1-0:1.7.0.255;242;W", 1).empty());
  EXPECT_TRUE(rewritten.add("1-0:32.7.0.255;229.5;V", 1).empty());
  auto out = rewritten.boundary();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value["readings"].size(), 2u);
}

TEST(Adapter, JsonFieldsMapStringsAndClocksLikeNumbers) {
  Adapter a = parse_adapter(
      {{"timestamp_format", "%d.%m.%Y %H:%M:%S"},
       {"telegram",
        {{"when", "/t"},
         {"fields",
          {{"/id", {{"obis", "0-0:96.1.0.255"}, {"type", "string"}}},
           {"/clock", {{"obis", "0-0:1.0.0.255"}, {"type", "clock"}, {"format", "%Y%m%d%H%M%S"}}}}},
         {"telegram_fields", {{"timestamp", "/t"}}}}}},
      "j");
  MappedLine m =
      map_line(a, R"({"t":"05.01.2026 06:59:50","id":6970631400,"clock":"20260105000000"})");
  ASSERT_EQ(m.kind, MappedLine::Kind::telegram) << m.error;
  EXPECT_EQ(m.value["timestamp"], "2026-01-05T06:59:50");
  // Fields in the order of their pointers: "/clock", then "/id".
  EXPECT_EQ(m.value["readings"][0]["value"], "2026-01-05T00:00:00");
  EXPECT_EQ(m.value["readings"][1]["value"], "6970631400");
}

TEST(Adapter, BadAdaptersAreRefusedWithTheirJsonPath) {
  const json tel = {{"when", "/p"}, {"fields", {{"/p", {{"obis", "1-0:1.7.0.255"}}}}}};
  auto has = [](const std::string& what, const std::string& part) {
    return what.find(part) != std::string::npos;
  };
  json regex = {{"output", {{"format", "text"}}},
                {"text", {{"lines", json::array({{{"regex", "^(?<value>[0-9"}}})}}}};
  EXPECT_TRUE(has(refusal(regex), "a.json: text.lines[0].regex: does not compile"))
      << refusal(regex);
  json group = {
      {"output", {{"format", "text"}}},
      {"text",
       {{"lines", json::array({{{"regex", "^(?<power>\\d+)$"}, {"obis", "1-0:1.7.0.255"}}})}}}};
  EXPECT_TRUE(has(refusal(group), "text.lines[0].regex: group (?<power>) names no field"));
  json placeholder = {{"files", json::array({{{"path", "c.ini"}, {"contents", "{speed}"}}})},
                      {"telegram", tel}};
  EXPECT_TRUE(has(refusal(placeholder), "files[0].contents: unknown placeholder {speed}"));
  json outside = {{"files", json::array({{{"path", "/etc/r.ini"}, {"contents", "x"}}})},
                  {"telegram", tel}};
  EXPECT_TRUE(has(refusal(outside), "files[0].path: /etc/r.ini is outside the run directory"));
  json absolute = {
      {"files", json::array({{{"path", "/etc/r.ini"}, {"contents", "x"}, {"absolute", true}}})},
      {"telegram", tel}};
  EXPECT_EQ(refusal(absolute), "accepted");
}

}  // namespace
}  // namespace meterlab::conformance
