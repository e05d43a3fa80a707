// The decode configuration: checked key by key by the one ConfigReader, each error naming its
// JSON path and what was expected.
#include "meterlab/reader/config.hpp"

#include <array>
#include <fstream>
#include <utility>

#include "meterlab/core/serial_line.hpp"
#include "meterlab/cosem/time_zone.hpp"
#include "meterlab/reader/config_reader.hpp"
#include "meterlab/reader/source.hpp"

namespace meterlab::reader {
namespace {

using nlohmann::json;

// The meter families and the line settings of each one's customer interface (as in its
// profile). P1: DSMR 4/5 (NL), Smarty (LU), Fluvius (BE) and the Swedish HAN port run 115200 8N1;
// DSMR 2.2/3 ran 9600 7E1.
struct Family {
  std::string_view name;
  MeterDefaults defaults;
};
constexpr LineSettings kE1{2400, 8, 'E', 1};
constexpr LineSettings kN1{2400, 8, 'N', 1};
constexpr LineSettings kFastN1{115200, 8, 'N', 1};
constexpr std::array<Family, 14> kFamilies{{
    {"kaifa-no", {kE1, InputTransport::hdlc}},
    {"aidon-no", {kE1, InputTransport::hdlc}},
    {"kamstrup-no", {kN1, InputTransport::hdlc}},
    {"kaifa-at", {kN1, InputTransport::mbus}},
    {"tinetz", {kN1, InputTransport::mbus}},
    {"evn", {kN1, InputTransport::mbus}},
    {"vkw", {kN1, InputTransport::mbus}},
    {"lg-at", {kN1, InputTransport::hdlc}},
    {"iskra-at", {kFastN1, InputTransport::hdlc}},
    {"dsmr", {kFastN1, InputTransport::p1}},
    {"dsmr22", {{9600, 7, 'E', 1}, InputTransport::p1}},
    {"smarty", {kFastN1, InputTransport::p1}},
    {"fluvius", {kFastN1, InputTransport::p1}},
    {"han-se", {kFastN1, InputTransport::p1}},
}};

constexpr std::int64_t kMaxBackoffMs = 3600000;

// Line settings: the meter's defaults, then each key that is given. Any rate termios has is an
// integer of the right type; only the common ones (serial_line.hpp) are a meter's.
bool read_line(ConfigReader& c, LineSettings& line) {
  const int max_baud = serial_line::kBaudRates.back().baud;
  if (!c.integer("baud", line.baud, 1, max_baud) ||
      !c.integer("data_bits", line.data_bits, serial_line::kMinDataBits,
                 serial_line::kMaxDataBits) ||
      !c.integer("stop_bits", line.stop_bits, serial_line::kMinStopBits,
                 serial_line::kMaxStopBits) ||
      !c.choice("parity", line.parity, serial_line::kParities)) {
    return false;
  }
  if (!serial_line::common_rate(line.baud) && c.has("baud")) {
    return c.fail("baud", "one of " + serial_line::common_rates_text());
  }
  return true;
}

bool read_backoff(ConfigReader& c, InputConfig& in) {
  std::int64_t initial = in.backoff_initial.count(), max = in.backoff_max.count();
  if (!c.integer("backoff_initial_ms", initial, 1, kMaxBackoffMs) ||
      !c.integer("backoff_max_ms", max, 1, kMaxBackoffMs)) {
    return false;
  }
  in.backoff_initial = std::chrono::milliseconds(initial);
  in.backoff_max = std::chrono::milliseconds(max);
  if (in.backoff_max < in.backoff_initial) {
    return c.fail("backoff_max_ms", "a value not less than backoff_initial_ms");
  }
  return true;
}

bool read_input(ConfigReader c, const MeterDefaults* meter, InputConfig& in) {
  if (!c.only({"device", "baud", "data_bits", "parity", "stop_bits", "hex", "transport", "reopen",
               "backoff_initial_ms", "backoff_max_ms"})) {
    return false;
  }
  if (meter) {
    in.line = meter->line;
    in.transport = meter->transport;
  }
  if (!c.text("device", in.device) || !c.flag("hex", in.hex) || !c.flag("reopen", in.reopen) ||
      !c.choice("transport", in.transport, kInputTransports) || !read_line(c, in.line) ||
      !read_backoff(c, in)) {
    return false;
  }
  if (in.device.empty()) return c.fail("device", "a device, a file, tcp://HOST:PORT or -");
  if (in.device.rfind("tcp://", 0) == 0 && !parse_tcp_address(in.device)) {
    return c.fail("device", "tcp://HOST:PORT (port 1-65535)");
  }
  return true;
}

bool read_keys(ConfigReader c, KeyConfig& keys) {
  // Values are secrets: the errors name the key, never what it holds.
  return c.only({"key", "auth_key", "system_title", "file"}) && c.secret("key", keys.key) &&
         c.secret("auth_key", keys.auth_key) && c.secret("system_title", keys.system_title) &&
         c.text("file", keys.file);
}

bool read_outputs(ConfigReader c, const json* given, json& outputs) {
  if (!c.only({"json", "table", "mqtt", "influxdb", "postgres", "solarview"})) return false;
  if (given == nullptr) return true;
  for (const auto& item : given->items()) {
    if (!c.nested(item.key()).ok()) return false;
  }
  outputs = *given;
  return true;
}

bool read_meter(ConfigReader& c, const MeterLookup& lookup, ReaderConfig& out,
                std::optional<MeterDefaults>& meter) {
  if (!c.text("meter", out.meter)) return false;
  if (out.meter.empty()) return true;
  if (lookup) meter = lookup(out.meter);
  if (!meter) meter = family_defaults(out.meter);
  if (!meter) {
    return c.fail("meter", "a simulator profile name, or " + family_names());
  }
  return true;
}

// "timezone": the meter's IANA zone (cosem/time_zone.hpp), for the UTC time of telegrams whose
// meter sends no deviation or a wrong one; absent: the meter family's default zone.
bool read_timezone(ConfigReader& c, ReaderConfig& out) {
  std::string name;
  if (!c.text("timezone", name)) return false;
  if (name.empty()) return true;
  out.time_zone = cosem::find_time_zone(name);
  if (!out.time_zone) return c.fail("timezone", "one of " + cosem::time_zone_names());
  return true;
}

}  // namespace

std::string LineSettings::to_string() const {
  return std::to_string(baud) + " " + std::to_string(data_bits) + parity +
         std::to_string(stop_bits);
}

std::optional<MeterDefaults> family_defaults(std::string_view name) {
  for (const Family& f : kFamilies) {
    if (f.name == name) return f.defaults;
  }
  return std::nullopt;
}

std::string family_names() {
  std::string out;
  for (const Family& f : kFamilies) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

std::optional<InputTransport> parse_transport(std::string_view s) {
  return parse_input_transport(s);
}

ConfigOrError parse_config(const json& doc, const MeterLookup& lookup) {
  ConfigOrError out;
  if (doc.is_null()) {
    out.error = "config: expected an object, got null";
    return out;
  }
  ConfigReader c(doc, "", out.error);
  ReaderConfig rc;
  std::optional<MeterDefaults> meter;
  if (!c.only({"input", "meter", "keys", "errors", "outputs", "timezone"}) ||
      !c.flag("errors", rc.errors) || !read_meter(c, lookup, rc, meter) || !read_timezone(c, rc) ||
      !read_input(c.nested("input"), meter ? &*meter : nullptr, rc.input) ||
      !read_keys(c.nested("keys"), rc.keys) ||
      !read_outputs(c.nested("outputs"), c.find("outputs"), rc.outputs)) {
    return out;
  }
  if (rc.outputs.empty()) rc.outputs = json{{"json", {{"file", "-"}}}};
  out.config = std::move(rc);
  return out;
}

std::optional<std::string> load_config_file(const std::string& path, json& doc) {
  std::ifstream in(path);
  if (!in) return "cannot open config file " + path;
  try {
    doc = json::parse(in, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    // The parser's message names the position only (byte offset), never the content.
    return "config file " + path + " is not JSON (byte " + std::to_string(e.byte) + ")";
  }
  if (!doc.is_object()) return "config file " + path + ": must be a JSON object";
  return std::nullopt;
}

json merge_overrides(json doc, const json& overrides) {
  if (!overrides.is_null()) doc.merge_patch(overrides);
  return doc;
}

}  // namespace meterlab::reader
