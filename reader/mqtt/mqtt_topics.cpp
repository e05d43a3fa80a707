// Topics, payloads and Home Assistant discovery configs of the MQTT output.
#include "mqtt_topics.hpp"

#include <array>
#include <ctime>

#include "meterlab/core/hex.hpp"

namespace meterlab::reader::mqtt {
namespace {

using nlohmann::json;

bool is_one_of(std::string_view s, std::initializer_list<std::string_view> set) {
  for (std::string_view x : set) {
    if (s == x) return true;
  }
  return false;
}

// "active_power_import_l1" -> "Active power import l1" (the entity name Home Assistant shows).
std::string display_name(std::string_view key) {
  std::string out(key);
  for (char& ch : out) {
    if (ch == '_') ch = ' ';
  }
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

// The value for the state document: a number where the reading is one (integers exact), the
// text otherwise, null for null-data.
json state_value(const cosem::Telegram& t, const cosem::Reading& r) {
  if (r.kind == cosem::ValueKind::none) return nullptr;
  if (r.kind == cosem::ValueKind::integer && r.scaler == 0) {
    if (r.raw_unsigned) return static_cast<std::uint64_t>(r.raw);
    return r.raw;
  }
  if (r.kind == cosem::ValueKind::boolean) return r.raw != 0;
  if (auto n = number(r)) return *n;
  return value_text(t, r);
}

json text_or_null(const cosem::Telegram& t, cosem::TextRef ref) {
  if (ref.empty()) return nullptr;
  return std::string(t.text(ref));
}

json device(const DeviceInfo& dev, std::string_view meter) {
  json d{{"identifiers", json::array({"meterlab_" + ha_id(meter)})}};
  d["name"] = (dev.name.empty() ? std::string("Meter") : dev.name) + " " + std::string(meter);
  if (!dev.manufacturer.empty()) d["manufacturer"] = dev.manufacturer;
  if (!dev.model.empty()) d["model"] = dev.model;
  if (!dev.serial.empty()) d["serial_number"] = dev.serial;
  return d;
}

}  // namespace

std::string topic_level(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    out += (ch == '/' || ch == '+' || ch == '#' || u < 0x20 || u == 0x7F) ? '_' : ch;
  }
  return out.empty() ? "_" : out;
}

std::string ha_id(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    out += ok ? ch : '_';
  }
  return out;
}

std::pair<std::string, bool> ReadingKeys::key(const cosem::Reading& r) {
  std::string obis = reading_code(r);
  if (auto it = by_obis_.find(obis); it != by_obis_.end()) return {it->second, false};
  std::string k = r.name.empty() ? ha_id(obis) : std::string(r.name);
  // Names leave out the channel (B) and billing period (F): a second OBIS with the same name
  // would overwrite the first one's topic, so it is told apart by its whole code.
  if (by_key_.count(k) != 0) k += "_" + ha_id(obis);
  by_key_.emplace(k, obis);
  by_obis_.emplace(std::move(obis), k);
  return {k, true};
}

// Device and state classes as Home Assistant's sensor documentation lists them for the unit
// (energy: Wh/kWh; reactive_energy: varh/kvarh; power: W; reactive_power: var; apparent_power:
// VA; voltage: V; current: A; frequency: Hz; power_factor: no unit). Registers (OBIS D = 8,
// "time integral") only grow: total_increasing.
HaClass ha_class(const cosem::Reading& r) {
  if (!number(r) || r.kind == cosem::ValueKind::boolean) return {};
  const std::string_view u = r.unit;
  const bool reg = r.obis.v[3] == 8;
  if (is_one_of(u, {"Wh", "kWh", "MWh"}))
    return {"energy", reg ? "total_increasing" : "measurement"};
  if (is_one_of(u, {"varh", "kvarh"}))
    return {"reactive_energy", reg ? "total_increasing" : "measurement"};
  if (is_one_of(u, {"VAh", "kVAh"})) return {"", reg ? "total_increasing" : "measurement"};
  if (is_one_of(u, {"W", "kW"})) return {"power", "measurement"};
  if (is_one_of(u, {"var", "kvar"})) return {"reactive_power", "measurement"};
  if (is_one_of(u, {"VA", "kVA"})) return {"apparent_power", "measurement"};
  if (u == "V") return {"voltage", "measurement"};
  if (u == "A") return {"current", "measurement"};
  if (u == "Hz") return {"frequency", "measurement"};
  if (u.empty() && r.name.starts_with("power_factor")) return {"power_factor", "measurement"};
  return {"", "measurement"};
}

