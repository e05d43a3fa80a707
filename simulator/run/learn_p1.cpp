// A P1 capture's telegrams -> a P1 profile (learn_detail.hpp). The engine is the oracle of what a
// line means: each object line is parsed on its own with p1::parse_telegram, and the readings it
// gives decide whether the household fills the line (a known quantity in the unit the model
// gives), the meter's own state fills it (clock, meter id, tariff, tariff registers, demand, gas
// and water channels) or it is held as captured (a literal line with the readings it decodes to).
// The line's widths are kept when p1_number() writes its digits back as captured.
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <map>

#include "meterlab/core/hex.hpp"
#include "meterlab/decoder/json.hpp"
#include "meterlab/p1/telegram.hpp"
#include "meterlab/sim/learn.hpp"
#include "meterlab/sim/learn_detail.hpp"
#include "meterlab/sim/time.hpp"

namespace meterlab::sim::learn_detail {
namespace {

using json = nlohmann::ordered_json;

// Cadences when consecutive clocks do not tell: a DSMR 5 meter sends every second, DSMR 4 and
// 2.2 meters every ten seconds (the P1 companion standards); families that differ from their
// version (the built-in profiles' meters): the Sagemcom T210-D-r of Energienetze Steiermark sends
// every 5 s.
constexpr std::int64_t kDsmr5CadenceMs = 1000;
constexpr std::int64_t kDsmr4CadenceMs = 10'000;
struct FamilyCadence {
  std::string_view header_prefix;
  std::int64_t ms;
};
constexpr std::array<FamilyCadence, 1> kFamilyCadences{{{"EST5", 5000}}};
// M-Bus channel captures: DSMR 5 every 5 minutes, DSMR 4 and 2.2 hourly.
constexpr std::int64_t kDsmr5CaptureMin = 5;
constexpr std::int64_t kDsmr4CaptureMin = 60;
// Line settings: DSMR 4 and 5 (with a CRC) 115200 8N1, DSMR 2.2 (none) 9600 7E1.
constexpr std::string_view kSerialDsmr45 = "115200 8N1";
constexpr std::string_view kSerialDsmr22 = "9600 7E1";
// The channel meters' mean use (m3 a day) when a capture has them: a heated home's gas, water.
constexpr double kGasM3PerDay = 4.0;
constexpr double kWaterM3PerDay = 0.3;
constexpr int kWaterDevice = 7;  // EN 13757-3 device type of 0-n:24.1.0: 3 gas, 7 water

// One object: its text (a DSMR 2.2 gas object spans two lines, joined by CRLF), its OBIS code as
// written and its value groups without the parentheses.
struct Line {
  std::size_t offset = 0;  // in the telegram
  std::string text;
  std::string obis;
  std::vector<std::string> groups;
};

struct Text {
  std::string header;  // without '/'
  std::vector<Line> lines;
  bool crc = false;
  std::string eol;  // "\r\n", or "\n" for a meter that ends its lines in LF alone
};

std::string at(std::size_t offset) {
  return "the telegram at stream byte " + std::to_string(offset);
}

std::vector<std::string> groups_of(std::string_view s) {
  std::vector<std::string> out;
  for (std::size_t open = s.find('('); open != std::string_view::npos; open = s.find('(', open)) {
    std::size_t close = s.find(')', open);
    if (close == std::string_view::npos) break;
    out.emplace_back(s.substr(open + 1, close - open - 1));
    open = close;
  }
  return out;
}

// Every line of a telegram ends alike: in CR LF (DSMR, IEC 62056-21) or in LF alone (some meters,
// and captures through a tool that drops the CR). Mixed ends are damage: refused with the byte.
std::string line_end(const std::string& s, std::size_t where) {
  const std::size_t first = s.find('\n');
  const bool crlf = first == std::string::npos || (first > 0 && s[first - 1] == '\r');
  auto name = [](bool cr) { return cr ? "CR LF" : "LF alone"; };
  for (std::size_t lf = first; lf != std::string::npos; lf = s.find('\n', lf + 1))
    if ((lf > 0 && s[lf - 1] == '\r') != crlf)
      throw LearnError(at(where) + ": its lines end in mixed ways: the first in " + name(crlf) +
                       ", the one ending at byte " + std::to_string(lf) + " of the telegram in " +
                       name(!crlf) + "; a meter ends every line alike");
  return crlf ? "\r\n" : "\n";
}

// '/' header, an empty line, object lines (a line opening with '(' continues the one before), '!'
// line, each ending in `line_end`.
Text split(const Buffer& bytes, std::size_t where) {
  std::string s(bytes.begin(), bytes.end());
  const std::string eol = line_end(s, where);
  std::vector<std::string> raw;
  std::vector<std::size_t> starts;
  for (std::size_t b = 0, e; b < s.size(); b = e + eol.size()) {
    e = s.find(eol, b);
    if (e == std::string::npos) e = s.size();
    raw.push_back(s.substr(b, e - b));
    starts.push_back(b);
  }
  if (raw.size() < 3 || raw[0].empty() || raw[0][0] != '/' || !raw[1].empty() ||
      raw.back().empty() || raw.back()[0] != '!')
    throw LearnError(at(where) + " is not '/' identification, an empty line, objects and a '!' " +
                     "line, each ending in CR LF (or each in LF alone)");
  Text t{raw[0].substr(1), {}, raw.back().size() > 1, eol};
  for (std::size_t i = 2; i + 1 < raw.size(); ++i) {
    if (raw[i].starts_with("(") && !t.lines.empty()) {
      t.lines.back().text += eol + raw[i];
      continue;
    }
    t.lines.push_back(Line{starts[i], raw[i], raw[i].substr(0, raw[i].find('(')), {}});
  }
  for (Line& l : t.lines) l.groups = groups_of(std::string_view(l.text).substr(l.obis.size()));
  return t;
}

// The readings the decoder gives for one line alone (its JSON form, as `meterlab decode` prints).
// A line the decoder finds a problem in (not OBIS(value), an impossible timestamp) is damage,
// not the meter's skeleton: refused.
json readings_of(const Line& l, std::size_t where) {
  const std::string head = "/L\r\n\r\n", text = head + l.text + "\r\n!\r\n";
  cosem::Telegram t;
  p1::Problems problems;
  p1::parse_telegram(Bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), 0, t,
                     problems);
  if (problems.count > 0)
    throw LearnError(at(where) + ": the line at its byte " + std::to_string(l.offset) + ", \"" +
                     l.text + "\", is damaged (" + std::string(name(problems.first[0].code)) +
                     ": " + std::string(message(problems.first[0].code)) + ")");
  std::string out;
  append_json(t, out);
  return json::parse(out).at("readings");
}

struct Number {
  int int_digits = 0, frac_digits = 0;
  std::string unit;
};

// "000123.456*kWh" -> 6.3 kWh, when p1_number() writes the digits back as they are.
std::optional<Number> number_of(const std::string& g) {
  const std::size_t star = g.find('*');
  const std::string digits = g.substr(0, star);
  const std::size_t dot = digits.find('.');
  Number n{static_cast<int>(dot == std::string::npos ? digits.size() : dot), 0,
           star == std::string::npos ? "" : g.substr(star + 1)};
  n.frac_digits = dot == std::string::npos ? 0 : static_cast<int>(digits.size() - dot - 1);
  std::string bare = digits;
  bare.erase(std::remove(bare.begin(), bare.end(), '.'), bare.end());
  if (bare.empty() || bare.size() > 18 || n.int_digits < 1 || n.int_digits > 12 ||
      n.frac_digits > 6 || !std::all_of(bare.begin(), bare.end(), ::isdigit))
    return std::nullopt;
  if (p1_number(std::stoll(bare), n.int_digits, n.frac_digits) != digits) return std::nullopt;
  return n;
}

// YYMMDDhhmmss with the DST flag (S/W) or without it, as the P1 writer writes it.
bool is_stamp(const std::string& g, bool flag) {
  if (g.size() != (flag ? 13u : 12u)) return false;
  if (!std::all_of(g.begin(), g.begin() + 12, ::isdigit)) return false;
  return !flag || g.back() == 'S' || g.back() == 'W';
}

// Minutes since 1970 of a stamp (local); none when the group is no stamp.
std::optional<std::int64_t> stamp_minutes(const std::string& g) {
  if (!is_stamp(g, false) && !is_stamp(g, true)) return std::nullopt;
  auto two = [&](std::size_t i) { return std::stoi(g.substr(i, 2)); };
  return days_from_civil(2000 + two(0), two(2), two(4)) * 1440 + two(6) * 60 + two(8);
}

struct Context {
  std::string meter_id;
  std::string eol;
  bool id_taken = false, clock_taken = false;
  std::map<char, int> devices;  // M-Bus channel -> device type (0-n:24.1.0)
  json state = json::object();  // "power_failures", "monthly_maxima": the meter's start state
};

json format_json(json line, const Number& n) {
  line["format"] =
      std::to_string(n.int_digits) + (n.frac_digits > 0 ? "." + std::to_string(n.frac_digits) : "");
  if (!n.unit.empty()) line["unit"] = n.unit;
  return line;
}

// The source of a single number line: the meter's tariff, a tariff register, the demand, or a
// household quantity; "" to hold it.
std::string number_source(const std::string& obis, const std::string& unit) {
  if (obis == "0-0:96.14.0" && unit.empty()) return "$tariff";
  if (obis == "1-0:1.4.0" && unit == "W") return "$demand";
  const bool tariff_register = obis.size() == 9 && obis.starts_with("1-0:") &&
                               obis.substr(5, 3) == ".8." && (obis[8] == '1' || obis[8] == '2');
  if (tariff_register) {
    auto s = household_source(obis.substr(0, 8) + "0.255", unit);
    if (s) return "$" + std::string(*s) + "_t" + obis[8];
  }
  auto s = household_source(obis + ".255", unit);
  return s ? "$" + std::string(*s) : "";
}

std::optional<json> meter_line(const Line& l, const json& readings, Context& c) {
  const bool id_obis = l.obis == "0-0:96.1.1" || l.obis == "0-0:96.1.0";
  if (!id_obis || c.id_taken || c.meter_id.empty() || l.groups.size() != 1 ||
      readings.size() != 1 || readings[0].at("value") != c.meter_id)
    return std::nullopt;
  std::string hex =
      to_hex(Bytes(reinterpret_cast<const std::uint8_t*>(c.meter_id.data()), c.meter_id.size()));
  std::transform(hex.begin(), hex.end(), hex.begin(), ::toupper);
  if (l.groups[0] != hex && l.groups[0] != c.meter_id) return std::nullopt;
  c.id_taken = true;
  return json{{"obis", l.obis}, {l.groups[0] == hex ? "hex" : "text", "$meter_id"}};
}

// OBIS(YYMMDDhhmmssX)(value*unit): the peak demand, or a channel meter's register.
std::optional<json> capture_line(const Line& l, const json& readings, const Context& c) {
  if (l.groups.size() != 2 || readings.size() != 1 || !is_stamp(l.groups[0], true))
    return std::nullopt;
  auto n = number_of(l.groups[1]);
  if (!n) return std::nullopt;
  const std::string unit = readings[0].at("unit");
  std::string source;
  if (l.obis == "1-0:1.6.0" && unit == "W") source = "$demand_max";
  if (l.obis.size() == 10 && l.obis.starts_with("0-") && l.obis.compare(4, 5, "24.2.") == 0 &&
      unit == "m3") {
    auto d = c.devices.find(l.obis[2]);
    source = d != c.devices.end() && d->second == kWaterDevice ? "$water" : "$gas";
  }
  if (source.empty()) return std::nullopt;
  return format_json({{"obis", l.obis}, {"capture", source}}, *n);
}

// DSMR 2.2: 0-n:24.3.0(YYMMDDhhmmss)(00)(60)(1)(0-n:24.2.1)(m3) CRLF (value).
std::optional<json> gas22_line(const Line& l, const std::string& eol) {
  if (l.groups.size() != 7 || !l.obis.ends_with(":24.3.0") || !is_stamp(l.groups[0], false))
    return std::nullopt;
  const std::string reg = l.obis.substr(0, 4) + "24.2.1";
  const std::vector<std::string> fixed{"00", "60", "1", reg, "m3"};
  if (!std::equal(fixed.begin(), fixed.end(), l.groups.begin() + 1)) return std::nullopt;
  auto n = number_of(l.groups[6]);
  if (!n || !n->unit.empty() || l.text.find(")(m3)" + eol + "(") == std::string::npos)
    return std::nullopt;
  return format_json({{"obis", l.obis}, {"gas22", "$gas"}}, *n);
}

// Power failures (96.7.21, 96.7.9, the 99.97.0 log) and the Belgian monthly maxima (98.1.0): the
// meter counts and moves them itself from what the capture shows (the profile's start state).
constexpr std::string_view kFailures = "0-0:96.7.21", kLongFailures = "0-0:96.7.9",
                           kFailureLog = "1-0:99.97.0", kMaxima = "0-0:98.1.0";
constexpr std::size_t kLogMax = 10, kMaximaMax = 13;  // DSMR 5.0.2; e-MUCS

// YYMMDDhhmmssX as a time of the learned zone with its offset, when its S/W agrees with the zone.
std::optional<std::string> stamp_iso(const std::string& g) {
  if (!is_stamp(g, true)) return std::nullopt;
  const std::string local = "20" + g.substr(0, 2) + "-" + g.substr(2, 2) + "-" + g.substr(4, 2) +
                            "T" + g.substr(6, 2) + ":" + g.substr(8, 2) + ":" + g.substr(10, 2);
  const Zone z = *parse_zone(kZone);
  auto t = parse_iso(local, z);
  if (!t || to_local(*t, z).dst != (g[12] == 'S')) return std::nullopt;
  return format_iso(*t, z);
}

std::optional<json> count_line(const Line& l, const json& readings, Context& c) {
  const bool all = l.obis == kFailures;
  if ((!all && l.obis != kLongFailures) || l.groups.size() != 1 || readings.size() != 1 ||
      !readings[0].at("value").is_number_integer() || readings[0].at("unit") != "")
    return std::nullopt;
  auto n = number_of(l.groups[0]);
  if (!n || !n->unit.empty()) return std::nullopt;
  c.state["power_failures"][all ? "count" : "long"] = readings[0].at("value");
  return format_json(
      {{"obis", l.obis}, {"number", all ? "$power_failures" : "$long_power_failures"}}, *n);
}

// One number format for every entry of a buffer (the writer writes them all alike).
bool same_format(const std::optional<Number>& a, const Number& b) {
  return !a ||
         (a->int_digits == b.int_digits && a->frac_digits == b.frac_digits && a->unit == b.unit);
}

// 1-0:99.97.0(k)(0-0:96.7.19)(end)(duration*s)...
std::optional<json> failure_log_line(const Line& l, const json& readings, Context& c) {
  const auto& g = l.groups;
  if (l.obis != kFailureLog || g.size() < 2 || g.size() % 2 != 0 || g[1].empty())
    return std::nullopt;
  const std::size_t k = (g.size() - 2) / 2;
  if (g[0] != std::to_string(k) || readings.size() != k + 1) return std::nullopt;
  std::optional<Number> format;
  json log = json::array();
  for (std::size_t i = 0; i < k; ++i) {
    auto end = stamp_iso(g[2 + 2 * i]);
    auto n = number_of(g[3 + 2 * i]);
    const json& r = readings[1 + i];
    if (!end || !n || n->unit != "s" || !same_format(format, *n) ||
        !r.at("value").is_number_integer() || r.at("obis") != g[1] + ".255")
      return std::nullopt;
    format = n;
    log.push_back({{"end", *end}, {"s", r.at("value")}});
  }
  json& f = c.state["power_failures"];
  f["log"] = log;
  f["log_max"] = std::max(kLogMax, k);
  // DSMR's own example sends the newest first; most meters the newest last.
  const bool falling =
      k >= 2 && std::is_sorted(log.rbegin(), log.rend(), [](const json& a, const json& b) {
        return *parse_iso(a.at("end").get<std::string>(), Zone::utc) <
               *parse_iso(b.at("end").get<std::string>(), Zone::utc);
      });
  if (falling) f["log_order"] = "first";
  return format_json({{"obis", l.obis}, {"failure_log", g[1]}},
                     format.value_or(Number{10, 0, "s"}));
}

// 0-0:98.1.0(k)(1-0:1.6.0)(1-0:1.6.0)(month)(time)(value*kW)...
std::optional<json> maxima_line(const Line& l, const json& readings, Context& c) {
  const auto& g = l.groups;
  if (l.obis != kMaxima || g.size() < 3 || g.size() % 3 != 0 || g[1].empty() || g[1] != g[2])
    return std::nullopt;
  const std::size_t k = g.size() / 3 - 1;
  if (g[0] != std::to_string(k) || readings.size() != k + 1) return std::nullopt;
  std::optional<Number> format;
  json months = json::array();
  for (std::size_t i = 0; i < k; ++i) {
    auto month = stamp_iso(g[3 + 3 * i]), time = stamp_iso(g[4 + 3 * i]);
    auto n = number_of(g[5 + 3 * i]);
    const json& r = readings[1 + i];
    if (!month || !time || !n || !same_format(format, *n) || r.at("unit") != "W" ||
        !r.at("value").is_number_integer() || r.at("obis") != g[1] + ".255")
      return std::nullopt;
    format = n;
    months.push_back({{"month", *month}, {"at", *time}, {"w", r.at("value")}});
  }
  c.state["monthly_maxima"] = {{"max", std::max(kMaximaMax, k)}, {"months", months}};
  return format_json({{"obis", l.obis}, {"maxima", g[1]}}, format.value_or(Number{2, 3, "kW"}));
}

std::optional<json> filled_line(const Line& l, const json& readings, Context& c) {
  if (l.obis == "0-0:1.0.0" && l.groups.size() == 1 && is_stamp(l.groups[0], true)) {
    c.clock_taken = true;
    return json{{"obis", l.obis}, {"time", "$clock"}};
  }
  if (auto m = meter_line(l, readings, c)) return m;
  if (auto g = gas22_line(l, c.eol)) return g;
  if (auto k = capture_line(l, readings, c)) return k;
  if (auto s = count_line(l, readings, c)) return s;
  if (auto s = failure_log_line(l, readings, c)) return s;
  if (auto s = maxima_line(l, readings, c)) return s;
  if (l.groups.size() != 1 || readings.size() != 1) return std::nullopt;
  auto n = number_of(l.groups[0]);
  if (!n) return std::nullopt;
  std::string source = number_source(l.obis, readings[0].at("unit"));
  if (source.empty()) return std::nullopt;
  return format_json({{"obis", l.obis}, {"number", source}}, *n);
}

// A line held as captured, with the readings it decodes to in the literal's form.
json literal_line(const Line& l, const json& readings, std::size_t where) {
  json out = json::array();
  for (const json& r : readings) {
    const json& v = r.at("value");
    const bool held = v.is_string() || v.is_number_integer() ||
                      (v.is_number() && v.get<double>() >= 0 &&
                       std::fabs(std::round(v.get<double>() * 1000) / 1000 - v.get<double>()) <
                           1e-9 * std::max(1.0, v.get<double>()));
    if (!held || (v.is_number_integer() && v.get<std::int64_t>() < 0))
      throw LearnError(at(where) + ": the line at its byte " + std::to_string(l.offset) +
                       " decodes to " + r.dump() +
                       ", which a held line cannot reproduce (a text, a whole number or one " +
                       "of at most three decimals >= 0)");
    json one{{"obis", r.at("obis")}, {"value", v}};
    if (!r.at("unit").get<std::string>().empty()) one["unit"] = r.at("unit");
    if (r.contains("captured")) one["captured"] = r.at("captured");
    out.push_back(one);
  }
  return {{"line", l.text}, {"readings", out}};
}

// Every telegram of the capture has the first's header and objects: one meter, one form.
void check_same_form(const std::vector<Text>& ts, const std::vector<P1Capture>& cs) {
  for (std::size_t i = 1; i < ts.size(); ++i) {
    if (ts[i].header != ts[0].header)
      throw LearnError("two meters in one capture: identification /" + ts[0].header + " at " +
                       "stream byte " + std::to_string(cs[0].offset) + ", /" + ts[i].header +
                       " at stream byte " + std::to_string(cs[i].offset));
    bool same = ts[i].lines.size() == ts[0].lines.size() && ts[i].crc == ts[0].crc &&
                ts[i].eol == ts[0].eol;
    for (std::size_t k = 0; same && k < ts[i].lines.size(); ++k)
      same = ts[i].lines[k].obis == ts[0].lines[k].obis;
    if (!same)
      throw LearnError(at(cs[i].offset) + " has other objects than " + at(cs[0].offset) +
                       ": a P1 meter sends one telegram form");
  }
}

int dsmr_major(const Text& t) {
  for (const Line& l : t.lines)
    if ((l.obis == "1-3:0.2.8" || l.obis == "0-0:96.1.4") && !l.groups.empty() &&
        !l.groups[0].empty())
      return l.groups[0][0] - '0';
  return t.crc ? 4 : 2;
}

std::int64_t cadence_ms(const Text& t, const std::vector<P1Capture>& cs, const LearnOptions& o) {
  std::optional<std::int64_t> best;
  for (std::size_t i = 1; i < cs.size(); ++i)
    if (cs[i].time_ms && cs[i - 1].time_ms && *cs[i].time_ms > *cs[i - 1].time_ms) {
      std::int64_t d = *cs[i].time_ms - *cs[i - 1].time_ms;
      best = best ? std::min(*best, d) : d;
    }
  if (best) return *best;
  if (o.cadence_ms) return *o.cadence_ms;
  for (const FamilyCadence& f : kFamilyCadences)
    if (t.header.starts_with(f.header_prefix)) return f.ms;
  return dsmr_major(t) >= 5 ? kDsmr5CadenceMs : kDsmr4CadenceMs;
}

// The channel capture period: from consecutive capture times of the first channel line, else
// the DSMR version's.
std::int64_t capture_minutes(const std::vector<Text>& ts, std::size_t line, int major) {
  std::optional<std::int64_t> best;
  for (std::size_t i = 1; i < ts.size(); ++i) {
    const auto& now = ts[i].lines[line].groups;
    const auto& before = ts[i - 1].lines[line].groups;
    if (now.empty() || before.empty()) continue;
    auto a = stamp_minutes(before[0]), b = stamp_minutes(now[0]);
    if (a && b && *b > *a) best = best ? std::min(*best, *b - *a) : *b - *a;
  }
  return best.value_or(major >= 5 ? kDsmr5CaptureMin : kDsmr4CaptureMin);
}

struct Learnt {
  json lines = json::array();
  std::map<std::string, double> totals, by_tariff;  // energy source -> captured Wh (varh)
  bool three_phase = false;
  std::optional<std::size_t> gas_line, water_line;
  json state;  // the meter's start state: power failures, monthly maxima
};

// The household's registers start where the capture's did: the total (X.8.0) when the meter
// sends one, else its tariff registers added up.
void note_quantity(const json& line, const json& readings, Learnt& out) {
  if (!line.contains("number") || readings.size() != 1) return;
  std::string s = line.at("number").get<std::string>().substr(1);
  if (s.ends_with("_l2") || s.ends_with("_l3")) out.three_phase = true;
  const bool tariff = s.ends_with("_t1") || s.ends_with("_t2");
  if (tariff) s.resize(s.size() - 3);
  if (!s.starts_with("energy_") || !readings[0].at("value").is_number()) return;
  (tariff ? out.by_tariff : out.totals)[s] += readings[0].at("value").get<double>();
}

Learnt learn_lines(const Text& t, const P1Capture& c) {
  Learnt out;
  Context ctx{c.meter_id, t.eol, false, false, {}, json::object()};
  for (std::size_t i = 0; i < t.lines.size(); ++i) {
    const Line& l = t.lines[i];
    const json readings = readings_of(l, c.offset);
    if (l.obis.size() == 10 && l.obis.ends_with(":24.1.0") && l.groups.size() == 1 &&
        !l.groups[0].empty() && std::all_of(l.groups[0].begin(), l.groups[0].end(), ::isdigit))
      ctx.devices[l.obis[2]] = std::stoi(l.groups[0]);
    auto filled = filled_line(l, readings, ctx);
    json line = filled ? *filled : literal_line(l, readings, c.offset);
    note_quantity(line, readings, out);
    const std::string v = line.value("capture", line.value("gas22", ""));
    if (v == "$gas" && !out.gas_line) out.gas_line = i;
    if (v == "$water" && !out.water_line) out.water_line = i;
    out.lines.push_back(std::move(line));
  }
  if (!c.meter_id.empty() && !ctx.id_taken)
    throw LearnError(at(c.offset) + ": its meter id " + c.meter_id + " is on no line the " +
                     "profile can write (0-0:96.1.1 or 0-0:96.1.0 as text or hex)");
  if (c.time_ms && !ctx.clock_taken)
    throw LearnError(at(c.offset) + ": its clock is on no line the profile can write " +
                     "(0-0:1.0.0(YYMMDDhhmmssX))");
  out.state = std::move(ctx.state);
  if (out.state.contains("power_failures")) {  // every logged failure was a long one
    json& f = out.state["power_failures"];
    const std::size_t logged = f.value("log", json::array()).size();
    f["long"] = std::max(f.value("long", std::size_t{0}), logged);
  }
  return out;
}

json p1_section(const std::vector<Text>& ts, const Learnt& l) {
  const Text& t = ts.front();
  json p{{"header", t.header}, {"crc", t.crc}};
  if (t.eol == "\n") p["eol"] = "lf";
  const int major = dsmr_major(t);
  auto channel = [&](const char* key, double m3, std::size_t line) {
    p[key] = {{"m3_per_day", m3},
              {"capture", std::to_string(capture_minutes(ts, line, major)) + "m"}};
  };
  if (l.gas_line) channel("gas", kGasM3PerDay, *l.gas_line);
  if (l.water_line) channel("water", kWaterM3PerDay, *l.water_line);
  for (const auto& [key, state] : l.state.items()) p[key] = state;
  p["lines"] = l.lines;
  return p;
}

}  // namespace

json learn_p1(const std::vector<P1Capture>& cs, const LearnOptions& o) {
  std::vector<Text> ts;
  for (const P1Capture& c : cs) ts.push_back(split(c.text, c.offset));
  check_same_form(ts, cs);
  Learnt l = learn_lines(ts.front(), cs.front());
  for (const auto& [source, wh] : l.totals) l.by_tariff[source] = wh;
  const Text& t = ts.front();
  const std::int64_t every = cadence_ms(t, cs, o);
  const std::string id = cs.front().meter_id;
  return {{"meter", {{"id", id.empty() ? "learned" : id}, {"type", t.header}, {"zone", kZone}}},
          {"serial", o.serial.empty() ? (t.crc ? kSerialDsmr45 : kSerialDsmr22) : o.serial},
          {"framing", {{"kind", "p1"}}},
          {"household", household_json(l.by_tariff, l.three_phase)},
          {"step", std::to_string(every) + "ms"},
          {"schedule", {{{"list", "telegram"}, {"every", std::to_string(every) + "ms"}}}},
          {"p1", p1_section(ts, l)}};
}

}  // namespace meterlab::sim::learn_detail
