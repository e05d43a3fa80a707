// append_json(Telegram) writes its line directly, for speed. It must stay byte for byte what a
// nlohmann::json object of the same telegram dumps, which is how the line was made before (and
// what the README's schema describes). The reference below is that former implementation; every
// telegram of every golden vector, and hand-made telegrams with the awkward values, go through
// both.
#include "meterlab/decoder/json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "meterlab/core/hex.hpp"

namespace meterlab {
namespace {

using nlohmann::json;

// ---- the reference: a nlohmann::json object per telegram ----------------------------------------

json text_or_null(const cosem::Telegram& t, cosem::TextRef r) {
  if (r.empty()) return nullptr;
  return std::string(t.text(r));
}

json reading_value(const cosem::Telegram& t, const cosem::Reading& r) {
  switch (r.kind) {
    case cosem::ValueKind::none:
      return nullptr;
    case cosem::ValueKind::boolean:
      return r.raw != 0;
    case cosem::ValueKind::integer: {
      // A whole number (scaler >= 0, raw x 10^scaler within 64 bits) is an integer.
      if (r.scaler < 0) return r.number();
      __int128 v = r.raw_unsigned ? static_cast<__int128>(static_cast<std::uint64_t>(r.raw))
                                  : static_cast<__int128>(r.raw);
      const __int128 limit = static_cast<__int128>(std::numeric_limits<std::uint64_t>::max());
      for (int i = 0; i < r.scaler && v >= -limit && v <= limit; ++i) v *= 10;
      if (v >= std::numeric_limits<std::int64_t>::min() &&
          v <= std::numeric_limits<std::int64_t>::max()) {
        return static_cast<std::int64_t>(v);
      }
      if (v > 0 && v <= limit) return static_cast<std::uint64_t>(v);
      return r.number();
    }
    case cosem::ValueKind::real:
      return r.real;
    case cosem::ValueKind::text:
      return std::string(t.text(r.text));
    case cosem::ValueKind::octets: {
      std::string_view raw = t.text(r.text);
      return to_hex(Bytes(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
    }
    case cosem::ValueKind::date_time:
      return r.date_time.to_iso8601();
  }
  return nullptr;
}

std::string reference_line(const cosem::Telegram& t) {
  json j;
  j["meter_id"] = text_or_null(t, t.meter_id);
  j["meter_type"] = text_or_null(t, t.meter_type);
  j["list_id"] = text_or_null(t, t.list_id);
  j["layout"] = std::string(t.layout);
  j["timestamp"] = t.timestamp ? json(t.timestamp->to_iso8601()) : json(nullptr);
  auto utc = t.utc();
  j["timestamp_utc"] = utc ? json(*utc) : json(nullptr);
  j["timestamp_source"] = t.timestamp_source == cosem::ClockSource::none
                              ? json(nullptr)
                              : json(cosem::clock_source_name(t.timestamp_source));
  j["dst"] = t.timestamp && t.timestamp->status_known ? json(t.timestamp->dst()) : json(nullptr);
  j["security"] = dlms::state_name(static_cast<dlms::SecurityState>(t.security));
  j["system_title"] = t.system_title ? json(to_hex(*t.system_title)) : json(nullptr);
  j["invocation_counter"] = t.invocation_counter ? json(*t.invocation_counter) : json(nullptr);
  j["invoke_id"] = t.invoke_id;
  const bool p1 = t.transport == cosem::Transport::p1;
  json readings = json::array();
  for (const cosem::Reading& r : t.readings) {
    json one{{"obis", r.obis.to_string()},
             {"name", std::string(r.name)},
             {"value", reading_value(t, r)},
             {"unit", std::string(r.unit)}};
    if (r.positional()) {
      one["obis"] = nullptr;
      one["position"] = r.position_text();
    }
    // P1: a number's own capture time (a gas value, a peak, a power failure).
    if (p1 && r.kind != cosem::ValueKind::date_time && r.date_time.has_date()) {
      one["captured"] = r.date_time.to_iso8601();
    }
    readings.push_back(std::move(one));
  }
  j["readings"] = std::move(readings);
  j["frame"] = json{{"transport", transport_name(t.transport)},
                    {"offset", t.stream_offset},
                    {"length", t.length},
                    {"segments", t.segments}};
  if (p1) j["frame"]["check"] = p1::check_name(static_cast<p1::Check>(t.check));
  auto problem = [](const Error& e) {
    return json{{"code", name(e.code)},
                {"layer", name(layer_of(e.code))},
                {"message", message(e.code)},
                {"offset", e.offset}};
  };
  if (t.warning.code != Errc::ok) j["warnings"] = json::array({problem(t.warning)});
  for (const Error& e : t.clock_warnings) j["clock_warnings"].push_back(problem(e));
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string fast_line(const cosem::Telegram& t) {
  std::string out = "prefix ";  // append_json appends
  append_json(t, out);
  return out.substr(7);
}

// ---- every golden vector --------------------------------------------------------------------

InputTransport transport_of(const std::string& s) {
  return parse_input_transport(s).value_or(InputTransport::auto_detect);
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed(const std::string& hex) {
  std::array<std::uint8_t, N> out{};
  const auto b = *parse_hex(hex);
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

dlms::KeyRing keys_of(const json& v) {
  dlms::KeyRing ring;
  for (const auto& k : v.value("keys", json::array())) {
    std::optional<dlms::SystemTitle> title;
    if (k.contains("system_title") && !k["system_title"].is_null()) {
      title = fixed<8>(k["system_title"].get<std::string>());
    }
    std::optional<dlms::Key> ak;
    if (k.contains("ak") && !k["ak"].is_null()) ak = fixed<16>(k["ak"].get<std::string>());
    ring.add(title, fixed<16>(k.at("ek").get<std::string>()), ak);
  }
  return ring;
}

TEST(JsonLine, EveryVectorTelegramIsTheNlohmannDumpByteForByte) {
  std::size_t telegrams = 0;
  const std::filesystem::path root = std::filesystem::path(MLAB_SOURCE_DIR) / "vectors";
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".json" ||
        entry.path().parent_path().filename() == "upstream") {
      continue;
    }
    std::ifstream in(entry.path());
    const json v = json::parse(in, nullptr, false);
    if (v.is_discarded() || !v.is_object() || !v.contains("input_hex")) continue;
    SCOPED_TRACE(entry.path().string());
    const auto bytes = *parse_hex(v["input_hex"].get<std::string>());
    Decoder dec(transport_of(v.value("transport", "auto")), keys_of(v));
    dec.push(bytes);
    dec.finish();
    for (auto ev = dec.next(); ev != Decoder::Event::need_more; ev = dec.next()) {
      if (ev != Decoder::Event::telegram) continue;
      ++telegrams;
      EXPECT_EQ(fast_line(dec.telegram()), reference_line(dec.telegram()));
    }
  }
  EXPECT_GE(telegrams, 40U);
}

// ---- the awkward values ---------------------------------------------------------------------

cosem::Reading reading(std::uint8_t c, cosem::ValueKind kind) {
  cosem::Reading r;
  r.obis = cosem::ObisCode{{1, 0, c, 7, 0, 255}};
  r.name = "a \"quoted\" \\ name";
  r.unit = "\u00b0C";  // UTF-8: kept as it is
  r.kind = kind;
  return r;
}

// The telegram fields around the readings, each at an awkward value; its clock is `clock`.
void set_awkward_header(cosem::Telegram& t, const cosem::DateTime& clock) {
  t.meter_id = t.store("tab\there, bell\a, quote \", invalid UTF-8 \xff\xfe, \xe2\x82\xac ok");
  t.list_id = t.store("");
  t.layout = "test";
  t.security = 2;
  t.system_title = dlms::SystemTitle{0x4B, 0x46, 0x4D, 0, 1, 2, 3, 0xFF};
  t.invocation_counter = 0xFFFFFFFF;
  t.invoke_id = 0x80000001;
  t.transport = cosem::Transport::mbus;
  t.stream_offset = 123456789012;
  t.length = 376;
  t.segments = 2;
  t.timestamp = clock;
}

// Integers at the edges of int64 under every scaler, 2^64 - 1, and reals JSON finds awkward.
void add_awkward_numbers(cosem::Telegram& t) {
  const std::int64_t raws[] = {0,
                               1,
                               -1,
                               2276,
                               -2276,
                               999999999,
                               std::numeric_limits<std::int64_t>::min(),
                               std::numeric_limits<std::int64_t>::max()};
  const std::int8_t scalers[] = {0, -1, -3, 2, 30, -30};
  for (std::int64_t raw : raws) {
    for (std::int8_t scaler : scalers) {
      cosem::Reading r = reading(1, cosem::ValueKind::integer);
      r.raw = raw;
      r.scaler = scaler;
      t.readings.push_back(r);
    }
  }
  cosem::Reading big = reading(2, cosem::ValueKind::integer);
  big.raw = -1;
  big.raw_unsigned = true;  // 2^64 - 1
  t.readings.push_back(big);
  for (double real : {0.0, -0.0, 0.1, 1e21, 1e-7, 123456.789, std::nan(""), -HUGE_VAL}) {
    cosem::Reading r = reading(3, cosem::ValueKind::real);
    r.real = real;
    t.readings.push_back(r);
  }
}

// One reading of every other kind: none, boolean, octets, text, date-times in and out of range.
void add_awkward_others(cosem::Telegram& t, const cosem::DateTime& clock) {
  t.readings.push_back(reading(4, cosem::ValueKind::none));
  cosem::Reading yes = reading(5, cosem::ValueKind::boolean);
  yes.raw = 1;
  t.readings.push_back(yes);
  cosem::Reading octets = reading(6, cosem::ValueKind::octets);
  octets.text = t.store(std::string_view("\x00\x7e\xff\x10", 4));
  t.readings.push_back(octets);
  cosem::Reading text = reading(7, cosem::ValueKind::text);
  text.text = t.store("KFM_001");
  t.readings.push_back(text);
  cosem::Reading when = reading(8, cosem::ValueKind::date_time);
  when.date_time = clock;
  when.date_time.hundredths = 0;
  when.date_time.deviation.reset();
  t.readings.push_back(when);
  cosem::Reading date_only = reading(9, cosem::ValueKind::date_time);
  date_only.date_time.year = 12345, date_only.date_time.month = 1, date_only.date_time.day = 2;
  t.readings.push_back(date_only);
  cosem::Reading odd = reading(10, cosem::ValueKind::date_time);
  odd.date_time = clock;
  odd.date_time.hour = 150;  // out of range: written through snprintf, as before
  t.readings.push_back(odd);
  cosem::Reading far = reading(255, cosem::ValueKind::date_time);
  far.obis = cosem::ObisCode{{255, 255, 255, 255, 255, 255}};
  far.name = "";
  far.unit = "";
  t.readings.push_back(far);
}

TEST(JsonLine, AwkwardValuesAreTheNlohmannDumpByteForByte) {
  cosem::DateTime clock;
  clock.year = 2021, clock.month = 3, clock.day = 28, clock.hour = 1, clock.minute = 59;
  clock.second = 59, clock.hundredths = 7, clock.deviation = -60, clock.status = 0x80;
  clock.status_known = true;
  cosem::Telegram t;
  set_awkward_header(t, clock);
  add_awkward_numbers(t);
  add_awkward_others(t, clock);

  EXPECT_EQ(fast_line(t), reference_line(t));

  t.timestamp.reset();
  t.system_title.reset();
  t.invocation_counter.reset();
  t.readings.clear();
  EXPECT_EQ(fast_line(t), reference_line(t));
}

// Strings are checked eight bytes at a time for what needs escaping: every byte value, at every
// place of the word and of the tail behind it, must send the string to the escaping path.
TEST(JsonLine, EveryByteAtEveryPlaceOfAStringIsWrittenAsNlohmannDoes) {
  cosem::Telegram t;
  t.layout = "test";
  for (std::size_t len = 1; len <= 17; ++len) {
    for (std::size_t at = 0; at < len; ++at) {
      for (unsigned b = 0; b < 256; ++b) {
        std::string id(len, 'a');
        id[at] = static_cast<char>(b);
        t.text_storage.clear();
        t.meter_id = t.store(id);
        const std::string fast = fast_line(t);
        const std::string reference = reference_line(t);
        if (fast != reference) {
          ADD_FAILURE() << "length " << len << ", byte " << b << " at " << at << ":\n"
                        << fast << "\n"
                        << reference;
          return;
        }
      }
    }
  }
}

// Longer than the writer's buffer: a string of 3000 bytes, and 200 readings.
TEST(JsonLine, LinesAndStringsLongerThanTheWriteBufferAreWhole) {
  cosem::Telegram t;
  t.layout = "test";
  t.meter_id = t.store(std::string(3000, 'x'));
  for (std::uint8_t i = 0; i < 200; ++i) {
    cosem::Reading r = reading(i, cosem::ValueKind::integer);
    r.name = i % 2 == 0 ? "active_power_import" : "a \"quoted\" \\ name";
    r.raw = i * 1000003;
    r.scaler = static_cast<std::int8_t>(i % 4 - 2);
    t.readings.push_back(r);
  }
  const std::string fast = fast_line(t);
  EXPECT_GT(fast.size(), 3000U + 200U * 40U);
  EXPECT_EQ(fast, reference_line(t));
}

TEST(JsonLine, ClockTextsMatchTheirStringForms) {
  cosem::DateTime dt;
  char buf[cosem::DateTime::kTextMax];
  EXPECT_EQ(std::string(buf, dt.write_iso8601(buf)), dt.to_iso8601());  // nothing specified: ""
  EXPECT_EQ(dt.write_utc(buf), 0U);
  dt.year = 2019, dt.month = 12, dt.day = 31, dt.hour = 23, dt.minute = 30, dt.second = 5;
  dt.deviation = -120;
  EXPECT_EQ(std::string(buf, dt.write_iso8601(buf)), "2019-12-31T23:30:05+02:00");
  EXPECT_EQ(std::string(buf, dt.write_utc(buf)), "2019-12-31T21:30:05Z");
  dt.deviation = 600;  // west of UTC: the UTC day is the next one
  EXPECT_EQ(std::string(buf, dt.write_utc(buf)), "2020-01-01T09:30:05Z");
  EXPECT_EQ(*dt.to_utc(), "2020-01-01T09:30:05Z");
}

}  // namespace
}  // namespace meterlab
