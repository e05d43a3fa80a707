#include "keys.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "meterlab/core/hex.hpp"

namespace meterlab::cli {
namespace {

std::optional<dlms::Key> parse_key(const std::string& hex) {
  auto bytes = parse_hex(hex);
  if (!bytes || bytes->size() != 16) return std::nullopt;
  dlms::Key k{};
  std::copy(bytes->begin(), bytes->end(), k.begin());
  return k;
}

std::optional<dlms::SystemTitle> parse_title(const std::string& hex) {
  auto bytes = parse_hex(hex);
  if (!bytes || bytes->size() != 8) return std::nullopt;
  dlms::SystemTitle t{};
  std::copy(bytes->begin(), bytes->end(), t.begin());
  return t;
}

std::string env_or(const char* name, const std::string& fallback) {
  if (!fallback.empty()) return fallback;
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// A member of a key file entry as text: nullopt when absent or null, "" (never valid) when it
// is not a string, so a wrong type is refused like a bad value.
std::optional<std::string> member(const nlohmann::json& entry, const char* key) {
  auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) return std::nullopt;
  return it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::string> load_entry(const nlohmann::json& entry, const std::string& where,
                                      KeySet& keys) {
  if (!entry.is_object()) return where + " is not an object";
  auto ek = parse_key(member(entry, "ek").value_or(""));
  if (!ek) return where + ": \"ek\" is not 16 bytes of hex";
  std::optional<dlms::Key> ak;
  if (auto text = member(entry, "ak")) {
    ak = parse_key(*text);
    if (!ak) return where + ": \"ak\" is not 16 bytes of hex";
  }
  std::optional<dlms::SystemTitle> title;
  if (auto text = member(entry, "system_title")) {
    title = parse_title(*text);
    if (!title) return where + ": \"system_title\" is not 8 bytes of hex";
  }
  keys.push_back(KeyEntry{title, *ek, ak});
  return std::nullopt;
}

std::optional<std::string> load_file(const std::string& path, KeySet& keys) {
  warn_if_readable(path, "key file");
  std::ifstream in(path);
  if (!in) return "cannot open key file " + path;
  auto doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded()) return "key file " + path + " is not JSON";
  const nlohmann::json* list = &doc;
  if (doc.is_object() && doc.contains("keys")) list = &doc["keys"];
  if (!list->is_array()) return "key file " + path + ": \"keys\" must be a list";
  std::size_t index = 0;
  for (const auto& entry : *list) {
    std::string where = "key file " + path + " entry " + std::to_string(index++);
    if (auto err = load_entry(entry, where, keys)) return err;
  }
  return std::nullopt;
}

}  // namespace

void warn_if_readable(const std::string& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & (S_IRGRP | S_IROTH)) == 0) return;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  // Names the file and its mode, never what it holds.
  std::cerr << "meterlab: warning: " << what << " " << path << " (mode " << mode
            << ") is readable by other users (chmod 600 it)\n";
}

std::optional<std::string> build_key_ring(const KeyOptions& opts, dlms::KeyRing& ring) {
  KeySet keys;
  if (auto err = load_keys(opts, keys)) return err;
  ring = make_ring(keys);
  return std::nullopt;
}

dlms::KeyRing make_ring(const KeySet& keys) {
  dlms::KeyRing ring;
  for (const auto& k : keys) ring.add(k.title, k.ek, k.ak);
  return ring;
}

std::optional<std::string> load_keys(const KeyOptions& opts, KeySet& keys) {
  if (!opts.keys_file.empty()) {
    if (auto err = load_file(opts.keys_file, keys)) return err;
  }
  std::string ek_hex = env_or("METERLAB_KEY", opts.key_hex);
  std::string ak_hex = env_or("METERLAB_AUTH_KEY", opts.auth_key_hex);
  if (ek_hex.empty()) {
    if (!ak_hex.empty()) return "an authentication key needs an encryption key (--key)";
    return std::nullopt;
  }
  auto ek = parse_key(ek_hex);
  if (!ek) return "the encryption key (--key or METERLAB_KEY) is not 16 bytes of hex";
  std::optional<dlms::Key> ak;
  if (!ak_hex.empty()) {
    ak = parse_key(ak_hex);
    if (!ak)
      return "the authentication key (--auth-key or METERLAB_AUTH_KEY) is not 16 bytes of hex";
  }
  std::optional<dlms::SystemTitle> title;
  if (!opts.system_title.empty()) {
    title = parse_title(opts.system_title);
    if (!title) return "--system-title is not 8 bytes of hex";
  }
  keys.push_back(KeyEntry{title, *ek, ak});
  return std::nullopt;
}

}  // namespace meterlab::cli
