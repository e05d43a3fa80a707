// The one config reader of the reader and its outputs: every message is
// "<path>: expected <what>, got <what was there>".
#include "meterlab/reader/config_reader.hpp"

#include <algorithm>
#include <limits>

namespace meterlab::reader {

using nlohmann::json;

namespace {

constexpr std::size_t kQuoteMax = 40;  // a longer string is cut in a message

const json& empty_object() {
  static const json kEmpty = json::object();
  return kEmpty;
}

std::string type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::null:
      return "null";
    default:
      return "a number";
  }
}

}  // namespace

std::string config_path(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

std::string describe_json(const json& v, bool secret) {
  if (secret || v.is_object() || v.is_array()) return type_name(v);
  if (!v.is_string()) return v.dump();
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() <= kQuoteMax) return json(s).dump();
  return json(s.substr(0, kQuoteMax)).dump() + "...";
}

ConfigReader::ConfigReader(const json& obj, std::string path, std::string& error)
    : obj_(obj.is_object() ? obj : empty_object()), path_(std::move(path)), error_(error) {
  if (!obj.is_object() && !obj.is_null() && ok()) {
    error_ = (path_.empty() ? "config" : path_) + ": expected an object, got " +
             describe_json(obj, false);
  }
}

ConfigReader ConfigReader::nested(std::string_view key) const {
  const json* v = find(key);
  return ConfigReader(v != nullptr ? *v : empty_object(), config_path(path_, key), error_);
}

bool ConfigReader::only(std::initializer_list<std::string_view> keys) {
  if (!ok()) return false;
  for (const auto& item : obj_.items()) {
    if (std::find(keys.begin(), keys.end(), item.key()) != keys.end()) continue;
    std::string expected = "one of";
    for (std::string_view k : keys) expected += " " + std::string(k) + ",";
    expected.pop_back();
    return fail(item.key(), expected, "an unknown key");
  }
  return true;
}

bool ConfigReader::text(std::string_view key, std::string& out) {
  const json* v = find(key);
  if (v == nullptr || !ok()) return ok();
  if (!v->is_string()) return fail(key, "a string");
  out = v->get<std::string>();
  return true;
}

bool ConfigReader::secret(std::string_view key, std::string& out) {
  if (!is_secret(key)) secrets_.emplace_back(key);
  return text(key, out);
}

bool ConfigReader::flag(std::string_view key, bool& out) {
  const json* v = find(key);
  if (v == nullptr || !ok()) return ok();
  if (!v->is_boolean()) return fail(key, "true or false");
  out = v->get<bool>();
  return true;
}

bool ConfigReader::integer(std::string_view key, std::int64_t& out, std::int64_t lo,
                           std::int64_t hi) {
  const json* v = find(key);
  if (v == nullptr || !ok()) return ok();
  // nlohmann keeps a non-negative integer as unsigned: one above INT64_MAX is out of range too.
  const bool fits = v->is_number_integer() &&
                    !(v->is_number_unsigned() &&
                      v->get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max());
  if (!fits || v->get<std::int64_t>() < lo || v->get<std::int64_t>() > hi) {
    return fail(key, "an integer " + std::to_string(lo) + "-" + std::to_string(hi));
  }
  out = v->get<std::int64_t>();
  return true;
}

const json* ConfigReader::find(std::string_view key) const {
  auto it = obj_.find(std::string(key));
  return it == obj_.end() ? nullptr : &*it;
}

bool ConfigReader::fail(std::string_view key, std::string_view expected) {
  const json* v = find(key);
  return fail(key, expected, v == nullptr ? "" : describe_json(*v, is_secret(key)));
}

bool ConfigReader::fail(std::string_view key, std::string_view expected, std::string_view got) {
  if (!ok()) return false;
  error_ = config_path(path_, key) + ": expected " + std::string(expected);
  if (!got.empty()) error_ += ", got " + std::string(got);
  return false;
}

bool ConfigReader::is_secret(std::string_view key) const {
  return std::find(secrets_.begin(), secrets_.end(), key) != secrets_.end();
}

}  // namespace meterlab::reader
