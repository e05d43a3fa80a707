// The telegram shape memory (parser_memory.hpp) against the general path: seeded mutations of
// every P1 text of vectors/p1 and vectors/upstream/dsmr and of constructed telegrams, each parsed
// with a memory on (runs from the same base, so that it hits) and with one off, compared field by
// field: every reading, header field, problem and offset. It also counts how often the memory hit.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "meterlab/core/hex.hpp"
#include "meterlab/p1/parser_memory.hpp"
#include "test_util.hpp"

namespace meterlab::p1 {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kRunsPerBase = 16;
constexpr int kTelegramsPerRun = 40;
constexpr std::uint64_t kSeed = 20261207;

// Telegrams the vectors do not have: a power-failure log with two entries, Belgian peak and
// maxima, DSMR 2.2 gas, negative and unit-less numbers, a hex id of digits, a text message.
const char* const kConstructed[] = {
    "/XMX5LGBBFFB231215493\r\n\r\n1-3:0.2.8(50)\r\n0-0:1.0.0(201208152415W)\r\n"
    "0-0:96.7.21(00004)\r\n1-0:99.97.0(2)(0-0:96.7.19)(101208152415W)(0000000240*s)"
    "(101208151004W)(0000000301*s)\r\n1-0:1.7.0(00.191*kW)\r\n!",
    "/FLU5\\253769484_A\r\n\r\n0-0:96.1.4(50217)\r\n1-0:1.4.0(02.351*kW)\r\n"
    "1-0:1.6.0(200509134558S)(02.589*kW)\r\n0-0:98.1.0(2)(1-0:1.6.0)(1-0:1.6.0)(200501000000S)"
    "(200423192538S)(03.695*kW)(200601000000S)(200517135940S)(04.003*kW)\r\n"
    "0-1:24.2.3(200512134558S)(00112.384*m3)\r\n!",
    "/ISk5\\2ME382-1003\r\n\r\n0-0:96.1.1(4B414C37303035313039333435373334)\r\n"
    "0-1:24.3.0(120517020000)(08)(60)(1)(0-1:24.2.1)(m3)\r\n(00124.477)\r\n"
    "1-0:1.8.1(00123.456*kWh)\r\n!",
    "/TST5\\METER\r\n\r\n0-0:96.1.1(3232323232323232)\r\n0-0:96.13.0(48656C6C6F)\r\n"
    "1-0:32.7.0(-230.1*V)\r\n0-0:96.14.0(0002)\r\n1-0:31.7.0(002*A)\r\n"
    "0-0:96.7.9(00002)\r\n1-0:2.7.0(00.000*kW)\r\n0-1:24.1.0(003)\r\n\r\n!",
};

std::vector<std::string> frame_texts(Bytes input, const dlms::KeyRing& keys) {
  std::vector<std::string> out;
  Framer fr;
  std::vector<std::uint8_t> plain;
  fr.push(input);
  for (Event ev = fr.finish(); ev.kind != Event::Kind::need_more; ev = fr.finish()) {
    if (ev.kind != Event::Kind::frame) continue;
    Bytes text = ev.frame.bytes;
    if (ev.frame.kind == Frame::Kind::ciphered) {
      const auto o = open(ev.frame.bytes, keys, plain);
      if (!o) continue;
      text = o->text;
    }
    out.emplace_back(reinterpret_cast<const char*>(text.data()), text.size());
  }
  return out;
}

dlms::KeyRing ring(const json& keys) {
  dlms::KeyRing r;
  const auto key = [](const json& hex) {
    dlms::Key k{};
    const auto b = *parse_hex(hex.get<std::string>());
    std::copy(b.begin(), b.end(), k.begin());
    return k;
  };
  for (const json& k : keys) {
    r.add(std::nullopt, key(k["ek"]),
          k["ak"].is_null() ? std::nullopt : std::optional<dlms::Key>(key(k["ak"])));
  }
  return r;
}

// Every P1 text of the vectors (plaintexts of the encrypted ones) and the constructed ones.
std::vector<std::string> bases() {
  std::vector<std::string> out(std::begin(kConstructed), std::end(kConstructed));
  const fs::path root = fs::path(MLAB_SOURCE_DIR) / "vectors";
  for (const auto& e : fs::directory_iterator(root / "p1")) {
    std::ifstream in(e.path());
    const json v = json::parse(in);
    const auto input = *parse_hex(v["input_hex"].get<std::string>());
    for (std::string& t : frame_texts(input, ring(v["keys"]))) out.push_back(std::move(t));
  }
  for (const auto& e : fs::directory_iterator(root / "upstream" / "dsmr")) {
    std::ifstream in(e.path());
    const json v = json::parse(in);
    if (v["text"].is_string() && v["text"].get<std::string>().starts_with("/")) {
      out.push_back(v["text"].get<std::string>());
    }
  }
  std::sort(out.begin(), out.end());  // directory order is not fixed; the seed's run must be
  return out;
}

// Whether the digit at `at` is in a value a meter changes from telegram to telegram: a number
// with a unit or a point, or a timestamp, on a line of one or two groups (a line of more, such
// as the power-failure log, is compared whole by the memory). All-digit text (ids, versions)
// and numbers without a point or unit are left alone: their digits change rarely.
bool in_value(const std::string& s, std::size_t at) {
  const std::size_t open = s.rfind('(', at), close = s.find(')', at);
  const std::size_t line = s.rfind('\n', at), line_end = s.find('\n', at);
  if (open == std::string::npos || close == std::string::npos || line == std::string::npos ||
      line_end == std::string::npos) {
    return false;
  }
  const std::string_view g = std::string_view(s).substr(open + 1, close - open - 1);
  const std::string_view l = std::string_view(s).substr(line + 1, line_end - line - 1);
  if (l.empty() || l[0] == '(' || std::count(l.begin(), l.end(), '(') > 2) return false;
  if (g.find_first_of("()\n") != std::string_view::npos) return false;
  const std::string_view number = g.substr(0, g.find('*'));
  const bool stamp = g.size() == 13 && (g.back() == 'S' || g.back() == 'W');
  const bool decimal = number.size() < g.size() || number.find('.') != std::string_view::npos;
  return stamp || (decimal && number.find_first_not_of("-.0123456789") == std::string_view::npos);
}

// Digits of numbers and stamps changed in place: the common case, which the memory must take.
void bump_digits(std::string& s, std::mt19937_64& rng) {
  const int n = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) {
    for (std::size_t at = rng() % s.size(); at < s.size(); ++at) {
      if (s[at] >= '0' && s[at] <= '9' && in_value(s, at)) {
        s[at] = static_cast<char>('0' + rng() % 10);
        break;
      }
    }
  }
}

