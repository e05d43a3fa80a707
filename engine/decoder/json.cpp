#include "meterlab/decoder/json.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "meterlab/core/hex.hpp"

namespace meterlab {
namespace {

using nlohmann::json;

json frame_json(cosem::Transport transport, std::size_t offset, std::size_t length) {
  return json{{"transport", transport_name(transport)}, {"offset", offset}, {"length", length}};
}

// A telegram's JSON line is written straight into the output string: building a nlohmann::json
// object of it took about 20 us (an allocation for every key and value), writing it takes a few
// hundred ns. The text is byte for byte what such an object dumps (json_test.cpp holds it to
// that): keys in the object's (sorted) order, strings that need no escaping copied as they are
// and the others escaped by nlohmann::json itself, floating-point numbers formatted by nlohmann's
// own shortest round-trip routine.
class LineWriter {
 public:
  explicit LineWriter(std::string& out) : out_(out) {}

  void raw(std::string_view s) { out_.append(s); }
  void null() { out_.append("null"); }
  void boolean(bool b) { out_.append(b ? "true" : "false"); }

  template <class Int>
  void integer(Int v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
  }

  void real(double v) {
    if (!std::isfinite(v)) return null();
    char buf[64];
    const char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<std::size_t>(end - buf));
  }

  void string(std::string_view s) {
    if (!plain(s)) {
      out_ += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
    out_.push_back('"');
    out_.append(s);
    out_.push_back('"');
  }

  void hex_string(Bytes b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    out_.push_back('"');
    for (std::uint8_t c : b) {
      out_.push_back(kDigits[c >> 4]);
      out_.push_back(kDigits[c & 0xF]);
    }
    out_.push_back('"');
  }

  void text_or_null(const cosem::Telegram& t, cosem::TextRef r) {
    if (r.empty()) return null();
    string(t.text(r));
  }

  void iso8601(const cosem::DateTime& dt) {
    char buf[cosem::DateTime::kTextMax];
    string(std::string_view(buf, dt.write_iso8601(buf)));
  }

 private:
  // Printable ASCII without '"' and '\': JSON as it is.
  static bool plain(std::string_view s) noexcept {
    bool ok = true;
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      ok &= c >= 0x20 && c <= 0x7E && c != '"' && c != '\\';
    }
    return ok;
  }

