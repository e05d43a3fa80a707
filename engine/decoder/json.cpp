#include "meterlab/decoder/json.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
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
// The line is put together in a buffer on the stack and appended to the output a few hundred
// bytes at a time: an append to a std::string per key and value (a capacity check, a memcpy
// call, a terminator) cost more than writing the text.
class LineWriter {
 public:
  explicit LineWriter(std::string& out) : out_(out) {}
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;
  ~LineWriter() { flush(); }

  // A literal: its length is known here, so the copy is a few moves, not a call.
  template <std::size_t N>
  void raw(const char (&s)[N]) {
    put(s, N - 1);
  }
  void null() { raw("null"); }
  void boolean(bool b) { b ? raw("true") : raw("false"); }

  template <class Int>
  void integer(Int v) {
    char* at = room(24);
    len_ += static_cast<std::size_t>(std::to_chars(at, at + 24, v).ptr - at);
  }

  void real(double v) {
    if (!std::isfinite(v)) return null();
    char* at = room(64);
    len_ += static_cast<std::size_t>(nlohmann::detail::to_chars(at, at + 64, v) - at);
  }

  void string(std::string_view s) {
    if (!plain(s)) {
      flush();
      out_ += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
    put_char('"');
    put(s.data(), s.size());
    put_char('"');
  }

  void hex_string(Bytes b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    put_char('"');
    for (std::uint8_t c : b) {
      char* at = room(2);
      at[0] = kDigits[c >> 4];
      at[1] = kDigits[c & 0xF];
      len_ += 2;
    }
    put_char('"');
  }

  void text_or_null(const cosem::Telegram& t, cosem::TextRef r) {
    if (r.empty()) return null();
    string(t.text(r));
  }

  // The code in quotes, as ObisCode::to_string() spells it: "A-B:C.D.E.F", six groups of at
  // most three digits.
  void obis(const cosem::ObisCode& code) {
    static constexpr char kSeparators[] = "-:...\"";
    char* const first = room(2 + 6 * 4);
    char* at = first;
    *at++ = '"';
    for (std::size_t i = 0; i < code.v.size(); ++i) {
      const unsigned v = code.v[i];
      if (v >= 100) *at++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *at++ = static_cast<char>('0' + v / 10 % 10);
      *at++ = static_cast<char>('0' + v % 10);
      *at++ = kSeparators[i];
    }
    len_ += static_cast<std::size_t>(at - first);
  }

  // A clock's texts (digits, '-', ':', 'T', '.', '+', 'Z': nothing to escape), in quotes.
  void iso8601(const cosem::DateTime& dt) {
    char* at = room(cosem::DateTime::kTextMax + 2);
    const std::size_t n = dt.write_iso8601(at + 1);
    at[0] = '"';
    at[n + 1] = '"';
    len_ += n + 2;
  }
  void utc(const cosem::Telegram& t) {
    char* at = room(cosem::DateTime::kTextMax + 2);
    const std::size_t n = t.write_utc(at + 1);
    if (n == 0) return null();
    at[0] = '"';
    at[n + 1] = '"';
    len_ += n + 2;
  }

 private:
  static constexpr std::size_t kChunk = 512;

  void flush() {
    out_.append(buf_.data(), len_);
    len_ = 0;
  }
  // Where `n` (<= kChunk) more bytes can be written.
  char* room(std::size_t n) {
    if (n > kChunk - len_) flush();
    return buf_.data() + len_;
  }
  void put(const char* s, std::size_t n) {
    if (n == 0) return;  // an empty string_view may have no data() at all: no memcpy from it
    if (n > kChunk - len_) {
      flush();
      if (n > kChunk) {
        out_.append(s, n);
        return;
      }
    }
    std::memcpy(buf_.data() + len_, s, n);
    len_ += n;
  }
  void put_char(char c) {
    *room(1) = c;
    ++len_;
  }

  // Printable ASCII without '"' and '\': JSON as it is. Eight bytes a step: a byte below 0x20,
  // of 0x7F or above, '"' or '\' sets its top bit in bad()'s mask (the exact "has a byte less
  // than n" and "has a zero byte" word tests).
  static bool plain(std::string_view s) noexcept {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    auto bad = [&](std::size_t at) {
      std::uint64_t x;
      std::memcpy(&x, s.data() + at, 8);
      return ((x - 0x20 * kOnes) & ~x & kHigh) | ((((x & ~kHigh) + kOnes) | x) & kHigh) |
             has_zero(x ^ ('"' * kOnes)) | has_zero(x ^ ('\\' * kOnes));
    };
    if (s.size() < 8) {
      bool ok = true;
      for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        ok &= c >= 0x20 && c <= 0x7E && c != '"' && c != '\\';
      }
      return ok;
    }
    // The last word ends with the string (it may overlap the one before).
    std::uint64_t found = bad(s.size() - 8);
    for (std::size_t i = 0; i + 8 < s.size(); i += 8) found |= bad(i);
    return found == 0;
  }

  std::string& out_;
  std::array<char, kChunk> buf_;
  std::size_t len_ = 0;
};

