// outputs.mqtt: the config object checked into a Config by the reader's one ConfigReader. Errors
// name the JSON path and what was expected, and never quote a password.
#include "meterlab/reader/config_reader.hpp"
#include "mqtt_topics.hpp"

namespace meterlab::reader::mqtt {
namespace {

using nlohmann::json;

constexpr int kTlsPort = 8883;  // the IANA port of MQTT over TLS

bool parse_tls(ConfigReader c, TlsConfig& out) {
  if (!c.only({"ca_file", "cert_file", "key_file", "insecure"}) ||
      !c.text("ca_file", out.ca_file) || !c.text("cert_file", out.cert_file) ||
      !c.text("key_file", out.key_file) || !c.flag("insecure", out.insecure)) {
    return false;
  }
  if (!out.cert_file.empty() && out.key_file.empty()) {
    return c.fail("key_file", "a key file with cert_file (both or neither)");
  }
  if (out.cert_file.empty() && !out.key_file.empty()) {
    return c.fail("cert_file", "a certificate file with key_file (both or neither)");
  }
  if (!out.cert_file.empty() && out.ca_file.empty()) {
    return c.fail("ca_file", "a CA file with a client certificate");
  }
  return true;
}

bool read_members(ConfigReader& c, Config& out) {
  return c.only({"host", "port", "client_id", "username", "password", "tls", "base_topic", "retain",
                 "qos", "discovery", "discovery_prefix", "queue_size", "keepalive",
                 "reconnect_delay_s", "reconnect_delay_max_s"}) &&
         c.text("host", out.host) && c.integer("port", out.port, 1, 65535) &&
         c.text("client_id", out.client_id) && c.text("username", out.username) &&
         c.secret("password", out.password) && c.text("base_topic", out.base_topic) &&
         c.flag("retain", out.retain) && c.integer("qos", out.qos, 0, 2) &&
         c.flag("discovery", out.discovery) && c.text("discovery_prefix", out.discovery_prefix) &&
         c.integer("queue_size", out.queue_size, 1, 10'000'000) &&
         c.integer("keepalive", out.keepalive_s, 5, 65535) &&
         c.integer("reconnect_delay_s", out.reconnect_delay_s, 1, 3600) &&
         c.integer("reconnect_delay_max_s", out.reconnect_delay_max_s, 1, 86400) &&
         parse_tls(c.nested("tls"), out.tls);
}

bool has_wildcard(std::string_view s) { return s.find_first_of("+#") != std::string_view::npos; }

bool check(ConfigReader& c, Config& out) {
  if (out.host.empty()) return c.fail("host", "a host name or address");
  while (!out.base_topic.empty() && out.base_topic.back() == '/') out.base_topic.pop_back();
  if (out.base_topic.empty() || has_wildcard(out.base_topic)) {
    return c.fail("base_topic", "a topic without '+' or '#'");
  }
  if (out.discovery_prefix.empty() || has_wildcard(out.discovery_prefix)) {
    return c.fail("discovery_prefix", "a topic without '+' or '#'");
  }
  if (out.reconnect_delay_max_s < out.reconnect_delay_s) {
    return c.fail("reconnect_delay_max_s", "a value not less than reconnect_delay_s");
  }
  if (!c.has("port") && out.tls.enabled()) out.port = kTlsPort;
  return true;
}

}  // namespace

ConfigOrError parse_config(const json& cfg, const char* env_password) {
  ConfigOrError result;
  ConfigReader c(cfg, "outputs.mqtt", result.error);
  Config out;
  if (!read_members(c, out)) return result;
  if (!out.password.empty() && out.username.empty()) {
    c.fail("username", "a user name with a password");
    return result;
  }
  // MQTT 3.1.1 3.1.2.9: no password without a user name, so the variable counts only with one.
  if (out.password.empty() && env_password != nullptr && !out.username.empty()) {
    out.password = env_password;
  }
  if (!check(c, out)) return result;
  result.config = std::move(out);
  return result;
}

}  // namespace meterlab::reader::mqtt
