// A P1 profile's "p1" section -> P1Spec. The format is in simulator/README.md ("P1 meters").
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "meterlab/sim/p1.hpp"

namespace meterlab::sim {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<std::string_view, P1Source>, 7> kP1Sources{{
    {"tariff", P1Source::tariff},
    {"power_failures", P1Source::power_failures},
    {"long_power_failures", P1Source::long_power_failures},
    {"gas", P1Source::gas},
    {"water", P1Source::water},
    {"demand", P1Source::demand},
    {"demand_max", P1Source::demand_max},
}};

// The value-group keys of a line and the kind each makes.
constexpr std::array<std::pair<std::string_view, P1Kind>, 8> kKinds{{
    {"number", P1Kind::number},
    {"text", P1Kind::text},
    {"hex", P1Kind::hex},
    {"time", P1Kind::time},
    {"capture", P1Kind::capture},
    {"gas22", P1Kind::gas22},
    {"failure_log", P1Kind::failure_log},
    {"maxima", P1Kind::maxima},
}};

class P1Parser {
 public:
  explicit P1Parser(std::string name) : name_(std::move(name)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw std::invalid_argument(name_ + ": " + path + ": " + what);
  }
  std::string str(const json& v, const std::string& path) const {
    if (!v.is_string()) fail(path, "expected a string");
    return v.get<std::string>();
  }
  double positive(const json& v, const std::string& path) const {
    if (!v.is_number() || v.get<double>() < 0) fail(path, "expected a number >= 0");
    return v.get<double>();
  }
  std::int64_t count(const json& v, const std::string& path) const {
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0) fail(path, "expected an integer >= 0");
    return v.get<std::int64_t>();
  }
  // A time with its offset, as the truth log writes it: "2025-01-17T02:00:03+01:00".
  SimTime time(const json& v, const std::string& path) const {
    const std::string s = str(v, path);
    const bool offset =
        s.size() > 19 && (s.back() == 'Z' || s[s.size() - 6] == '+' || s[s.size() - 6] == '-');
    auto t = parse_iso(s, Zone::utc);
    if (!offset || !t)
      fail(path, "expected a time with its offset (\"2025-01-17T02:00:03+01:00\")");
    return *t;
  }

  P1Line line(const json& v, const std::string& path) const;

 private:
  void source(const json& v, const std::string& path, P1Line& l) const;
  void format(const json& v, const std::string& path, P1Line& l) const;
  P1Line literal(const json& v, const std::string& path) const;
  std::string name_;
};

// "$name": one of the P1 meter's own sources or a household source; else a constant.
void P1Parser::source(const json& v, const std::string& path, P1Line& l) const {
  if (v.is_number_integer()) {
    l.number = v.get<std::int64_t>();
    return;
  }
  std::string s = str(v, path);
  if (!s.starts_with("$")) {
    l.text = s;
    return;
  }
  std::string n = s.substr(1);
  if (n == "meter_id" || n == "clock") {
    l.meter_id = n == "meter_id";
    return;
  }
  for (const auto& [key, src] : kP1Sources)
    if (key == n) {
      l.from = src;
      return;
    }
  if (n.ends_with("_t1") || n.ends_with("_t2")) {  // an energy register of one tariff
    l.tariff = n.back() - '0';
    n.resize(n.size() - 3);
  }
  auto h = parse_source(n);
  if (!h) fail(path, "unknown source \"" + s + "\"");
  bool energy = *h >= Source::energy_import && *h <= Source::energy_reactive_export;
  if (l.tariff != 0 && !energy) fail(path, "only energy registers count by tariff: \"" + s + "\"");
  l.from = l.tariff != 0 ? P1Source::by_tariff : P1Source::household;
  l.source = *h;
}

