// The MQTT output against a real mosquitto broker (started by each test on 127.0.0.1, a free port,
// a temp dir): telegrams are the simulator's bytes decoded by the engine in-process; a subscriber
// checks every topic, the retained store, the discovery configs, reconnects, dead brokers,
// user/password and TLS.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "meterlab/reader/outputs.hpp"
#include "meterlab/testing/sim_test_util.hpp"
#include "mqtt_broker.hpp"
#include "mqtt_topics.hpp"
#include "p1_telegram.hpp"

namespace meterlab::reader {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::Broker;
using test::Msg;
using test::Subscriber;

constexpr milliseconds kWait = seconds(15);  // generous: a loaded CI machine

std::vector<cosem::Telegram> telegrams_of(const char* profile_name, sim::Duration duration) {
  const sim::Profile* p = sim::find_profile(profile_name);
  if (p == nullptr) return {};
  sim::SimOptions opt;
  opt.duration = duration;
  const sim::test::Run run = sim::test::run(*p, opt);
  Decoder dec(InputTransport::auto_detect, sim::test::keys_of(*p));
  dec.push(Bytes(run.bytes.data(), run.bytes.size()));
  dec.finish();
  std::vector<cosem::Telegram> out;
  for (auto ev = dec.next(); ev != Decoder::Event::need_more; ev = dec.next()) {
    if (ev == Decoder::Event::telegram) out.push_back(dec.telegram());
  }
  return out;
}

const std::vector<cosem::Telegram>& kaifa() {
  static const auto t = telegrams_of("kaifa-kfm001-3ph", 60'000);
  return t;
}

const Received kRx{WallClock::time_point(seconds(1'767'567'600)), "sim"};
// Telegram i received i seconds later: list 1 has no meter clock, so its state's time is this.
Received rx(std::size_t i) { return {kRx.wall + seconds(i), "sim"}; }

json config(int port, json extra = json::object()) {
  json c{{"host", "127.0.0.1"},
         {"port", port},
         {"base_topic", "test"},
         {"reconnect_delay_s", 1},
         {"reconnect_delay_max_s", 2}};
  c.update(extra);
  return c;
}

SinkPtr make(const json& cfg) {
  SinkOrError s = make_mqtt_sink(cfg);
  EXPECT_EQ(s.error, "");
  return std::move(s.sink);
}

// Hands a telegram to the sink as the read loop does: its meter attributed first.
void deliver(Sink& sink, MeterAttribution& meters, const cosem::Telegram& t, Received rc) {
  meters.attribute(t, rc);
  sink.telegram(t, rc);
}

// The meter of a run: list 1 telegrams carry no id and belong to the meter that list 2 names.
std::string named_meter(const std::vector<cosem::Telegram>& tgs) {
  for (const cosem::Telegram& t : tgs)
    if (!t.meter_id.empty()) return mqtt::topic_level(meter_key(t));
  return "meter";
}

// The per-reading messages a telegram must give: topic -> payload (null readings give none).
std::map<std::string, std::string> expected_readings(const cosem::Telegram& t,
                                                     mqtt::ReadingKeys& keys) {
  mqtt::Config c;
  c.base_topic = "test";
  const std::string meter = named_meter(kaifa());
  std::map<std::string, std::string> out;
  for (const cosem::Reading& r : t.readings) {
    const std::string key = keys.key(r).first;
    if (auto p = mqtt::reading_payload(t, r)) out[mqtt::reading_topic(c, meter, key)] = *p;
  }
  return out;
}

template <class Pred>
bool wait_stats(const Sink& s, Pred pred, milliseconds limit = kWait) {
  const auto end = SteadyClock::now() + limit;
  while (SteadyClock::now() < end) {
    if (pred(s.stats())) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return pred(s.stats());
}

std::size_t count_prefix(const std::vector<Msg>& msgs, const std::string& prefix) {
  std::size_t n = 0;
  for (const Msg& m : msgs) n += m.topic.starts_with(prefix) ? 1u : 0u;
  return n;
}

// ---- without a broker ---------------------------------------------------------------------

TEST(MqttConfig, RefusesBadObjectsNamingThePath) {
  auto err = [](json j) { return mqtt::parse_config(j, nullptr).error; };
  EXPECT_EQ(err({{"hots", "x"}}).substr(0, 32), "outputs.mqtt.hots: expected one ");
  EXPECT_TRUE(err({{"hots", "x"}}).ends_with(" reconnect_delay_max_s, got an unknown key"));
  EXPECT_EQ(err({{"port", 0}}), "outputs.mqtt.port: expected an integer 1-65535, got 0");
  EXPECT_EQ(err({{"port", "1883"}}),
            "outputs.mqtt.port: expected an integer 1-65535, got \"1883\"");
  EXPECT_EQ(err({{"qos", 3}}), "outputs.mqtt.qos: expected an integer 0-2, got 3");
  EXPECT_EQ(err({{"base_topic", "a/#"}}),
            "outputs.mqtt.base_topic: expected a topic without '+' or '#', got \"a/#\"");
  EXPECT_EQ(err({{"tls", {{"cert_file", "c.pem"}}}}),
            "outputs.mqtt.tls.key_file: expected a key file with cert_file (both or neither)");
  EXPECT_EQ(
      err({{"tls", {{"cafile", "x"}}}}),
      "outputs.mqtt.tls.cafile: expected one of ca_file, cert_file, key_file, insecure, got an "
      "unknown key");
  const std::string secret = "hunter2-secret";
  const std::string e = err({{"password", secret}});
  EXPECT_EQ(e, "outputs.mqtt.username: expected a user name with a password");
  EXPECT_EQ(e.find(secret), std::string::npos);
}

TEST(MqttConfig, DefaultsEnvironmentPasswordAndTlsPort) {
  auto c = mqtt::parse_config(json::object(), "from-env");
  ASSERT_TRUE(c.config) << c.error;
  EXPECT_EQ(c.config->host, "127.0.0.1");
  EXPECT_EQ(c.config->port, 1883);
  EXPECT_EQ(c.config->password, "");  // no user name: the variable does not apply
  c = mqtt::parse_config({{"username", "u"}, {"base_topic", "home/meter/"}}, "from-env");
  ASSERT_TRUE(c.config) << c.error;
  EXPECT_EQ(c.config->password, "from-env");
  EXPECT_EQ(c.config->base_topic, "home/meter");
  c = mqtt::parse_config({{"username", "u"}, {"password", "file"}}, "from-env");
  EXPECT_EQ(c.config->password, "file");  // the file wins over the environment
  c = mqtt::parse_config({{"tls", {{"ca_file", "/x/ca.pem"}}}}, nullptr);
  EXPECT_EQ(c.config->port, 8883);
}

TEST(MqttTopics, KeysAreNamesThenObisAndStable) {
  mqtt::ReadingKeys keys;
  cosem::Reading a;
  a.obis = *cosem::ObisCode::parse("1-0:1.7.0.255");
  a.name = "active_power_import";
  cosem::Reading b = a;
  b.obis = *cosem::ObisCode::parse("1-1:1.7.0.255");
  cosem::Reading c;
  c.obis = *cosem::ObisCode::parse("1-0:96.50.1.255");
  EXPECT_EQ(keys.key(a), std::make_pair(std::string("active_power_import"), true));
  EXPECT_EQ(keys.key(b), std::make_pair(std::string("active_power_import_1-1_1_7_0_255"), true));
  EXPECT_EQ(keys.key(c), std::make_pair(std::string("1-0_96_50_1_255"), true));
  EXPECT_EQ(keys.key(a), std::make_pair(std::string("active_power_import"), false));
  EXPECT_EQ(mqtt::topic_level("a/b+c#d\n"), "a_b_c_d_");
  EXPECT_EQ(mqtt::ha_id("1-0:1.8.0"), "1-0_1_8_0");
}

// Issue 16: a reading no layout names is keyed by its position, and no device class is guessed.
TEST(MqttTopics, UnnamedReadingsAreKeyedByPosition) {
  mqtt::ReadingKeys keys;
  cosem::Reading r;
  r.kind = cosem::ValueKind::integer;
  r.position = {2, 1, 0, 0, 0, 0};
  EXPECT_EQ(reading_code(r), "position-2.1");
  EXPECT_EQ(keys.key(r), std::make_pair(std::string("position-2_1"), true));
  EXPECT_EQ(keys.key(r), std::make_pair(std::string("position-2_1"), false));
  EXPECT_EQ(mqtt::ha_class(r).device_class, "");
}

TEST(MqttTopics, DeviceKeepsTheNameOfItsFirstDiscovery) {
  mqtt::DeviceInfo dev;
  cosem::Telegram first;
  dev.merge(first);
  cosem::Telegram later;
  later.list_id = later.store("KFM_001");
  later.meter_type = later.store("MA304H3E");
  dev.merge(later);
  EXPECT_EQ(dev.name, "Meter");
  EXPECT_EQ(dev.model, "MA304H3E");
}

TEST(MqttTopics, HomeAssistantClassesByUnit) {
  auto cls = [](const char* obis, const char* name, const char* unit) {
    cosem::Reading r;
    r.obis = *cosem::ObisCode::parse(obis);
    r.name = name;
    r.unit = unit;
    r.kind = cosem::ValueKind::integer;
    const mqtt::HaClass c = mqtt::ha_class(r);
    return std::string(c.device_class) + "/" + std::string(c.state_class);
  };
  EXPECT_EQ(cls("1-0:1.8.0.255", "active_energy_import", "Wh"), "energy/total_increasing");
  EXPECT_EQ(cls("1-0:3.8.0.255", "reactive_energy_import", "varh"),
            "reactive_energy/total_increasing");
  EXPECT_EQ(cls("1-0:1.7.0.255", "active_power_import", "W"), "power/measurement");
  EXPECT_EQ(cls("1-0:3.7.0.255", "reactive_power_import", "var"), "reactive_power/measurement");
  EXPECT_EQ(cls("1-0:32.7.0.255", "voltage_l1", "V"), "voltage/measurement");
  EXPECT_EQ(cls("1-0:31.7.0.255", "current_l1", "A"), "current/measurement");
  EXPECT_EQ(cls("1-0:14.7.0.255", "frequency", "Hz"), "frequency/measurement");
  EXPECT_EQ(cls("1-0:13.7.0.255", "power_factor", ""), "power_factor/measurement");
  cosem::Reading text;
  text.kind = cosem::ValueKind::text;
  EXPECT_EQ(mqtt::ha_class(text).state_class, "");
}

// Issue 17: a P1 telegram's readings by its OBIS codes: energy per tariff, powers, the M-Bus
// channel's register by the channel's own device type, health counters as diagnostics.
std::string p1_class(const cosem::Telegram& t, const char* obis) {
  const cosem::Reading* r = test::find_reading(t, obis);
  if (r == nullptr) return "missing";
  const mqtt::HaClass c = mqtt::ha_class(*r, mqtt::channel_medium(t, *r));
  return std::string(c.device_class) + "/" + std::string(c.state_class) +
         (c.diagnostic ? "/diagnostic" : "");
}

TEST(MqttTopics, HomeAssistantClassesOfP1) {
  const cosem::Telegram t = test::p1_telegram(test::p1_text("003"));
  for (const char* e : {"1-0:1.8.1.255", "1-0:1.8.2.255", "1-0:2.8.1.255", "1-0:2.8.2.255"})
    EXPECT_EQ(p1_class(t, e), "energy/total_increasing") << e;
  EXPECT_EQ(p1_class(t, "1-0:1.7.0.255"), "power/measurement");
  EXPECT_EQ(p1_class(t, "1-0:2.7.0.255"), "power/measurement");
  EXPECT_EQ(p1_class(t, "1-0:32.7.0.255"), "voltage/measurement");
  EXPECT_EQ(p1_class(t, "1-0:31.7.0.255"), "current/measurement");
  EXPECT_EQ(p1_class(t, "0-1:24.2.1.255"), "gas/total_increasing");
  EXPECT_EQ(p1_class(t, "0-0:96.7.21.255"), "/total_increasing/diagnostic");
  EXPECT_EQ(p1_class(t, "0-0:96.7.9.255"), "/total_increasing/diagnostic");
  EXPECT_EQ(p1_class(t, "1-0:32.32.0.255"), "/total_increasing/diagnostic");
  EXPECT_EQ(p1_class(t, "0-0:96.13.0.255"), "//diagnostic");  // a text message: no number
  EXPECT_EQ(p1_class(t, "0-1:24.1.0.255"), "//diagnostic");
  EXPECT_EQ(p1_class(t, "0-0:96.14.0.255"), "//diagnostic");
  const cosem::Telegram water = test::p1_telegram(test::p1_text("007"));
  EXPECT_EQ(p1_class(water, "0-1:24.2.1.255"), "water/total_increasing");
  // Heat (004) in m3 is no gas: the unit alone never decides.
  const cosem::Telegram heat = test::p1_telegram(test::p1_text("004"));
  EXPECT_EQ(p1_class(heat, "0-1:24.2.1.255"), "/total_increasing");
}

TEST(MqttTopics, DiscoveryOfP1GasAndText) {
  const cosem::Telegram t = test::p1_telegram(test::p1_text("003"));
  mqtt::DeviceInfo dev;
  dev.merge(t);
  EXPECT_EQ(dev.name, "Iskraemeco ISk5\\2MT382-1000");
  const cosem::Reading* gas = test::find_reading(t, "0-1:24.2.1.255");
  ASSERT_NE(gas, nullptr);
  const json g = json::parse(mqtt::discovery_payload({}, dev, "K8EG", t, *gas, "gas"));
  EXPECT_EQ(g.at("device_class"), "gas");
  EXPECT_EQ(g.at("state_class"), "total_increasing");
  EXPECT_EQ(g.at("unit_of_measurement"), "m\u00b3");  // Home Assistant refuses "m3" for gas
  EXPECT_FALSE(g.contains("entity_category"));
  EXPECT_EQ(g.at("device").at("manufacturer"), "Iskraemeco");
  const cosem::Reading* text = test::find_reading(t, "0-0:96.13.0.255");
  ASSERT_NE(text, nullptr);
  const json m = json::parse(mqtt::discovery_payload({}, dev, "K8EG", t, *text, "message"));
  EXPECT_FALSE(m.contains("state_class"));
  EXPECT_FALSE(m.contains("unit_of_measurement"));
  EXPECT_EQ(m.at("entity_category"), "diagnostic");
  const cosem::Reading* fails = test::find_reading(t, "0-0:96.7.21.255");
  ASSERT_NE(fails, nullptr);
  const json f = json::parse(mqtt::discovery_payload({}, dev, "K8EG", t, *fails, "failures"));
  EXPECT_EQ(f.at("entity_category"), "diagnostic");
  EXPECT_EQ(f.at("state_class"), "total_increasing");
}

TEST(MqttSinkConfig, TlsFilesMustBeReadable) {
  SinkOrError s = make_mqtt_sink({{"tls", {{"ca_file", "/nonexistent/ca.pem"}}}});
  EXPECT_EQ(s.sink, nullptr);
  EXPECT_TRUE(s.error.starts_with("outputs.mqtt.tls: ")) << s.error;
}

// ---- with a broker ------------------------------------------------------------------------

class MqttBroker : public ::testing::TestWithParam<int> {};

using Payloads = std::map<std::string, std::vector<std::string>>;  // topic -> payloads in order

// What a run of telegrams must publish: the per-reading payloads and the number of messages
// (a state and its readings per telegram).
struct Expected {
  Payloads readings;
  std::uint64_t messages = 0;
};

Expected expected_of(const std::vector<cosem::Telegram>& tgs) {
  Expected e;
  mqtt::ReadingKeys keys;
  for (const cosem::Telegram& t : tgs) {
    const auto readings = expected_readings(t, keys);
    for (const auto& [topic, payload] : readings) e.readings[topic].push_back(payload);
    e.messages += 1 + readings.size();
  }
  return e;
}

// The state document of the last telegram says what its readings say.
void check_last_state(const Payloads& got, const Payloads& want, const std::string& meter,
                      const cosem::Telegram& last) {
  const json doc = json::parse(got.at("test/" + meter + "/state").back());
  EXPECT_EQ(doc.at("meter"), meter);
  EXPECT_EQ(doc.at("security"), "plain");
  EXPECT_EQ(doc.at("readings").size(), last.readings.size());
  for (const auto& [topic, payloads] : want) {
    const std::string key = topic.substr(("test/" + meter + "/").size());
    if (!doc.at("readings").contains(key)) continue;  // an earlier list's reading
    const json& v = doc.at("readings").at(key).at("value");
    if (v.is_number()) {
      EXPECT_DOUBLE_EQ(v.get<double>(), std::stod(payloads.back())) << key;
    }
  }
}

// The retained store a late subscriber gets: the last values, the state, "offline" and one
// discovery config per reading.
void check_retained(const Subscriber& late, const Payloads& want, const std::string& meter) {
  for (const auto& [topic, payloads] : want) {
    const Msg m = late.last(topic);
    EXPECT_TRUE(m.retain) << topic;
    EXPECT_EQ(m.payload, payloads.back()) << topic;
  }
  EXPECT_TRUE(late.last("test/" + meter + "/state").retain);
  EXPECT_EQ(late.last("test/" + meter + "/status").payload, "offline");
  EXPECT_EQ(count_prefix(late.messages(), "homeassistant/sensor/meterlab_" + meter + "/"),
            want.size());
}

void check_discovery(const Subscriber& late, const std::string& meter) {
  const std::string prefix = "homeassistant/sensor/meterlab_" + meter + "/";
  const json power = json::parse(late.last(prefix + "active_power_import/config").payload);
  EXPECT_EQ(power.at("device_class"), "power");
  EXPECT_EQ(power.at("state_class"), "measurement");
  EXPECT_EQ(power.at("unit_of_measurement"), "W");
  EXPECT_EQ(power.at("state_topic"), "test/" + meter + "/active_power_import");
  EXPECT_EQ(power.at("availability_topic"), "test/" + meter + "/status");
  EXPECT_EQ(power.at("unique_id"), "meterlab_" + meter + "_active_power_import");
  EXPECT_EQ(power.at("device").at("identifiers"), json::array({"meterlab_" + meter}));
  EXPECT_EQ(power.at("device").at("manufacturer"), "Kaifa");
  const json energy = json::parse(late.last(prefix + "active_energy_import/config").payload);
  EXPECT_EQ(energy.at("device_class"), "energy");
  EXPECT_EQ(energy.at("state_class"), "total_increasing");
  EXPECT_EQ(energy.at("unit_of_measurement"), "Wh");
}

// Every topic's last message, not only the states: a telegram's readings follow its state.
bool all_arrived(const std::vector<Msg>& m, const Payloads& want, const std::string& state,
                 std::size_t states) {
  std::map<std::string, std::size_t> n;
  for (const Msg& x : m) ++n[x.topic];
  for (const auto& [topic, payloads] : want) {
    if (n[topic] < payloads.size()) return false;
  }
  return count_prefix(m, state) == states;
}

// Every telegram: the state document, one topic per reading with the telegram's value, in
// order; discovery configs once per reading; afterwards the retained store holds the last
// values, the configs and "offline"; the counters add up exactly.
TEST_P(MqttBroker, PublishesStateReadingsAndDiscovery) {
  Broker broker;
  ASSERT_TRUE(broker.start()) << broker.error();
  Subscriber live(broker.port(), "test/#");
  ASSERT_TRUE(live.ready());
  const auto& tgs = kaifa();
  ASSERT_GE(tgs.size(), 30u);
  SinkPtr sink = make(config(broker.port(), {{"qos", GetParam()}, {"client_id", "mqtt-test"}}));
  ASSERT_NE(sink, nullptr);
  MeterAttribution meters;
  for (const cosem::Telegram& t : tgs) deliver(*sink, meters, t, kRx);
  const Expected want = expected_of(tgs);
  const std::string meter = named_meter(tgs);
  ASSERT_NE(meter, "meter");
  const std::string state = "test/" + meter + "/state";
  ASSERT_TRUE(live.wait_for(
      [&](const std::vector<Msg>& m) { return all_arrived(m, want.readings, state, tgs.size()); },
      kWait))
      << count_prefix(live.messages(), state) << " of " << tgs.size() << " states; delivered "
      << sink->stats().delivered << ", last error: " << sink->stats().last_error;
  sink->close(seconds(5));

  Payloads got;
  for (const Msg& m : live.messages()) got[m.topic].push_back(m.payload);
  for (const auto& [topic, payloads] : want.readings) EXPECT_EQ(got[topic], payloads) << topic;
  check_last_state(got, want.readings, meter, tgs.back());

  // A subscriber that comes afterwards gets the retained store.
  Subscriber late(broker.port(), "#");
  ASSERT_TRUE(late.ready());
  const std::size_t configs = want.readings.size();  // every reading here has a value
  ASSERT_TRUE(late.wait_for([&](auto& m) { return m.size() >= 2 * configs + 2; }, kWait));
  check_retained(late, want.readings, meter);
  check_discovery(late, meter);

  const SinkStats st = sink->stats();
  EXPECT_EQ(st.telegrams, tgs.size());
  EXPECT_EQ(st.failed, 0u);
  EXPECT_EQ(st.queued, 0u);
  EXPECT_EQ(st.reconnects, 0u);
  // status online + configs + (state + readings) per telegram + status offline
  EXPECT_EQ(st.delivered, 1 + configs + want.messages + 1);
}

// A code a telegram repeats (the Belgian monthly maxima repeat the current peak's 1-0:1.6.0,
// each with its own time) is history: its topic and state carry the first, the current value.
TEST(MqttP1, RepeatedCodesPublishTheCurrentValue) {
  Broker broker;
  ASSERT_TRUE(broker.start()) << broker.error();
  Subscriber live(broker.port(), "test/#");
  ASSERT_TRUE(live.ready());
  SinkPtr sink = make(config(broker.port(), {{"client_id", "mqtt-p1"}}));
  ASSERT_NE(sink, nullptr);
  const cosem::Telegram t =
      test::p1_telegram(test::p1_text("003", "170102161005W", test::kP1PeakLines));
  std::size_t peaks = 0;
  for (const cosem::Reading& r : t.readings) peaks += r.obis.to_string() == "1-0:1.6.0.255";
  ASSERT_EQ(peaks, 3u);  // the current month's and two months of the buffer
  MeterAttribution meters;
  for (int i = 0; i < 2; ++i) deliver(*sink, meters, t, kRx);
  const std::string state = "test/K8EG004046395507/state";
  ASSERT_TRUE(live.wait_for([&](auto& m) { return count_prefix(m, state) == 2; }, kWait));
  sink->close(seconds(5));
  Payloads got;
  for (const Msg& m : live.messages()) got[m.topic].push_back(m.payload);
  EXPECT_EQ(got["test/K8EG004046395507/active_demand_import_max"],
            (std::vector<std::string>{"2589", "2589"}));
  const json doc = json::parse(got.at(state).back());
  EXPECT_EQ(doc.at("readings").at("active_demand_import_max").at("value"), 2589);
  EXPECT_EQ(doc.at("readings").at("mbus1_volume").at("value"), 0.107);
  EXPECT_EQ(doc.at("readings").at("mbus1_volume").at("captured"), "2017-01-02T16:10:05+01:00");
  EXPECT_EQ(doc.at("time"), "2017-01-02T18:20:02.000Z");  // the telegram's 19:20:02 W
}

INSTANTIATE_TEST_SUITE_P(Qos, MqttBroker, ::testing::Values(0, 1),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return "qos" + std::to_string(p.param);
                         });

// The broker dies (SIGKILL) and comes back on the same port: telegrams meanwhile wait in the
// queue, the sink reconnects by itself, says "online" again, republishes the discovery configs
// (the new broker has no retained store) and delivers what waited and what comes after.
TEST(MqttReconnect, BrokerRestartOnSamePort) {
  Broker broker;
  ASSERT_TRUE(broker.start()) << broker.error();
  const auto& tgs = kaifa();
  MeterAttribution meters;  // as the read loop does
  const std::string meter = named_meter(tgs);
  const std::string state = "test/" + meter + "/state";
  SinkPtr sink = make(config(broker.port()));
  for (std::size_t i = 0; i < 10; ++i) deliver(*sink, meters, tgs[i], rx(i));
  ASSERT_TRUE(
      wait_stats(*sink, [](const SinkStats& s) { return s.delivered > 0 && s.queued == 0; }));

  broker.kill();
  ASSERT_TRUE(wait_stats(*sink, [](const SinkStats& s) { return !s.last_error.empty(); }));
  for (std::size_t i = 10; i < 20; ++i) deliver(*sink, meters, tgs[i], rx(i));
  EXPECT_GT(sink->stats().queued, 0u);
  EXPECT_EQ(sink->stats().reconnects, 0u);

  ASSERT_TRUE(broker.start()) << broker.error();
  ASSERT_TRUE(wait_stats(*sink, [](const SinkStats& s) {
    return s.reconnects == 1 && s.queued == 0;
  })) << sink->stats().last_error;
  Subscriber live(broker.port(), "#");
  ASSERT_TRUE(live.ready());
  // On the new broker (it kept nothing): the last state queued while it was away, "online" and
  // the discovery configs, all republished by the sink.
  // Whole documents: two telegrams may carry the same values, never the same time (rx(i)).
  auto readings_of = [&](std::size_t i) {
    const cosem::Telegram& t = tgs[i];
    mqtt::ReadingKeys keys;
    std::vector<std::string> k;
    for (const auto& r : t.readings) k.push_back(keys.key(r).first);
    return json::parse(mqtt::state_payload(t, rx(i), meter, k));
  };
  auto last_state_is = [&](std::size_t i) {
    return [&, want = readings_of(i)](const std::vector<Msg>& msgs) {
      for (auto it = msgs.rbegin(); it != msgs.rend(); ++it)
        if (it->topic == state) return json::parse(it->payload) == want;
      return false;
    };
  };
  EXPECT_TRUE(live.wait_for(last_state_is(19), kWait));
  const std::string configs = "homeassistant/sensor/meterlab_" + meter + "/";
  EXPECT_TRUE(live.wait_for([&](auto& m) { return count_prefix(m, configs) > 0; }, kWait));
  EXPECT_EQ(live.last("test/" + meter + "/status").payload, "online");

  // After the reconnect, new telegrams arrive live.
  for (std::size_t i = 20; i < 25; ++i) deliver(*sink, meters, tgs[i], rx(i));
  ASSERT_TRUE(live.wait_for(last_state_is(24), kWait));
  std::vector<json> states;
  for (const Msg& m : live.messages())
    if (m.topic == state) states.push_back(json::parse(m.payload));
  ASSERT_GE(states.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(states[states.size() - 5 + i], readings_of(20 + i));
  sink->close(seconds(5));
  EXPECT_EQ(sink->stats().reconnects, 1u);
  EXPECT_EQ(sink->stats().queued, 0u);
}

// Nothing listens: telegram() returns at once every time, the queue keeps its bound, what did
// not fit is counted as failed, and close() gives up within its limit.
TEST(MqttDeadBroker, NeverBlocksAndCountsDrops) {
  const int port = test::free_port();
  const auto& tgs = kaifa();
  MeterAttribution meters;  // as the read loop does
  SinkPtr sink = make(config(port, {{"queue_size", 100}}));
  std::uint64_t messages = 0;
  const auto start = SteadyClock::now();
  for (int round = 0; round < 20; ++round) {
    for (const cosem::Telegram& t : tgs) {
      deliver(*sink, meters, t, kRx);
      messages += 1 + t.readings.size();
      sink->tick(SteadyClock::now());
    }
  }
  const auto elapsed = SteadyClock::now() - start;
  EXPECT_LT(elapsed, seconds(5)) << "telegram() waited for a broker that is not there";
  SinkStats st = sink->stats();
  EXPECT_EQ(st.telegrams, 20 * tgs.size());
  EXPECT_EQ(st.queued, 100u);
  EXPECT_EQ(st.failed, messages - 100);
  EXPECT_EQ(st.delivered, 0u);
  EXPECT_NE(st.last_error, "");
  const auto close_start = SteadyClock::now();
  sink->close(milliseconds(300));
  EXPECT_LT(SteadyClock::now() - close_start, seconds(5));
  st = sink->stats();
  EXPECT_EQ(st.queued, 0u);
  EXPECT_EQ(st.failed, messages);
}

// A broker that wants a user name and password: the right one (from METERLAB_MQTT_PASSWORD)
// delivers; a wrong one is refused, said in last_error, and the password appears nowhere.
TEST(MqttAuth, UserPasswordAcceptedWrongOneReported) {
  test::TempDir tmp;
  const std::string pwfile = tmp.file("passwords");
  ASSERT_EQ(test::run_command("mosquitto_passwd -c -b " + pwfile + " meter s3cret-Right"), "");
  Broker broker("password_file " + pwfile, false);
  ASSERT_TRUE(broker.start()) << broker.error();
  const auto& tgs = kaifa();
  MeterAttribution meters;  // as the read loop does

  setenv("METERLAB_MQTT_PASSWORD", "s3cret-Right", 1);
  SinkPtr good = make(config(broker.port(), {{"username", "meter"}}));
  unsetenv("METERLAB_MQTT_PASSWORD");
  deliver(*good, meters, tgs[0], kRx);
  EXPECT_TRUE(wait_stats(*good, [](const SinkStats& s) {
    return s.delivered > 0 && s.queued == 0;
  })) << good->stats().last_error;
  good->close(seconds(2));

  const std::string wrong = "Wr0ng-Passw0rd";
  SinkPtr bad = make(config(broker.port(), {{"username", "meter"}, {"password", wrong}}));
  deliver(*bad, meters, tgs[0], kRx);
  ASSERT_TRUE(wait_stats(*bad, [](const SinkStats& s) {
    return s.last_error.find("refused") != std::string::npos;
  })) << bad->stats().last_error;
  const SinkStats st = bad->stats();
  EXPECT_NE(st.last_error.find("not authorised"), std::string::npos) << st.last_error;
  EXPECT_EQ(st.last_error.find(wrong), std::string::npos);
  EXPECT_EQ(st.delivered, 0u);
  bad->close(milliseconds(200));
}

// TLS with a CA made here by openssl: the sink verifies the broker's certificate (its SAN is
// 127.0.0.1) and delivers; with another CA the handshake fails and nothing is delivered.
TEST(MqttTls, VerifiedBrokerCertificate) {
  test::TempDir tmp;
  const std::string d = tmp.path();
  const std::string ssl =
      "cd " + d +
      " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca "
      "-keyout ca.key -out ca.pem && "
      "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr "
      "&& "
      "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "-extfile san.ext -out server.pem && "
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca "
      "-keyout other.key -out other.pem";
  ASSERT_EQ(test::run_command(ssl), "");
  Broker broker("cafile " + d + "/ca.pem\ncertfile " + d + "/server.pem\nkeyfile " + d +
                "/server.key");
  ASSERT_TRUE(broker.start()) << broker.error();
  const auto& tgs = kaifa();
  MeterAttribution meters;  // as the read loop does

  SinkPtr good = make(config(broker.port(), {{"tls", {{"ca_file", d + "/ca.pem"}}}}));
  ASSERT_NE(good, nullptr);
  Subscriber live(broker.port(), "test/#", {"", "", d + "/ca.pem"});
  ASSERT_TRUE(live.ready());
  deliver(*good, meters, tgs[0], kRx);
  EXPECT_TRUE(live.wait_for([](auto& m) { return !m.empty(); }, kWait));
  good->close(seconds(2));
  EXPECT_GT(good->stats().delivered, 0u);

  SinkPtr bad = make(config(broker.port(), {{"tls", {{"ca_file", d + "/other.pem"}}}}));
  deliver(*bad, meters, tgs[0], kRx);
  EXPECT_TRUE(wait_stats(*bad, [](const SinkStats& s) { return !s.last_error.empty(); }))
      << "a certificate from an unknown CA must be refused";
  EXPECT_EQ(bad->stats().delivered, 0u);
  bad->close(milliseconds(200));
}

}  // namespace
}  // namespace meterlab::reader
