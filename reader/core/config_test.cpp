// The decode configuration: defaults, meter defaults and explicit keys, flags merged over the
// file, and every refusal naming its JSON path (and never quoting a key).
#include "meterlab/reader/config.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace meterlab::reader {
namespace {

using nlohmann::json;

ReaderConfig parse_ok(const json& doc, const MeterLookup& lookup = {}) {
  ConfigOrError r = parse_config(doc, lookup);
  EXPECT_TRUE(r.config) << r.error;
  return r.config ? *r.config : ReaderConfig{};
}

std::string parse_error(const json& doc) {
  ConfigOrError r = parse_config(doc);
  EXPECT_FALSE(r.config);
  return r.error;
}

TEST(ConfigTest, EmptyDocumentIsStdinToJsonLines) {
  ReaderConfig c = parse_ok(json::object());
  EXPECT_EQ(c.input.device, "-");
  EXPECT_EQ(c.input.line, (LineSettings{2400, 8, 'N', 1}));
  EXPECT_EQ(c.input.transport, InputTransport::auto_detect);
  EXPECT_TRUE(c.input.reopen);
  EXPECT_EQ(c.input.backoff_initial.count(), 500);
  EXPECT_EQ(c.input.backoff_max.count(), 30000);
  EXPECT_EQ(c.outputs, (json{{"json", {{"file", "-"}}}}));
}

TEST(ConfigTest, FullInputObject) {
  ReaderConfig c = parse_ok(json::parse(R"({"input": {"device": "/dev/ttyUSB0", "baud": 9600,
      "data_bits": 7, "parity": "odd", "stop_bits": 2, "hex": true, "transport": "mbus",
      "reopen": false, "backoff_initial_ms": 100, "backoff_max_ms": 800}, "errors": true})"));
  EXPECT_EQ(c.input.device, "/dev/ttyUSB0");
  EXPECT_EQ(c.input.line, (LineSettings{9600, 7, 'O', 2}));
  EXPECT_TRUE(c.input.hex);
  EXPECT_EQ(c.input.transport, InputTransport::mbus);
  EXPECT_FALSE(c.input.reopen);
  EXPECT_EQ(c.input.backoff_initial.count(), 100);
  EXPECT_EQ(c.input.backoff_max.count(), 800);
  EXPECT_TRUE(c.errors);
}

TEST(ConfigTest, MeterFamilyGivesDefaultsAndExplicitKeysWin) {
  ReaderConfig c = parse_ok(json{{"meter", "kaifa-no"}});
  EXPECT_EQ(c.input.line.to_string(), "2400 8E1");
  EXPECT_EQ(c.input.transport, InputTransport::hdlc);
  c = parse_ok(json{{"meter", "kaifa-at"}, {"input", {{"parity", "even"}, {"transport", "auto"}}}});
  EXPECT_EQ(c.input.line.to_string(), "2400 8E1");
  EXPECT_EQ(c.input.transport, InputTransport::auto_detect);
  EXPECT_EQ(parse_ok(json{{"meter", "iskra-at"}}).input.line.to_string(), "115200 8N1");
  EXPECT_EQ(parse_ok(json{{"meter", "evn"}}).input.transport, InputTransport::mbus);
}

TEST(ConfigTest, P1FamiliesReadP1AtTheirLineRates) {
  for (const char* name : {"dsmr", "smarty", "fluvius", "han-se"}) {
    const ReaderConfig c = parse_ok(json{{"meter", name}});
    EXPECT_EQ(c.input.line.to_string(), "115200 8N1") << name;
    EXPECT_EQ(c.input.transport, InputTransport::p1) << name;
  }
  EXPECT_EQ(parse_ok(json{{"meter", "dsmr22"}}).input.line.to_string(), "9600 7E1");
  EXPECT_EQ(parse_ok(json{{"input", {{"transport", "p1"}}}}).input.transport, InputTransport::p1);
}

TEST(ConfigTest, LookupIsAskedBeforeTheFamilies) {
  MeterLookup lookup = [](std::string_view name) -> std::optional<MeterDefaults> {
    if (name != "my-profile") return std::nullopt;
    return MeterDefaults{{19200, 8, 'O', 2}, InputTransport::mbus};
  };
  ReaderConfig c = parse_ok(json{{"meter", "my-profile"}}, lookup);
  EXPECT_EQ(c.input.line.to_string(), "19200 8O2");
  EXPECT_EQ(parse_ok(json{{"meter", "aidon-no"}}, lookup).input.line.to_string(), "2400 8E1");
}

// "timezone": one of the zones the engine knows (cosem/time_zone.hpp); absent: none given.
TEST(ConfigTest, TimeZone) {
  EXPECT_EQ(parse_ok(json::object()).time_zone, nullptr);
  const ReaderConfig c = parse_ok(json{{"timezone", "Europe/Oslo"}});
  ASSERT_NE(c.time_zone, nullptr);
  EXPECT_EQ(c.time_zone->name, "Europe/Oslo");
  EXPECT_EQ(parse_error(json{{"timezone", "Europe/Atlantis"}}).substr(0, 42),
            "timezone: expected one of Europe/Amsterdam");
  EXPECT_TRUE(parse_error(json{{"timezone", "Mars"}}).ends_with(", got \"Mars\""));
  EXPECT_EQ(parse_error(json{{"timezone", 1}}), "timezone: expected a string, got 1");
}

