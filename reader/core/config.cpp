// The decode configuration: checked key by key, each error naming its JSON path.
#include "meterlab/reader/config.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "meterlab/reader/source.hpp"

namespace meterlab::reader {
namespace {

using nlohmann::json;

// The rates termios has between 300 and 115200 baud.
constexpr std::array<int, 10> kBauds = {300,  600,   1200,  2400,  4800,
                                        9600, 19200, 38400, 57600, 115200};

std::string join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

// Reads typed members of one JSON object; the first problem is kept with its path.
class Fields {
 public:
  Fields(const json& obj, std::string path, std::string& error)
      : obj_(obj), path_(std::move(path)), error_(error) {}

  // Refuses keys that are not in `known`.
  bool only(std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : obj_.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        return fail(key, "unknown key");
      }
    }
    return true;
  }
  bool text(std::string_view key, std::string& out) {
    const json* v = find(key);
    if (!v) return true;
    if (!v->is_string()) return fail(key, "must be a string");
    out = v->get<std::string>();
    return true;
  }
  bool flag(std::string_view key, bool& out) {
    const json* v = find(key);
    if (!v) return true;
    if (!v->is_boolean()) return fail(key, "must be true or false");
    out = v->get<bool>();
    return true;
  }
  bool integer(std::string_view key, std::optional<long long>& out, long long lo, long long hi) {
    const json* v = find(key);
    if (!v) return true;
    if (!v->is_number_integer() || v->get<long long>() < lo || v->get<long long>() > hi) {
      return fail(key, "must be an integer " + std::to_string(lo) + ".." + std::to_string(hi));
    }
    out = v->get<long long>();
    return true;
  }
  bool fail(std::string_view key, const std::string& why) {
    error_ = join(path_, key) + ": " + why;
    return false;
  }
  const json* find(std::string_view key) const {
    auto it = obj_.find(std::string(key));
    return it == obj_.end() ? nullptr : &*it;
  }

 private:
  const json& obj_;
  std::string path_;
  std::string& error_;
};

bool require_object(const json& j, std::string_view path, std::string& error) {
  if (j.is_object()) return true;
  error = std::string(path.empty() ? "config" : path) + ": must be an object";
  return false;
}

// Line settings: the meter's defaults, then each key that is given.
bool read_line(Fields& f, LineSettings& line) {
  std::optional<long long> baud, bits, stop;
  std::string parity;
  if (!f.integer("baud", baud, 1, 4000000) || !f.integer("data_bits", bits, 5, 8) ||
      !f.integer("stop_bits", stop, 1, 2) || !f.text("parity", parity)) {
    return false;
  }
  if (baud) {
    if (std::find(kBauds.begin(), kBauds.end(), *baud) == kBauds.end()) {
      return f.fail("baud",
                    "must be one of 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, "
                    "57600, 115200");
    }
    line.baud = static_cast<int>(*baud);
  }
  if (bits) line.data_bits = static_cast<int>(*bits);
  if (stop) line.stop_bits = static_cast<int>(*stop);
  if (f.find("parity")) {
    if (parity == "none")
      line.parity = 'N';
    else if (parity == "even")
      line.parity = 'E';
    else if (parity == "odd")
      line.parity = 'O';
    else
      return f.fail("parity", "must be none, even or odd");
  }
  return true;
}

bool read_backoff(Fields& f, InputConfig& in) {
  std::optional<long long> initial, max;
  if (!f.integer("backoff_initial_ms", initial, 1, 3600000) ||
      !f.integer("backoff_max_ms", max, 1, 3600000)) {
    return false;
  }
  if (initial) in.backoff_initial = std::chrono::milliseconds(*initial);
  if (max) in.backoff_max = std::chrono::milliseconds(*max);
  if (in.backoff_max < in.backoff_initial) {
    return f.fail("backoff_max_ms", "must not be less than backoff_initial_ms");
  }
  return true;
}

