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
  if (auto whole = r.whole()) {
    if (whole->is_unsigned) return static_cast<std::uint64_t>(whole->value);
    return whole->value;
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

namespace {

constexpr std::uint8_t kAny = 0xFF;  // a rule's OBIS group that matches any value

// One rule of the Home Assistant classes: what a reading must be, and what Home Assistant is
// told. The first rule that matches decides (ha_class); a number no rule matches is a plain
// measurement, anything else (text, octets, dates) a diagnostic.
struct HaRule {
  std::uint8_t a = kAny, c = kAny, d = kAny, e = kAny;  // OBIS groups A, C, D, E (B: any)
  Medium medium = Medium::unknown;                      // unknown: any
  std::array<std::string_view, 3> units{};              // empty: any unit
  HaClass cls;                                          // state_class of a register (OBIS D = 8)
  std::string_view state_class_other = {};              // of the same unit outside a register
};

// Device and state classes as Home Assistant's sensor documentation lists them (energy: Wh/kWh;
// reactive_energy: varh/kvarh; power: W; reactive_power: var; apparent_power: VA; voltage: V;
// current: A; frequency: Hz; power_factor: no unit; gas and water: m³). Registers (OBIS D = 8,
// "time integral") only grow: total_increasing. By OBIS first (DSMR 5.0.2 clause 6.12 for the
// P1 objects), then by unit.
constexpr HaRule kHaRules[] = {
    // Power failures (0-0:96.7.21 any phase, 0-0:96.7.9 long ones), voltage sags (1-0:x.32.0)
    // and swells (1-0:x.36.0): counters of the meter's health, not of the household.
    {0, 96, 7, 21, {}, {}, {"", "total_increasing", true}},
    {0, 96, 7, 9, {}, {}, {"", "total_increasing", true}},
    {1, kAny, 32, 0, {}, {}, {"", "total_increasing", true}},
    {1, kAny, 36, 0, {}, {}, {"", "total_increasing", true}},
    // The power-failure log 1-0:99.97.0: its number of entries, and each failure's duration.
    {1, 99, 97, 0, {}, {}, {"", "measurement", true}},
    {0, 96, 7, 19, {}, {}, {"duration", "measurement", true}},
    // An M-Bus channel's register (0-n:24.2.1, 24.2.3): its device type 0-n:24.1.0 says what it
    // measures; without one no class is guessed from the unit.
    {0, 24, 2, kAny, Medium::gas, {}, {"gas", "total_increasing", false, "m³"}},
    {0, 24, 2, kAny, Medium::water, {}, {"water", "total_increasing", false, "m³"}},
    {0, 24, 2, kAny, {}, {}, {"", "total_increasing"}},
    // The channel's device type and the tariff indicator: states, not measurements.
    {0, 24, 1, 0, {}, {}, {"", "", true}},
    {0, 96, 14, 0, {}, {}, {"", "", true}},
    {1, 13, 7, 0, {}, {}, {"power_factor", "measurement"}},
    {1, 33, 7, 0, {}, {}, {"power_factor", "measurement"}},
    {1, 53, 7, 0, {}, {}, {"power_factor", "measurement"}},
    {1, 73, 7, 0, {}, {}, {"power_factor", "measurement"}},
    {kAny,
     kAny,
     kAny,
     kAny,
     {},
     {"Wh", "kWh", "MWh"},
     {"energy", "total_increasing"},
     "measurement"},
    {kAny,
     kAny,
     kAny,
     kAny,
     {},
     {"varh", "kvarh"},
     {"reactive_energy", "total_increasing"},
     "measurement"},
    // Home Assistant has no apparent-energy class.
    {kAny, kAny, kAny, kAny, {}, {"VAh", "kVAh"}, {"", "total_increasing"}, "measurement"},
    {kAny, kAny, kAny, kAny, {}, {"W", "kW"}, {"power", "measurement"}},
    {kAny, kAny, kAny, kAny, {}, {"var", "kvar"}, {"reactive_power", "measurement"}},
    {kAny, kAny, kAny, kAny, {}, {"VA", "kVA"}, {"apparent_power", "measurement"}},
    {kAny, kAny, kAny, kAny, {}, {"V"}, {"voltage", "measurement"}},
    {kAny, kAny, kAny, kAny, {}, {"A"}, {"current", "measurement"}},
    {kAny, kAny, kAny, kAny, {}, {"Hz"}, {"frequency", "measurement"}},
};

bool group_matches(std::uint8_t rule, std::uint8_t value) { return rule == kAny || rule == value; }

bool rule_matches(const HaRule& rule, const cosem::Reading& r, Medium medium) {
  const auto& v = r.obis.v;
  if (r.positional() && rule.a != kAny) return false;  // no OBIS code: only by its unit
  if (!group_matches(rule.a, v[0]) || !group_matches(rule.c, v[2]) ||
      !group_matches(rule.d, v[3]) || !group_matches(rule.e, v[4]))
    return false;
  if (rule.medium != Medium::unknown && rule.medium != medium) return false;
  if (rule.units[0].empty()) return true;
  return is_one_of(r.unit, {rule.units[0], rule.units[1], rule.units[2]}) && !r.unit.empty();
}

}  // namespace

Medium channel_medium(const cosem::Telegram& t, const cosem::Reading& r) {
  const auto& v = r.obis.v;
  if (r.positional() || v[0] != 0 || v[2] != 24) return Medium::unknown;
  for (const cosem::Reading& type : t.readings) {
    const auto& w = type.obis.v;
    if (type.positional() || type.kind != cosem::ValueKind::integer) continue;
    if (w[0] != 0 || w[1] != v[1] || w[2] != 24 || w[3] != 1 || w[4] != 0) continue;
    // EN 13757-3 device types: 0x03 gas; 0x06 warm water, 0x07 water, 0x16 cold water.
    if (type.raw == 0x03) return Medium::gas;
    if (type.raw == 0x06 || type.raw == 0x07 || type.raw == 0x16) return Medium::water;
    return Medium::unknown;
  }
  return Medium::unknown;
}

HaClass ha_class(const cosem::Reading& r, Medium medium) {
  if (!number(r) || r.kind == cosem::ValueKind::boolean) return {"", "", true};
  const bool reg = r.obis.v[3] == 8;
  for (const HaRule& rule : kHaRules) {
    if (!rule_matches(rule, r, medium)) continue;
    HaClass out = rule.cls;
    if (!reg && !rule.state_class_other.empty()) out.state_class = rule.state_class_other;
    return out;
  }
  return {"", "measurement"};
}

namespace {

// FLAG manufacturer ids (DLMS UA list): the first three bytes of a DLMS system title, and the
// first three letters of a P1 telegram's header line (IEC 62056-21 identification: a lower-case
// third letter only says the meter answers fast, so the case is ignored).
struct Maker {
  std::string_view flag;
  std::string_view name;
};
constexpr Maker kMakers[] = {{"KFM", "Kaifa"},    {"LGZ", "Landis+Gyr"}, {"ISK", "Iskraemeco"},
                             {"KAM", "Kamstrup"}, {"ELS", "Elster"},     {"SAG", "Sagemcom"}};

std::string_view maker_of(std::string_view flag) {
  if (flag.size() < 3) return {};
  for (const Maker& m : kMakers) {
    bool same = true;
    for (std::size_t i = 0; i < 3; ++i) {
      const char c = flag[i] >= 'a' && flag[i] <= 'z' ? static_cast<char>(flag[i] - 32) : flag[i];
      same = same && c == m.flag[i];
    }
    if (same) return m.name;
  }
  return {};
}

}  // namespace

std::string manufacturer(const cosem::Telegram& t) {
  if (t.system_title) {
    const std::string_view flag(reinterpret_cast<const char*>(t.system_title->data()), 3);
    if (auto m = maker_of(flag); !m.empty()) return std::string(m);
  }
  // A P1 header line ("/ISk5\2MT382-1000" gives meter_type "ISk5\2MT382-1000").
  if (t.transport == cosem::Transport::p1) return std::string(maker_of(t.text(t.meter_type)));
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
    if (keys[i].empty()) continue;  // a repeated code's history entry
    const cosem::Reading& r = t.readings[i];
    readings[keys[i]] = {
        {"value", state_value(t, r)}, {"unit", std::string(r.unit)}, {"obis", r.obis.to_string()}};
    // A number with a capture time of its own (a P1 gas register): when, as in the JSON output.
    if (const cosem::DateTime* at = capture_time(t, r))
      readings[keys[i]]["captured"] = at->to_iso8601();
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
                              const cosem::Telegram& t, const cosem::Reading& r,
                              std::string_view key) {
  const HaClass cls = ha_class(r, channel_medium(t, r));
  json d{{"name", display_name(key)},
         {"unique_id", "meterlab_" + ha_id(meter) + "_" + ha_id(key)},
         {"state_topic", reading_topic(c, meter, key)},
         {"availability_topic", status_topic(c, meter)},
         {"payload_available", "online"},
         {"payload_not_available", "offline"},
         {"qos", c.qos},
         {"device", device(dev, meter)},
         {"origin", {{"name", "meterlab"}}}};
  if (!r.unit.empty() && !cls.state_class.empty())
    d["unit_of_measurement"] = std::string(cls.unit.empty() ? r.unit : cls.unit);
  if (!cls.device_class.empty()) d["device_class"] = std::string(cls.device_class);
  if (!cls.state_class.empty()) d["state_class"] = std::string(cls.state_class);
  // Ids, types, clocks, text messages, power-failure counts: not the household's measurements.
  if (cls.diagnostic) d["entity_category"] = "diagnostic";
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