// A line (from after a '\n' to its '\n') doubled or dropped.
void line_edit(std::string& s, std::mt19937_64& rng) {
  const std::size_t from = s.find('\n', rng() % s.size());
  if (from == std::string::npos) return;
  const std::size_t to = s.find('\n', from + 1);
  if (to == std::string::npos) return;
  const std::string line = s.substr(from + 1, to - from);
  if (rng() % 2 == 0) {
    s.insert(from + 1, line);
  } else {
    s.erase(from + 1, line.size());
  }
}

// `base` mutated; `digits_only`: at most digits of numbers and stamps were changed.
std::string mutate(const std::string& base, std::mt19937_64& rng, bool& digits_only) {
  std::string s = base;
  digits_only = true;
  // 1 in 20 unchanged, 3 in 4 with digits bumped only, 1 in 5 with another change too.
  const auto kind = rng() % 40;
  if (kind < 2) return s;
  bump_digits(s, rng);
  if (kind < 32) return s;
  digits_only = false;
  const std::size_t at = rng() % s.size();
  const std::string alpha = "0123456789.*()-SWkV\r\n!/AZ";
  switch (kind) {
    case 32:
      s[at] = alpha[rng() % alpha.size()];
      break;
    case 33:
      s.insert(at, 1, alpha[rng() % alpha.size()]);
      break;
    case 34:
      s.erase(at, 1 + rng() % 3);
      break;
    case 35:
      s[at] = static_cast<char>(rng() & 0xFF);
      break;
    case 36:
      s.resize(at);
      break;
    case 37:
      s.insert(at, 1, '-');
      break;
    default:
      line_edit(s, rng);
      break;
  }
  return s;
}

bool same_time(const cosem::DateTime& a, const cosem::DateTime& b) {
  return a.year == b.year && a.month == b.month && a.day == b.day && a.weekday == b.weekday &&
         a.hour == b.hour && a.minute == b.minute && a.second == b.second &&
         a.hundredths == b.hundredths && a.deviation == b.deviation && a.status == b.status &&
         a.status_known == b.status_known;
}

