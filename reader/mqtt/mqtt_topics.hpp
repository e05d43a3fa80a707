// What the MQTT output publishes, as pure functions of the configuration and the telegram: topic
// names, the state document, per-reading payloads and the Home Assistant discovery configs. The
// sink (mqtt_sink.cpp) only moves these messages to the broker; the tests check them here first.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/reader/sink.hpp"

namespace meterlab::reader::mqtt {

struct TlsConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure = false;  // skip the host name check (self-signed broker certificates)
  bool enabled() const noexcept { return !ca_file.empty(); }
};

struct Config {
  std::string host = "127.0.0.1";
  int port = 1883;        // 8883 when TLS is on and no port is given
  std::string client_id;  // empty: "meterlab-<host name>-<pid>"
  std::string username;
  std::string password;  // never printed; also METERLAB_MQTT_PASSWORD
  TlsConfig tls;
  std::string base_topic = "meterlab";
  bool retain = true;
  int qos = 0;
  bool discovery = true;
  std::string discovery_prefix = "homeassistant";
  std::size_t queue_size = 10000;  // messages held while the broker is away
  unsigned reconnect_delay_s = 1;  // first retry; doubles-ish (libmosquitto: delay x n^2)
  unsigned reconnect_delay_max_s = 60;
  int keepalive_s = 60;
};

// Checks outputs.mqtt (unknown keys, types, ranges) into a Config, or the error naming the JSON
// path. `env_password` is METERLAB_MQTT_PASSWORD (used when the file gives no password).
struct ConfigOrError {
  std::optional<Config> config;
  std::string error;
};
ConfigOrError parse_config(const nlohmann::json& cfg, const char* env_password);

struct Message {
  std::string topic;
  std::string payload;
  bool retain = false;
};

// A topic level made safe: '/', '+', '#', NUL and control characters become '_'.
std::string topic_level(std::string_view s);
// An id Home Assistant accepts (node_id, object_id): [A-Za-z0-9_-], others become '_'.
std::string ha_id(std::string_view s);

// One reading's place under the meter: its name, or the OBIS code when it has none; a second
// reading with a name already taken (another channel or billing period) gets the OBIS appended.
// Keys are kept per meter for the life of the sink, so a reading keeps its topic.
class ReadingKeys {
 public:
  // The key and whether it is new (first seen).
  std::pair<std::string, bool> key(const cosem::Reading& r);

 private:
  std::map<std::string, std::string> by_obis_;
  std::map<std::string, std::string> by_key_;  // key -> OBIS that owns it
};

// What an M-Bus channel's register measures, by the channel's device type (0-n:24.1.0) in the
// same telegram; never guessed from the unit.
enum class Medium : std::uint8_t { unknown, gas, water };
// The medium of a reading of an M-Bus channel (0-n:24.x.x); unknown for any other reading.
Medium channel_medium(const cosem::Telegram& t, const cosem::Reading& r);

// Home Assistant's view of a reading: device_class, state_class and unit, by OBIS and unit (one
// table, kHaRules in mqtt_topics.cpp).
struct HaClass {
  std::string_view device_class = {};  // empty: none
  std::string_view state_class = {};   // empty: none (text, dates, states)
  bool diagnostic = false;             // entity_category diagnostic
  std::string_view unit = {};          // the unit as Home Assistant spells it, if not as sent
};
HaClass ha_class(const cosem::Reading& r, Medium medium = Medium::unknown);

// The manufacturer by the system title's FLAG id or the Nordic list id; empty when unknown.
std::string manufacturer(const cosem::Telegram& t);

// Topics of one meter (`meter` is already a safe topic level).
std::string status_topic(const Config& c, std::string_view meter);
std::string state_topic(const Config& c, std::string_view meter);
std::string reading_topic(const Config& c, std::string_view meter, std::string_view key);
std::string discovery_topic(const Config& c, std::string_view meter, std::string_view key);

// The payload of a per-reading topic (the value as in the JSON output; text as sent). None for
// a null reading: an empty retained payload would delete the topic's retained value.
std::optional<std::string> reading_payload(const cosem::Telegram& t, const cosem::Reading& r);

// The JSON state document: {"time", "meter", "meter_id", "meter_type", "list", "security",
// "readings": {key: {"value", "unit", "obis"[, "captured"]}}}. `keys` are the readings' keys in
// order; a reading with an empty key (repeats_code()) is left out.
std::string state_payload(const cosem::Telegram& t, const Received& rc, std::string_view meter,
                          const std::vector<std::string>& keys);

// What a meter's telegrams say about the device (list 1 of the Nordic meters says nothing, list
// 2 the id and type): kept per meter, each field from the first telegram that has it.
struct DeviceInfo {
  std::string manufacturer;
  std::string model;
  std::string serial;
  // "<maker> <model>", or "Meter": fixed by the first merge, so that the Home Assistant device
  // keeps the name of its first discovery (a later, fuller telegram does not rename it).
  std::string name;
  void merge(const cosem::Telegram& t);
};

// The discovery config of one reading (retained on <prefix>/sensor/<node>/<object>/config).
std::string discovery_payload(const Config& c, const DeviceInfo& dev, std::string_view meter,
                              const cosem::Telegram& t, const cosem::Reading& r,
                              std::string_view key);

// UTC time as "2026-01-05T00:00:00.000Z".
std::string iso_utc(WallClock::time_point tp);

}  // namespace meterlab::reader::mqtt
