// Unit tests of OBIS codes, the unit table, names and the COSEM date-time.
#include <gtest/gtest.h>

#include "meterlab/core/hex.hpp"
#include "meterlab/cosem/obis.hpp"
#include "meterlab/cosem/telegram.hpp"
#include "meterlab/cosem/time_zone.hpp"

namespace meterlab::cosem {
namespace {

std::vector<std::uint8_t> hex(std::string_view s) { return *parse_hex(s); }

TEST(Obis, ParsesBothFormsAndPrints) {
  auto a = ObisCode::parse("1-0:1.7.0.255");
  auto b = ObisCode::parse("1.0.1.7.0.255");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ((std::array<std::uint8_t, 6>{1, 0, 1, 7, 0, 255}), a->v);
  EXPECT_EQ("1-0:1.7.0.255", a->to_string());
  EXPECT_EQ("0-6:25.9.0.255", ObisCode::parse("0-6:25.9.0.255")->to_string());
}

TEST(Obis, RejectsMalformedText) {
  for (const char* bad : {"", "1-0:1.7.0", "1-0:1.7.0.256", "1-0-1.7.0.255", "1.0:1.7.0.255",
                          "1-0:1.7.0.255.", "1-0:1.7.0.255x", "a-0:1.7.0.255", "1.0.1.7.0"}) {
    EXPECT_FALSE(ObisCode::parse(bad).has_value()) << bad;
  }
}

TEST(Obis, FromBytesNeedsSix) {
  auto six = hex("0100010700ff");
  auto ok = ObisCode::from_bytes(six, 10);
  ASSERT_TRUE(ok);
  EXPECT_EQ("1-0:1.7.0.255", ok->to_string());
  auto five = hex("0100010700");
  auto r = ObisCode::from_bytes(five, 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(Errc::cosem_bad_obis, r.error().code);
  EXPECT_EQ(10u, r.error().offset);
}

TEST(Units, BlueBookSamples) {
  EXPECT_EQ("a", unit_symbol(1));
  EXPECT_EQ("s", unit_symbol(7));
  EXPECT_EQ("m3", unit_symbol(13));
  EXPECT_EQ("W", unit_symbol(27));
  EXPECT_EQ("VA", unit_symbol(28));
  EXPECT_EQ("var", unit_symbol(29));
  EXPECT_EQ("Wh", unit_symbol(30));
  EXPECT_EQ("VAh", unit_symbol(31));
  EXPECT_EQ("varh", unit_symbol(32));
  EXPECT_EQ("A", unit_symbol(33));
  EXPECT_EQ("V", unit_symbol(35));
  EXPECT_EQ("Hz", unit_symbol(44));
  EXPECT_EQ("1/(Wh)", unit_symbol(45));
  EXPECT_EQ("%", unit_symbol(56));
  EXPECT_EQ("", unit_symbol(255));  // count
  EXPECT_EQ("", unit_symbol(0));
  EXPECT_EQ("", unit_symbol(200));  // reserved
  EXPECT_EQ(std::optional<std::uint8_t>(30), unit_code("Wh"));
  EXPECT_FALSE(unit_code("kWh").has_value());
}

TEST(Names, WellKnownObjects) {
  auto name = [](const char* s) { return obis_name(*ObisCode::parse(s)); };
  auto unit = [](const char* s) { return default_unit(*ObisCode::parse(s)); };
  EXPECT_EQ("active_power_import", name("1-0:1.7.0.255"));
  EXPECT_EQ("active_power_export", name("1-1:2.7.0.255"));
  EXPECT_EQ("reactive_power_import", name("1-0:3.7.0.255"));
  EXPECT_EQ("current_l2", name("1-0:51.7.0.255"));
  EXPECT_EQ("voltage_l3", name("1-0:72.7.0.255"));
  EXPECT_EQ("active_energy_import", name("1-0:1.8.0.255"));
  EXPECT_EQ("meter_id", name("0-0:96.1.0.255"));
  EXPECT_EQ("meter_id", name("1-1:0.0.5.255"));
  EXPECT_EQ("meter_type", name("1-1:96.1.1.255"));
  EXPECT_EQ("list_id", name("1-1:0.2.129.255"));
  EXPECT_EQ("clock", name("0-0:1.0.0.255"));
  EXPECT_EQ("power_factor", name("1-0:13.7.0.255"));
  EXPECT_EQ("frequency", name("1-0:14.7.0.255"));
  EXPECT_EQ("", name("1-1:0.0.1.255"));
  EXPECT_EQ("W", unit("1-0:1.7.0.255"));
  EXPECT_EQ("varh", unit("1-0:4.8.0.255"));
  EXPECT_EQ("A", unit("1-0:31.7.0.255"));
  EXPECT_EQ("", unit("0-0:96.1.0.255"));
}

// DSMR 5.0.2 / e-MUCS P1 objects are named; an M-Bus device's objects carry their channel (gas
// on 1 and water on 2 send the same C.D.E), while other A = 0 objects of a channel keep theirs.
TEST(Names, P1ObjectsAndMbusChannels) {
  auto name = [](const char* s) { return obis_name(*ObisCode::parse(s)); };
  auto unit = [](const char* s) { return default_unit(*ObisCode::parse(s)); };
  EXPECT_EQ("tariff", name("0-0:96.14.0.255"));
  EXPECT_EQ("equipment_id", name("0-0:96.1.1.255"));
  EXPECT_EQ("power_failures", name("0-0:96.7.21.255"));
  EXPECT_EQ("long_power_failures", name("0-0:96.7.9.255"));
  EXPECT_EQ("power_failure_log", name("1-0:99.97.0.255"));
  EXPECT_EQ("voltage_sags_l2", name("1-0:52.32.0.255"));
  EXPECT_EQ("voltage_swells_l3", name("1-0:72.36.0.255"));
  EXPECT_EQ("active_demand_import_max", name("1-0:1.6.0.255"));
  EXPECT_EQ("W", unit("1-0:1.4.0.255"));
  EXPECT_EQ("active_energy_import_t3", name("1-0:1.8.3.255"));
  EXPECT_EQ("p1_version", name("1-3:0.2.8.255"));
  EXPECT_EQ("device_id", name("1-0:0.0.0.255"));
  EXPECT_EQ("mbus1_volume", name("0-1:24.2.1.255"));
  EXPECT_EQ("mbus2_volume_uncorrected", name("0-2:24.2.3.255"));
  EXPECT_EQ("m3", unit("0-4:24.2.1.255"));
  EXPECT_EQ("mbus3_equipment_id", name("0-3:96.1.0.255"));
  EXPECT_EQ("mbus1_device_type", name("0-1:24.1.0.255"));
  EXPECT_EQ("", name("0-5:24.2.1.255"));  // DSMR has channels 1..4
  EXPECT_EQ("", name("0-0:24.2.1.255"));
  EXPECT_EQ("clock", name("0-1:1.0.0.255"));  // Kamstrup's clock is on channel 1
}

Result<DateTime> dt(std::string_view h, std::size_t offset = 0) {
  static std::vector<std::uint8_t> keep;
  keep = hex(h);
  return parse_date_time(keep, offset);
}

// ISO text of a date-time, or the error's name: a failed parse shows in the assertion.
std::string iso(std::string_view h) {
  auto r = dt(h);
  return r ? r->to_iso8601() : std::string(name(r.error().code));
}
std::string utc(std::string_view h) {
  auto r = dt(h);
  return r ? r->to_utc().value_or("no utc") : std::string(name(r.error().code));
}

TEST(DateTime, FullWithDeviationAndDst) {
  // EVN doc example: 2021-09-27 09:47:15, deviation -120, status 0x80 (DST).
  auto r = dt("07e5091b01092f0f00ff8880");
  ASSERT_TRUE(r);
  EXPECT_EQ(2021, r->year);
  EXPECT_EQ(1, r->weekday);
  EXPECT_EQ(0, r->hundredths);
  EXPECT_EQ(std::optional<int>(-120), r->deviation);
  EXPECT_TRUE(r->dst());
  EXPECT_EQ("2021-09-27T09:47:15+02:00", r->to_iso8601());
  EXPECT_EQ(std::optional<std::string>("2021-09-27T07:47:15Z"), r->to_utc());
}

TEST(DateTime, Deviations) {
  EXPECT_EQ("2021-09-22T17:35:30+01:00", iso("07e509160311231effffc400"));
  EXPECT_EQ("2016-09-08T19:13:25+00:00", iso("07e0090804130d1900000080"));
  auto none = dt("07e10203050f2e0eff800000");  // Kaifa: 0x8000 = not specified, status 0
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->deviation.has_value());
  EXPECT_FALSE(none->dst());
  EXPECT_TRUE(none->status_known);
  EXPECT_EQ("2017-02-03T15:46:14", none->to_iso8601());
  EXPECT_FALSE(none->to_utc().has_value());
  // UTC across midnight: 00:30 local at +02:00 is 22:30 the day before.
  EXPECT_EQ("2021-02-28T22:30:00Z", utc("07e5030101001e00ffff8800"));
  EXPECT_EQ("2021-03-01T01:30:00Z", utc("07e5030101001e00ff003c00"));  // deviation +60
}

TEST(DateTime, HundredthsOnlyWhenNonZero) {
  EXPECT_EQ("2024-05-07T21:11:17.25+02:00", iso("07e8050702150b1119ff8880"));
}

TEST(DateTime, NotSpecifiedFields) {
  auto r = dt("ffffffffffffffffffff8000ff");
  EXPECT_FALSE(r);  // 13 bytes
  EXPECT_EQ(Errc::cosem_bad_date_time, r.error().code);
  auto all = dt("ffffffffffffffffff8000ff");
  ASSERT_TRUE(all);
  EXPECT_EQ(-1, all->year);
  EXPECT_EQ(-1, all->hour);
  EXPECT_FALSE(all->status_known);
  EXPECT_EQ("", all->to_iso8601());
  EXPECT_EQ("2020-01-21", iso("07e4011503ffffffff800000"));
  // 0xFD/0xFE month and day (DST end/begin, second-last/last day) are accepted as unspecified.
  auto special = dt("ffff fe fd ff 02 00 00 00 8000 ff");
  ASSERT_TRUE(special);
  EXPECT_EQ(-1, special->month);
  EXPECT_EQ(-1, special->day);
  EXPECT_EQ(2, special->hour);
}

// Issue 16: fields that do not change the instant are ignored out of range (they were
// cosem_bad_date_time): a Sunday sent as day 0 or 8, hundredths 100 or more.
TEST(DateTime, InformationalFieldsOutOfRangeAreIgnored) {
  for (const char* hex : {"07e5091b00092f0f00ff8880", "07e5091b08092f0f00ff8880"}) {
    auto r = dt(hex, 100);
    ASSERT_TRUE(r) << hex;
    EXPECT_EQ(-1, r->weekday) << hex;
    EXPECT_EQ(27, r->day) << hex;
    EXPECT_EQ(15, r->second) << hex;
  }
  auto r = dt("07e5091b01092f0f64ff8880", 100);  // hundredths 100
  ASSERT_TRUE(r);
  EXPECT_EQ(-1, r->hundredths);
  EXPECT_EQ(15, r->second);
}

TEST(DateTime, ImpossibleFieldsAtTheirOffset) {
  struct Case {
    const char* hex;
    std::size_t offset;
  } cases[] = {
      {"07e50d1b01092f0f00ff8880", 100 + 2},  // month 13
      {"07e5090001092f0f00ff8880", 100 + 3},  // day 0
      {"07e5091b01192f0f00ff8880", 100 + 5},  // hour 25
      {"07e5091b01093c0f00ff8880", 100 + 6},  // minute 60
      {"07e5091b01092f3c00ff8880", 100 + 7},  // second 60
      {"07e5091b01092f0f00fd0080", 100 + 9},  // deviation -768 < -720
  };
  for (const auto& c : cases) {
    auto r = dt(c.hex, 100);
    ASSERT_FALSE(r) << c.hex;
    EXPECT_EQ(Errc::cosem_bad_date_time, r.error().code) << c.hex;
    EXPECT_EQ(c.offset, r.error().offset) << c.hex;
  }
}

TEST(DateTime, SeparateDateAndTime) {
  auto d = hex("07e8050702");
  auto t = hex("150b1100");
  auto date = parse_date(d, 0);
  auto time = parse_time(t, 0);
  ASSERT_TRUE(date && time);
  EXPECT_EQ("2024-05-07", date->to_iso8601());
  EXPECT_EQ("21:11:17", time->to_iso8601());
  auto bad = hex("1a0b1100");
  auto r = parse_time(bad, 40);
  ASSERT_FALSE(r);
  EXPECT_EQ(40u, r.error().offset);
  auto short_date = hex("07e805");
  EXPECT_EQ(Errc::cosem_bad_date_time, parse_date(short_date, 0).error().code);
}

TEST(TelegramStorage, StoreAndClearKeepCapacity) {
  Telegram t;
  TextRef a = t.store("AIDON_V0001");
  TextRef b = t.store("6525");
  EXPECT_EQ("AIDON_V0001", t.text(a));
  EXPECT_EQ("6525", t.text(b));
  t.readings.resize(20);
  std::size_t cap_text = t.text_storage.capacity();
  std::size_t cap_readings = t.readings.capacity();
  t.clear();
  EXPECT_TRUE(t.readings.empty());
  EXPECT_TRUE(t.text_storage.empty());
  EXPECT_EQ(cap_text, t.text_storage.capacity());
  EXPECT_EQ(cap_readings, t.readings.capacity());
}

TEST(ReadingNumber, ScalesExactly) {
  Reading r;
  r.kind = ValueKind::integer;
  r.raw = 2276;
  r.scaler = -1;
  EXPECT_EQ(227.6, r.number());
  r.raw = 1352997;
  r.scaler = 1;
  EXPECT_EQ(13529970.0, r.number());
  r.raw = -1;
  r.raw_unsigned = true;
  r.scaler = 0;
  EXPECT_EQ(18446744073709551615.0, r.number());
}

}  // namespace
}  // namespace meterlab::cosem

