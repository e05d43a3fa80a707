#include "scenario_check.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "evidence.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/decoder/json.hpp"
#include "meterlab/sim/profile.hpp"
#include "meterlab/sim/simulation.hpp"
#include "vector_check.hpp"

namespace meterlab::conformance {
namespace {

using nlohmann::json;

// A decoder may hold a frame until the next one starts (or a multi-segment message until its last
// segment): truth telegrams are graded only once the decoder has been fed this far past them.
constexpr std::uint64_t kSettleBytes = 64 * 1024;

std::uint64_t count_of(const json& v, const std::string& key) {
  if (!v.is_number_unsigned())
    throw std::invalid_argument("pass: \"" + key + "\" must be a whole number >= 0");
  return v.get<std::uint64_t>();
}

void parse_min_rejected(const json& v, PassCriteria& p) {
  if (!v.is_object())
    throw std::invalid_argument("pass: \"min_rejected\" must be an object {layer: n}");
  for (const auto& [layer, n] : v.items())
    p.min_rejected[layer] = count_of(n, "min_rejected." + layer);
}

void parse_include(const json& v, PassCriteria& p) {
  if (!v.is_array())
    throw std::invalid_argument("pass: \"rejections_include\" must be a list of codes");
  for (const json& c : v) {
    if (!c.is_string())
      throw std::invalid_argument("pass: \"rejections_include\" must be a list of codes");
    p.rejections_include.push_back(c.get<std::string>());
  }
}

bool numbers_equal(double want, double got, const CompareOptions& o) {
  if (want == got) return true;
  const double magnitude = std::max({std::fabs(want), std::fabs(got), 1.0});
  return std::fabs(want - got) <= std::max(o.relative * magnitude, o.absolute);
}

bool values_equal(const json& want, const json& got, const CompareOptions& o) {
  if (want.is_number() && got.is_number())
    return numbers_equal(want.get<double>(), got.get<double>(), o);
  return want == got;
}

void compare_readings(const json& truth, const json& decoded, const CompareOptions& o,
                      std::string& out) {
  const json& want = truth.at("readings");
  const json& got = decoded.value("readings", json::array());
  if (want.size() != got.size() && !o.partial) {
    out += "readings: truth " + std::to_string(want.size()) + ", decoded " +
           std::to_string(got.size()) + "; ";
  }
  std::vector<bool> used(got.size(), false);
  for (const json& w : want) {
    const std::string obis = reading_key(w);
    std::size_t i = 0;
    while (i < got.size() && (used[i] || reading_key(got[i]) != obis)) ++i;
    if (i == got.size()) {
      if (!o.partial) out += obis + " missing; ";
      continue;
    }
    used[i] = true;
    const json unit = got[i].value("unit", json(""));
    if (!values_equal(w.at("value"), got[i].value("value", json()), o) ||
        w.value("unit", json("")) != unit) {
      out += obis + ": truth " + w.at("value").dump() + " " + w.value("unit", json("")).dump() +
             ", decoded " + got[i].value("value", json()).dump() + " " + unit.dump() + "; ";
    }
  }
  // A partial decoder may leave readings out, never add ones the meter did not send.
  for (std::size_t i = 0; i < got.size() && o.partial; ++i) {
    if (!used[i]) out += reading_key(got[i]) + " was not sent; ";
  }
}

std::uint64_t frame_offset(const json& decoded) {
  const json& f = decoded.at("frame").at("offset");
  return f.get<std::uint64_t>();
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The "max_"/"min_" counts of the pass object, by key.
constexpr std::pair<const char*, std::uint64_t PassCriteria::*> kCounts[] = {
    {"max_wrong", &PassCriteria::max_wrong},   {"max_phantom", &PassCriteria::max_phantom},
    {"max_missed", &PassCriteria::max_missed}, {"max_accepted", &PassCriteria::max_accepted},
    {"min_sent", &PassCriteria::min_sent},     {"min_faulted", &PassCriteria::min_faulted},
};

void parse_pass_key(const std::string& key, const json& v, PassCriteria& p) {
  for (const auto& [name, member] : kCounts) {
    if (key == name) {
      p.*member = count_of(v, key);
      return;
    }
  }
  if (key == "all_equal") {
    if (!v.is_boolean()) throw std::invalid_argument("pass: \"all_equal\" must be true or false");
    p.all_equal = v.get<bool>();
  } else if (key == "max_rejections") {
    p.max_rejections = v.is_null() ? std::nullopt : std::optional(count_of(v, key));
  } else if (key == "min_rejected") {
    parse_min_rejected(v, p);
  } else if (key == "rejections_include") {
    parse_include(v, p);
  } else {
    throw std::invalid_argument("pass: unknown key \"" + key + "\"");
  }
}

// The values of the readings the report draws, by OBIS code.
json timeline_values(const json& telegram) {
  json out = json::object();
  for (const json& r : telegram.value("readings", json::array())) {
    const std::string obis = reading_key(r);  // an unnamed reading's key is its position
    for (const char* o : kTimelineObis)
      if (obis == o && r.contains("value") && r.at("value").is_number()) out[obis] = r.at("value");
  }
  return out;
}

}  // namespace

PassCriteria parse_pass(const std::string& json_text, bool faulty) {
  json doc = json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    throw std::invalid_argument("pass: not a JSON object");
  PassCriteria p;
  if (faulty) {  // faults lose telegrams and cause rejections; wrong output is still a failure
    p.all_equal = false;
    p.max_rejections.reset();
  }
  for (const auto& [key, v] : doc.items()) parse_pass_key(key, v, p);
  return p;
}

std::string compare_truth_telegram(const json& truth, const json& decoded,
                                   const CompareOptions& options) {
  std::string out;
  for (const std::string& key : options.telegram_keys) {
    const json want = truth.value(key, json());
    const json got = decoded.value(key, json());
    if (want != got) out += key + ": truth " + want.dump() + ", decoded " + got.dump() + "; ";
  }
  compare_readings(truth, decoded, options, out);
  return out;
}

TruthMatcher::TruthMatcher(PassCriteria pass, CompareOptions compare)
    : pass_(std::move(pass)), compare_(std::move(compare)) {}

void TruthMatcher::add_truth(const json& line) {
  if (line.value("type", "") == "summary") r_.bytes = line.value("bytes", std::uint64_t{0});
  if (line.value("type", "") != "telegram") return;
  pending_[line.at("offset").get<std::uint64_t>()] = Pending{line, false, {}, {}};
}

void TruthMatcher::add_decoded(const json& telegram) {
  std::uint64_t at = frame_offset(telegram);
  auto it = pending_.upper_bound(at);
  if (it != pending_.begin()) --it;
  bool inside = it != pending_.end() && it->first <= at &&
                at < it->first + it->second.truth.at("length").get<std::uint64_t>();
  if (!inside || it->second.matched) {
    ++r_.phantom;
    issue({"phantom", std::nullopt, at, "",
           inside ? "a second telegram from the bytes of one sent"
                  : "decoded where nothing was sent"});
    return;
  }
  it->second.matched = true;
  it->second.diff = compare_truth_telegram(it->second.truth, telegram, compare_);
  if (timeline_) it->second.decoded = timeline_values(telegram);
}

void TruthMatcher::add_rejection(const json& rejection) {
  const json& e = rejection.at("error");
  ++r_.rejections;
  ++r_.rejected_by_layer[e.value("layer", "?")];
  ++r_.rejected_by_code[e.value("code", "?")];
}

void TruthMatcher::settle_before(std::uint64_t offset) {
  while (!pending_.empty()) {
    auto it = pending_.begin();
    if (it->first + it->second.truth.at("length").get<std::uint64_t>() >= offset) return;
    grade(it->second);
    pending_.erase(it);
  }
}

void TruthMatcher::issue(FrameIssue i) {
  ++r_.issues_total;
  if (r_.issues.size() < kMaxIssues) r_.issues.push_back(std::move(i));
}

// One truth telegram's outcome: decoded equal, decoded wrong, decoded though it had to be rejected,
// or not decoded (missed only when it had to decode).
std::string TruthMatcher::grade_one(const Pending& p) {
  const json& t = p.truth;
  const std::string expect = t.value("expect", "decode");
  const bool faulted = !t.value("faults", json::array()).empty();
  ++r_.sent;
  r_.expect_decode += expect == "decode";
  r_.expect_reject += expect == "reject";
  r_.expect_either += expect == "either";
  r_.faulted += faulted;
  FrameIssue base{"", t.at("seq").get<std::uint64_t>(), t.at("offset").get<std::uint64_t>(),
                  t.value("list", ""), ""};
  if (expect == "undetectable") {
    // Corrupted past every link check with no tag behind it: no decoder can tell, so it is
    // counted, not graded.
    ++r_.undetectable;
    r_.decoded += p.matched;
    return "undetectable";
  }
  if (!p.matched) {
    r_.faulted_rejected += faulted;
    if (expect != "decode") return "rejected";
    ++r_.missed;
    base.kind = "missed";
    base.what = faulted ? "not decoded (faults: " + t.at("faults").dump() + ")" : "not decoded";
    issue(std::move(base));
    return "missed";
  }
  ++r_.decoded;
  if (expect == "reject") {
    ++r_.accepted;
    r_.faulted_wrong += faulted;
    base.kind = "accepted";
    base.what = "decoded although the faults break it: " + t.at("faults").dump() +
                (p.diff.empty() ? "" : "; " + p.diff);
    issue(std::move(base));
    return "accepted";
  }
  if (p.diff.empty()) {
    ++r_.equal;
    r_.faulted_equal += faulted;
    return "equal";
  }
  ++r_.wrong;
  r_.faulted_wrong += faulted;
  base.kind = "wrong";
  base.what = p.diff;
  issue(std::move(base));
  return "wrong";
}

void TruthMatcher::grade(const Pending& p) {
  const std::string outcome = grade_one(p);
  if (!timeline_ || r_.timeline.size() >= kMaxTimeline) return;
  const json& t = p.truth;
  r_.timeline.push_back({{"seq", t.at("seq")},
                         {"t_ms", t.value("t_ms", json(0))},
                         {"outcome", outcome},
                         {"faulted", !t.value("faults", json::array()).empty()},
                         {"truth", timeline_values(t)},
                         {"decoded", p.decoded.is_null() ? json::object() : p.decoded}});
}

void TruthMatcher::evaluate() {
  auto check = [&](bool ok, const std::string& what) {
    if (!ok) r_.failures.push_back(what);
  };
  auto n = [](std::uint64_t v) { return std::to_string(v); };
  check(r_.sent >= pass_.min_sent,
        "sent " + n(r_.sent) + " telegrams, at least " + n(pass_.min_sent) + " required");
  check(!pass_.all_equal || r_.equal == r_.sent,
        "equal " + n(r_.equal) + " of " + n(r_.sent) + " sent");
  check(r_.wrong <= pass_.max_wrong, n(r_.wrong) + " wrong (at most " + n(pass_.max_wrong) + ")");
  check(r_.phantom <= pass_.max_phantom,
        n(r_.phantom) + " phantom (at most " + n(pass_.max_phantom) + ")");
  check(r_.missed <= pass_.max_missed,
        n(r_.missed) + " missed (at most " + n(pass_.max_missed) + ")");
  check(r_.accepted <= pass_.max_accepted,
        n(r_.accepted) + " corrupted telegrams decoded (at most " + n(pass_.max_accepted) + ")");
  check(r_.faulted >= pass_.min_faulted, "faults touched " + n(r_.faulted) +
                                             " telegrams, at least " + n(pass_.min_faulted) +
                                             " required");
  if (pass_.max_rejections)
    check(r_.rejections <= *pass_.max_rejections,
          n(r_.rejections) + " rejections (at most " + n(*pass_.max_rejections) + ")");
  for (const auto& [layer, min] : pass_.min_rejected) {
    std::uint64_t got = r_.rejected_by_layer.count(layer) ? r_.rejected_by_layer.at(layer) : 0;
    check(got >= min, n(got) + " rejections by layer " + layer + " (at least " + n(min) + ")");
  }
  for (const std::string& code : pass_.rejections_include)
    check(r_.rejected_by_code.count(code) > 0, "no rejection " + code);
}

ScenarioResult TruthMatcher::finish(std::string name) {
  settle_before(UINT64_MAX);
  r_.name = std::move(name);
  evaluate();
  return std::move(r_);
}

ScenarioResult compare_with_truth(const std::vector<json>& truth_lines,
                                  const std::vector<json>& decoded,
                                  const std::vector<json>& rejections, const PassCriteria& pass,
                                  std::string name) {
  TruthMatcher m(pass);
  for (const json& t : truth_lines) m.add_truth(t);
  for (const json& d : decoded) m.add_decoded(d);
  for (const json& r : rejections) m.add_rejection(r);
  return m.finish(std::move(name));
}

ScenarioFile load_scenario(const std::filesystem::path& file) {
  try {
    return scenario_from_json(read_text(file), file);
  } catch (const std::exception& e) {
    throw std::runtime_error(file.string() + ": " + e.what());
  }
}

ScenarioFile scenario_from_json(const std::string& text, const std::filesystem::path& file) {
  ScenarioFile s;
  s.path = file;
  s.scenario = sim::parse_scenario(text);
  s.name = s.scenario.name.empty() ? file.stem().string() : s.scenario.name;
  s.pass = parse_pass(s.scenario.pass_json, !s.scenario.faults.empty());
  for (const std::string& name : s.scenario.profiles) {
    if (name != "all" && !sim::find_profile(name))
      throw std::invalid_argument("unknown profile \"" + name + "\"");
  }
  if (s.scenario.profiles.empty() && !sim::find_profile(s.scenario.profile))
    throw std::invalid_argument("unknown profile \"" + s.scenario.profile + "\"");
  return s;
}

std::vector<std::filesystem::path> find_scenarios(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

sim::SimOptions sim_options(const sim::Scenario& s, const sim::Profile& p) {
  sim::SimOptions o;
  o.seed = s.seed.value_or(1);
  // The same defaults as `meterlab simulate`.
  std::string start = s.start.value_or("2026-01-05T00:00:00");
  auto t = sim::parse_iso(start, p.zone);
  if (!t) throw std::runtime_error("start: not an ISO date-time: " + start);
  o.start = *t;
  o.duration = s.duration.value_or(6LL * 3600 * 1000);
  o.faults = s.faults;
  return o;
}

InputTransport profile_transport(const sim::Profile& p) {
  return sim::auto_detectable(p) ? InputTransport::auto_detect : InputTransport::p1;
}

dlms::KeyRing profile_keys(const sim::Profile& p) {
  dlms::KeyRing ring;
  if (p.security) ring.add(p.security->system_title, p.security->ek, p.security->ak);
  return ring;
}

// Pulls every event the decoder has ready into the matcher (and the record, for --keep).
void drain_decoder(Decoder& dec, TruthMatcher& m, std::string& line, InProcessRecord* rec) {
  drain_json(
      dec, line,
      [&](const json& t) {
        if (rec) rec->decoded += t.dump() + "\n";
        m.add_decoded(t);
      },
      [&](const json& r) {
        if (rec) rec->decoded += r.dump() + "\n";
        m.add_rejection(r);
      });
}

void check_stats(const DecoderStats& st, std::uint64_t sent, ScenarioResult& r) {
  if (st.bytes_in != sent)
    r.failures.push_back("decoder saw " + std::to_string(st.bytes_in) + " bytes of " +
                         std::to_string(sent));
  if (st.bytes_in_frames + st.bytes_discarded != st.bytes_in)
    r.failures.push_back("decoder bytes in frames + discarded != bytes in");
}

namespace {

// Feeds the simulation's chunks to the decoder as they are produced (truth first: a telegram's
// truth line is complete when its first chunk leaves the meter); returns the bytes fed.
std::uint64_t feed(sim::Simulation& sim, Decoder& dec, TruthMatcher& m, const Progress& progress,
                   sim::SimTime t0, double span, InProcessRecord* rec) {
  std::string line;
  sim::Chunk c;
  std::uint64_t fed = 0, chunks = 0;
  auto truth = [&](const std::string& t) {
    if (rec) rec->truth += t + "\n";
    m.add_truth(json::parse(t));
  };
  while (sim.next(c)) {
    for (const std::string& t : sim.take_truth()) truth(t);
    dec.push(Bytes(c.bytes.data(), c.bytes.size()));
    if (rec) rec->bytes.append(c.bytes.begin(), c.bytes.end());
    fed += c.bytes.size();
    drain_decoder(dec, m, line, rec);
    if (fed > kSettleBytes) m.settle_before(fed - kSettleBytes);
    if (progress && ++chunks % 2048 == 0) progress(static_cast<double>(c.t - t0) / span);
  }
  for (const std::string& t : sim.take_truth()) truth(t);
  truth(sim.summary_line());
  dec.finish();
  drain_decoder(dec, m, line, rec);
  return fed;
}

// --keep for an in-process run: what the engine was fed, the truth, the engine's JSON lines
// and the grading of each truth telegram; the profile's keys redacted.
void keep(const std::string& dir, const ScenarioFile& s, const sim::Profile& p,
          const InProcessRecord& rec, const ScenarioResult& r) {
  std::vector<std::string> secrets;
  if (p.security) {
    secrets.push_back(to_hex(Bytes(p.security->ek.data(), p.security->ek.size())));
    if (p.security->ak) secrets.push_back(to_hex(Bytes(p.security->ak->data(), 16)));
  }
  const Evidence e(dir, s.name + "-in-process", secrets);
  e.write("bytes.bin", rec.bytes);
  e.write("truth.jsonl", rec.truth);
  e.write("decoded.jsonl", rec.decoded);
  std::string graded;
  for (const json& t : r.timeline) graded += t.dump() + "\n";
  e.write("graded.jsonl", graded);
}

}  // namespace

ScenarioResult run_scenario(const ScenarioFile& s, const Progress& progress,
                            const std::string& keep_dir) {
  const auto began = std::chrono::steady_clock::now();
  const sim::Profile* p = sim::find_profile(s.scenario.profile);
  if (!p) throw std::runtime_error(s.name + ": unknown profile \"" + s.scenario.profile + "\"");
  sim::SimOptions o = sim_options(s.scenario, *p);
  const sim::SimTime t0 = o.start;
  const double span = static_cast<double>(std::max<sim::Duration>(o.duration, 1));
  std::optional<sim::Simulation> sim;
  try {
    sim.emplace(*p, std::move(o));
  } catch (const std::invalid_argument& e) {  // a fault that does not fit the profile
    throw std::runtime_error(s.name + ": " + e.what());
  }
  Decoder dec(profile_transport(*p), profile_keys(*p));
  TruthMatcher m(s.pass);
  m.keep_timeline();
  std::optional<InProcessRecord> rec;
  if (!keep_dir.empty()) rec.emplace();
  std::uint64_t fed = feed(*sim, dec, m, progress, t0, span, rec ? &*rec : nullptr);
  ScenarioResult r = m.finish(s.name);
  check_stats(dec.stats(), fed, r);
  if (rec) keep(keep_dir, s, *p, *rec, r);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  if (progress) progress(1.0);
  return r;
}

}  // namespace meterlab::conformance