bool same_text(const cosem::Telegram& a, cosem::TextRef x, const cosem::Telegram& b,
               cosem::TextRef y) {
  return x.offset == y.offset && x.length == y.length && a.text(x) == b.text(y);
}

// The first field in which reading `i` of `a` and `b` differ; "" when none does.
std::string reading_diff(const cosem::Telegram& a, const cosem::Telegram& b, std::size_t i) {
  const cosem::Reading& x = a.readings[i];
  const cosem::Reading& y = b.readings[i];
  const char* field = nullptr;
  if (!(x.obis == y.obis) || x.name != y.name) field = "obis/name";
  if (x.unit != y.unit || x.kind != y.kind) field = "unit/kind";
  if (x.raw != y.raw || x.raw_unsigned != y.raw_unsigned || x.scaler != y.scaler) field = "raw";
  if (x.position != y.position || !(x.real == y.real)) field = "position/real";
  if (!same_text(a, x.text, b, y.text)) field = "text";
  if (!same_time(x.date_time, y.date_time)) field = "date_time";
  if (field == nullptr) return "";
  return "reading " + std::to_string(i) + " (" + x.obis.to_string() + "): " + field;
}

std::string telegram_diff(const cosem::Telegram& a, const cosem::Telegram& b) {
  if (!same_text(a, a.meter_type, b, b.meter_type) || !same_text(a, a.meter_id, b, b.meter_id) ||
      !same_text(a, a.list_id, b, b.list_id)) {
    return "header text";
  }
  if (a.timestamp.has_value() != b.timestamp.has_value() ||
      (a.timestamp && !same_time(*a.timestamp, *b.timestamp))) {
    return "timestamp";
  }
  if (a.transport != b.transport || a.stream_offset != b.stream_offset || a.length != b.length ||
      a.segments != b.segments || a.text_storage != b.text_storage) {
    return "telegram fields";
  }
  if (a.readings.size() != b.readings.size()) return "reading count";
  for (std::size_t i = 0; i < a.readings.size(); ++i) {
    if (std::string d = reading_diff(a, b, i); !d.empty()) return d;
  }
  return "";
}

std::string problems_diff(const Problems& a, const Problems& b) {
  if (a.count != b.count) return "problem count";
  for (std::size_t i = 0; i < a.kept().size(); ++i) {
    if (a.first[i].code != b.first[i].code || a.first[i].offset != b.first[i].offset) {
      return "problem " + std::to_string(i);
    }
  }
  return "";
}

struct Tally {
  std::size_t compared = 0;
  std::size_t failures = 0;
  // Telegrams of digits changed only, with no problem, after one such of the same zone: the
  // memory has their shape, so each must come from it wholly.
  std::size_t steady = 0;
  std::size_t steady_hit = 0;
  ParserMemoryStats stats;
};

void add(ParserMemoryStats& to, const ParserMemoryStats& s) {
  to.telegrams += s.telegrams;
  to.all_hit += s.all_hit;
  to.at_once += s.at_once;
  to.lines_hit += s.lines_hit;
  to.lines_read += s.lines_read;
  to.learnt += s.learnt;
  to.in_place += s.in_place;
}

// One mutation of `base` parsed through `memory` into `on` (kept over the run, as the Decoder
// keeps its telegram: the memory writes over the last telegram's readings) and through `none`
// into a new telegram, compared.
bool compare(const std::string& text, const Zone& zone, std::size_t at, ParserMemory& memory,
             ParserMemory& none, cosem::Telegram& on, Tally& tally) {
  cosem::Telegram off;
  Problems on_problems, off_problems;
  parse_telegram(test::as_bytes(text), at, on, on_problems, memory, zone);
  parse_telegram(test::as_bytes(text), at, off, off_problems, none, zone);
  ++tally.compared;
  std::string d = telegram_diff(on, off);
  if (d.empty()) d = problems_diff(on_problems, off_problems);
  if (!d.empty() && ++tally.failures <= 5) ADD_FAILURE() << d << " in:\n" << text;
  return off_problems.count == 0;
}

