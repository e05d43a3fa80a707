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
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "scenario_check.hpp"

namespace meterlab::conformance {

// How a printed value becomes the truth's: a number (times `scale`), a string as it is, or a clock
// read with a strptime `format` and written as ISO 8601 (the truth's form). One rule for JSON
// fields, text lines and telegram fields.
struct ValueSpec {
  enum class Type { number, string, clock } type = Type::number;
  double scale = 1;    // the program prints kW where the truth says W: 1000
  std::string format;  // clock: "%d.%m.%Y %H:%M:%S" (default ISO 8601)
};

// A regular expression (ECMAScript) with named groups `(?<name>...)`: std::regex has none, so
// they are made plain groups and their numbers kept by name.
struct NamedRegex {
  std::string pattern;  // as written, for messages
  std::regex re;
  std::map<std::string, std::size_t> groups;  // name -> group number
};

// Where the program's output is read, and how.
struct OutputSpec {
  enum class From { stdout_, stderr_, file } from = From::stdout_;
  std::string path;  // file: relative to the run directory, or absolute
  bool absolute = false;
  bool rewrite = false;  // file: rewritten whole for each telegram (else appended to)
  bool text = false;     // lines mapped by `text` rules, else JSON lines
};

// Text output: lines matched by regular expressions. A telegram starts at a `start` line (or after
// the last `end` line) and ends at an `end` line (or at the next start, or the end of a rewritten
// file); with neither, each line that maps is a telegram of its own.
struct TextRule {
  NamedRegex regex;
  std::string obis, unit;  // the reading's, when no (?<obis>) / (?<unit>) group gives them
  ValueSpec value;
};
struct TextSpec {
  std::optional<NamedRegex> start, end;
  std::vector<TextRule> lines;
  std::optional<NamedRegex> rejection;  // groups (?<layer>) (?<code>)
  std::vector<NamedRegex> ignore;
};

// A file the program needs, written before it starts (mode 600) and removed after it ends.
struct FileSpec {
  std::string path;      // relative to the run directory, or absolute (with `absolute`)
  std::string contents;  // a template: {tty} {key} {profile} {baud} ...
  bool absolute = false;
};

struct Adapter {
  // A program field that stands for one OBIS code: value x scale, in `unit`.
  struct Field {
    std::string pointer;  // JSON pointer in the line, e.g. "/power_import"
    std::string obis;     // "1-0:1.7.0.255"
    std::string unit;     // the unit the truth uses ("W", "Wh", "V", ...); "" for none
    ValueSpec value;
  };
  struct ReadingArray {
    std::string array;           // pointer to the array of readings, e.g. "/readings"
    std::string obis = "/obis";  // pointers inside one reading
    std::string value = "/value";
    std::string unit = "/unit";
  };

  std::string name;
  std::string command;  // default command template ({tty}, {meterlab}, {transport}, ...)
  // What `command` reads: the meter's tty ({tty}), or its standard input (a pipe the harness
  // writes the meter's bytes to). A program that can read either gives `stdin_command` too: the
  // command that reads standard input (`--stdin`, and a second row of `--bench`).
  enum class Input { tty, stdin_ } input = Input::tty;
  std::string stdin_command;
  std::map<std::string, std::string> env;  // environment for the program, templates too
  std::string telegram_when;               // a line holding this pointer is a telegram
  std::optional<ReadingArray> readings;
  std::vector<Field> fields;
  std::map<std::string, std::string> telegram_fields;  // truth key -> pointer ("meter_id": "/id")
  std::string timestamp_format;  // strptime format of the telegram's timestamp ("" ISO 8601)
  std::string rejection_when;    // "" when the program reports none
  std::string rejection_layer, rejection_code;  // pointers
  std::vector<std::string> ignore_when;         // lines with these pointers are ignored
  bool partial = false;
  double relative = 1e-9, absolute = 0;
  OutputSpec output;
  std::optional<TextSpec> text;
  std::vector<FileSpec> files;
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
  double at = 0;         // text: when the telegram's last line arrived
};

MappedLine map_line(const Adapter& a, std::string_view line);

// The truth's form of a printed value (nullopt when it cannot be read as `spec` says).
std::optional<nlohmann::json> convert_value(const ValueSpec& spec, const nlohmann::json& printed);
// The same for a telegram field: the timestamp read with the adapter's `timestamp_format`, the
// invocation counter as a number, the rest as printed.
std::optional<nlohmann::json> telegram_field_value(const Adapter& a, const std::string& key,
                                                   const nlohmann::json& printed);
// Compiles `(?<name>...)` groups as plain ones; throws std::regex_error when the expression does
// not compile, std::invalid_argument on a group name used twice or malformed.
NamedRegex compile_named(const std::string& pattern);

// Text output, line by line: the telegrams (each complete at the line that ends it), rejections,
// ignored lines and garbage. `boundary` says a rewritten file's content ended.
class TextMapper {
 public:
  explicit TextMapper(const Adapter& a) : a_(a), spec_(*a.text) {}
  // What the line arriving at `at` completes (a telegram ended by a start line, and the line).
  std::vector<MappedLine> add(const std::string& line, double at);
  std::vector<MappedLine> boundary();  // the end of a rewritten file, or of all output

 private:
  bool apply(const NamedRegex& r, const std::smatch& m, const TextRule* rule, std::string& error);
  bool apply_rules(const std::string& line, bool& matched, std::string& error);
  void open_telegram(double at);
  void flush(std::vector<MappedLine>& out);
  const Adapter& a_;
  const TextSpec& spec_;
  nlohmann::json open_;  // the telegram being assembled (null: none)
  double open_at_ = 0;   // its last line's arrival
};

// The placeholders every template may name (command, env, file contents and paths).
const std::vector<std::string>& known_placeholders();

// What the adapter's program is held to, for scenarios and for vectors.
CompareOptions compare_options(const Adapter& a);
std::vector<std::string> mapped_telegram_fields(const Adapter& a);

// Fills {name} placeholders from `values`; a placeholder with no value is an error (thrown as
// std::runtime_error naming it). `quote` shell-quotes each value (for command lines).
std::string expand(std::string_view text, const std::map<std::string, std::string>& values,
                   bool quote);

}  // namespace meterlab::conformance
