#include "keys.hpp"

#include <sys/stat.h>

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

std::optional<std::string> load_file(const std::string& path, dlms::KeyRing& ring) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
    std::cerr << "meterlab: warning: key file " << path
              << " is readable by other users (chmod 600 it)\n";
  }
  std::ifstream in(path);
  if (!in) return "cannot open key file " + path;
  auto doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded()) return "key file " + path + " is not JSON";
  const auto& list = doc.is_array() ? doc : doc.value("keys", nlohmann::json::array());
  std::size_t index = 0;
  for (const auto& entry : list) {
    std::string where = "key file " + path + " entry " + std::to_string(index++);
    auto ek = parse_key(entry.value("ek", std::string()));
    if (!ek) return where + ": \"ek\" is not 16 bytes of hex";
    std::optional<dlms::Key> ak;
    if (entry.contains("ak") && !entry["ak"].is_null()) {
      ak = parse_key(entry["ak"].get<std::string>());
      if (!ak) return where + ": \"ak\" is not 16 bytes of hex";
    }
    std::optional<dlms::SystemTitle> title;
    if (entry.contains("system_title") && !entry["system_title"].is_null()) {
      title = parse_title(entry["system_title"].get<std::string>());
      if (!title) return where + ": \"system_title\" is not 8 bytes of hex";
    }
    ring.add(title, *ek, ak);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> build_key_ring(const KeyOptions& opts, dlms::KeyRing& ring) {
  if (!opts.keys_file.empty()) {
    if (auto err = load_file(opts.keys_file, ring)) return err;
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
    if (!ak) return "the authentication key (--auth-key or METERLAB_AUTH_KEY) is not 16 bytes of hex";
  }
  std::optional<dlms::SystemTitle> title;
  if (!opts.system_title.empty()) {
    title = parse_title(opts.system_title);
    if (!title) return "--system-title is not 8 bytes of hex";
  }
  ring.add(title, *ek, ak);
  return std::nullopt;
}

}  // namespace meterlab::cli
