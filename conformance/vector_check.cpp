#include "vector_check.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>

#include "meterlab/core/hex.hpp"
#include "meterlab/decoder/json.hpp"

namespace meterlab::conformance {
namespace {

using nlohmann::json;

InputTransport transport_of(const std::string& s, const std::filesystem::path& file) {
  if (const auto t = parse_input_transport(s)) return *t;
  throw std::runtime_error(file.string() + ": unknown transport '" + s + "'");
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed_hex(const std::string& hex, const std::filesystem::path& file) {
  auto bytes = parse_hex(hex);
  if (!bytes || bytes->size() != N) throw std::runtime_error(file.string() + ": bad key material");
  std::array<std::uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

std::string describe(const json& j) { return j.dump(); }

bool numbers_equal(double want, double got, double precision) {
  if (want == got) return true;
  double scale = std::max(std::fabs(want), std::fabs(got));
  return std::fabs(want - got) <= precision * std::max(scale, 1.0);
}

bool values_equal(const json& want, const json& got, double precision) {
  if (want.is_number() && got.is_number()) {
    return numbers_equal(want.get<double>(), got.get<double>(), precision);
  }
  return want == got;
}

}  // namespace

std::string reading_key(const json& r) {
  const auto obis = r.find("obis");
  if (obis != r.end() && obis->is_string()) return obis->get<std::string>();
  const auto position = r.find("position");
  if (position != r.end() && position->is_string()) return "@" + position->get<std::string>();
  return {};
}

namespace {

// Finds the first unused decoded reading with this key (reading_key()).
const json* find_reading(const json& readings, const std::string& obis, std::vector<bool>& used) {
  for (std::size_t i = 0; i < readings.size(); ++i) {
    if (!used[i] && reading_key(readings[i]) == obis) {
      used[i] = true;
      return &readings[i];
    }
  }
  return nullptr;
}

void compare_readings(const json& expected, const json& got, double precision,
                      std::vector<std::string>& out) {
  const json& want_list = expected.at("readings");
  const json& got_list = got.at("readings");
  std::vector<bool> used(got_list.size(), false);
  for (const json& want : want_list) {
    std::string obis = reading_key(want);
    const json* r = find_reading(got_list, obis, used);
    if (!r) {
      out.push_back("missing reading " + obis);
      continue;
    }
    if (!values_equal(want.at("value"), r->at("value"), precision)) {
      out.push_back("reading " + obis + ": value " + describe(r->at("value")) + ", expected " +
                    describe(want.at("value")));
    }
    if (want.contains("unit") && want.at("unit") != r->value("unit", json(""))) {
      out.push_back("reading " + obis + ": unit " + describe(r->value("unit", json(""))) +
                    ", expected " + describe(want.at("unit")));
    }
  }
  if (expected.value("readings_complete", false)) {
    for (std::size_t i = 0; i < got_list.size(); ++i) {
      if (!used[i]) out.push_back("unexpected reading " + describe(got_list[i]));
    }
  }
}

// An error the vector did not list is a failure, except more garbage on a stream whose vector
// already expects garbage of that kind (a run may be split at a false frame start), and any
// further link-layer discard where the vector says its list is not exhaustive (after a bad HCS
// the length cannot be trusted, so where the framer finds its footing again is not fixed).
bool tolerated_extra(const json& got, const json& expected_errors, bool exhaustive) {
  std::string code = got.at("error").at("code");
  std::string layer = got.at("error").at("layer");
  if (!exhaustive && (layer == "hdlc" || layer == "mbus")) return true;
  if (code != "hdlc_garbage" && code != "mbus_garbage") return false;
  return std::any_of(expected_errors.begin(), expected_errors.end(),
                     [&](const json& e) { return e.value("code", "") == code; });
}

void compare_errors(const json& expected, bool exhaustive, const Decoded& d,
                    std::vector<std::string>& out) {
  std::size_t at = 0;
  for (const json& want : expected) {
    bool found = false;
    for (; at < d.errors.size(); ++at) {
      const json& e = d.errors[at].at("error");
      bool same =
          e.at("code") == want.at("code") &&
          (!want.contains("layer") || e.at("layer") == want.at("layer")) &&
          (!want.contains("offset") || e.at("offset") == want.at("offset")) &&
          (!want.contains("frame_offset") || e.at("frame").at("offset") == want.at("frame_offset"));
      if (same) {
        found = true;
        ++at;
        break;
      }
      if (!tolerated_extra(d.errors[at], expected, exhaustive)) {
        out.push_back("unexpected error " + describe(e));
      }
    }
    if (!found) out.push_back("missing error " + describe(want));
  }
  for (; at < d.errors.size(); ++at) {
    if (!tolerated_extra(d.errors[at], expected, exhaustive)) {
      out.push_back("unexpected error " + describe(d.errors[at].at("error")));
    }
  }
}

}  // namespace

Vector load_vector(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  Vector v;
  v.path = file;
  v.doc = json::parse(in);
  v.name = v.doc.at("name");
  v.category = v.doc.value("category", file.parent_path().filename().string());
  auto bytes = parse_hex(v.doc.at("input_hex").get<std::string>());
  if (!bytes) throw std::runtime_error(file.string() + ": input_hex is not hex");
  v.input = std::move(*bytes);
  v.transport = transport_of(v.doc.at("transport"), file);
  return v;
}

std::vector<std::filesystem::path> find_vectors(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  // vectors/upstream holds the published vectors as received (their own format): the sources of
  // the project's vectors, not vectors themselves.
  for (auto it = std::filesystem::recursive_directory_iterator(dir);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && it->path().filename() == "upstream") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && it->path().extension() == ".json") out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

dlms::KeyRing key_ring(const Vector& v) {
  dlms::KeyRing ring;
  for (const json& k : v.doc.value("keys", json::array())) {
    std::optional<dlms::SystemTitle> title;
    if (k.contains("system_title") && !k["system_title"].is_null()) {
      title = fixed_hex<8>(k["system_title"], v.path);
    }
    std::optional<dlms::Key> ak;
    if (k.contains("ak") && !k["ak"].is_null()) ak = fixed_hex<16>(k["ak"], v.path);
    ring.add(title, fixed_hex<16>(k.at("ek"), v.path), ak);
  }
  return ring;
}

void drain_json(Decoder& dec, std::string& line, const std::function<void(json)>& telegram,
                const std::function<void(json)>& rejection) {
  for (;;) {
    Decoder::Event ev = dec.next();
    if (ev == Decoder::Event::need_more) return;
    line.clear();
    if (ev == Decoder::Event::telegram) {
      append_json(dec.telegram(), line);
      telegram(json::parse(line));
    } else {
      append_json(dec.rejection(), line);
      rejection(json::parse(line));
    }
  }
}

Decoded decode_bytes(Bytes input, InputTransport transport, dlms::KeyRing keys, std::size_t chunk,
                     bool shape_cache) {
  Decoded out;
  Decoder dec(transport, std::move(keys));
  dec.use_shape_cache(shape_cache);
  std::string line;
  auto drain = [&] {
    drain_json(
        dec, line, [&](json t) { out.telegrams.push_back(std::move(t)); },
        [&](json e) { out.errors.push_back(std::move(e)); });
  };
  std::size_t step = chunk == 0 ? std::max<std::size_t>(input.size(), 1) : chunk;
  for (std::size_t pos = 0; pos < input.size(); pos += step) {
    dec.push(input.subspan(pos, std::min(step, input.size() - pos)));
    drain();
  }
  dec.finish();
  drain();
  out.stats = dec.stats();
  out.shapes = dec.shape_stats();
  return out;
}

Decoded decode(const Vector& v, std::size_t chunk) {
  return decode_bytes(v.input, v.transport, key_ring(v), chunk);
}

std::vector<std::string> compare_telegram(const json& expected, const json& got, double precision) {
  std::vector<std::string> out;
  for (const char* field :
       {"meter_id", "meter_type", "list_id", "timestamp", "timestamp_utc", "timestamp_source",
        "clock_warnings", "security", "system_title", "invocation_counter", "segments"}) {
    if (!expected.contains(field)) continue;
    const json& have = std::string(field) == "segments" ? got.at("frame").at("segments")
                                                        : got.value(field, json(nullptr));
    if (expected.at(field) != have) {
      out.push_back(std::string(field) + " " + describe(have) + ", expected " +
                    describe(expected.at(field)));
    }
  }
  if (expected.contains("readings")) compare_readings(expected, got, precision, out);
  return out;
}

namespace {

// The expected telegram cut down to what the options hold a decoder to.
json restricted(const json& expected, const json& got, const VectorCompareOptions& o) {
  json out = json::object();
  for (const auto& [key, value] : expected.items()) {
    if (key == "readings") continue;
    if (!o.telegram_fields || std::find(o.telegram_fields->begin(), o.telegram_fields->end(),
                                        key) != o.telegram_fields->end())
      out[key] = value;
  }
  if (!expected.contains("readings")) return out;
  out["readings"] = json::array();
  for (const json& r : expected.at("readings")) {
    bool printed = false;
    for (const json& g : got.value("readings", json::array()))
      printed |= reading_key(g) == reading_key(r);
    if (printed || !o.partial) out["readings"].push_back(r);
  }
  return out;
}

}  // namespace

std::vector<std::string> compare(const Vector& v, const Decoded& d,
                                 const VectorCompareOptions& options) {
  std::vector<std::string> out;
  const json& expect = v.doc.at("expect");
  double precision = v.doc.value("precision", 1e-9);
  const json& telegrams = expect.value("telegrams", json::array());
  if (telegrams.size() != d.telegrams.size()) {
    out.push_back("decoded " + std::to_string(d.telegrams.size()) + " telegrams, expected " +
                  std::to_string(telegrams.size()));
  }
  for (std::size_t i = 0; i < std::min(telegrams.size(), d.telegrams.size()); ++i) {
    const json want = restricted(telegrams[i], d.telegrams[i], options);
    for (auto& f : compare_telegram(want, d.telegrams[i], precision)) {
      out.push_back("telegram " + std::to_string(i) + ": " + f);
    }
  }
  if (options.check_errors) {
    compare_errors(expect.value("errors", json::array()), v.doc.value("errors_exhaustive", true), d,
                   out);
  }
  return out;
}

}  // namespace meterlab::conformance
