// The P1 framer and line parser: telegrams whole and in pieces, every bad input the issue names
// (a 1 MB line with no '!', 10,000 lines, non-ASCII bytes, a CRC of non-hex characters, month
// 13), each a clear error with its offset, and the telegram after it still decoded.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"
#include "value.hpp"

namespace meterlab::p1 {
namespace {

using test::run_text;
using test::telegram;

const std::string kBody =
    "/ISk5\\2MT382-1000\r\n\r\n1-3:0.2.8(50)\r\n0-0:1.0.0(170102192002W)\r\n"
    "0-0:96.1.1(4B384547303034303436333935353037)\r\n1-0:1.8.1(012345.678*kWh)\r\n"
    "1-0:1.7.0(00.244*kW)\r\n1-0:32.7.0(0230.0*V)\r\n1-0:31.7.0(0.48*A)\r\n"
    "0-1:24.2.1(170102161005S)(00981.443*m3)\r\n";

const cosem::Reading* find(const cosem::Telegram& t, const char* obis) {
  const auto code = cosem::ObisCode::parse(obis);
  for (const cosem::Reading& r : t.readings) {
    if (r.obis == *code) return &r;
  }
  return nullptr;
}

TEST(P1Framer, ATelegramWithItsCrcIsOneFrame) {
  const std::string s = telegram(kBody);
  const test::Run run = run_text(s);
  ASSERT_EQ(run.telegrams.size(), 1u);
  EXPECT_TRUE(run.errors.empty());
  EXPECT_EQ(run.telegrams[0].decoded.check, Check::crc16);
  EXPECT_EQ(run.telegrams[0].telegram.length, s.size());
  EXPECT_EQ(run.stats.frames_ok, 1u);
}

TEST(P1Framer, ByteAtATimeAndOddChunksGiveTheSameTelegram) {
  const std::string s = "garbage" + telegram(kBody) + telegram(kBody, false);
  for (std::size_t chunk : {1u, 3u, 7u, 64u}) {
    const test::Run run = run_text(s, chunk);
    ASSERT_EQ(run.telegrams.size(), 2u) << chunk;
    ASSERT_EQ(run.errors.size(), 1u) << chunk;
    EXPECT_EQ(run.errors[0].code, Errc::p1_garbage);
    EXPECT_EQ(run.telegrams[1].decoded.check, Check::none);
    EXPECT_EQ(run.telegrams[0].telegram.readings.size(), 8u);
  }
}

TEST(P1Framer, ACrcFlipIsRejectedAndTheNextTelegramKept) {
  std::string bad = telegram(kBody);
  bad[30] ^= 0x01;
  const std::string s = bad + telegram(kBody);
  const test::Run run = run_text(s);
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_EQ(run.errors[0].code, Errc::p1_crc_mismatch);
  EXPECT_EQ(run.errors[0].offset, 0u);
  ASSERT_EQ(run.telegrams.size(), 1u);
  EXPECT_EQ(run.telegrams[0].telegram.stream_offset, bad.size());
  EXPECT_EQ(run.stats.crc_errors, 1u);
}

TEST(P1Framer, ACrcOfNonHexCharactersIsBadCrc) {
  std::string bad = telegram(kBody);
  bad.replace(bad.size() - 6, 4, "12G4");
  const test::Run run = run_text(bad + telegram(kBody));
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_EQ(run.errors[0].code, Errc::p1_bad_crc);
  ASSERT_EQ(run.telegrams.size(), 1u);
}

TEST(P1Framer, ATelegramCutShortByTheNextOneIsTruncated) {
  const std::string cut = kBody.substr(0, 100);
  const test::Run run = run_text(cut + telegram(kBody));
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_EQ(run.errors[0].code, Errc::p1_truncated);
  EXPECT_EQ(run.errors[0].offset, 0u);
  ASSERT_EQ(run.telegrams.size(), 1u);
  EXPECT_EQ(run.telegrams[0].telegram.stream_offset, cut.size());
}

TEST(P1Framer, TheEndOfInputInsideATelegramIsTruncated) {
  const std::string s = telegram(kBody);
  for (std::size_t keep : {std::size_t{1}, s.size() - 7, s.size() - 3}) {
    const test::Run run = run_text(s.substr(0, keep));
    ASSERT_EQ(run.errors.size(), 1u) << keep;
    EXPECT_EQ(run.errors[0].code, Errc::p1_truncated) << keep;
    EXPECT_TRUE(run.telegrams.empty());
  }
}

TEST(P1Framer, AMegabyteLineWithNoEndIsTooLongAndMemoryStaysBounded) {
  std::string s = "/XXX5 long\r\n1-0:1.8.0(";
  s.append(1 << 20, '7');
  const std::size_t next = s.size();
  s += telegram(kBody);
  for (std::size_t chunk : {0u, 4096u}) {
    const test::Run run = run_text(s, chunk);
    ASSERT_FALSE(run.errors.empty());
    EXPECT_EQ(run.errors[0].code, Errc::p1_too_long);
    EXPECT_EQ(run.errors[0].offset, 0u);
    for (std::size_t i = 1; i < run.errors.size(); ++i) {
      EXPECT_EQ(run.errors[i].code, Errc::p1_garbage);
    }
    ASSERT_EQ(run.telegrams.size(), 1u);
    EXPECT_EQ(run.telegrams[0].telegram.stream_offset, next);
    if (chunk != 0) {
      EXPECT_LE(run.capacity, 4 * kMaxTelegram);
    }
  }
}

TEST(P1Framer, TenThousandLinesAreTooLong) {
  std::string body = "/XXX5 many\r\n\r\n";
  for (int i = 0; i < 10000; ++i) body += "1-0:1.8.0(000001.000*kWh)\r\n";
  const test::Run run = run_text(telegram(body) + telegram(kBody), 512);
  ASSERT_FALSE(run.errors.empty());
  EXPECT_EQ(run.errors[0].code, Errc::p1_too_long);
  ASSERT_EQ(run.telegrams.size(), 1u);
  EXPECT_LE(run.capacity, 4 * kMaxTelegram);
}

TEST(P1Parser, ValuesAreExactInBaseUnits) {
  const test::Run run = run_text(telegram(kBody));
  ASSERT_EQ(run.telegrams.size(), 1u);
  const cosem::Telegram& t = run.telegrams[0].telegram;
  const cosem::Reading* e = find(t, "1-0:1.8.1.255");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, cosem::ValueKind::integer);
  EXPECT_EQ(e->raw, 12345678);
  EXPECT_EQ(e->scaler, 0);
  EXPECT_EQ(e->unit, "Wh");
  EXPECT_EQ(find(t, "1-0:1.7.0.255")->raw, 244);
  EXPECT_EQ(find(t, "1-0:1.7.0.255")->unit, "W");
  EXPECT_EQ(find(t, "1-0:32.7.0.255")->number(), 230.0);
  EXPECT_EQ(find(t, "1-0:31.7.0.255")->raw, 48);
  EXPECT_EQ(find(t, "1-0:31.7.0.255")->scaler, -2);
  const cosem::Reading* gas = find(t, "0-1:24.2.1.255");
  EXPECT_EQ(gas->raw, 981443);
  EXPECT_EQ(gas->scaler, -3);
  EXPECT_EQ(gas->unit, "m3");
  EXPECT_EQ(gas->date_time.to_iso8601(), "2017-01-02T16:10:05+02:00");
}

TEST(P1Parser, HeaderFieldsComeFromTheirLines) {
  const test::Run run = run_text(telegram(kBody));
  const cosem::Telegram& t = run.telegrams[0].telegram;
  EXPECT_EQ(t.text(t.meter_type), "ISk5\\2MT382-1000");
  EXPECT_EQ(t.text(t.meter_id), "K8EG004046395507");
  EXPECT_EQ(t.text(t.list_id), "50");
  ASSERT_TRUE(t.timestamp);
  EXPECT_EQ(t.timestamp->to_iso8601(), "2017-01-02T19:20:02+01:00");
  EXPECT_EQ(t.transport, cosem::Transport::p1);
}

TEST(P1Parser, ABadLineIsReportedAndTheRestDecodes) {
  const std::string body =
      "/XXX5\r\n\r\n1-0:1.8.0(000001.000*kWh)\r\nnot a line\r\n"
      "1-0:2.8.0(000002.000*kWh)\r\n";
  const test::Run run = run_text(telegram(body));
  ASSERT_EQ(run.telegrams.size(), 1u);
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_EQ(run.errors[0].code, Errc::p1_bad_line);
  EXPECT_EQ(run.errors[0].offset, body.find("not a line"));
  EXPECT_EQ(run.telegrams[0].telegram.readings.size(), 2u);
}

TEST(P1Parser, NonAsciiBytesMakeABadLine) {
  const std::string body = "/XXX5\r\n\r\n1-0:1.8.0(0000\xC3\xA9.000*kWh)\r\n1-0:2.8.0(1*Wh)\r\n";
  const test::Run run = run_text(telegram(body, false));
  ASSERT_EQ(run.telegrams.size(), 1u);
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_EQ(run.errors[0].code, Errc::p1_bad_line);
  EXPECT_EQ(run.errors[0].offset, body.find("1-0:1.8.0"));
  EXPECT_EQ(run.telegrams[0].telegram.readings.size(), 1u);
}

TEST(P1Parser, MonthThirteenIsABadTimestampWithANullValue) {
  const std::string body = "/XXX5\r\n\r\n0-0:1.0.0(171302192002W)\r\n1-0:1.8.0(1*Wh)\r\n";
  const test::Run run = run_text(telegram(body));
  ASSERT_EQ(run.telegrams.size(), 1u);
  ASSERT_EQ(run.errors.size(), 1u);
  EXPECT_EQ(run.errors[0].code, Errc::p1_bad_timestamp);
  EXPECT_EQ(run.errors[0].offset, body.find("(171302"));
  const cosem::Telegram& t = run.telegrams[0].telegram;
  EXPECT_FALSE(t.timestamp);
  EXPECT_EQ(find(t, "0-0:1.0.0.255")->kind, cosem::ValueKind::none);
}

TEST(P1Parser, PowerFailureLogIsACountAndTimedDurations) {
  const std::string body =
      "/XXX5\r\n\r\n1-0:99.97.0(2)(0-0:96.7.19)(101208152415W)(0000000240*s)"
      "(101208151004W)(0000000301*s)\r\n";
  const test::Run run = run_text(telegram(body));
  const cosem::Telegram& t = run.telegrams[0].telegram;
  ASSERT_EQ(t.readings.size(), 3u);
  EXPECT_EQ(t.readings[0].raw, 2);
  EXPECT_EQ(t.readings[1].obis, *cosem::ObisCode::parse("0-0:96.7.19.255"));
  EXPECT_EQ(t.readings[1].raw, 240);
  EXPECT_EQ(t.readings[1].unit, "s");
  EXPECT_EQ(t.readings[1].date_time.to_iso8601(), "2010-12-08T15:24:15+01:00");
  EXPECT_EQ(t.readings[2].raw, 301);
}

TEST(P1Parser, BelgianPeakAndMonthlyMaxima) {
  const std::string body =
      "/FLU5\\253769484_A\r\n\r\n1-0:1.4.0(02.351*kW)\r\n1-0:1.6.0(200509134558S)(02.589*kW)\r\n"
      "0-0:98.1.0(2)(1-0:1.6.0)(1-0:1.6.0)(200501000000S)(200423192538S)(03.695*kW)"
      "(200601000000S)(200517135940S)(04.003*kW)\r\n";
  const test::Run run = run_text(telegram(body));
  const cosem::Telegram& t = run.telegrams[0].telegram;
  EXPECT_TRUE(run.errors.empty());
  ASSERT_EQ(t.readings.size(), 5u);
  EXPECT_EQ(t.readings[0].raw, 2351);
  EXPECT_EQ(t.readings[1].raw, 2589);
  EXPECT_EQ(t.readings[1].date_time.to_iso8601(), "2020-05-09T13:45:58+02:00");
  EXPECT_EQ(t.readings[2].raw, 2);
  EXPECT_EQ(t.readings[3].obis, *cosem::ObisCode::parse("1-0:1.6.0.255"));
  EXPECT_EQ(t.readings[3].raw, 3695);
  EXPECT_EQ(t.readings[3].date_time.to_iso8601(), "2020-04-23T19:25:38+02:00");
  EXPECT_EQ(t.readings[4].raw, 4003);
}

TEST(P1Parser, Dsmr22GasSpansTwoLines) {
  const std::string body =
      "/ISk5\\2ME382-1003\r\n\r\n0-0:96.1.1(4B414C37303035313039333435373334)\r\n"
      "0-1:24.3.0(120517020000)(08)(60)(1)(0-1:24.2.1)(m3)\r\n(00124.477)\r\n";
  const test::Run run = run_text(telegram(body, false));
  ASSERT_EQ(run.telegrams.size(), 1u);
  EXPECT_TRUE(run.errors.empty());
  const cosem::Telegram& t = run.telegrams[0].telegram;
  const cosem::Reading* gas = find(t, "0-1:24.2.1.255");
  ASSERT_NE(gas, nullptr);
  EXPECT_EQ(gas->raw, 124477);
  EXPECT_EQ(gas->scaler, -3);
  EXPECT_EQ(gas->unit, "m3");
  EXPECT_EQ(gas->date_time.to_iso8601(), "2012-05-17T02:00:00+02:00");  // May: summer time
}

// DSMR 2.2 stamps have no S/W flag: the EU rule places them, except in the hour the clock shows
// twice (2012-10-28 02:00-02:59, summer time ends at 03:00 CEST) and the hour it skips
// (2012-03-25 02:00-02:59): those keep no offset rather than a guess.
TEST(P1Parser, Dsmr22StampsTakeTheirOffsetFromTheSummerTimeRule) {
  const std::pair<const char*, const char*> cases[] = {
      {"121217180000", "2012-12-17T18:00:00+01:00"}, {"120517020000", "2012-05-17T02:00:00+02:00"},
      {"121028015959", "2012-10-28T01:59:59+02:00"}, {"121028020000", "2012-10-28T02:00:00"},
      {"121028025959", "2012-10-28T02:59:59"},       {"121028030000", "2012-10-28T03:00:00+01:00"},
      {"120325015959", "2012-03-25T01:59:59+01:00"}, {"120325023000", "2012-03-25T02:30:00"},
      {"120325030000", "2012-03-25T03:00:00+02:00"},
  };
  for (const auto& [stamp, iso] : cases) {
    const std::string body = std::string("/ISk5\\2ME382-1003\r\n\r\n0-1:24.3.0(") + stamp +
                             ")(08)(60)(1)(0-1:24.2.1)(m3)\r\n(00124.477)\r\n";
    const test::Run run = run_text(telegram(body, false));
    ASSERT_EQ(run.telegrams.size(), 1u);
    const cosem::Reading* gas = find(run.telegrams[0].telegram, "0-1:24.2.1.255");
    ASSERT_NE(gas, nullptr);
    EXPECT_EQ(gas->date_time.to_iso8601(), iso) << stamp;
  }
}

TEST(P1Parser, TextWithoutAStartOrWithNothingGivesAnEmptyTelegram) {
  cosem::Telegram t;
  Problems problems;
  parse_telegram(Bytes{}, 0, t, problems);
  EXPECT_TRUE(t.readings.empty());
  parse_telegram(test::as_bytes("\r\n(1)\r\n"), 0, t, problems);
  EXPECT_TRUE(t.readings.empty());
  EXPECT_EQ(problems.count, 1u);
}

TEST(P1Parser, UnknownLinesAndTextMessagesAreKept) {
  const std::string body =
      "/XXX5\r\n\r\n0-0:96.13.0(48656C6C6F)\r\n0-0:96.13.1()\r\n9-9:99.99.99(whatever 1)\r\n";
  const test::Run run = run_text(telegram(body));
  const cosem::Telegram& t = run.telegrams[0].telegram;
  ASSERT_EQ(t.readings.size(), 3u);
  EXPECT_EQ(t.text(t.readings[0].text), "Hello");
  EXPECT_EQ(t.readings[1].kind, cosem::ValueKind::text);
  EXPECT_TRUE(t.readings[1].text.empty());
  EXPECT_EQ(t.text(t.readings[2].text), "whatever 1");
}

// The IEC 62056-21 device address 1-0:0.0.0 (Iskra MIE5T, EasyMeter Q3D) is an identifier:
// text as sent, its leading zeros kept, also in the full form with F.
TEST(P1Parser, TheDeviceAddressIsTextWithItsLeadingZeros) {
  cosem::Telegram t;
  Problems problems;
  parse_telegram(
      test::as_bytes("/ISk5\\2MIE5T-200\r\n\r\n1-0:0.0.0(00000000)\r\n"
                     "1-0:0.0.0*255(0272031312565)\r\n1-0:1.8.1(000010.181*kWh)\r\n!\r\n"),
      0, t, problems);
  EXPECT_EQ(problems.count, 0u);
  ASSERT_EQ(t.readings.size(), 3u);
  EXPECT_EQ(t.readings[0].kind, cosem::ValueKind::text);
  EXPECT_EQ(t.text(t.readings[0].text), "00000000");
  EXPECT_EQ(t.readings[1].kind, cosem::ValueKind::text);
  EXPECT_EQ(t.text(t.readings[1].text), "0272031312565");
  EXPECT_EQ(t.readings[2].kind, cosem::ValueKind::integer);
}

// What a telegram decodes to on a thread that has seen no telegram before (no line memory).
std::vector<cosem::Reading> fresh_readings(const std::string& text, std::string& texts) {
  std::vector<cosem::Reading> readings;
  std::thread([&] {
    cosem::Telegram t;
    Problems problems;
    parse_telegram(test::as_bytes(text), 0, t, problems);
    readings = t.readings;
    texts = t.text_storage;
  }).join();
  return readings;
}

// A line whose code the line memory knows is read by the short path when it is one number (with
// a unit): the same readings as a first read, also when the line's shape changed since (another
// unit, an unknown one, text, a second group, a continuation line, 13 digits).
TEST(P1Parser, KnownLinesReadAsNewOnes) {
  const std::string before =
      "/XXX5\r\n\r\n1-0:1.8.1(000001.000*kWh)\r\n1-0:1.7.0(00.244*kW)\r\n0-0:96.14.0(0002)\r\n"
      "1-0:32.7.0(0230.0*V)\r\n1-0:31.7.0(001*A)\r\n";
  const std::string after =
      "/XXX5\r\n\r\n1-0:1.8.1(000001.000*Wh)\r\n1-0:1.7.0(00.244*kX)\r\n0-0:96.14.0(00A2)\r\n"
      "1-0:32.7.0(0230.0*V)(1)\r\n1-0:31.7.0(001*A)\r\n(7)\r\n";
  for (const std::string& text : {before, after, before + "0-0:96.14.0(1234567890123)\r\n"}) {
    cosem::Telegram t;
    Problems problems;
    for (int round = 0; round < 2; ++round) parse_telegram(test::as_bytes(before), 0, t, problems);
    parse_telegram(test::as_bytes(text), 0, t, problems);
    std::string texts;
    const std::vector<cosem::Reading> fresh = fresh_readings(text, texts);
    ASSERT_EQ(t.readings.size(), fresh.size()) << text;
    for (std::size_t i = 0; i < fresh.size(); ++i) {
      const cosem::Reading &a = t.readings[i], &b = fresh[i];
      EXPECT_TRUE(a.obis == b.obis && a.kind == b.kind && a.raw == b.raw && a.scaler == b.scaler &&
                  a.unit == b.unit &&
                  t.text(a.text) == std::string_view(texts).substr(b.text.offset, b.text.length))
          << text << " reading " << i;
    }
  }
}

// Text near the A-B:C.D.E form: groups of 0..4 digits, separators sometimes swapped.
std::string obis_like(std::mt19937& rng) {
  static constexpr char kSeparators[] = {'-', ':', '.', '.', '.'};
  std::string s;
  for (std::size_t g = 0; g < 5 + rng() % 2; ++g) {
    for (std::size_t d = rng() % 5; d > 0; --d) s += static_cast<char>('0' + rng() % 10);
    if (g < 5) s += rng() % 8 == 0 ? kSeparators[rng() % 5] : kSeparators[g];
  }
  if (rng() % 2 == 0) s.pop_back();
  return s;
}

// The P1 fast path of the OBIS grammar against the engine's one parse (ObisCode::parse).
TEST(P1Values, ObisFastPathAgreesWithObisCodeParse) {
  std::mt19937 rng(5);
  std::vector<std::string> cases = {
      "1-0:1.8.1", "0-0:96.1.1", "0001-0:1.8.0", "256-0:1.8.0", "1-0:1.8", "1-0:1.8.0.255",
      "",          ":",          "1-0:1.8.0 "};
  for (int i = 0; i < 100000; ++i) cases.push_back(obis_like(rng));
  int valid = 0;
  for (const std::string& s : cases) {
    const auto fast = detail::parse_obis(s);
    const auto slow =
        s.find(':') == std::string::npos ? std::nullopt : cosem::ObisCode::parse(s + ".255");
    ASSERT_EQ(fast, slow) << s;
    valid += fast ? 1 : 0;
  }
  EXPECT_GT(valid, 100);  // the generator reaches valid codes too
}

// read_number() (eight digits a step where eight characters are left, one at a time near the
// end) against the rule spelled out on the characters: lengths 0..40 of digits before and 0..21
// after a point, at every distance from the end of the buffer, with each stop character.
TEST(P1Values, NumbersAreReadTheSameAtAnyPlaceInTheBuffer) {
  std::mt19937 rng(17);
  int checked = 0;
  for (std::size_t whole = 0; whole <= 40; whole += 1 + whole / 24) {
    for (std::size_t part = 0; part <= 21; part += 1 + part / 4) {
      for (const char* stop : {"", ")", "*kWh)", "/", ":", "\x80"}) {
        std::string s = rng() % 2 == 0 ? "-" : "";
        for (std::size_t i = 0; i < whole; ++i) s += static_cast<char>('0' + rng() % 10);
        if (part > 0) s += '.';
        for (std::size_t i = 1; i < part; ++i) s += static_cast<char>('0' + rng() % 10);
        s += stop;
        // The reference: the digits as one unsigned number (mod 2^64), the rule's validity.
        const std::size_t sign = s[0] == '-' ? 1 : 0;
        const std::size_t int_end = s.find_first_not_of("0123456789", sign);
        const bool point = int_end > sign && int_end < s.size() && s[int_end] == '.';
        const std::size_t frac_end =
            point ? std::min(s.find_first_not_of("0123456789", int_end + 1), s.size()) : int_end;
        std::uint64_t magnitude = 0;
        for (std::size_t i = sign; i < std::min(frac_end, s.size()); ++i) {
          if (s[i] != '.') magnitude = magnitude * 10 + static_cast<std::uint64_t>(s[i] - '0');
        }
        const std::size_t decimals = point ? frac_end - int_end - 1 : 0;
        const std::size_t digits = std::min(int_end, s.size()) - sign + decimals;
        const bool valid = (!point || decimals > 0) && digits >= 1 && digits <= 18;
        for (std::size_t tail = 0; tail <= 9; ++tail) {
          const std::string buf = s + std::string(tail, 'x');
          const char* const begin = buf.data();
          detail::NumberText n;
          const char* stopped = detail::read_number(begin, begin + s.size() + tail, n);
          ASSERT_EQ(stopped - begin, static_cast<std::ptrdiff_t>(std::min(frac_end, s.size())))
              << buf;
          ASSERT_EQ(n.valid, valid) << buf;
          ASSERT_EQ(n.negative, sign == 1) << buf;
          ASSERT_EQ(n.magnitude, magnitude) << buf;
          ASSERT_EQ(n.decimals, std::min<std::size_t>(decimals, 19)) << buf;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 10000);
}

// The full form A-B:C.D.E*F of IEC 62056-21 meters (EasyMeter Q3D: "1-0:1.8.0*255(...)") reads
// as the same code with that F; a '*' without digits, or an F over 255, is no code.
TEST(P1Values, ObisFullFormWithStarF) {
  EXPECT_EQ(detail::parse_obis("1-0:1.8.0*255"), cosem::ObisCode::parse("1-0:1.8.0.255"));
  EXPECT_EQ(detail::parse_obis("1-0:1.8.0*101"), cosem::ObisCode::parse("1-0:1.8.0.101"));
  EXPECT_EQ(detail::parse_obis("0-0:96.1.255*255"), cosem::ObisCode::parse("0-0:96.1.255.255"));
  EXPECT_FALSE(detail::parse_obis("1-0:1.8.0*"));
  EXPECT_FALSE(detail::parse_obis("1-0:1.8.0*256"));
  EXPECT_FALSE(detail::parse_obis("1-0:1.8.0*1*2"));

  cosem::Telegram t;
  Problems problems;
  const std::string text =
      "/ESY5Q3DB1024 V3.04\r\n\r\n1-0:1.8.0*255(00052185.7825309*kWh)\r\n!\r\n";
  parse_telegram(test::as_bytes(text), 0, t, problems);
  EXPECT_EQ(problems.count, 0u);
  ASSERT_EQ(t.readings.size(), 1u);
  EXPECT_EQ(t.readings[0].obis, cosem::ObisCode::parse("1-0:1.8.0.255"));
  EXPECT_EQ(t.readings[0].raw, 521857825309);
  EXPECT_EQ(t.readings[0].scaler, -4);
}

}  // namespace
}  // namespace meterlab::p1
