// The JSON and table outputs: their config objects (refusals named by path), the JSON lines they
// write (rejections only with "errors"), and the table's latest value per OBIS code.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "meterlab/core/hex.hpp"
#include "meterlab/reader/outputs.hpp"

namespace meterlab::reader {
namespace {

using nlohmann::json;

std::vector<std::uint8_t> vector_bytes(const std::string& rel) {
  std::ifstream in(std::string(MLAB_SOURCE_DIR) + "/vectors/" + rel);
  auto bytes = parse_hex(json::parse(in)["input_hex"].get<std::string>());
  return bytes ? *bytes : std::vector<std::uint8_t>{};
}

// Feeds a vector's bytes through a decoder into the sink; the FCS vector holds a bad frame
// followed by a good one.
void feed(Sink& sink, const std::string& rel) {
  Decoder dec;
  dec.push(vector_bytes(rel));
  dec.finish();
  MeterAttribution meters;  // as the read loop does
  for (auto ev = dec.next(); ev != Decoder::Event::need_more; ev = dec.next()) {
    Received rc{WallClock::now(), "test"};
    if (ev == Decoder::Event::telegram) meters.attribute(dec.telegram(), rc);
    if (ev == Decoder::Event::telegram) sink.telegram(dec.telegram(), rc);
    if (ev == Decoder::Event::rejection) sink.rejection(dec.rejection(), rc);
  }
}

std::vector<json> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

TEST(JsonSinkTest, WritesTelegramLinesToAFile) {
  const std::string path = ::testing::TempDir() + "/meterlab_json_sink.jsonl";
  SinkOrError made = make_json_sink(json{{"file", path}});
  ASSERT_TRUE(made.sink) << made.error;
  EXPECT_EQ(made.sink->name(), "json");
  feed(*made.sink, "negative/hdlc-fcs-bitflip.json");
  made.sink->close(std::chrono::milliseconds(0));
  auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 1u);  // the rejection is not written without "errors"
  EXPECT_TRUE(lines[0].contains("readings"));
  SinkStats st = made.sink->stats();
  EXPECT_EQ(st.telegrams, 1u);
  EXPECT_EQ(st.delivered, 1u);
  EXPECT_EQ(st.failed, 0u);
}

TEST(JsonSinkTest, ErrorsAlsoWritesRejectionsAndAppendKeeps) {
  const std::string path = ::testing::TempDir() + "/meterlab_json_sink_errors.jsonl";
  for (int run = 0; run < 2; ++run) {
    SinkOrError made = make_json_sink(json{{"file", path}, {"errors", true}, {"append", run == 1}});
    ASSERT_TRUE(made.sink) << made.error;
    feed(*made.sink, "negative/hdlc-fcs-bitflip.json");
    made.sink->close(std::chrono::milliseconds(0));
  }
  auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["error"]["code"], "hdlc_fcs_mismatch");
  EXPECT_TRUE(lines[1].contains("readings"));
  EXPECT_EQ(lines[2]["error"]["code"], "hdlc_fcs_mismatch");
}

TEST(JsonSinkTest, Refusals) {
  EXPECT_EQ(make_json_sink(json{{"path", "x"}}).error,
            "outputs.json.path: expected one of file, errors, append, got an unknown key");
  EXPECT_EQ(make_json_sink(json{{"file", 3}}).error, "outputs.json.file: expected a string, got 3");
  EXPECT_EQ(make_json_sink(json{{"errors", "yes"}}).error,
            "outputs.json.errors: expected true or false, got \"yes\"");
  SinkOrError made = make_json_sink(json{{"file", "/nonexistent-dir/x.jsonl"}});
  EXPECT_FALSE(made.sink);
  EXPECT_EQ(made.error,
            "outputs.json.file: cannot open /nonexistent-dir/x.jsonl: No such file or directory");
}

