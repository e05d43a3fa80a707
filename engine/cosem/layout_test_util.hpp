// Helpers of the layout tests (layout_test.cpp, layout_vectors_test.cpp): the plaintext APDUs of
// the golden vectors, split as the dlms layer splits a data-notification, mapped with the built-in
// layouts, and expectations on the readings.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "meterlab/axdr/axdr.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/cosem/layout.hpp"

namespace meterlab::cosem::layout_testing {

#include "layout_test_vectors.inc"

inline std::string vector_hex(std::string_view name) {
  for (const auto& v : kVectorApdus) {
    if (name == v.name) return v.hex;
  }
  throw std::runtime_error("no vector " + std::string(name));
}

// A data-notification APDU split the way the dlms layer does it (DLMS Green Book 9.3.7
// data-notification: tag 0F, long-invoke-id-and-priority (4), date-time as 00 (absent),
// 0C + 12 bytes or 09 0C + 12 bytes, then the body). Test helper only.
struct Apdu {
  std::vector<std::uint8_t> bytes;
  std::size_t body_offset = 0;
  axdr::Document doc;

  Bytes body() const { return Bytes(bytes).subspan(body_offset); }
  LayoutContext context() const { return {&doc, body_offset}; }
};

inline std::size_t body_start(const std::vector<std::uint8_t>& a) {
  if (a.size() < 6 || a[0] != 0x0F) throw std::runtime_error("not a data-notification");
  std::size_t p = 5;
  if (a[p] == 0x00) return p + 1;
  if (a[p] == 0x0C) return p + 13;
  if (a[p] == 0x09 && a[p + 1] == 0x0C) return p + 14;
  throw std::runtime_error("bad date-time field");
}

inline void parse_apdu(Apdu& out, std::string_view hex) {
  out.bytes = *parse_hex(hex);
  out.body_offset = body_start(out.bytes);
  auto used = axdr::parse(out.body(), out.doc);
  ASSERT_TRUE(used) << name(used.error().code) << " at " << used.error().offset;
  ASSERT_EQ(out.body().size(), *used) << "bytes after the body";
}

inline std::string value_text(const Telegram& t, const Reading& r) {
  switch (r.kind) {
    case ValueKind::none:
      return "null";
    case ValueKind::text:
      return std::string(t.text(r.text));
    case ValueKind::octets:
      return to_hex(
          Bytes(reinterpret_cast<const std::uint8_t*>(t.text(r.text).data()), r.text.length));
    case ValueKind::date_time:
      return r.date_time.to_iso8601();
    default: {
      std::ostringstream s;
      s.precision(12);
      s << r.number();
      return s.str();
    }
  }
}

inline void dump(const std::string& name, const Telegram& t) {
  if (!std::getenv("MLAB_DUMP")) return;
  std::cout << "== " << name << " layout=" << t.layout << " id=" << t.text(t.meter_id)
            << " type=" << t.text(t.meter_type) << " list=" << t.text(t.list_id)
            << " ts=" << (t.timestamp ? t.timestamp->to_iso8601() : "-") << "\n";
  for (const auto& r : t.readings) {
    std::cout << "   " << r.obis.to_string() << " " << r.name << " = " << value_text(t, r) << " "
              << r.unit << "\n";
  }
}

struct Mapped {
  Apdu apdu;
  Telegram t;
};

// Parses and maps one vector; the telegram keeps no timestamp from the APDU header, so the list's
// own clock (if any) lands in t.timestamp.
inline void map_vector(Mapped& m, std::string_view name) {
  parse_apdu(m.apdu, vector_hex(name));
  auto r = LayoutSet::builtin().map(m.apdu.context(), m.t);
  ASSERT_TRUE(r) << name << ": " << meterlab::name(r.error().code) << " at " << r.error().offset;
}

inline const Reading* find(const Telegram& t, std::string_view obis) {
  auto code = ObisCode::parse(obis);
  for (const auto& r : t.readings) {
    if (code && r.obis == *code) return &r;
  }
  return nullptr;
}

inline void expect_number(const Telegram& t, std::string_view obis, double value,
                          std::string_view unit) {
  const Reading* r = find(t, obis);
  ASSERT_NE(nullptr, r) << obis;
  EXPECT_TRUE(r->kind == ValueKind::integer || r->kind == ValueKind::real) << obis;
  EXPECT_NEAR(value, r->number(), 1e-9 * (value < 0 ? -value : value) + 1e-12) << obis;
  EXPECT_EQ(unit, r->unit) << obis;
}

inline void expect_text(const Telegram& t, std::string_view obis, std::string_view text) {
  const Reading* r = find(t, obis);
  ASSERT_NE(nullptr, r) << obis;
  EXPECT_EQ(ValueKind::text, r->kind) << obis;
  EXPECT_EQ(text, t.text(r->text)) << obis;
  EXPECT_EQ("", r->unit) << obis;
}

inline void expect_clock(const Telegram& t, std::string_view obis, std::string_view iso) {
  const Reading* r = find(t, obis);
  ASSERT_NE(nullptr, r) << obis;
  EXPECT_EQ(ValueKind::date_time, r->kind) << obis;
  EXPECT_EQ(iso, r->date_time.to_iso8601()) << obis;
  ASSERT_TRUE(t.timestamp.has_value());
  EXPECT_EQ(iso, t.timestamp->to_iso8601());
}

// list_id "" : the list carries no list id (the telegram says null, not the layout name).
inline void expect_ids(const Telegram& t, std::string_view meter_id, std::string_view list_id,
                       std::string_view layout) {
  EXPECT_EQ(meter_id, t.text(t.meter_id));
  EXPECT_EQ(list_id, t.text(t.list_id));
  EXPECT_EQ(layout, t.layout);
}

}  // namespace meterlab::cosem::layout_testing
