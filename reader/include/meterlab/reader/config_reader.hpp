// Reading one object of the configuration (the document, "input", "keys", each object of
// "outputs") with the one kind of message every part of the reader gives:
//   <JSON path>: expected <what was expected>, got <what was there>
// e.g. `outputs.mqtt.port: expected an integer 1-65535, got "x"`. The first error wins and every
// later read is a no-op; unknown keys are errors; a secret (password, token, key, conninfo) is
// never quoted, only its JSON type is named.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meterlab::reader {

class ConfigReader {
 public:
  // `path` names the object ("outputs.mqtt"; empty for the document itself, called "config" in
  // messages). A null object reads as an empty one; anything else that is not an object is an
  // error. `error` is where the first error goes: a nested reader shares its parent's.
  ConfigReader(const nlohmann::json& obj, std::string path, std::string& error);
  ConfigReader(const ConfigReader&) = delete;
  ConfigReader& operator=(const ConfigReader&) = delete;

  // The reader of the member object `key` (absent: an empty one).
  ConfigReader nested(std::string_view key) const;

  // Every key of the object must be one of `keys`.
  bool only(std::initializer_list<std::string_view> keys);

  // Each reads `key` when present into `out` (left as it is when absent); false on an error.
  bool text(std::string_view key, std::string& out);
  bool secret(std::string_view key, std::string& out);  // a text never quoted in a message
  bool flag(std::string_view key, bool& out);
  bool integer(std::string_view key, std::int64_t& out, std::int64_t lo, std::int64_t hi);
  template <class T>
  bool integer(std::string_view key, T& out, std::int64_t lo, std::int64_t hi) {
    std::int64_t v = static_cast<std::int64_t>(out);
    if (!integer(key, v, lo, hi)) return false;
    out = static_cast<T>(v);
    return true;
  }
  // A text that must be one of `names` (pairs of a name and the value it gives).
  template <class T, class Names>
  bool choice(std::string_view key, T& out, const Names& names) {
    const nlohmann::json* v = find(key);
    if (v == nullptr || !ok()) return ok();
    std::string expected = "one of";
    for (const auto& [name, value] : names) {
      if (v->is_string() && v->template get_ref<const std::string&>() == name) {
        out = value;
        return true;
      }
      expected += " " + std::string(name) + ",";
    }
    expected.pop_back();
    return fail(key, expected);
  }

  // The member `key`, or nullptr when absent.
  const nlohmann::json* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }

  // Records "<path>.<key>: expected <expected>, got <the value there>" (", got ..." left out
  // when the key is absent) unless an error is already recorded; always false.
  bool fail(std::string_view key, std::string_view expected);
  // The same with what was there said by the caller.
  bool fail(std::string_view key, std::string_view expected, std::string_view got);

  // The object read (an empty one when it was null or not an object).
  const nlohmann::json& object() const noexcept { return obj_; }
  bool ok() const noexcept { return error_.empty(); }
  const std::string& error() const noexcept { return error_; }
  const std::string& path() const noexcept { return path_; }

 private:
  bool is_secret(std::string_view key) const;

  const nlohmann::json& obj_;
  std::string path_;
  std::string& error_;
  std::vector<std::string> secrets_;  // keys read as secrets: their values are never described
};

// `path.key`, or `key` at the top.
std::string config_path(std::string_view path, std::string_view key);

// What a value is, for "got ...": a string quoted (cut at 40 characters), a number or literal as
// written, "an object", "an array"; with `secret`, only its type ("a string").
std::string describe_json(const nlohmann::json& v, bool secret);

}  // namespace meterlab::reader
