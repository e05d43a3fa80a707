// Adapters: how `meterlab conform --decoder` reads another program's output. An adapter file
// (JSON, format in conformance/adapters/README.md) says how to start the program, how to hand it
// the keys, and where in each JSON line it prints the OBIS code, value and unit of a reading (or
// which of its own field names stand for which OBIS code). Each output line becomes a telegram in
// the schema of `meterlab decode` (the one the truth log and the vectors are compared with), a
// rejection, a line to ignore, or garbage.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario_check.hpp"

namespace meterlab::conformance {

struct Adapter {
  // A program field that stands for one OBIS code: value x scale, in `unit`.
  struct Field {
    std::string pointer;  // JSON pointer in the line, e.g. "/power_import"
    std::string obis;     // "1-0:1.7.0.255"
    std::string unit;     // the unit the truth uses ("W", "Wh", "V", ...); "" for none
    double scale = 1;     // the program prints kW where the truth says W: 1000
  };
  struct ReadingArray {
    std::string array;           // pointer to the array of readings, e.g. "/readings"
    std::string obis = "/obis";  // pointers inside one reading
    std::string value = "/value";
    std::string unit = "/unit";
  };

  std::string name;
  std::string command;  // default command template ({tty}, {meterlab}, {transport}, ...)
  std::map<std::string, std::string> env;  // environment for the program, templates too
  std::string telegram_when;               // a line holding this pointer is a telegram
  std::optional<ReadingArray> readings;
  std::vector<Field> fields;
  std::map<std::string, std::string> telegram_fields;  // truth key -> pointer ("meter_id": "/id")
  std::string rejection_when;                          // "" when the program reports none
  std::string rejection_layer, rejection_code;         // pointers
  std::vector<std::string> ignore_when;                // lines with these pointers are ignored
  bool partial = false;
  double relative = 1e-9, absolute = 0;
};

// Throws std::runtime_error naming the file and the key at fault.
Adapter load_adapter(const std::filesystem::path& file);
// The adapters built into the binary (conformance/adapters/*.json), by file stem
// ("meterlab-decode"); `name_or_file` is first looked for as a file.
Adapter find_adapter(const std::string& name_or_file);
std::vector<std::string> builtin_adapter_names();
Adapter parse_adapter(const nlohmann::json& doc, const std::string& where);

struct MappedLine {
  enum class Kind { telegram, rejection, ignored, garbage } kind = Kind::garbage;
  nlohmann::json value;  // telegram: {"readings": [...], "meter_id": ...}; rejection: {"error": ..}
  std::string error;     // garbage: why (not JSON, a pointer missing, a value not a number)
};

MappedLine map_line(const Adapter& a, std::string_view line);

// What the adapter's program is held to, for scenarios and for vectors.
CompareOptions compare_options(const Adapter& a);
std::vector<std::string> mapped_telegram_fields(const Adapter& a);

// Fills {name} placeholders from `values`; a placeholder with no value is an error (thrown as
// std::runtime_error naming it). `quote` shell-quotes each value (for command lines).
std::string expand(std::string_view text, const std::map<std::string, std::string>& values,
                   bool quote);

}  // namespace meterlab::conformance
