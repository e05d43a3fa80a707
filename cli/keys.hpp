// Keys for the decoder from flags, a JSON key file or the environment. Key material is never
// printed: errors name the source of a bad key, never its value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/dlms/security.hpp"

namespace meterlab::cli {

struct KeyOptions {
  std::string key_hex;       // --key (EK / GUEK) for every system title
  std::string auth_key_hex;  // --auth-key (AK / GAK)
  std::string system_title;  // --system-title: bind --key to this title only
  std::string keys_file;     // --keys FILE: {"keys": [{"system_title", "ek", "ak"}]}
};

// Builds the ring; on a bad key returns the reason (which source, not the value).
std::optional<std::string> build_key_ring(const KeyOptions& opts, dlms::KeyRing& ring);

// The keys, checked once (the key file read once, its permission warning given once), from which
// a ring is made for each decoder (a reopened input gets a fresh decoder).
struct KeyEntry {
  std::optional<dlms::SystemTitle> title;
  dlms::Key ek{};
  std::optional<dlms::Key> ak;
};
using KeySet = std::vector<KeyEntry>;
std::optional<std::string> load_keys(const KeyOptions& opts, KeySet& keys);
dlms::KeyRing make_ring(const KeySet& keys);

// A warning on stderr when a file holding keys can be read by its group or others: names the
// file and its mode ("key file /etc/k.json (mode 0644) is readable by other users").
void warn_if_readable(const std::string& path, std::string_view what);

}  // namespace meterlab::cli
