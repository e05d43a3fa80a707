// InfluxDB line protocol: escaping and one point per reading (see line_protocol.hpp).
#include "line_protocol.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>

namespace meterlab::reader::influx {
namespace {

// Backslash before each character of `special`; CR and LF (which no escape can carry) as spaces.
void append_escaped(std::string_view s, std::string_view special, std::string& out) {
  for (char c : s) {
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    if (special.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
}

void append_tag(std::string_view key, std::string_view value, std::string& out) {
  if (value.empty()) return;  // the protocol has no empty tag value
  out += ',';
  append_key(key, out);
  out += '=';
  append_key(value, out);
}

// The field part: `value=<float>` for numbers, `text="..."` otherwise; false if none.
bool append_field(const cosem::Telegram& t, const cosem::Reading& r, std::string& out) {
  if (r.kind == cosem::ValueKind::none) return false;
  if (auto v = number(r)) {
    if (!std::isfinite(*v)) return false;
    std::array<char, 32> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), *v);
    out += "value=";
    out.append(buf.data(), res.ptr);
    return true;
  }
  out += "text=";
  append_string_field(value_text(t, r), out);
  return true;
}

}  // namespace

void append_measurement(std::string_view s, std::string& out) { append_escaped(s, ", ", out); }
void append_key(std::string_view s, std::string& out) { append_escaped(s, ",= ", out); }

void append_string_field(std::string_view s, std::string& out) {
  out += '"';
  append_escaped(s, "\"\\", out);
  out += '"';
}

std::string point(std::string_view measurement, const Tags& tags, std::string_view meter,
                  const cosem::Telegram& t, const cosem::Reading& r, const Received& rc) {
  Tags all = tags;
  all.emplace_back("meter", std::string(meter));
  all.emplace_back("name", std::string(r.name));
  // A reading no layout names has no obis tag but a position tag (tags are never empty).
  all.emplace_back("obis", r.positional() ? std::string() : r.obis.to_string());
  all.emplace_back("position", r.position_text());
  all.emplace_back("unit", std::string(r.unit));
  // Sorted by key, as InfluxDB recommends (it sorts them itself otherwise).
  std::sort(all.begin(), all.end());
  std::string out;
  append_measurement(measurement, out);
  for (const auto& [k, v] : all) append_tag(k, v, out);
  out += ' ';
  if (!append_field(t, r, out)) return "";
  // Which clock the point's time is (a field: a tag would split the series when it changes).
  const StoredTime when = stored_time(t, r, rc);
  out += ",time_source=";
  append_string_field(time_source_name(when.source), out);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(when.time.time_since_epoch());
  out += ' ';
  out += std::to_string(ms.count());
  return out;
}

}  // namespace meterlab::reader::influx