void write_value(LineWriter& w, const cosem::Telegram& t, const cosem::Reading& r) {
  switch (r.kind) {
    case cosem::ValueKind::none:
      return w.null();
    case cosem::ValueKind::boolean:
      return w.boolean(r.raw != 0);
    case cosem::ValueKind::integer:
      // A whole number stays an integer (0000.98 kW is 980 W); a decimal fraction is a real.
      if (auto whole = r.whole()) {
        if (whole->is_unsigned) return w.integer(static_cast<std::uint64_t>(whole->value));
        return w.integer(whole->value);
      }
      return w.real(r.number());
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

// A P1 number reading with a capture time of its own (a gas meter's value, a peak, a power
// failure's duration) says when: "captured". DLMS readings carry none.
void write_reading(LineWriter& w, const cosem::Telegram& t, const cosem::Reading& r) {
  w.raw("{");
  if (t.transport == cosem::Transport::p1 && r.kind != cosem::ValueKind::date_time &&
      r.date_time.has_date()) {
    w.raw("\"captured\":");
    w.iso8601(r.date_time);
    w.raw(",");
  }
  w.raw("\"name\":");
  w.string(r.name);
  w.raw(",\"obis\":");
  if (r.positional()) {  // a reading no layout names: its place in the body instead
    w.null();
    char position[cosem::Reading::kPositionMax];
    w.raw(",\"position\":");
    w.string(std::string_view(position, r.write_position(position)));
  } else {
    w.obis(r.obis);
  }
  w.raw(",\"unit\":");
  w.string(r.unit);
  w.raw(",\"value\":");
  write_value(w, t, r);
  w.raw("}");
}

// "timestamp": the meter's clock as it sent it; "timestamp_utc": its UTC time, and
// "timestamp_source" where that came from ("meter": its deviation, "zone": its time zone), both
// null when no UTC time is known.
void write_clock(LineWriter& w, const cosem::Telegram& t) {
  w.raw(",\"timestamp\":");
  if (t.timestamp) {
    w.iso8601(*t.timestamp);
  } else {
    w.null();
  }
  w.raw(",\"timestamp_source\":");
  if (t.timestamp_source == cosem::ClockSource::none) {
    w.null();
  } else {
    w.string(cosem::clock_source_name(t.timestamp_source));
  }
  w.raw(",\"timestamp_utc\":");
  w.utc(t);
}

// "frame": where the telegram was in the stream; a P1 telegram also says how its integrity was
// checked (crc16, gcm_tag or none).
void write_frame(LineWriter& w, const cosem::Telegram& t) {
  w.raw(",\"frame\":{");
  if (t.transport == cosem::Transport::p1) {
    w.raw("\"check\":");
    w.string(p1::check_name(static_cast<p1::Check>(t.check)));
    w.raw(",");
  }
  w.raw("\"length\":");
  w.integer(t.length);
  w.raw(",\"offset\":");
  w.integer(t.stream_offset);
  w.raw(",\"segments\":");
  w.integer(t.segments);
  w.raw(",\"transport\":");
  w.string(transport_name(t.transport));
  w.raw("}");
}

// {"code", "layer", "message", "offset"}: a problem that did not reject the telegram.
void write_problem(LineWriter& w, const Error& e) {
  w.raw("{\"code\":");
  w.string(name(e.code));
  w.raw(",\"layer\":");
  w.string(name(layer_of(e.code)));
  w.raw(",\"message\":");
  w.string(message(e.code));
  w.raw(",\"offset\":");
  w.integer(e.offset);
  w.raw("}");
}

// Clocks with an impossible date or time (their readings null): "clock_warnings", first of the
// sorted keys, only when there is one.
void write_clock_warnings(LineWriter& w, const cosem::Telegram& t) {
  if (t.clock_warnings.empty()) return;
  w.raw("\"clock_warnings\":[");
  for (std::size_t i = 0; i < t.clock_warnings.size(); ++i) {
    if (i > 0) w.raw(",");
    write_problem(w, t.clock_warnings[i]);
  }
  w.raw("],");
}

// A problem that did not reject the telegram (a P1 inner CRC that differs under a verified tag):
// "warnings", only when there is one.
void write_warnings(LineWriter& w, const cosem::Telegram& t) {
  if (t.warning.code == Errc::ok) return;
  w.raw(",\"warnings\":[");
  write_problem(w, t.warning);
  w.raw("]");
}

}  // namespace

void append_json(const cosem::Telegram& t, std::string& out) {
  LineWriter w(out);
  w.raw("{");
  write_clock_warnings(w, t);
  w.raw("\"dst\":");
  if (t.timestamp && t.timestamp->status_known) {
    w.boolean(t.timestamp->dst());
  } else {
    w.null();
  }
  write_frame(w, t);
  w.raw(",\"invocation_counter\":");
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
  write_warnings(w, t);
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
         {"cosem_generic_layout", s.generic_layouts},
         {"clock_warnings", s.clock_warnings},
         {"rejections", s.rejections},
         {"rejections_by_layer", std::move(layers)},
         {"errors", std::move(errors)}};
  out += j.dump();
}

}  // namespace meterlab