// kTelegramsPerRun mutations of `base` through a memory kept over the run and through none.
void run(const std::string& base, std::mt19937_64& rng, Tally& tally) {
  ParserMemory memory, none;
  none.enable(false);
  cosem::Telegram on;
  const Zone zones[] = {Zone{}, Zone{0, 60}};
  bool steady = false;  // the last telegram had the base's shape: the memory has it now
  const Zone* last_zone = nullptr;
  for (int i = 0; i < kTelegramsPerRun; ++i) {
    bool digits_only = false;
    const std::string text = mutate(base, rng, digits_only);
    const Zone& zone = zones[rng() % 16 == 0 ? 1 : 0];
    const std::uint64_t read = memory.stats().lines_read;
    const bool clean = compare(text, zone, rng() % 1000, memory, none, on, tally);
    const bool counted = steady && digits_only && clean && &zone == last_zone;
    const bool hit = memory.stats().lines_read == read;
    tally.steady += counted ? 1u : 0u;
    tally.steady_hit += counted && hit ? 1u : 0u;
    steady = digits_only && clean;
    last_zone = &zone;
  }
  add(tally.stats, memory.stats());
  EXPECT_EQ(none.stats().lines_hit, 0u);
}

TEST(P1ShapeMemory, GivesWhatTheGeneralPathGivesForMutatedTelegrams) {
  const std::vector<std::string> all = bases();
  ASSERT_GE(all.size(), 30u);
  std::mt19937_64 rng(kSeed);
  Tally tally;
  for (const std::string& base : all) {
    for (int r = 0; r < kRunsPerBase; ++r) run(base, rng, tally);
  }
  EXPECT_EQ(tally.failures, 0u);
  const ParserMemoryStats& s = tally.stats;
  std::cout << "compared " << tally.compared << " telegrams; memory: " << s.all_hit
            << " wholly from it (" << s.at_once << " compared at once), " << s.lines_hit
            << " lines from it, " << s.lines_read << " the general way, " << s.learnt << " learnt, "
            << s.in_place << " written in place; steady " << tally.steady_hit << " of "
            << tally.steady << " from it\n";
  EXPECT_GE(tally.steady_hit * 10, tally.steady * 9);  // 97% when written
  EXPECT_GE(tally.steady * 4, tally.compared);         // a good share of the telegrams
  EXPECT_GE(s.lines_hit, s.lines_read);
  // The whole-telegram compare takes most of them (a line may move in a telegram that is still
  // given whole, its lines then compared one by one), and never a telegram it should not (above).
  EXPECT_GE(s.at_once * 10, s.all_hit * 9);
  // Into the telegram kept over a run, most telegrams given wholly after one given wholly or
  // learnt are written in place: only their changed readings (the equality above holds for them).
  EXPECT_GE(s.in_place * 10, s.all_hit * 7);
}

// Into the Telegram it last wrote whole the memory writes only the readings whose digits
// changed. A Telegram whose readings were replaced since (another vector of the same size) or
// cleared is written whole: what the general path gives.
TEST(P1ShapeMemory, WritesWholeIntoATelegramWhoseReadingsWereReplaced) {
  const std::string a = kConstructed[3];
  std::string b = a;
  b.replace(b.find("-230.1"), 6, "-231.7");
  b.replace(b.find("002*A"), 5, "005*A");
  ParserMemory memory;
  cosem::Telegram on;
  Problems problems;
  parse_telegram(test::as_bytes(a), 0, on, problems, memory);  // learnt
  parse_telegram(test::as_bytes(b), 0, on, problems, memory);  // given whole, in place
  ASSERT_EQ(memory.stats().learnt, 1u);
  ASSERT_EQ(memory.stats().in_place, 1u);
  ParserMemory none;
  none.enable(false);
  for (int replaced = 0; replaced < 2; ++replaced) {
    if (replaced == 0) on.readings = std::vector<cosem::Reading>(on.readings.size());
    if (replaced == 1) on.clear();
    const std::string& text = replaced == 0 ? a : b;
    parse_telegram(test::as_bytes(text), 0, on, problems, memory);
    cosem::Telegram off;
    Problems off_problems;
    parse_telegram(test::as_bytes(text), 0, off, off_problems, none);
    EXPECT_EQ(telegram_diff(on, off), "") << replaced;
  }
  EXPECT_EQ(memory.stats().all_hit, 3u);
  EXPECT_EQ(memory.stats().in_place, 1u);  // neither after the readings were replaced
}

}  // namespace
}  // namespace meterlab::p1
