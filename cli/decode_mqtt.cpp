// The MQTT flags of `meterlab decode`: each writes into overrides.outputs.mqtt (the config file's
// schema, checked by make_mqtt_sink), so a flag and the file mean the same thing. Any of them
// turns the MQTT output on (broker 127.0.0.1:1883 unless --mqtt says otherwise).
#include <charconv>
#include <optional>

#include "decode_outputs.hpp"

namespace meterlab::cli {
namespace {

using nlohmann::json;

json& mqtt(json& o) { return o["outputs"]["mqtt"]; }

// "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT". What is wrong is left for make_mqtt_sink to
// refuse with the config path ("outputs.mqtt.port: expected an integer 1-65535, got 0"), as the
// file would be.
void set_broker(json& o, const std::string& v) {
  std::string host = v;
  std::optional<std::string> port;
  if (v.starts_with('[')) {
    const auto close = v.find(']');
    host = v.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < v.size())
      port = v.substr(close + (v[close + 1] == ':' ? 2 : 1));
  } else if (const auto colon = v.rfind(':'); colon != std::string::npos) {
    host = v.substr(0, colon);
    port = v.substr(colon + 1);
  }
  mqtt(o)["host"] = host;
  if (!port) return;
  long n = 0;
  const auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), n);
  if (ec == std::errc() && end == port->data() + port->size()) {
    mqtt(o)["port"] = n;
  } else {
    mqtt(o)["port"] = *port;  // "outputs.mqtt.port: expected an integer 1-65535, got "x""
  }
}

void add_tls_flags(CLI::App& cmd, json& o) {
  cmd.add_option_function<std::string>(
      "--mqtt-tls-ca", [&o](const std::string& v) { mqtt(o)["tls"]["ca_file"] = v; },
      "MQTT over TLS: CA certificate file (PEM) that signed the broker's certificate; the "
      "port defaults to 8883");
  cmd.add_option_function<std::string>(
      "--mqtt-tls-cert", [&o](const std::string& v) { mqtt(o)["tls"]["cert_file"] = v; },
      "MQTT TLS client certificate (PEM), with --mqtt-tls-key");
  cmd.add_option_function<std::string>(
      "--mqtt-tls-key", [&o](const std::string& v) { mqtt(o)["tls"]["key_file"] = v; },
      "MQTT TLS client key (PEM, unencrypted)");
  cmd.add_flag_function(
      "--mqtt-tls-insecure", [&o](std::int64_t) { mqtt(o)["tls"]["insecure"] = true; },
      "Do not check that the broker's certificate names its host (the chain is still checked)");
}

}  // namespace

void add_mqtt_flags(CLI::App& cmd, json& o) {
  cmd.add_option_function<std::string>(
      "--mqtt", [&o](const std::string& v) { set_broker(o, v); },
      "Publish to the MQTT broker HOST[:PORT] (default port 1883): a state topic per meter, a "
      "topic per reading, Home Assistant discovery");
  cmd.add_option_function<std::string>(
      "--mqtt-user", [&o](const std::string& v) { mqtt(o)["username"] = v; },
      "MQTT user name; the password comes from METERLAB_MQTT_PASSWORD (preferred) or the "
      "config file");
  cmd.add_option_function<std::string>(
      "--mqtt-password", [&o](const std::string& v) { mqtt(o)["password"] = v; },
      "MQTT password (visible to other users in the process list: prefer METERLAB_MQTT_PASSWORD)");
  cmd.add_option_function<std::string>(
      "--mqtt-client-id", [&o](const std::string& v) { mqtt(o)["client_id"] = v; },
      "MQTT client id (default meterlab-<host name>-<pid>)");
  cmd.add_option_function<std::string>(
      "--mqtt-topic", [&o](const std::string& v) { mqtt(o)["base_topic"] = v; },
      "Base topic (default meterlab): <base>/<meter>/state, <base>/<meter>/<reading>, "
      "<base>/<meter>/status");
  cmd.add_option_function<int>(
      "--mqtt-qos", [&o](int v) { mqtt(o)["qos"] = v; }, "QoS of every message, 0..2 (default 0)");
  cmd.add_flag_function(
      "--mqtt-no-retain", [&o](std::int64_t) { mqtt(o)["retain"] = false; },
      "Do not retain the state and reading topics (status and discovery stay retained)");
  cmd.add_flag_function(
      "--mqtt-no-discovery", [&o](std::int64_t) { mqtt(o)["discovery"] = false; },
      "Do not publish Home Assistant discovery configs");
  cmd.add_option_function<std::string>(
      "--mqtt-discovery-prefix", [&o](const std::string& v) { mqtt(o)["discovery_prefix"] = v; },
      "Home Assistant discovery prefix (default homeassistant)");
  add_tls_flags(cmd, o);
}

}  // namespace meterlab::cli
