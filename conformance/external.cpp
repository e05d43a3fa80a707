#include "external.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "evidence.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/sim/profile.hpp"
#include "meterlab/sim/simulation.hpp"
#include "program.hpp"

extern char** environ;

namespace meterlab::conformance {
namespace {

using namespace program;  // NOLINT: the process pieces this file is made of
namespace fs = std::filesystem;

struct MappedOutput {
  std::vector<json> telegrams;
  std::vector<double> arrived;
  std::vector<json> rejections;
  std::uint64_t garbage = 0;
  std::vector<std::string> garbage_examples;
};

void add_mapped(MappedOutput& out, MappedLine m, const TimedLine& line, std::size_t number) {
  switch (m.kind) {
    case MappedLine::Kind::telegram:
      out.telegrams.push_back(std::move(m.value));
      out.arrived.push_back(m.at);
      break;
    case MappedLine::Kind::rejection:
      out.rejections.push_back(std::move(m.value));
      break;
    case MappedLine::Kind::ignored:
      break;
    case MappedLine::Kind::garbage:
      ++out.garbage;
      if (out.garbage_examples.size() < 3) {
        std::string shown = line.text.substr(0, 80);
        out.garbage_examples.push_back(
            "line " + std::to_string(number) + ": " + m.error + ": " +
            json(shown).dump(-1, ' ', false, json::error_handler_t::replace));
      }
      break;
  }
}

// Each line through the adapter: JSON lines one by one, text lines through a TextMapper.
MappedOutput map_output(const Adapter& a, const std::vector<TimedLine>& lines) {
  MappedOutput out;
  std::optional<TextMapper> text;
  if (a.output.text) text.emplace(a);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const TimedLine& l = lines[i];
    if (l.boundary && text) {
      for (MappedLine& m : text->boundary()) add_mapped(out, std::move(m), l, i + 1);
    }
    if (l.boundary || l.text.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (!text) {
      MappedLine m = map_line(a, l.text);
      m.at = l.at;
      add_mapped(out, std::move(m), l, i + 1);
      continue;
    }
    for (MappedLine& m : text->add(l.text, l.at)) add_mapped(out, std::move(m), l, i + 1);
  }
  if (text) {
    for (MappedLine& m : text->boundary()) add_mapped(out, std::move(m), TimedLine{}, lines.size());
  }
  return out;
}

void report_garbage(const MappedOutput& m, std::vector<std::string>& failures) {
  if (m.garbage == 0) return;
  std::string text =
      "decoder printed " + std::to_string(m.garbage) + " line(s) its adapter cannot read";
  for (const std::string& e : m.garbage_examples) text += "; " + e;
  failures.push_back(text);
}

// Sends the simulation through the pacer, timing each truth telegram as its chunk leaves.
double send_all(sim::Simulation& simulation, sim::Sink& pty, sim::Pacer& pacer, Child& child,
                std::vector<SentTelegram>& sent, std::vector<json>& other_truth, std::string& bytes,
                const Progress& progress, double span) {
  sim::Chunk c;
  bool started = false;
  sim::SimTime t0 = 0;
  double last = 0;
  while (simulation.next(c)) {
    if (!started) pacer.restart(c.t), t0 = c.t, started = true;
    std::vector<std::string> truth = simulation.take_truth();
    pacer.send(pty, c.t, c.bytes);
    bytes.append(c.bytes.begin(), c.bytes.end());
    last = since(child.started());
    for (const std::string& t : truth) {
      json line = json::parse(t);
      if (line.value("type", "") == "telegram") {
        sent.push_back({last, std::move(line)});
      } else {
        other_truth.push_back(std::move(line));
      }
    }
    if (!child.running()) break;
    if (progress) progress(static_cast<double>(c.t - t0) / span);
  }
  for (const std::string& t : simulation.take_truth()) other_truth.push_back(json::parse(t));
  other_truth.push_back(json::parse(simulation.summary_line()));
  return last;
}

std::string joined(const std::vector<TimedLine>& lines) {
  std::string out;
  for (const TimedLine& l : lines) out += l.boundary ? "\f\n" : l.text + "\n";
  return out;
}

// What --keep saves of one run.
struct RunRecord {
  const Placeholders& ph;
  Program& program;
  std::string_view bytes, truth;
  const std::vector<TimedLine>& output;
  const MappedOutput& mapped;
  const std::vector<json>& truth_seq;  // per mapped telegram: its truth telegram, or null
};

void keep_files(const Evidence& e, const Program& program) {
  std::error_code ec;
  const fs::path& dir = program.dir().path();
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec))
    if (entry.is_regular_file())
      e.copy(entry.path(), "files/" + fs::relative(entry.path(), dir).string());
  for (const fs::path& p : program.dir().written()) {  // outside the run directory
    if (p.lexically_relative(dir).string().starts_with(".."))
      e.copy(p, "files/absolute" + p.string());
  }
}

