// Layout engine tests beside the per-vector ones (layout_vectors_test.cpp): errors and their
// offsets, the shape cache against the walk, storage reuse, layouts loaded from JSON.
#include "meterlab/cosem/layout.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "layout_test_util.hpp"

namespace meterlab::cosem {
namespace {

using namespace layout_testing;

// ---- errors ----------------------------------------------------------------------------------

// Issue 16: a body no layout identifies gives every value, positionally (it was
// cosem_unknown_layout).
TEST(LayoutGeneric, BodyMatchingNothingGivesEveryValueByPosition) {
  Apdu a;
  parse_apdu(a, "0f00000001000203030106000000010a0178");  // structure{bool, u32, "x"}
  Telegram t;
  ASSERT_TRUE(LayoutSet::builtin().map(a.context(), t));
  EXPECT_EQ(kGenericLayout, t.layout);
  ASSERT_EQ(3u, t.readings.size());
  const char* positions[] = {"1", "2", "3"};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(positions[i], t.readings[i].position_text());
    EXPECT_EQ(ObisCode{}, t.readings[i].obis);
    EXPECT_EQ("", t.readings[i].name);
    EXPECT_EQ("", t.readings[i].unit);
  }
  EXPECT_EQ(ValueKind::boolean, t.readings[0].kind);
  EXPECT_EQ(1, t.readings[1].raw);
  EXPECT_EQ(ValueKind::text, t.readings[2].kind);
  EXPECT_EQ("x", t.text(t.readings[2].text));
}

TEST(LayoutGeneric, NestedValuesHaveAnIndexPathAndObisObjectsTheirCode) {
  Apdu a;
  // structure{u8 7, structure{u16 300, structure{OBIS 1-0:2.8.0.255, u32 5, {-1, Wh}}}}
  parse_apdu(a,
             "0f000000010002021107020212012c0203090601000208"
             "00ff060000000502020fff161e");
  Telegram t;
  ASSERT_TRUE(LayoutSet::builtin().map(a.context(), t));
  ASSERT_EQ(3u, t.readings.size());
  EXPECT_EQ("1", t.readings[0].position_text());
  EXPECT_EQ("2.1", t.readings[1].position_text());
  EXPECT_EQ(300, t.readings[1].raw);
  EXPECT_EQ((ObisCode{{1, 0, 2, 8, 0, 255}}), t.readings[2].obis);
  EXPECT_FALSE(t.readings[2].positional());
  EXPECT_EQ(-1, t.readings[2].scaler);
  EXPECT_EQ("Wh", t.readings[2].unit);
}

TEST(LayoutErrors, EmptyBodyIsUnknownLayout) {
  Telegram t;
  axdr::Document empty;
  auto r = LayoutSet::builtin().map(LayoutContext{&empty, 6}, t);
  ASSERT_FALSE(r);
  EXPECT_EQ(Errc::cosem_unknown_layout, r.error().code);
  EXPECT_TRUE(t.readings.empty());
}

TEST(LayoutErrors, SelfDescribingNumberWithoutScalerIsNotGuessed) {
  // Aidon list 1 with its {scaler, unit} removed: no layout may guess a scaler for it.
  Apdu a;
  parse_apdu(a,
             "0f400000000001010202090601000107"
             "00ff06000006a0");
  Telegram t;
  // Issue 16: the generic mapping gives it by its OBIS code, raw and without a unit.
  ASSERT_TRUE(LayoutSet::builtin().map(a.context(), t));
  EXPECT_EQ(kGenericLayout, t.layout);
  ASSERT_EQ(1u, t.readings.size());
  EXPECT_EQ((ObisCode{{1, 0, 1, 7, 0, 255}}), t.readings[0].obis);
  EXPECT_FALSE(t.readings[0].positional());
  EXPECT_EQ(1696, t.readings[0].raw);
  EXPECT_EQ(0, t.readings[0].scaler);
  EXPECT_EQ("", t.readings[0].unit);
}

TEST(LayoutErrors, WrongElementTypeIsLayoutMismatchAtItsOffset) {
  // KFM_001 list 2 with P+ (position 4, a double-long-unsigned) replaced by a visible-string.
  std::string hex = vector_hex("hdlc-plain/kaifa-kfm001-ma304h3e-list2");
  std::string p_plus = "06000000e4";
  auto at = hex.find(p_plus);
  ASSERT_NE(std::string::npos, at);
  hex.replace(at, p_plus.size(), "0a0141");
  Apdu a;
  parse_apdu(a, hex);
  Telegram t;
  auto r = LayoutSet::builtin().map(a.context(), t);
  ASSERT_FALSE(r);
  EXPECT_EQ(Errc::cosem_layout_mismatch, r.error().code);
  EXPECT_EQ(at / 2, r.error().offset);  // the element's tag in the APDU
  EXPECT_TRUE(t.readings.empty());
}

// Issue 16: an impossible clock no longer loses the telegram: its reading is null and the
// telegram carries the warning (cosem_bad_date_time at the byte).
TEST(LayoutErrors, ImpossibleClockIsANullReadingWithAWarningAtItsByte) {
  // KFM_001 list 3 with the clock's month set to 13.
  std::string hex = vector_hex("hdlc-plain/kaifa-kfm001-ma304h3e-list3-a09b");
  std::string clock = "090c07e1090d0200000aff800000";
  auto at = hex.rfind(clock);
  ASSERT_NE(std::string::npos, at);
  Apdu good;
  parse_apdu(good, hex);
  Telegram want;
  ASSERT_TRUE(LayoutSet::builtin().map(good.context(), want));
  hex.replace(at + 8, 2, "0d");
  Apdu a;
  parse_apdu(a, hex);
  Telegram t;
  auto r = LayoutSet::builtin().map(a.context(), t);
  ASSERT_TRUE(r);
  ASSERT_EQ(1u, t.clock_warnings.size());
  EXPECT_EQ(Errc::cosem_bad_date_time, t.clock_warnings[0].code);
  EXPECT_EQ(at / 2 + 4, t.clock_warnings[0].offset);  // 09 0C yy yy [mm]
  ASSERT_EQ(want.readings.size(), t.readings.size());
  std::size_t nulls = 0;
  for (std::size_t i = 0; i < t.readings.size(); ++i) {
    if (want.readings[i].kind == ValueKind::date_time) {
      EXPECT_EQ(ValueKind::none, t.readings[i].kind);
      ++nulls;
    } else {
      EXPECT_EQ(want.readings[i].number(), t.readings[i].number()) << i;
    }
  }
  EXPECT_EQ(1u, nulls);
  EXPECT_TRUE(want.clock_warnings.empty());
}

// ---- the shape cache against the walk -------------------------------------------------------

// Everything map() gives, as text: the shape cache must give the same, field by field.
std::string telegram_text(const Telegram& t) {
  std::ostringstream s;
  s << t.layout << "|" << t.text(t.meter_id) << "|" << t.text(t.meter_type) << "|"
    << t.text(t.list_id) << "|" << (t.timestamp ? t.timestamp->to_iso8601() : "-") << "\n";
  for (const auto& r : t.readings) {
    s << r.obis.to_string() << " " << r.name << " " << static_cast<int>(r.kind) << " " << r.raw
      << " " << r.raw_unsigned << " " << static_cast<int>(r.scaler) << " " << r.unit << " "
      << value_text(t, r) << "\n";
  }
  return s.str();
}

// The walk maps `a` into `walked` and the cache learns its shape from it.
void learn(ShapeCache& cache, const Apdu& a, Telegram& walked) {
  MapTrace trace;
  ASSERT_TRUE(LayoutSet::builtin().map({&a.doc, a.body_offset, &trace}, walked));
  cache.learn(a.body(), walked, trace);
}

TEST(LayoutShapeCache, SameTelegramAsTheWalkForEveryVector) {
  std::vector<std::string> covered;
  for (const auto& v : kVectorApdus) {
    Apdu a;
    parse_apdu(a, v.hex);
    ShapeCache cache;
    Telegram walked, cached;
    learn(cache, a, walked);
    if (!cache.map(a.body(), a.body_offset, cached)) continue;
    covered.emplace_back(v.name);
    EXPECT_EQ(telegram_text(walked), telegram_text(cached)) << v.name;
  }
  // Flat positional lists among them: KFM_001 lists 1-3.
  EXPECT_NE(covered.end(), std::find(covered.begin(), covered.end(),
                                     "hdlc-plain/kaifa-kfm001-ma304h3e-list3-a09b"));
  EXPECT_NE(covered.end(),
            std::find(covered.begin(), covered.end(), "hdlc-plain/kaifa-kfm001-ma304h3e-list1"));
  EXPECT_LE(3u, covered.size());
}

// A body the cache does not hold, or whose values do not read, is left to the walk (false),
// which reports the error: a wrong type, a bad clock, a byte missing or one too many.
TEST(LayoutShapeCache, BodiesWithErrorsAreLeftToTheWalk) {
  const std::string list3 = vector_hex("hdlc-plain/kaifa-kfm001-ma304h3e-list3-a09b");
  std::string wrong_type = list3;  // P+ as a double-long (signed): still a number
  wrong_type.replace(wrong_type.find("06000011b5"), 2, "05");
  std::string bad_clock = list3;
  bad_clock.replace(bad_clock.rfind("090c07e1090d") + 8, 2, "0d");  // month 13
  const std::vector<std::uint8_t> bytes = *parse_hex(list3);
  Telegram t, walked;
  ShapeCache cache;
  Apdu ok;
  parse_apdu(ok, list3);
  learn(cache, ok, walked);
  ASSERT_TRUE(cache.map(ok.body(), ok.body_offset, t));
  EXPECT_EQ(18u, t.readings.size());
  std::vector<std::uint8_t> b = *parse_hex(bad_clock);
  EXPECT_FALSE(cache.map(Bytes(b).subspan(ok.body_offset), ok.body_offset, t));
  b = bytes;
  b.pop_back();  // truncated
  EXPECT_FALSE(cache.map(Bytes(b).subspan(ok.body_offset), ok.body_offset, t));
  b = bytes;
  b.push_back(0x00);  // trailing byte
  EXPECT_FALSE(cache.map(Bytes(b).subspan(ok.body_offset), ok.body_offset, t));
  // Another tag is another shape: the walk maps it, and the cache then gives the same.
  b = *parse_hex(wrong_type);
  EXPECT_FALSE(cache.map(Bytes(b).subspan(ok.body_offset), ok.body_offset, t));
  Apdu signed_p;
  parse_apdu(signed_p, wrong_type);
  Telegram general;
  learn(cache, signed_p, general);
  ASSERT_TRUE(cache.map(Bytes(b).subspan(ok.body_offset), ok.body_offset, t));
  EXPECT_EQ(telegram_text(general), telegram_text(t));
  // A string where the layout wants a number: the identified layout's mismatch is map()'s to
  // report (LayoutErrors.WrongElementTypeIsLayoutMismatchAtItsOffset).
  std::string list2 = vector_hex("hdlc-plain/kaifa-kfm001-ma304h3e-list2");
  Apdu list2_ok;
  parse_apdu(list2_ok, list2);
  learn(cache, list2_ok, walked);
  list2.replace(list2.find("06000000e4"), 10, "0a0141");
  Apdu mismatch;
  parse_apdu(mismatch, list2);
  EXPECT_FALSE(cache.map(mismatch.body(), mismatch.body_offset, t));
}

// The cache is a plain value: a copy keeps the shapes and the telegram last written, and maps
// into that telegram (in place) or into another one (whole) as the original would.
TEST(LayoutShapeCache, ACopyMapsAsTheOriginal) {
  Apdu a;
  parse_apdu(a, vector_hex("hdlc-plain/kaifa-kfm001-ma304h3e-list3-a09b"));
  ShapeCache cache;
  Telegram walked, t, other;
  learn(cache, a, walked);
  ASSERT_TRUE(cache.map(a.body(), a.body_offset, t));
  ShapeCache copy = cache;
  ASSERT_TRUE(copy.map(a.body(), a.body_offset, t));
  EXPECT_EQ(telegram_text(walked), telegram_text(t));
  ASSERT_TRUE(copy.map(a.body(), a.body_offset, other));
  EXPECT_EQ(telegram_text(walked), telegram_text(other));
  EXPECT_EQ(2u, copy.stats().hits - cache.stats().hits);
}

// ---- storage reuse, user layouts ----------------------------------------------------------------

TEST(LayoutReuse, MappingTwiceGivesTheSameTelegramWithoutGrowing) {
  Mapped m;
  map_vector(m, "hdlc-plain/kamstrup-6841121-list2");
  std::vector<std::pair<std::string, std::string>> first;
  for (const auto& r : m.t.readings) first.emplace_back(r.obis.to_string(), value_text(m.t, r));
  const char* text_data = m.t.text_storage.data();
  const Reading* readings_data = m.t.readings.data();
  std::size_t text_cap = m.t.text_storage.capacity();
  ASSERT_TRUE(LayoutSet::builtin().map(m.apdu.context(), m.t));
  std::vector<std::pair<std::string, std::string>> second;
  for (const auto& r : m.t.readings) second.emplace_back(r.obis.to_string(), value_text(m.t, r));
  EXPECT_EQ(first, second);
  EXPECT_EQ("5706567274389702", m.t.text(m.t.meter_id));
  EXPECT_EQ(text_data, m.t.text_storage.data());
  EXPECT_EQ(text_cap, m.t.text_storage.capacity());
  EXPECT_EQ(readings_data, m.t.readings.data());
}

TEST(LayoutReuse, ApduTimestampIsLeftAlone) {
  Mapped m;
  parse_apdu(m.apdu, vector_hex("hdlc-plain/kamstrup-6841121-list2"));
  auto header = parse_date_time(Bytes(m.apdu.bytes).subspan(7, 12), 7);  // 0F id 09 0C dt
  ASSERT_TRUE(header);
  m.t.timestamp = *header;
  m.t.timestamp->second = 7;  // distinguishable from the list's clock (:05)
  ASSERT_TRUE(LayoutSet::builtin().map(m.apdu.context(), m.t));
  EXPECT_EQ(7, m.t.timestamp->second);
}

TEST(LayoutUser, LoadJsonAddsALayout) {
  LayoutSet set;
  set.load_json(R"({"name": "two_values", "mode": "positional", "match": {"root": "structure"},
    "elements": [
      {"obis": "1-0:1.7.0.255", "unit": "W", "scaler": 1, "type": "long-unsigned"},
      {"role": "meter_id", "type": "visible-string"}]})");
  ASSERT_EQ(std::vector<std::string>{"two_values"}, set.names());
  Apdu a;
  parse_apdu(a, "0f000000010002021200170a03414243");
  Telegram t;
  ASSERT_TRUE(set.map(a.context(), t));
  expect_number(t, "1-0:1.7.0.255", 230, "W");
  EXPECT_EQ("ABC", t.text(t.meter_id));
  EXPECT_EQ(1u, t.readings.size());
}

