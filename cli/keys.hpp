// Keys for the decoder from flags, a JSON key file or the environment. Key material is never
// printed: errors name the source of a bad key, never its value.
#pragma once

#include <optional>
#include <string>

#include "meterlab/dlms/security.hpp"

namespace meterlab::cli {

struct KeyOptions {
  std::string key_hex;        // --key (EK / GUEK) for every system title
  std::string auth_key_hex;   // --auth-key (AK / GAK)
  std::string system_title;   // --system-title: bind --key to this title only
  std::string keys_file;      // --keys FILE: {"keys": [{"system_title", "ek", "ak"}]}
};

// Builds the ring; on a bad key returns the reason (which source, not the value).
std::optional<std::string> build_key_ring(const KeyOptions& opts, dlms::KeyRing& ring);

}  // namespace meterlab::cli
