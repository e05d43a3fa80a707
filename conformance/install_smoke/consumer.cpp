// Decodes one Aidon list 1 frame (hdlc-plain/aidon-6525-list1) through the installed engine, reads
// it with the installed reader's value helpers, writes it with the JSON output into argv[1] and
// reads that back, and checks that every output library's factory is linked and checks its
// config. Exit 0 only when every step gave the expected result.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "meterlab/core/hex.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/reader/outputs.hpp"
#include "meterlab/reader/sink.hpp"

namespace {

int fail(const std::string& what) {
  std::printf("consumer: %s\n", what.c_str());
  return 1;
}

// The frame's one reading is 1-0:1.7.0.255 = 1696 W; the list has no meter id.
bool check_values(const meterlab::cosem::Telegram& t) {
  namespace rd = meterlab::reader;
  if (t.readings.size() != 1) return false;
  const auto& r = t.readings[0];
  return rd::number(r) == 1696.0 && rd::value_text(t, r) == "1696" && rd::meter_key(t) == "meter" &&
         rd::security_text(t) == "plain";
}

// The JSON output writes the telegram as one line of the documented schema.
bool check_json_sink(const meterlab::cosem::Telegram& t, const std::string& path) {
  namespace rd = meterlab::reader;
  auto made = rd::make_json_sink(nlohmann::json{{"file", path}});
  if (!made.sink) return false;
  made.sink->telegram(t, rd::Received{rd::WallClock::now(), "consumer"});
  made.sink->close(std::chrono::milliseconds(1000));
  made.sink.reset();
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return false;
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.contains("readings") || j["readings"].size() != 1) return false;
  const auto& r = j["readings"][0];
  return r.value("obis", "") == "1-0:1.7.0.255" && r.value("value", 0.0) == 1696.0 &&
         r.value("unit", "") == "W";
}

// Each output library is really linked: its factory refuses a config with an unknown key and
// names its own config path in the error.
bool check_refuses(meterlab::reader::SinkOrError made, const std::string& path) {
  return made.sink == nullptr && made.error.rfind(path, 0) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return fail("usage: consumer JSON_OUT");
  auto bytes = meterlab::parse_hex(
      "7ea02a410883130413e6e7000f40000000000101020309060100010700ff06000006a002020f00161b81df7e");
  if (!bytes) return fail("bad hex");
  meterlab::Decoder dec;
  dec.push(*bytes);
  dec.finish();
  if (dec.next() != meterlab::Decoder::Event::telegram) return fail("no telegram");
  const auto& t = dec.telegram();
  if (!check_values(t)) return fail("reader value helpers gave unexpected results");
  if (!check_json_sink(t, argv[1])) return fail("JSON output did not write the reading");
  namespace rd = meterlab::reader;
  const nlohmann::json bad{{"no_such_key", 1}};
  if (!check_refuses(rd::make_mqtt_sink(bad), "outputs.mqtt")) return fail("mqtt factory");
  if (!check_refuses(rd::make_influx_sink(bad), "outputs.influxdb")) return fail("influx factory");
  if (!check_refuses(rd::make_postgres_sink(bad), "outputs.postgres"))
    return fail("postgres factory");
  if (!check_refuses(rd::make_solarview_sink(bad), "outputs.solarview"))
    return fail("solarview factory");
  std::puts("consumer: decoded active_power_import 1696 W; reader, JSON output and outputs linked");
  return 0;
}
