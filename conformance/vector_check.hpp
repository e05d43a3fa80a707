// Golden vectors: load one (vectors/<category>/<name>.json, format in vectors/README.md), run it
// through the engine, compare with what it expects. Used by the vector tests and `meterlab
// vectors`.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "meterlab/decoder/decoder.hpp"

namespace meterlab::conformance {

struct Vector {
  std::string name;
  std::string category;
  std::filesystem::path path;
  nlohmann::json doc;
  std::vector<std::uint8_t> input;
  InputTransport transport = InputTransport::auto_detect;
};

// Throws std::runtime_error with the file name on a malformed vector (a test data bug).
Vector load_vector(const std::filesystem::path& file);
std::vector<std::filesystem::path> find_vectors(const std::filesystem::path& dir);
dlms::KeyRing key_ring(const Vector& v);

struct Decoded {
  std::vector<nlohmann::json> telegrams;  // as `meterlab decode` prints them
  std::vector<nlohmann::json> errors;     // {"error": {...}} objects
  DecoderStats stats;
  cosem::ShapeCacheStats shapes;
};

// Hands every event the decoder has ready, as the JSON object `meterlab decode` prints, to
// `telegram` or `rejection` (`line` is scratch space, reused).
void drain_json(Decoder& dec, std::string& line,
                const std::function<void(nlohmann::json)>& telegram,
                const std::function<void(nlohmann::json)>& rejection);

// chunk == 0: the whole input in one push; otherwise pushes of `chunk` bytes. shape_cache: as
// Decoder::use_shape_cache (off: every body through the layout walk).
Decoded decode(const Vector& v, std::size_t chunk = 0);
Decoded decode_bytes(Bytes input, InputTransport transport, dlms::KeyRing keys, std::size_t chunk,
                     bool shape_cache = true);

// What an external decoder is held to (the engine is held to everything): the telegram fields its
// adapter maps, the readings it prints when `partial`, errors only when it reports rejections.
struct VectorCompareOptions {
  std::optional<std::vector<std::string>> telegram_fields;  // none: every field the vector has
  bool partial = false;
  bool check_errors = true;
};

// Every way the decoded output differs from the vector's expectations; empty when it passes.
// What identifies a reading of a decoded or expected telegram: its OBIS code, or for one no
// layout names (obis null) its position, as "@2.1". A generic telegram is graded on its values.
std::string reading_key(const nlohmann::json& reading);

std::vector<std::string> compare(const Vector& v, const Decoded& d,
                                 const VectorCompareOptions& options = {});
// Compares one expected telegram object with one decoded telegram.
std::vector<std::string> compare_telegram(const nlohmann::json& expected, const nlohmann::json& got,
                                          double precision);

}  // namespace meterlab::conformance
