// The one config reader every part of the reader uses (its message shape, secrets, nesting, the
// first error winning) and the one meter attribution every output is given.
#include "meterlab/reader/config_reader.hpp"

#include <gtest/gtest.h>

#include <array>

#include "meterlab/reader/sink.hpp"

namespace meterlab::reader {
namespace {

using nlohmann::json;

TEST(ConfigReaderTest, MessagesArePathExpectedAndGot) {
  std::string error;
  const json doc{{"port", "x"}};
  ConfigReader c(doc, "outputs.mqtt", error);
  int port = 1883;
  EXPECT_FALSE(c.integer("port", port, 1, 65535));
  EXPECT_EQ(error, "outputs.mqtt.port: expected an integer 1-65535, got \"x\"");
  EXPECT_EQ(port, 1883);  // left as it was
}

TEST(ConfigReaderTest, FirstErrorWinsAndLaterReadsDoNothing) {
  std::string error;
  const json doc{{"a", 1}, {"b", "text"}};
  ConfigReader c(doc, "x", error);
  bool flag = false;
  std::string text;
  EXPECT_FALSE(c.flag("a", flag));
  EXPECT_FALSE(c.text("b", text));
  EXPECT_EQ(text, "");
  EXPECT_EQ(error, "x.a: expected true or false, got 1");
}

TEST(ConfigReaderTest, SecretsAreNeverQuoted) {
  std::string error;
  const json doc{{"password", 12345678}};
  ConfigReader c(doc, "outputs.mqtt", error);
  std::string password;
  EXPECT_FALSE(c.secret("password", password));
  EXPECT_EQ(error, "outputs.mqtt.password: expected a string, got a number");
  std::string error2;
  const json doc2{{"token", "hunter2-secret"}};
  ConfigReader c2(doc2, "outputs.influxdb", error2);
  std::string token;
  EXPECT_TRUE(c2.secret("token", token));
  EXPECT_FALSE(c2.fail("token", "a longer token"));
  EXPECT_EQ(error2, "outputs.influxdb.token: expected a longer token, got a string");
}

TEST(ConfigReaderTest, NestedObjectsShareTheError) {
  std::string error;
  const json doc{{"tls", {{"ca_file", false}}}, {"keys", 3}};
  ConfigReader c(doc, "outputs.mqtt", error);
  std::string ca;
  EXPECT_FALSE(c.nested("tls").text("ca_file", ca));
  EXPECT_EQ(error, "outputs.mqtt.tls.ca_file: expected a string, got false");
  std::string error2;
  ConfigReader top(doc, "", error2);
  EXPECT_FALSE(top.nested("keys").ok());
  EXPECT_EQ(error2, "keys: expected an object, got 3");
  std::string error3;
  ConfigReader fine(doc, "", error3);
  EXPECT_TRUE(fine.nested("absent").ok());  // an absent object reads as an empty one
}

TEST(ConfigReaderTest, ChoicesUnknownKeysAndLongValues) {
  constexpr std::array<std::pair<std::string_view, char>, 2> kNames{{{"none", 'N'}, {"odd", 'O'}}};
  std::string error;
  const json doc{{"parity", "odd"}, {"mode", std::string(60, 'a')}};
  ConfigReader c(doc, "input", error);
  char parity = 'N';
  EXPECT_TRUE(c.choice("parity", parity, kNames));
  EXPECT_EQ(parity, 'O');
  EXPECT_FALSE(c.only({"parity"}));
  EXPECT_EQ(error, "input.mode: expected one of parity, got an unknown key");
  EXPECT_EQ(describe_json(json(std::string(60, 'a')), false),
            "\"" + std::string(40, 'a') + "\"...");
  EXPECT_EQ(describe_json(json::array(), false), "an array");
}

TEST(ConfigReaderTest, NullReadsAsEmptyAndOtherValuesAreRefused) {
  std::string error;
  ConfigReader c(json(), "outputs.json", error);
  EXPECT_TRUE(c.only({"file"}));
  EXPECT_TRUE(error.empty());
  ConfigReader d(json(5), "outputs.json", error);
  EXPECT_EQ(error, "outputs.json: expected an object, got 5");
}

cosem::Telegram with_id(const char* id) {
  cosem::Telegram t;
  if (id != nullptr) t.meter_id = t.store(id);
  return t;
}

TEST(MeterAttributionTest, UnnamedTelegramsBelongToTheMeterLastNamed) {
  MeterAttribution meters;
  Received rc{WallClock::now(), "test"};
  meters.attribute(with_id(nullptr), rc);
  EXPECT_EQ(rc.meter, "meter");
  EXPECT_FALSE(rc.meter_named);
  meters.attribute(with_id("7359992899161110"), rc);
  EXPECT_EQ(rc.meter, "7359992899161110");
  EXPECT_TRUE(rc.meter_named);
  meters.attribute(with_id(nullptr), rc);
  EXPECT_EQ(rc.meter, "7359992899161110");
  EXPECT_TRUE(rc.meter_named);
  meters.attribute(with_id("other"), rc);
  EXPECT_EQ(rc.meter, "other");
}

}  // namespace
}  // namespace meterlab::reader