// "format": "6.3" (six integer digits, three decimals) or "4".
void P1Parser::format(const json& v, const std::string& path, P1Line& l) const {
  if (!v.contains("format")) fail(path, "missing \"format\" (\"6.3\", \"4\")");
  std::string f = str(v.at("format"), path + ".format");
  auto dot = f.find('.');
  try {
    l.int_digits = std::stoi(f.substr(0, dot));
    l.frac_digits = dot == std::string::npos ? 0 : std::stoi(f.substr(dot + 1));
  } catch (const std::exception&) {
    fail(path + ".format", "expected digits \"6.3\" or \"4\"");
  }
  if (l.int_digits < 1 || l.int_digits > 12 || l.frac_digits < 0 || l.frac_digits > 6)
    fail(path + ".format", "1..12 integer digits, 0..6 decimals");
  if (v.contains("unit")) l.unit = str(v.at("unit"), path + ".unit");
  if (v.contains("factor")) l.factor = v.at("factor").get<std::int64_t>();
  if (l.factor != 1 && l.factor != 1000) fail(path + ".factor", "1 or 1000");
}

// {"line": "1-0:99.97.0(0)(0-0:96.7.19)", "readings": [{"obis", "value", "unit", "captured"}]}
P1Line P1Parser::literal(const json& v, const std::string& path) const {
  P1Line l;
  l.kind = P1Kind::literal;
  l.text = str(v.at("line"), path + ".line");
  if (!v.contains("readings") || !v.at("readings").is_array())
    fail(path, "a literal line needs \"readings\": what the decoder reports for it");
  for (const json& r : v.at("readings")) {
    TruthReading t;
    t.obis = str(r.at("obis"), path + ".readings.obis");
    t.unit = r.value("unit", "");
    t.captured = r.value("captured", "");
    const json& value = r.at("value");
    if (value.is_string()) {
      t.is_text = true;
      t.text = value.get<std::string>();
    } else if (value.is_number_integer()) {
      t.raw = value.get<std::int64_t>();
    } else {
      t.raw = std::llround(positive(value, path + ".readings.value") * 1000);
      t.scale = -3;
    }
    l.truth.push_back(std::move(t));
  }
  return l;
}

P1Line P1Parser::line(const json& v, const std::string& path) const {
  if (!v.is_object()) fail(path, "expected an object");
  if (v.contains("line")) return literal(v, path);
  P1Line l;
  l.obis = str(v.contains("obis") ? v.at("obis") : json(), path + ".obis");
  const std::pair<std::string_view, P1Kind>* found = nullptr;
  for (const auto& k : kKinds)
    if (v.contains(std::string(k.first))) found = &k;
  if (!found) fail(path, "no value key (number, text, hex, time, capture, gas22, line)");
  l.kind = found->second;
  source(v.at(std::string(found->first)), path + "." + std::string(found->first), l);
  const bool buffer = l.kind == P1Kind::failure_log || l.kind == P1Kind::maxima;
  if (buffer && (l.text.empty() || l.from != P1Source::constant))
    fail(path, "a buffer names the OBIS code of its objects (\"0-0:96.7.19\", \"1-0:1.6.0\")");
  bool numeric =
      l.kind == P1Kind::number || l.kind == P1Kind::capture || l.kind == P1Kind::gas22 || buffer;
  if (numeric) format(v, path, l);
  if (l.kind == P1Kind::gas22) l.unit = "m3";  // written on the object's line, not the value's
  return l;
}

// "eol": "crlf" (the default: DSMR, IEC 62056-21) or "lf" (LF alone, as some meters send).
std::string line_end(const P1Parser& p, const json& v) {
  const std::string e = p.str(v, "p1.eol");
  if (e != "crlf" && e != "lf") p.fail("p1.eol", "\"crlf\" or \"lf\"");
  return e == "lf" ? "\n" : "\r\n";
}