TEST(LayoutUser, BadJsonThrowsWithTheLayoutName) {
  LayoutSet set;
  EXPECT_THROW(set.load_json("{"), std::runtime_error);
  try {
    set.load_json(
        R"({"name": "x1", "mode": "positional", "elements": [{"unit": "kWh", "obis": "1-0:1.8.0.255"}]})");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string::npos, std::string(e.what()).find("x1"));
    EXPECT_NE(std::string::npos, std::string(e.what()).find("kWh"));
  }
  EXPECT_THROW(
      set.load_json(R"({"name": "x2", "mode": "positional", "elements": [{"type": "int"}]})"),
      std::runtime_error);
}

// A document whose second layout is bad: the first one was loaded before the error and maps
// (the set's index of match keys follows the layouts even when loading throws).
TEST(LayoutUser, LayoutsLoadedBeforeABadOneStillMap) {
  LayoutSet set;
  EXPECT_THROW(set.load_json(R"([
    {"name": "good", "mode": "positional", "match": {"root": "structure", "list_id": "ABC"},
     "elements": [{"role": "list_id", "type": "visible-string"},
                  {"obis": "1-0:1.7.0.255", "unit": "W", "type": "long-unsigned"}]},
    {"name": "bad", "mode": "positional", "elements": [{"type": "int"}]}])"),
               std::runtime_error);
  ASSERT_EQ(std::vector<std::string>{"good"}, set.names());
  Apdu a;
  parse_apdu(a, "0f000000010002020a034142431200e6");
  Telegram t;
  ASSERT_TRUE(set.map(a.context(), t));
  EXPECT_EQ("good", t.layout);
  expect_number(t, "1-0:1.7.0.255", 230, "W");
}

TEST(LayoutBuiltin, NamesAreUniqueAndCoverEveryShape) {
  auto names = LayoutSet::builtin().names();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names.end(), std::adjacent_find(names.begin(), names.end()));
  for (const char* expected :
       {"obis_self_describing", "evn_kaifa_ma309", "kamstrup_v0001", "kaifa_kfm001_obis",
        "kfm001_list3_1phase", "lg_e450_ch_capture", "iskra_ie5_hr", "wienernetze_d0_compact"}) {
    EXPECT_TRUE(std::binary_search(names.begin(), names.end(), std::string(expected))) << expected;
  }
}

}  // namespace
}  // namespace meterlab::cosem