void keep(const DecoderCommand& d, const std::string& run, const RunRecord& rec) {
  std::vector<std::string> secrets;
  for (const char* k : {"key", "auth_key"})
    if (rec.ph.values.count(k)) secrets.push_back(rec.ph.values.at(k));
  const Evidence e(d.keep_dir, run, secrets);
  e.write("bytes.bin", rec.bytes);
  e.write("truth.jsonl", rec.truth);
  e.write("stdout.txt", joined(rec.program.stdout_lines()));
  e.write("stderr.txt", rec.program.child().stderr_all());
  if (d.adapter.output.from != OutputSpec::From::stdout_) e.write("output.txt", joined(rec.output));
  keep_files(e, rec.program);
  std::string mapped;
  for (std::size_t j = 0; j < rec.mapped.telegrams.size(); ++j) {
    mapped += json{{"at", rec.mapped.arrived[j]},
                   {"truth_seq", j < rec.truth_seq.size() ? rec.truth_seq[j] : json()},
                   {"telegram", rec.mapped.telegrams[j]}}
                  .dump() +
              "\n";
  }
  for (const json& r : rec.mapped.rejections) mapped += json{{"rejection", r}}.dump() + "\n";
  e.write("mapped.jsonl", mapped);
}

// The readings of the truth the program never printed, in any telegram (a partial adapter's
// subset, said out loud).
std::vector<std::string> never_printed(const std::vector<SentTelegram>& sent,
                                       const std::vector<json>& decoded) {
  std::set<std::string> printed, missing;
  for (const json& t : decoded)
    for (const json& r : t.value("readings", json::array())) printed.insert(reading_key(r));
  for (const SentTelegram& t : sent)
    for (const json& r : t.truth.value("readings", json::array()))
      if (!printed.count(reading_key(r))) missing.insert(reading_key(r));
  return {missing.begin(), missing.end()};
}

}  // namespace

std::vector<std::optional<std::size_t>> attribute(const std::vector<SentTelegram>& sent,
                                                  const std::vector<json>& decoded,
                                                  const std::vector<double>& arrived,
                                                  const CompareOptions& options,
                                                  double slack_seconds) {
  std::vector<std::optional<std::size_t>> out(decoded.size());
  std::vector<bool> taken(sent.size(), false);
  std::size_t cursor = 0;  // telegrams before it are settled
  for (std::size_t j = 0; j < decoded.size(); ++j) {
    // Candidates: not yet taken, from the cursor on, on the line before the output arrived. The
    // first equal one wins; else the one with the fewest differences (the same timestamp, the
    // same list), the earliest on a tie, since a decoder prints in the order it reads.
    std::optional<std::size_t> pick;
    std::size_t fewest = SIZE_MAX;
    for (std::size_t i = cursor; i < sent.size() && sent[i].sent_at <= arrived[j] + slack_seconds;
         ++i) {
      if (taken[i]) continue;
      const std::string diff = compare_truth_telegram(sent[i].truth, decoded[j], options);
      const auto differences = static_cast<std::size_t>(std::count(diff.begin(), diff.end(), ';'));
      if (differences < fewest) fewest = differences, pick = i;
      if (differences == 0) break;
    }
    if (!pick) continue;  // phantom: nothing unclaimed was on the line yet
    taken[*pick] = true;
    out[j] = pick;
    cursor = *pick + 1;
  }
  return out;
}