TEST(ConfigTest, RefusalsNameTheJsonPath) {
  EXPECT_EQ(parse_error(json{{"inputs", 1}}),
            "inputs: expected one of input, meter, keys, errors, outputs, timezone, got an "
            "unknown key");
  EXPECT_EQ(parse_error(json{{"input", {{"baudrate", 2400}}}}).substr(0, 35),
            "input.baudrate: expected one of dev");
  EXPECT_TRUE(parse_error(json{{"input", {{"baudrate", 2400}}}}).ends_with(", got an unknown key"));
  EXPECT_EQ(parse_error(json{{"input", {{"baud", 2401}}}}),
            "input.baud: expected one of 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, "
            "115200, got 2401");
  EXPECT_EQ(parse_error(json{{"input", {{"baud", "2400"}}}}),
            "input.baud: expected an integer 1-4000000, got \"2400\"");
  EXPECT_EQ(parse_error(json{{"input", {{"data_bits", 9}}}}),
            "input.data_bits: expected an integer 5-8, got 9");
  EXPECT_EQ(parse_error(json{{"input", {{"stop_bits", 3}}}}),
            "input.stop_bits: expected an integer 1-2, got 3");
  EXPECT_EQ(parse_error(json{{"input", {{"parity", "mark"}}}}),
            "input.parity: expected one of none, even, odd, got \"mark\"");
  EXPECT_EQ(parse_error(json{{"input", {{"transport", "dsmr"}}}}),
            "input.transport: expected one of auto, hdlc, mbus, apdu, p1, got \"dsmr\"");
  EXPECT_EQ(parse_error(json{{"input", {{"reopen", 1}}}}),
            "input.reopen: expected true or false, got 1");
  EXPECT_EQ(parse_error(json{{"input", {{"backoff_initial_ms", 1000}, {"backoff_max_ms", 10}}}}),
            "input.backoff_max_ms: expected a value not less than backoff_initial_ms, got 10");
  EXPECT_EQ(parse_error(json{{"input", {{"device", "tcp://nohost"}}}}),
            "input.device: expected tcp://HOST:PORT (port 1-65535), got \"tcp://nohost\"");
  EXPECT_EQ(parse_error(json{{"input", 5}}), "input: expected an object, got 5");
  EXPECT_EQ(parse_error(json{{"outputs", {{"kafka", json::object()}}}}),
            "outputs.kafka: expected one of json, table, mqtt, influxdb, postgres, solarview, got "
            "an unknown key");
  EXPECT_EQ(parse_error(json{{"outputs", {{"mqtt", true}}}}),
            "outputs.mqtt: expected an object, got true");
  EXPECT_EQ(parse_error(json{{"meter", "nosuch"}}).substr(0, 41),
            "meter: expected a simulator profile name,");
  EXPECT_TRUE(parse_error(json{{"meter", "nosuch"}}).ends_with(", got \"nosuch\""));
  EXPECT_EQ(parse_error(json::array()), "config: expected an object, got an array");
}

TEST(ConfigTest, KeyErrorsNeverQuoteTheKey) {
  const std::string secret = "00112233445566778899aabbccddeeff";
  std::string err = parse_error(json{{"keys", {{"key", secret}, {"ek", secret}}}});
  EXPECT_EQ(err, "keys.ek: expected one of key, auth_key, system_title, file, got an unknown key");
  err = parse_error(json{{"keys", {{"auth_key", 12}}}});
  EXPECT_EQ(err, "keys.auth_key: expected a string, got a number");  // not its value
  ReaderConfig c = parse_ok(json{{"keys", {{"key", secret}, {"file", "/etc/k.json"}}}});
  EXPECT_EQ(c.keys.key, secret);
  EXPECT_EQ(c.keys.file, "/etc/k.json");
}

TEST(ConfigTest, FlagsMergeOverTheFile) {
  json file = json::parse(R"({"input": {"device": "/dev/ttyUSB0", "baud": 9600},
      "outputs": {"mqtt": {"host": "10.0.0.2", "port": 1883}}})");
  json flags = json::parse(R"({"input": {"baud": 2400, "parity": "even"},
      "outputs": {"mqtt": {"host": "127.0.0.1"}, "json": {"file": "out.jsonl"}}})");
  ReaderConfig c = parse_ok(merge_overrides(file, flags));
  EXPECT_EQ(c.input.device, "/dev/ttyUSB0");
  EXPECT_EQ(c.input.line.to_string(), "2400 8E1");
  EXPECT_EQ(c.outputs["mqtt"], (json{{"host", "127.0.0.1"}, {"port", 1883}}));
  EXPECT_EQ(c.outputs["json"]["file"], "out.jsonl");
  // No config file: the overrides alone.
  EXPECT_EQ(parse_ok(merge_overrides(json::object(), flags)).outputs.size(), 2u);
}

TEST(ConfigTest, LoadConfigFile) {
  const std::string path = ::testing::TempDir() + "/meterlab_config_test.json";
  std::ofstream(path) << "// comments are allowed\n{\"meter\": \"kaifa-no\"}\n";
  json doc;
  EXPECT_FALSE(load_config_file(path, doc));
  EXPECT_EQ(doc["meter"], "kaifa-no");
  std::ofstream(path) << "{\"meter\": ";
  auto err = load_config_file(path, doc);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("is not JSON (byte"), std::string::npos);
  std::ofstream(path) << "[1]";
  EXPECT_EQ(*load_config_file(path, doc), "config file " + path + ": must be a JSON object");
  EXPECT_EQ(*load_config_file(path + ".missing", doc),
            "cannot open config file " + path + ".missing");
}

}  // namespace
}  // namespace meterlab::reader