TEST(TableSinkTest, PrintsTheLatestReadingsAtTheEndWhenNotATerminal) {
  SinkOrError made = make_table_sink(json::object());
  ASSERT_TRUE(made.sink) << made.error;
  EXPECT_EQ(made.sink->name(), "table");
  ::testing::internal::CaptureStdout();
  feed(*made.sink, "hdlc-plain/aidon-6525-list2.json");
  feed(*made.sink, "hdlc-plain/aidon-6525-list2.json");
  made.sink->close(std::chrono::milliseconds(0));
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(out.find("\x1b["), std::string::npos);  // no ANSI codes off a terminal
  EXPECT_NE(out.find("meter 7359992899161110"), std::string::npos) << out;
  EXPECT_NE(out.find("telegrams 2"), std::string::npos) << out;
  EXPECT_NE(out.find("1-0:1.7.0.255"), std::string::npos) << out;
  // One row per OBIS code, however many telegrams carried it.
  std::size_t first = out.find("1-0:1.7.0.255");
  EXPECT_EQ(out.find("1-0:1.7.0.255", first + 1), std::string::npos);
  EXPECT_EQ(made.sink->stats().telegrams, 2u);
}

// Issue 17: a P1 telegram in the JSON lines and the table: base units, and the gas register with
// its own capture time.
TEST(JsonSinkTest, P1TelegramWithGas) {
  const std::string path = ::testing::TempDir() + "/meterlab_json_sink_p1.jsonl";
  SinkOrError made = make_json_sink(json{{"file", path}});
  ASSERT_TRUE(made.sink) << made.error;
  feed(*made.sink, "p1/dsmr5-iskra-am550-nl.json");
  made.sink->close(std::chrono::milliseconds(0));
  auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 1u);
  json gas, energy;
  for (const json& r : lines[0].at("readings")) {
    if (r.at("obis") == "0-1:24.2.1.255") gas = r;
    if (r.at("obis") == "1-0:1.8.1.255") energy = r;
  }
  EXPECT_EQ(gas.at("value"), 0.107) << gas;
  EXPECT_EQ(gas.at("unit"), "m3");
  EXPECT_EQ(gas.at("captured"), "2017-01-02T16:10:05+01:00") << gas;
  EXPECT_EQ(energy.at("value"), 4426) << energy;
  EXPECT_EQ(energy.at("unit"), "Wh");
}

// The table printed (off a terminal: once, at the end) after the telegrams of a vector.
std::string table_of(const std::string& rel) {
  SinkOrError made = make_table_sink(json::object());
  EXPECT_TRUE(made.sink) << made.error;
  if (!made.sink) return "";
  ::testing::internal::CaptureStdout();
  feed(*made.sink, rel);
  made.sink->close(std::chrono::milliseconds(0));
  return ::testing::internal::GetCapturedStdout();
}

// The table's line of an OBIS code; "" when it has none.
std::string line_of(const std::string& table, const std::string& obis) {
  const std::size_t at = table.find(obis);
  return at == std::string::npos ? "" : table.substr(at, table.find('\n', at) - at);
}

TEST(TableSinkTest, P1GasShowsItsCaptureTime) {
  const std::string out = table_of("p1/dsmr5-iskra-am550-nl.json");
  EXPECT_NE(out.find("meter K8EG004046395507"), std::string::npos) << out;
  const std::string gas = line_of(out, "0-1:24.2.1.255");
  EXPECT_NE(gas.find("0.107  m3  at 2017-01-02T16:10:05+01:00"), std::string::npos) << out;
  const std::string energy = line_of(out, "1-0:1.8.1.255");
  EXPECT_NE(energy.find("4426  Wh"), std::string::npos) << out;
  EXPECT_EQ(energy.find(" at "), std::string::npos) << energy;
}

// The Belgian monthly maxima repeat the current peak's code: the table shows the current one.
TEST(TableSinkTest, P1BufferKeepsTheCurrentPeak) {
  const std::string out = table_of("p1/p1-belgian-peak.json");
  const std::string peak = line_of(out, "1-0:1.6.0.255");
  EXPECT_NE(peak.find("2589  W  at 2020-05-09T13:45:58+02:00"), std::string::npos) << out;
  EXPECT_EQ(out.find("1-0:1.6.0.255", out.find("1-0:1.6.0.255") + 1), std::string::npos) << out;
}

TEST(TableSinkTest, Refusals) {
  EXPECT_EQ(make_table_sink(json{{"rows", 3}}).error,
            "outputs.table.rows: expected one of refresh_ms, got an unknown key");
  EXPECT_EQ(make_table_sink(json{{"refresh_ms", -1}}).error,
            "outputs.table.refresh_ms: expected an integer 0-60000, got -1");
}

}  // namespace
}  // namespace meterlab::reader
