// meterlab decode: reads a meter (serial device, pty, tcp://HOST:PORT, file or stdin; binary or
// hex text) through the engine into any combination of outputs (JSON lines, a live table, MQTT,
// InfluxDB, PostgreSQL, Solarview), with the counters on stderr at the end. Everything can come
// from a config file (--config); each flag writes into the same schema and wins over the file.
#include "decode.hpp"

#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "decode_outputs.hpp"
#include "keys.hpp"
#include "meterlab/reader/config.hpp"
#include "meterlab/reader/loop.hpp"
#include "meterlab/reader/outputs.hpp"
#include "meterlab/sim/profile.hpp"

namespace meterlab::cli {
namespace {

using nlohmann::json;

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int) { g_stop = 1; }

// SIGINT / SIGTERM end the loop cleanly (no SA_RESTART: poll returns at once).
void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

struct DecodeArgs {
  std::string config_file;
  json overrides = json::object();
};

// --meter: a simulator profile name (its line settings and framing), else a family alias.
std::optional<reader::MeterDefaults> lookup_meter(std::string_view name) {
  const sim::Profile* p = sim::find_profile(name);
  if (!p) return std::nullopt;
  reader::MeterDefaults d;
  d.line = {p->serial.baud, p->serial.data_bits, p->serial.parity, p->serial.stop_bits};
  d.transport = parse_input_transport(sim::framing_name(p->framing)).value();
  return d;
}

using Factory = reader::SinkOrError (*)(const json&);

Factory factory_for(const std::string& name) {
  if (name == "json") return reader::make_json_sink;
  if (name == "table") return reader::make_table_sink;
  if (name == "mqtt") return reader::make_mqtt_sink;
  if (name == "influxdb") return reader::make_influx_sink;
  if (name == "postgres") return reader::make_postgres_sink;
  if (name == "solarview") return reader::make_solarview_sink;
  return nullptr;
}

// One sink for each object under "outputs"; the first refusal is the error.
std::optional<std::string> make_sinks(const reader::ReaderConfig& c,
                                      std::vector<reader::SinkPtr>& sinks) {
  json outputs = c.outputs;
  if (outputs.contains("json")) {
    if (c.errors && !outputs["json"].contains("errors")) outputs["json"]["errors"] = true;
    const std::string file = outputs["json"].value("file", std::string("-"));
    if (outputs.contains("table") && (file == "-" || file.empty())) {
      return "outputs.table: the table and outputs.json both write to stdout (give --json FILE)";
    }
  }
  for (const auto& [name, cfg] : outputs.items()) {
    reader::SinkOrError made = factory_for(name)(cfg);
    if (!made.sink) return made.error;
    sinks.push_back(std::move(made.sink));
  }
  return std::nullopt;
}

// The merged configuration, or the reason it was refused.
reader::ConfigOrError load(const DecodeArgs& args) {
  json doc = json::object();
  if (!args.config_file.empty()) {
    if (auto err = reader::load_config_file(args.config_file, doc)) return {std::nullopt, *err};
    const auto keys = doc.find("keys");
    if (keys != doc.end() && keys->is_object() &&
        (keys->contains("key") || keys->contains("auth_key"))) {
      warn_if_readable(args.config_file, "config file with keys");
    }
  }
  return reader::parse_config(reader::merge_overrides(std::move(doc), args.overrides),
                              lookup_meter);
}

KeyOptions key_options(const reader::KeyConfig& k) {
  return KeyOptions{k.key, k.auth_key, k.system_title, k.file};
}

int run_decode(const DecodeArgs& args) {
  reader::ConfigOrError parsed = load(args);
  if (!parsed.config) {
    std::cerr << "meterlab decode: " << parsed.error << "\n";
    return 2;
  }
  const reader::ReaderConfig& c = *parsed.config;
  KeySet keys;
  if (auto err = load_keys(key_options(c.keys), keys)) {
    std::cerr << "meterlab decode: " << *err << "\n";
    return 2;
  }
  std::vector<reader::SinkPtr> sinks;
  if (auto err = make_sinks(c, sinks)) {
    std::cerr << "meterlab decode: " << *err << "\n";
    return 2;
  }
  auto source = reader::make_source(c.input);
  reader::LoopOptions opts{c.input.hex, c.input.reopen, c.input.backoff_initial,
                           c.input.backoff_max, std::chrono::milliseconds(5000)};
  const InputTransport transport = c.input.transport;
  const cosem::TimeZone* zone = c.time_zone;
  reader::DecoderFactory make = [&keys, transport, zone] {
    auto d = std::make_unique<Decoder>(transport, make_ring(keys));
    d->set_time_zone(zone);
    return d;
  };
  install_stop_handlers();
  reader::LoopResult r = reader::run_read_loop(*source, opts, make, sinks, g_stop);
  for (const auto& w : r.warnings) std::cerr << "meterlab decode: " << w << "\n";
  if (!r.error.empty()) std::cerr << "meterlab decode: " << r.error << "\n";
  std::cerr << reader::summary_json(r, sinks) << "\n";
  if (!r.error.empty()) return 2;
  return (r.decoder.telegrams == 0 && r.decoder.rejections > 0) ? 1 : 0;
}

// A flag that writes `value` at `path` of the overrides when given.
template <class T>
void set_at(json& overrides, std::initializer_list<const char*> path, const T& value) {
  json* at = &overrides;
  for (const char* key : path) at = &(*at)[key];
  *at = value;
}

void add_input_flags(CLI::App& cmd, json& o) {
  cmd.add_option_function<std::string>(
      "input",
      [&o](const std::string& v) {
        set_at(o, {"input", "device"}, v);
      },
      "Serial device or pty, tcp://HOST:PORT, a file, or - for standard input (default -)");
  cmd.add_flag_function(
      "--hex",
      [&o](std::int64_t) {
        set_at(o, {"input", "hex"}, true);
      },
      "Input is hex text (white space ignored)");
  cmd.add_option_function<std::string>(
      "--transport",
      [&o](const std::string& v) {
        set_at(o, {"input", "transport"}, v);
      },
      "auto, hdlc, mbus, apdu or p1 (default: the meter's, else auto)");
  cmd.add_option_function<std::string>(
      "--meter", [&o](const std::string& v) { set_at(o, {"meter"}, v); },
      "Meter profile or family (" + reader::family_names() +
          ", or a simulator profile): its line settings and transport are the defaults");
  cmd.add_option_function<std::string>(
      "--tz", [&o](const std::string& v) { set_at(o, {"timezone"}, v); },
      "The meter's time zone (Europe/Oslo, ...) for the UTC time when it sends no deviation or "
      "a wrong one (default: its family's)");
  cmd.add_option_function<int>(
      "--baud",
      [&o](int v) {
        set_at(o, {"input", "baud"}, v);
      },
      "Serial speed, 300..115200");
  cmd.add_option_function<int>(
      "--data-bits",
      [&o](int v) {
        set_at(o, {"input", "data_bits"}, v);
      },
      "5..8");
  cmd.add_option_function<std::string>(
      "--parity",
      [&o](const std::string& v) {
        set_at(o, {"input", "parity"}, v);
      },
      "none, even or odd");
  cmd.add_option_function<int>(
      "--stop-bits",
      [&o](int v) {
        set_at(o, {"input", "stop_bits"}, v);
      },
      "1 or 2");
  cmd.add_flag_function(
      "--no-reopen",
      [&o](std::int64_t) {
        set_at(o, {"input", "reopen"}, false);
      },
      "End when the device or connection goes away instead of reopening it");
}

void add_key_flags(CLI::App& cmd, json& o) {
  cmd.add_option_function<std::string>(
      "--key",
      [&o](const std::string& v) {
        set_at(o, {"keys", "key"}, v);
      },
      "Encryption key (EK/GUEK), 32 hex digits");
  cmd.add_option_function<std::string>(
      "--auth-key",
      [&o](const std::string& v) {
        set_at(o, {"keys", "auth_key"}, v);
      },
      "Authentication key (AK), 32 hex digits");
  cmd.add_option_function<std::string>(
      "--system-title",
      [&o](const std::string& v) {
        set_at(o, {"keys", "system_title"}, v);
      },
      "Use --key only for this system title (16 hex digits)");
  cmd.add_option_function<std::string>(
      "--keys",
      [&o](const std::string& v) {
        set_at(o, {"keys", "file"}, v);
      },
      "Key file (JSON): {\"keys\": [{\"system_title\", \"ek\", \"ak\"}]}");
}

void add_output_flags(CLI::App& cmd, json& o) {
  cmd.add_flag_function(
      "--errors", [&o](std::int64_t) { set_at(o, {"errors"}, true); },
      "Also write one JSON line per rejected frame");
  cmd.add_option_function<std::string>(
      "--json",
      [&o](const std::string& v) {
        set_at(o, {"outputs", "json", "file"}, v);
      },
      "Write JSON lines to FILE (- for stdout, the default when no output is given)");
  cmd.add_flag_function(
      "--table",
      [&o](std::int64_t) {
        set_at(o, {"outputs", "table"}, json::object());
      },
      "Show a live table of the latest readings on the terminal");
  add_mqtt_flags(cmd, o);
  add_influx_flags(cmd, o);
  add_postgres_flags(cmd, o);
  add_solarview_flags(cmd, o);
}

}  // namespace

void add_decode_command(CLI::App& app, int& status) {
  auto args = std::make_shared<DecodeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "decode",
      "Read a meter (device, pty, tcp://HOST:PORT, file or -) and write its telegrams "
      "to JSON lines, a table, MQTT, InfluxDB, PostgreSQL or a Solarview file");
  cmd->add_option("--config", args->config_file,
                  "Config file (JSON, see reader/README.md); flags win over it");
  cmd->option_defaults()->group("Input");
  add_input_flags(*cmd, args->overrides);
  cmd->option_defaults()->group("Keys");
  add_key_flags(*cmd, args->overrides);
  cmd->option_defaults()->group("Outputs");
  add_output_flags(*cmd, args->overrides);
  cmd->footer(
      "Keys may also come from METERLAB_KEY / METERLAB_AUTH_KEY. Keys are never printed.\n"
      "A lost device or connection is reopened with back-off; SIGINT/SIGTERM stop cleanly.\n"
      "Exit status: 0 when telegrams were decoded or nothing was rejected, 1 when everything "
      "was rejected, 2 on usage, config or input errors.");
  cmd->callback([args, &status] { status = run_decode(*args); });
}

}  // namespace meterlab::cli