bool read_input(const json& j, const MeterDefaults* meter, InputConfig& in, std::string& error) {
  if (!require_object(j, "input", error)) return false;
  Fields f(j, "input", error);
  if (!f.only({"device", "baud", "data_bits", "parity", "stop_bits", "hex", "transport", "reopen",
               "backoff_initial_ms", "backoff_max_ms"})) {
    return false;
  }
  if (meter) {
    in.line = meter->line;
    in.transport = meter->transport;
  }
  std::string transport;
  if (!f.text("device", in.device) || !f.flag("hex", in.hex) || !f.flag("reopen", in.reopen) ||
      !f.text("transport", transport) || !read_line(f, in.line) || !read_backoff(f, in)) {
    return false;
  }
  if (in.device.empty()) return f.fail("device", "must not be empty");
  if (in.device.rfind("tcp://", 0) == 0 && !parse_tcp_address(in.device)) {
    return f.fail("device", "tcp:// needs HOST:PORT (port 1..65535)");
  }
  if (f.find("transport")) {
    auto t = parse_transport(transport);
    if (!t) return f.fail("transport", "must be auto, hdlc, mbus or apdu");
    in.transport = *t;
  }
  return true;
}

bool read_keys(const json& j, KeyConfig& keys, std::string& error) {
  if (!require_object(j, "keys", error)) return false;
  Fields f(j, "keys", error);
  // Values are secrets: the errors name the key, never what it holds.
  return f.only({"key", "auth_key", "system_title", "file"}) && f.text("key", keys.key) &&
         f.text("auth_key", keys.auth_key) && f.text("system_title", keys.system_title) &&
         f.text("file", keys.file);
}

bool read_outputs(const json& j, json& outputs, std::string& error) {
  if (!require_object(j, "outputs", error)) return false;
  Fields f(j, "outputs", error);
  if (!f.only({"json", "table", "mqtt", "influxdb", "postgres", "solarview"})) return false;
  for (const auto& [name, value] : j.items()) {
    if (!require_object(value, "outputs." + name, error)) return false;
  }
  outputs = j;
  return true;
}

bool read_meter(Fields& f, const MeterLookup& lookup, ReaderConfig& c,
                std::optional<MeterDefaults>& meter) {
  if (!f.text("meter", c.meter)) return false;
  if (c.meter.empty()) return true;
  if (lookup) meter = lookup(c.meter);
  if (!meter) meter = family_defaults(c.meter);
  if (!meter) {
    return f.fail("meter", "unknown meter \"" + c.meter +
                               "\" (a simulator profile name, or kaifa-no, aidon-no, "
                               "kamstrup-no, kaifa-at, tinetz, evn, vkw, lg-at, iskra-at)");
  }
  return true;
}

}  // namespace

std::string LineSettings::to_string() const {
  return std::to_string(baud) + " " + std::to_string(data_bits) + parity +
         std::to_string(stop_bits);
}

std::optional<MeterDefaults> family_defaults(std::string_view name) {
  // The line settings of each family's customer interface (as in its profile).
  const LineSettings e1{2400, 8, 'E', 1};
  const LineSettings n1{2400, 8, 'N', 1};
  if (name == "kaifa-no" || name == "aidon-no") return MeterDefaults{e1, InputTransport::hdlc};
  if (name == "kamstrup-no" || name == "lg-at") return MeterDefaults{n1, InputTransport::hdlc};
  if (name == "kaifa-at" || name == "tinetz" || name == "evn" || name == "vkw") {
    return MeterDefaults{n1, InputTransport::mbus};
  }
  if (name == "iskra-at") return MeterDefaults{{115200, 8, 'N', 1}, InputTransport::hdlc};
  return std::nullopt;
}

std::optional<InputTransport> parse_transport(std::string_view s) {
  if (s == "auto") return InputTransport::auto_detect;
  if (s == "hdlc") return InputTransport::hdlc;
  if (s == "mbus") return InputTransport::mbus;
  if (s == "apdu") return InputTransport::apdu;
  return std::nullopt;
}

ConfigOrError parse_config(const json& doc, const MeterLookup& lookup) {
  ConfigOrError out;
  std::string& error = out.error;
  if (!require_object(doc, "", error)) return out;
  Fields f(doc, "", error);
  ReaderConfig c;
  std::optional<MeterDefaults> meter;
  if (!f.only({"input", "meter", "keys", "errors", "outputs"}) || !f.flag("errors", c.errors) ||
      !read_meter(f, lookup, c, meter)) {
    return out;
  }
  const json empty = json::object();
  const json* in = f.find("input");
  if (!read_input(in ? *in : empty, meter ? &*meter : nullptr, c.input, error)) return out;
  if (const json* k = f.find("keys"); k && !read_keys(*k, c.keys, error)) return out;
  if (const json* o = f.find("outputs"); o && !read_outputs(*o, c.outputs, error)) return out;
  if (c.outputs.empty()) c.outputs = json{{"json", {{"file", "-"}}}};
  out.config = std::move(c);
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
