// outputs.mqtt: the config object checked into a Config. Errors name the JSON path and never
// quote a password.
#include <set>

#include "mqtt_topics.hpp"

namespace meterlab::reader::mqtt {
namespace {

using nlohmann::json;

const std::set<std::string, std::less<>> kKeys = {"host",
                                                  "port",
                                                  "client_id",
                                                  "username",
                                                  "password",
                                                  "tls",
                                                  "base_topic",
                                                  "retain",
                                                  "qos",
                                                  "discovery",
                                                  "discovery_prefix",
                                                  "queue_size",
                                                  "keepalive",
                                                  "reconnect_delay_s",
                                                  "reconnect_delay_max_s"};
const std::set<std::string, std::less<>> kTlsKeys = {"ca_file", "cert_file", "key_file",
                                                     "insecure"};

// Reads one member when present; a wrong type is an error naming the path.
class Reader {
 public:
  Reader(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  void text(const char* key, std::string& out) {
    if (auto* v = find(key, json::value_t::string, "a string")) out = v->get<std::string>();
  }
  void flag(const char* key, bool& out) {
    if (auto* v = find(key, json::value_t::boolean, "true or false")) out = v->get<bool>();
  }
  // An integer in [lo, hi].
  template <class T>
  void integer(const char* key, T& out, std::int64_t lo, std::int64_t hi) {
    const json* v = find(key, json::value_t::number_integer, "an integer");
    if (v == nullptr) return;
    const auto n = v->get<std::int64_t>();
    if (n < lo || n > hi) {
      fail(key, "must be " + std::to_string(lo) + ".." + std::to_string(hi));
      return;
    }
    out = static_cast<T>(n);
  }
  void fail(const char* key, const std::string& why) {
    if (error_.empty()) error_ = path_ + "." + key + ": " + why;
  }
  std::string& error() { return error_; }

 private:
  const json* find(const char* key, json::value_t type, const char* what) {
    auto it = obj_.find(key);
    if (it == obj_.end()) return nullptr;
    // nlohmann keeps non-negative integers as number_unsigned.
    const bool ok = it->type() == type || (type == json::value_t::number_integer &&
                                           it->type() == json::value_t::number_unsigned);
    if (!ok) {
      fail(key, std::string("must be ") + what);
      return nullptr;
    }
    return &*it;
  }
  const json& obj_;
  std::string path_;
  std::string error_;
};

std::string unknown_key(const json& obj, const std::set<std::string, std::less<>>& known,
                        const std::string& path) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (known.count(it.key()) == 0) return path + "." + it.key() + ": unknown key";
  }
  return "";
}

std::string parse_tls(const json& tls, TlsConfig& out) {
  const std::string path = "outputs.mqtt.tls";
  if (!tls.is_object()) return path + ": must be an object";
  if (auto e = unknown_key(tls, kTlsKeys, path); !e.empty()) return e;
  Reader r(tls, path);
  r.text("ca_file", out.ca_file);
  r.text("cert_file", out.cert_file);
  r.text("key_file", out.key_file);
  r.flag("insecure", out.insecure);
  if (!r.error().empty()) return r.error();
  if (out.cert_file.empty() != out.key_file.empty())
    return path + ": cert_file and key_file go together";
  if (!out.cert_file.empty() && out.ca_file.empty())
    return path + ".ca_file: needed with a client certificate";
  return "";
}

bool has_wildcard(std::string_view s) { return s.find_first_of("+#") != std::string_view::npos; }

std::string check(Config& c, bool port_given) {
  const std::string path = "outputs.mqtt";
  if (c.host.empty()) return path + ".host: must not be empty";
  while (!c.base_topic.empty() && c.base_topic.back() == '/') c.base_topic.pop_back();
  if (c.base_topic.empty() || has_wildcard(c.base_topic))
    return path + ".base_topic: must be a topic without '+' or '#'";
  if (c.discovery_prefix.empty() || has_wildcard(c.discovery_prefix))
    return path + ".discovery_prefix: must be a topic without '+' or '#'";
  if (c.reconnect_delay_max_s < c.reconnect_delay_s)
    return path + ".reconnect_delay_max_s: must be >= reconnect_delay_s";
  if (!port_given && c.tls.enabled()) c.port = 8883;  // the IANA port of MQTT over TLS
  return "";
}

}  // namespace

ConfigOrError parse_config(const json& cfg, const char* env_password) {
  const std::string path = "outputs.mqtt";
  if (!cfg.is_object()) return {std::nullopt, path + ": must be an object"};
  if (auto e = unknown_key(cfg, kKeys, path); !e.empty()) return {std::nullopt, e};
  Config c;
  Reader r(cfg, path);
  r.text("host", c.host);
  r.integer("port", c.port, 1, 65535);
  r.text("client_id", c.client_id);
  r.text("username", c.username);
  r.text("password", c.password);
  r.text("base_topic", c.base_topic);
  r.flag("retain", c.retain);
  r.integer("qos", c.qos, 0, 2);
  r.flag("discovery", c.discovery);
  r.text("discovery_prefix", c.discovery_prefix);
  r.integer("queue_size", c.queue_size, 1, 10'000'000);
  r.integer("keepalive", c.keepalive_s, 5, 65535);
  r.integer("reconnect_delay_s", c.reconnect_delay_s, 1, 3600);
  r.integer("reconnect_delay_max_s", c.reconnect_delay_max_s, 1, 86400);
  if (!r.error().empty()) return {std::nullopt, r.error()};
  if (auto it = cfg.find("tls"); it != cfg.end()) {
    if (auto e = parse_tls(*it, c.tls); !e.empty()) return {std::nullopt, e};
  }
  if (!c.password.empty() && c.username.empty())
    return {std::nullopt, path + ".username: needed with a password"};
  // MQTT 3.1.1 3.1.2.9: no password without a user name, so the variable counts only with one.
  if (c.password.empty() && env_password != nullptr && !c.username.empty())
    c.password = env_password;
  if (auto e = check(c, cfg.contains("port")); !e.empty()) return {std::nullopt, e};
  return {std::move(c), ""};
}

}  // namespace meterlab::reader::mqtt