void parse_channels(const P1Parser& p, const json& v, P1Spec& s) {
  if (v.contains("gas")) {
    const json& g = v.at("gas");
    s.gas_m3_per_day = p.positive(g.at("m3_per_day"), "p1.gas.m3_per_day");
    if (g.contains("capture")) {
      auto d = parse_duration(p.str(g.at("capture"), "p1.gas.capture"));
      if (!d || *d <= 0 || *d % kMinuteMs != 0) p.fail("p1.gas.capture", "whole minutes: \"5m\"");
      s.gas_capture = *d;
    }
  }
  if (v.contains("water"))
    s.water_m3_per_day = p.positive(v.at("water").at("m3_per_day"), "p1.water.m3_per_day");
  if (v.contains("tariff")) {
    const json& t = v.at("tariff");
    s.tariff_low = t.value("low", 1);
    s.low_from_hour = t.value("low_from", 23);
    s.low_to_hour = t.value("low_to", 7);
  }
}

// "power_failures": {"count": 15, "long": 3, "log_max": 10,
//                    "log": [{"end": "2025-01-17T02:00:03+01:00", "s": 3647}, ...]}
void parse_failures(const P1Parser& p, const json& v, P1PowerFailures& f) {
  const std::string at = "p1.power_failures";
  if (!v.is_object()) p.fail(at, "expected an object");
  f.count = p.count(v.value("count", json(0)), at + ".count");
  f.long_count = p.count(v.value("long", json(0)), at + ".long");
  f.log_max = static_cast<std::size_t>(p.count(v.value("log_max", json(10)), at + ".log_max"));
  const std::string order = p.str(v.value("log_order", json("last")), at + ".log_order");
  if (order != "last" && order != "first") p.fail(at + ".log_order", "\"last\" or \"first\"");
  f.newest_first = order == "first";
  const json log = v.value("log", json::array());
  for (std::size_t i = 0; i < log.size(); ++i) {
    const std::string path = at + ".log[" + std::to_string(i) + "]";
    f.log.push_back(
        {p.time(log[i].at("end"), path + ".end"), p.count(log[i].at("s"), path + ".s")});
  }
  if (f.log.size() > f.log_max || static_cast<std::int64_t>(f.log.size()) > f.long_count)
    p.fail(at + ".log", "more entries than log_max or than long power failures");
}

// "monthly_maxima": {"max": 13, "months": [{"month": "2025-12-01T00:00:00+01:00",
//                    "at": "2025-11-18T18:30:00+01:00", "w": 3695}, ...]}: newest first.
void parse_maxima(const P1Parser& p, const json& v, P1Spec& s) {
  const std::string at = "p1.monthly_maxima";
  if (!v.is_object()) p.fail(at, "expected an object");
  s.maxima_max = static_cast<std::size_t>(p.count(v.value("max", json(13)), at + ".max"));
  const json months = v.value("months", json::array());
  for (std::size_t i = 0; i < months.size(); ++i) {
    const std::string path = at + ".months[" + std::to_string(i) + "]";
    const json& m = months[i];
    s.maxima.push_back({p.time(m.at("month"), path + ".month"), p.time(m.at("at"), path + ".at"),
                        p.count(m.at("w"), path + ".w")});
  }
  if (s.maxima.size() > s.maxima_max) p.fail(at + ".months", "more months than max");
}

}  // namespace

std::shared_ptr<const P1Spec> parse_p1_spec(const json& v, const std::string& name) {
  P1Parser p(name);
  if (!v.is_object()) p.fail("p1", "expected an object");
  auto spec = std::make_shared<P1Spec>();
  spec->header = p.str(v.contains("header") ? v.at("header") : json(), "p1.header");
  spec->crc = v.value("crc", true);
  if (v.contains("eol")) spec->eol = line_end(p, v.at("eol"));
  parse_channels(p, v, *spec);
  if (v.contains("power_failures")) parse_failures(p, v.at("power_failures"), spec->power_failures);
  if (v.contains("monthly_maxima")) parse_maxima(p, v.at("monthly_maxima"), *spec);
  if (!v.contains("lines") || !v.at("lines").is_array() || v.at("lines").empty())
    p.fail("p1.lines", "expected a non-empty list of lines");
  const json& lines = v.at("lines");
  for (std::size_t i = 0; i < lines.size(); ++i)
    spec->lines.push_back(p.line(lines[i], "p1.lines[" + std::to_string(i) + "]"));
  return spec;
}

}  // namespace meterlab::sim