namespace meterlab::cosem {
namespace {

DateTime local(int y, int mo, int d, int h, int mi) {
  DateTime t;
  t.year = y, t.month = mo, t.day = d, t.hour = h, t.minute = mi, t.second = 0;
  return t;
}

// The EU rule: summer time from the last Sunday of March 01:00 UTC to the last Sunday of
// October 01:00 UTC (2024: March 31, October 27).
TEST(TimeZone, EuRuleAroundTheChanges) {
  const TimeZone& oslo = *find_time_zone("Europe/Oslo");
  EXPECT_EQ(utc_offset(oslo, local(2024, 1, 15, 12, 0)), 60);
  EXPECT_EQ(utc_offset(oslo, local(2024, 7, 1, 12, 0)), 120);
  EXPECT_EQ(utc_offset(oslo, local(2024, 3, 31, 1, 59)), 60);
  EXPECT_EQ(utc_offset(oslo, local(2024, 3, 31, 2, 30)), std::nullopt);  // skipped hour
  EXPECT_EQ(utc_offset(oslo, local(2024, 3, 31, 3, 0)), 120);
  EXPECT_EQ(utc_offset(oslo, local(2024, 10, 27, 1, 59)), 120);
  EXPECT_EQ(utc_offset(oslo, local(2024, 10, 27, 2, 30)), std::nullopt);  // repeated hour
  EXPECT_EQ(utc_offset(oslo, local(2024, 10, 27, 3, 0)), 60);
  EXPECT_EQ(utc_offset(oslo, local(2019, 6, 12, 18, 0)), 120);
  const TimeZone& london = *find_time_zone("Europe/London");
  EXPECT_EQ(utc_offset(london, local(2024, 3, 31, 0, 59)), 0);
  EXPECT_EQ(utc_offset(london, local(2024, 3, 31, 2, 0)), 60);
  const TimeZone& helsinki = *find_time_zone("Europe/Helsinki");
  EXPECT_EQ(utc_offset(helsinki, local(2024, 10, 27, 4, 0)), 120);
  EXPECT_EQ(utc_offset(helsinki, local(2024, 10, 27, 2, 59)), 180);
}

TEST(TimeZone, NoGuesses) {
  const TimeZone& oslo = *find_time_zone("Europe/Oslo");
  EXPECT_EQ(utc_offset(oslo, local(1995, 7, 1, 12, 0)), std::nullopt);  // before the rule
  DateTime no_time = local(2024, 7, 1, 12, 0);
  no_time.hour = -1;
  EXPECT_EQ(utc_offset(oslo, no_time), std::nullopt);
  EXPECT_EQ(find_time_zone("Europe/Atlantis"), nullptr);
  EXPECT_EQ(find_time_zone("America/New_York"), nullptr);  // another rule: not in the table
  EXPECT_NE(time_zone_names().find("Europe/Vienna"), std::string::npos);
}

// resolve_clock: the meter's deviation unless its family's is wrong; then the given zone, else
// the family's; else none.
TEST(TimeZone, ResolveClock) {
  Telegram t;
  t.timestamp = local(2024, 7, 1, 12, 0);
  resolve_clock(t, nullptr);
  EXPECT_EQ(t.timestamp_source, ClockSource::none);
  EXPECT_EQ(t.utc(), std::nullopt);
  t.family_zone = "Europe/Vienna";
  resolve_clock(t, nullptr);
  EXPECT_EQ(t.timestamp_source, ClockSource::zone);
  EXPECT_EQ(t.utc(), "2024-07-01T10:00:00Z");
  t.timestamp->deviation = 60;  // wrong, but not known to be
  resolve_clock(t, find_time_zone("Europe/London"));
  EXPECT_EQ(t.timestamp_source, ClockSource::meter);
  EXPECT_EQ(t.utc(), "2024-07-01T13:00:00Z");
  t.deviation_unreliable = true;
  resolve_clock(t, find_time_zone("Europe/London"));
  EXPECT_EQ(t.timestamp_source, ClockSource::zone);
  EXPECT_EQ(t.utc(), "2024-07-01T11:00:00Z");
  t.clear();
  EXPECT_EQ(t.timestamp_source, ClockSource::none);
  EXPECT_TRUE(t.family_zone.empty());
}

}  // namespace
}  // namespace meterlab::cosem