  std::string& out_;
};

void write_value(LineWriter& w, const cosem::Telegram& t, const cosem::Reading& r) {
  switch (r.kind) {
    case cosem::ValueKind::none:
      return w.null();
    case cosem::ValueKind::boolean:
      return w.boolean(r.raw != 0);
    case cosem::ValueKind::integer:
      // A scaled value is a decimal fraction; unscaled integers stay integers.
      if (r.scaler != 0) return w.real(r.number());
      if (r.raw_unsigned) return w.integer(static_cast<std::uint64_t>(r.raw));
      return w.integer(r.raw);
    case cosem::ValueKind::real:
      return w.real(r.real);
    case cosem::ValueKind::text:
      return w.string(t.text(r.text));
    case cosem::ValueKind::octets: {
      std::string_view raw = t.text(r.text);
      return w.hex_string(Bytes(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
    }
    case cosem::ValueKind::date_time:
      return w.iso8601(r.date_time);
  }
  w.null();
}

// "A-B:C.D.E.F" as ObisCode::to_string() spells it (six groups of at most three digits).
void write_obis(LineWriter& w, const cosem::ObisCode& obis) {
  static constexpr char kSeparators[] = "-:...\"";
  std::array<char, 24> text{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < obis.v.size(); ++i) {
    const unsigned v = obis.v[i];
    if (v >= 100) text[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) text[n++] = static_cast<char>('0' + v / 10 % 10);
    text[n++] = static_cast<char>('0' + v % 10);
    text[n++] = kSeparators[i];
  }
  w.raw(std::string_view(text.data(), n));
}

void write_reading(LineWriter& w, const cosem::Telegram& t, const cosem::Reading& r) {
  w.raw("{\"name\":");
  w.string(r.name);
  w.raw(",\"obis\":\"");
  write_obis(w, r.obis);  // with its closing quote
  w.raw(",\"unit\":");
  w.string(r.unit);
  w.raw(",\"value\":");
  write_value(w, t, r);
  w.raw("}");
}

void write_clock(LineWriter& w, const cosem::Telegram& t) {
  w.raw(",\"timestamp\":");
  if (!t.timestamp) {
    w.null();
    w.raw(",\"timestamp_utc\":null");
    return;
  }
  w.iso8601(*t.timestamp);
  w.raw(",\"timestamp_utc\":");
  char buf[cosem::DateTime::kTextMax];
  const std::size_t n = t.timestamp->write_utc(buf);
  if (n == 0) return w.null();
  w.string(std::string_view(buf, n));
}

}  // namespace

void append_json(const cosem::Telegram& t, std::string& out) {
  LineWriter w(out);
  w.raw("{\"dst\":");
  if (t.timestamp && t.timestamp->status_known) {
    w.boolean(t.timestamp->dst());
  } else {
    w.null();
  }
  w.raw(",\"frame\":{\"length\":");
  w.integer(t.length);
  w.raw(",\"offset\":");
  w.integer(t.stream_offset);
  w.raw(",\"segments\":");
  w.integer(t.segments);
  w.raw(",\"transport\":");
  w.string(transport_name(t.transport));
  w.raw("},\"invocation_counter\":");
  if (t.invocation_counter) {
    w.integer(*t.invocation_counter);
  } else {
    w.null();
  }
  w.raw(",\"invoke_id\":");
  w.integer(t.invoke_id);
  w.raw(",\"layout\":");
  w.string(t.layout);
  w.raw(",\"list_id\":");
  w.text_or_null(t, t.list_id);
  w.raw(",\"meter_id\":");
  w.text_or_null(t, t.meter_id);
  w.raw(",\"meter_type\":");
  w.text_or_null(t, t.meter_type);
  w.raw(",\"readings\":[");
  for (std::size_t i = 0; i < t.readings.size(); ++i) {
    if (i > 0) w.raw(",");
    write_reading(w, t, t.readings[i]);
  }
  w.raw("],\"security\":");
  w.string(dlms::state_name(static_cast<dlms::SecurityState>(t.security)));
  w.raw(",\"system_title\":");
  if (t.system_title) {
    w.hex_string(*t.system_title);
  } else {
    w.null();
  }
  write_clock(w, t);
  w.raw("}");
}

void append_json(const Rejection& r, std::string& out) {
  json e{{"layer", name(r.layer())},
         {"code", name(r.error.code)},
         {"offset", r.error.offset},
         {"message", message(r.error.code)},
         {"frame", frame_json(r.transport, r.frame_offset, r.frame_length)}};
  if (r.system_title) e["system_title"] = to_hex(*r.system_title);
  out += json{{"error", std::move(e)}}.dump();
}

void append_json(const DecoderStats& s, std::string& out) {
  json errors = json::object();
  for (std::size_t i = 0; i < s.by_code.size(); ++i) {
    if (s.by_code[i] != 0) errors[std::string(name(static_cast<Errc>(i)))] = s.by_code[i];
  }
  json layers = json::object();
  for (std::size_t i = 0; i < s.by_code.size(); ++i) {
    if (s.by_code[i] == 0) continue;
    std::string layer(name(layer_of(static_cast<Errc>(i))));
    layers[layer] = layers.value(layer, std::uint64_t{0}) + s.by_code[i];
  }
  json j{{"bytes_in", s.bytes_in},
         {"bytes_in_frames", s.bytes_in_frames},
         {"bytes_discarded", s.bytes_discarded},
         {"frames_ok", s.frames_ok},
         {"resyncs", s.resyncs},
         {"messages", s.messages},
         {"telegrams", s.telegrams},
         {"rejections", s.rejections},
         {"rejections_by_layer", std::move(layers)},
         {"errors", std::move(errors)}};
  out += j.dump();
}

}  // namespace meterlab
