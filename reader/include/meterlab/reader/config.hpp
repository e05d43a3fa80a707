// The configuration of `meterlab decode`: a JSON document (reader/README.md has the schema) that
// says everything the flags say. Flags are written into an `overrides` object of the same schema
// and merged over the file (RFC 7386 merge patch), so a flag and a file key mean the same thing.
// Unknown keys are refused with their JSON path; secrets are never quoted in an error.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "meterlab/decoder/decoder.hpp"

namespace meterlab::reader {

// The serial line: termios speed and character format.
struct LineSettings {
  int baud = 2400;
  int data_bits = 8;
  char parity = 'N';  // 'N', 'E', 'O'
  int stop_bits = 1;
  std::string to_string() const;  // "2400 8E1"
  bool operator==(const LineSettings&) const = default;
};

// What a meter family (or a simulator profile) implies when the user says `--meter NAME`.
struct MeterDefaults {
  LineSettings line;
  InputTransport transport = InputTransport::auto_detect;
};

// The short family names: kaifa-no, aidon-no, kamstrup-no, kaifa-at (tinetz, evn, vkw), lg-at,
// iskra-at; P1: dsmr, dsmr22, smarty, fluvius, han-se. Profile names are looked up by the caller
// (the simulator is not part of the reader).
std::optional<MeterDefaults> family_defaults(std::string_view name);
// Every family name, ", "-separated (for help and error texts).
std::string family_names();
using MeterLookup = std::function<std::optional<MeterDefaults>(std::string_view name)>;

struct InputConfig {
  std::string device = "-";  // a device or pty path, tcp://HOST:PORT, a file, or "-" (stdin)
  LineSettings line;         // after the meter's defaults and the explicit keys
  bool hex = false;
  InputTransport transport = InputTransport::auto_detect;
  bool reopen = true;
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
};

// Key sources; the values are secrets (never printed). Empty means not given.
struct KeyConfig {
  std::string key;           // EK / GUEK, 32 hex digits
  std::string auth_key;      // AK, 32 hex digits
  std::string system_title;  // bind `key` to this title only, 16 hex digits
  std::string file;          // JSON key file {"keys": [{"system_title", "ek", "ak"}]}
};

struct ReaderConfig {
  InputConfig input;
  std::string meter;
  KeyConfig keys;
  bool errors = false;
  const cosem::TimeZone* time_zone = nullptr;  // "timezone"; null: the meter family's default
  // The "outputs" object as given (each factory checks its own object); when none is given,
  // {"json": {"file": "-"}}: JSON lines on stdout.
  nlohmann::json outputs = nlohmann::json::object();
};

struct ConfigOrError {
  std::optional<ReaderConfig> config;
  std::string error;  // "input.baud: expected one of 300, 600, ..., 115200, got 2401"
};

// Checks the document and builds the configuration. `lookup` resolves "meter" (may be empty:
// then only the family names are known).
ConfigOrError parse_config(const nlohmann::json& doc, const MeterLookup& lookup = {});

// Reads a JSON config file into `doc`; on failure the reason (file name, parse position).
std::optional<std::string> load_config_file(const std::string& path, nlohmann::json& doc);

// The file's document with the flags' overrides merged over it (RFC 7386).
nlohmann::json merge_overrides(nlohmann::json doc, const nlohmann::json& overrides);

// "auto", "hdlc", "mbus", "apdu".
std::optional<InputTransport> parse_transport(std::string_view s);

}  // namespace meterlab::reader