ScenarioResult run_scenario_pty(const ScenarioFile& s, const DecoderCommand& d,
                                std::optional<sim::Speed> speed, const Progress& progress) {
  const auto began = Clock::now();
  if (!s.scenario.profiles.empty())
    throw std::runtime_error(s.name + ": a scenario of several meters runs in-process only");
  const sim::Profile* p = sim::find_profile(s.scenario.profile);
  if (!p) throw std::runtime_error(s.name + ": unknown profile \"" + s.scenario.profile + "\"");
  sim::SimOptions o = sim_options(s.scenario, *p);
  const double span = static_cast<double>(std::max<sim::Duration>(o.duration, 1));
  std::optional<sim::Simulation> simulation;
  try {
    simulation.emplace(*p, std::move(o));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(s.name + ": " + e.what());
  }
  if (!speed) {
    speed = sim::Speed::parse(s.scenario.speed.value_or("realtime"));
    if (!speed) throw std::runtime_error(s.name + ": bad speed " + *s.scenario.speed);
  }
  MeterLine line = open_line(d, p->serial);
  sim::Sink& pty = *line.sink;
  Placeholders ph = scenario_placeholders(d, *p, line.tty);
  Program program(d, ph, std::exchange(line.stdin_fd, -1));
  Child& child = program.child();

  std::vector<std::string> failures;
  std::vector<SentTelegram> sent;
  std::vector<json> other_truth;
  std::string bytes;
  if (auto why = start(child, pty, d.open_limit)) {
    failures.push_back(*why);
    child.stop(d.stop_limit);
  } else {
    sim::Pacer pacer(p->serial, *speed, 0);
    const double last =
        send_all(*simulation, pty, pacer, child, sent, other_truth, bytes, progress, span);
    end_of_input(line);
    for (std::string& f : finish(program, d, last)) failures.push_back(std::move(f));
  }
  const std::vector<TimedLine> output = program.take_output();
  MappedOutput m = map_output(d.adapter, output);
  report_garbage(m, failures);
  if (pty.bytes_dropped() > 0) {
    failures.push_back(std::to_string(pty.bytes_dropped()) + " bytes were written while " +
                       dropped_reason(d));
  }

  const CompareOptions options = compare_options(d.adapter);
  TruthMatcher matcher(s.pass, options);
  matcher.keep_timeline();
  for (const SentTelegram& t : sent) matcher.add_truth(t.truth);
  for (const json& t : other_truth) matcher.add_truth(t);
  const auto owner = attribute(sent, m.telegrams, m.arrived, options);
  for (std::size_t j = 0; j < m.telegrams.size(); ++j) {
    json t = m.telegrams[j];
    // Where the truth telegram sits in the stream; a phantom gets a place nothing was sent.
    t["frame"]["offset"] = owner[j] ? sent[*owner[j]].truth.at("offset").get<std::uint64_t>()
                                    : std::numeric_limits<std::uint64_t>::max();
    matcher.add_decoded(t);
  }
  for (const json& r : m.rejections) matcher.add_rejection(r);
  if (!d.keep_dir.empty()) {
    std::string truth;
    for (const SentTelegram& t : sent) truth += t.truth.dump() + "\n";
    for (const json& t : other_truth) truth += t.dump() + "\n";
    std::vector<json> seqs;
    for (const auto& who : owner) seqs.push_back(who ? sent[*who].truth.at("seq") : json());
    keep(d, s.name + "-pty", {ph, program, bytes, truth, output, m, seqs});
  }
  ScenarioResult r = matcher.finish(s.name);
  if (d.adapter.partial) r.details["never_printed"] = never_printed(sent, m.telegrams);
  for (std::string& f : failures) r.failures.push_back(std::move(f));
  r.seconds = std::chrono::duration<double>(Clock::now() - began).count();
  if (progress) progress(1.0);
  return r;
}

std::vector<std::string> check_vector_external(const Vector& v, const DecoderCommand& d) {
  const sim::SerialSettings serial = *sim::SerialSettings::parse("115200 8N1");
  MeterLine line = open_line(d, serial);
  Placeholders ph =
      placeholders(d, line.tty, std::string(input_transport_name(v.transport)), "", serial);
  const json keys = v.doc.value("keys", json::array());
  if (!keys.empty()) {
    const json& k = keys.front();
    auto str = [&](const char* name) -> std::optional<std::string> {
      if (!k.contains(name) || !k.at(name).is_string()) return std::nullopt;
      return k.at(name).get<std::string>();
    };
    add_keys(ph, str("ek"), str("ak"), str("system_title"));
  }
  Program program(d, ph, std::exchange(line.stdin_fd, -1));
  Child& child = program.child();
  std::vector<std::string> failures;
  if (auto why = start(child, *line.sink, d.open_limit)) {
    failures.push_back(*why);
    child.stop(d.stop_limit);
    return failures;
  }
  sim::Pacer pacer(serial, sim::Speed{}, 0);
  pacer.send(*line.sink, 0, v.input);
  end_of_input(line);
  for (std::string& f : finish(program, d, since(child.started())))
    failures.push_back(std::move(f));
  const std::vector<TimedLine> output = program.take_output();
  MappedOutput m = map_output(d.adapter, output);
  report_garbage(m, failures);
  if (!d.keep_dir.empty()) {
    const std::string input(v.input.begin(), v.input.end());
    keep(d, "vector-" + v.name, {ph, program, input, v.doc.dump(2) + "\n", output, m, {}});
  }
  Decoded decoded;
  decoded.telegrams = std::move(m.telegrams);
  decoded.errors = std::move(m.rejections);
  VectorCompareOptions o;
  o.telegram_fields = mapped_telegram_fields(d.adapter);
  o.partial = d.adapter.partial;
  o.check_errors = !d.adapter.rejection_when.empty();
  for (std::string& f : compare(v, decoded, o)) failures.push_back(std::move(f));
  return failures;
}

}  // namespace meterlab::conformance
