// Reading one object of the config file's "outputs" with the errors the user needs: every
// message names the JSON path ("outputs.influxdb.port: must be 1..65535"); the first error wins;
// unknown keys are errors. Never quotes a value (it might be a password). Private to the
// influx, postgres and solarview outputs (header only, not installed).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace meterlab::reader::detail {

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& cfg, std::string path) : cfg_(cfg), path_(std::move(path)) {
    if (!cfg_.is_null() && !cfg_.is_object()) error_ = path_ + ": must be an object";
  }

  // Every key of the object must be one of `keys`.
  void only(std::initializer_list<std::string_view> keys) {
    if (!cfg_.is_object()) return;
    for (const auto& item : cfg_.items()) {
      bool known = false;
      for (std::string_view k : keys) known = known || item.key() == k;
      if (!known) fail(item.key(), "unknown key");
    }
  }

  std::string text(const char* key, std::string fallback) {
    const nlohmann::json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_string()) {
      fail(key, "must be a string");
      return fallback;
    }
    return v->get<std::string>();
  }

  std::int64_t integer(const char* key, std::int64_t fallback, std::int64_t lo, std::int64_t hi) {
    const nlohmann::json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_number_integer() || v->get<std::int64_t>() < lo || v->get<std::int64_t>() > hi) {
      fail(key, "must be an integer " + std::to_string(lo) + ".." + std::to_string(hi));
      return fallback;
    }
    return v->get<std::int64_t>();
  }

  // A nested object (or nullptr when absent); a non-object is an error.
  const nlohmann::json* object(const char* key) {
    const nlohmann::json* v = find(key);
    if (v != nullptr && !v->is_object()) {
      fail(key, "must be an object");
      return nullptr;
    }
    return v;
  }

  void fail(std::string_view key, std::string_view message) {
    if (error_.empty()) error_ = path_ + "." + std::string(key) + ": " + std::string(message);
  }
  const std::string& error() const noexcept { return error_; }

 private:
  const nlohmann::json* find(const char* key) const {
    if (!cfg_.is_object()) return nullptr;
    auto it = cfg_.find(key);
    return it == cfg_.end() ? nullptr : &*it;
  }

  const nlohmann::json& cfg_;
  std::string path_;
  std::string error_;
};

}  // namespace meterlab::reader::detail