std::string manufacturer(const cosem::Telegram& t) {
  // DLMS system title: the first three bytes are the maker's FLAG id (DLMS UA list).
  if (t.system_title) {
    const std::string flag(reinterpret_cast<const char*>(t.system_title->data()), 3);
    if (flag == "KFM") return "Kaifa";
    if (flag == "LGZ") return "Landis+Gyr";
    if (flag == "ISK") return "Iskraemeco";
    if (flag == "KAM") return "Kamstrup";
    if (flag == "ELS") return "Elster";
    if (flag == "SAG") return "Sagemcom";
  }
  // Nordic HAN lists (no system title on plain HDLC): the list id names the maker.
  const std::string_view list = t.text(t.list_id);
  if (list.starts_with("KFM_")) return "Kaifa";
  if (list.starts_with("AIDON_")) return "Aidon";
  if (list.starts_with("Kamstrup_")) return "Kamstrup";
  return "";
}

std::string status_topic(const Config& c, std::string_view meter) {
  return c.base_topic + "/" + std::string(meter) + "/status";
}

std::string state_topic(const Config& c, std::string_view meter) {
  return c.base_topic + "/" + std::string(meter) + "/state";
}

std::string reading_topic(const Config& c, std::string_view meter, std::string_view key) {
  return c.base_topic + "/" + std::string(meter) + "/" + topic_level(key);
}

std::string discovery_topic(const Config& c, std::string_view meter, std::string_view key) {
  return c.discovery_prefix + "/sensor/meterlab_" + ha_id(meter) + "/" + ha_id(key) + "/config";
}

std::optional<std::string> reading_payload(const cosem::Telegram& t, const cosem::Reading& r) {
  if (r.kind == cosem::ValueKind::none) return std::nullopt;
  return value_text(t, r);
}

std::string state_payload(const cosem::Telegram& t, const Received& rc, std::string_view meter,
                          const std::vector<std::string>& keys) {
  json readings = json::object();
  for (std::size_t i = 0; i < t.readings.size() && i < keys.size(); ++i) {
    const cosem::Reading& r = t.readings[i];
    readings[keys[i]] = {
        {"value", state_value(t, r)}, {"unit", std::string(r.unit)}, {"obis", r.obis.to_string()}};
    if (r.positional()) {  // no OBIS code: its position in the body
      readings[keys[i]]["obis"] = nullptr;
      readings[keys[i]]["position"] = r.position_text();
    }
  }
  json doc{{"time", iso_utc(telegram_time(t, rc))},   {"meter", std::string(meter)},
           {"meter_id", text_or_null(t, t.meter_id)}, {"meter_type", text_or_null(t, t.meter_type)},
           {"list", text_or_null(t, t.list_id)},      {"security", std::string(security_text(t))},
           {"readings", std::move(readings)}};
  return doc.dump();
}

void DeviceInfo::merge(const cosem::Telegram& t) {
  if (manufacturer.empty()) manufacturer = reader::mqtt::manufacturer(t);
  if (model.empty() && !t.meter_type.empty()) model = std::string(t.text(t.meter_type));
  if (serial.empty() && !t.meter_id.empty()) serial = std::string(t.text(t.meter_id));
  if (name.empty())
    name = (manufacturer.empty() ? "Meter" : manufacturer) + (model.empty() ? "" : " " + model);
}

std::string discovery_payload(const Config& c, const DeviceInfo& dev, std::string_view meter,
                              const cosem::Reading& r, std::string_view key) {
  const HaClass cls = ha_class(r);
  json d{{"name", display_name(key)},
         {"unique_id", "meterlab_" + ha_id(meter) + "_" + ha_id(key)},
         {"state_topic", reading_topic(c, meter, key)},
         {"availability_topic", status_topic(c, meter)},
         {"payload_available", "online"},
         {"payload_not_available", "offline"},
         {"qos", c.qos},
         {"device", device(dev, meter)},
         {"origin", {{"name", "meterlab"}}}};
  if (!r.unit.empty() && !cls.state_class.empty()) d["unit_of_measurement"] = std::string(r.unit);
  if (!cls.device_class.empty()) d["device_class"] = std::string(cls.device_class);
  if (!cls.state_class.empty()) {
    d["state_class"] = std::string(cls.state_class);
  } else {
    d["entity_category"] = "diagnostic";  // ids, types, clocks: not a measurement
  }
  return d.dump();
}

std::string iso_utc(WallClock::time_point tp) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch());
  const auto secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 40> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::array<char, 8> frac{};
  std::snprintf(frac.data(), frac.size(), ".%03dZ", static_cast<int>(ms.count() % 1000));
  return std::string(buf.data(), n) + frac.data();
}

}  // namespace meterlab::reader::mqtt
