// `meterlab conform`: the regression gate. Every golden vector (decoded equal, or rejected with the
// expected error) and every simulator scenario (decoded in-process and graded against its truth
// log), a table on the terminal, --json and --junit reports, exit 0 only when everything passes.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include "bench.hpp"
#include "external.hpp"
#include "report.hpp"
#include "scenario_check.hpp"
#include "soak.hpp"
#include "vector_check.hpp"

namespace meterlab::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using conformance::Report;
using conformance::ScenarioOutcome;
using conformance::VectorOutcome;

struct ConformOptions {
  std::string vectors;
  std::string scenarios;
  std::string filter;
  std::string json_file;
  std::string junit_file;
  std::string html_file;
  std::string keep_dir;  // --keep
  std::string decoder;   // an external program's command template
  std::string adapter;   // file or built-in name
  std::string mode = "auto";
  std::string speed;  // pty mode: overrides each scenario's
  int settle_ms = 1000;
  // An ad-hoc scenario (--profile): run instead of the vectors and scenario files.
  std::string profile, duration, start;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> faults;
  bool bench = false;
  bool stdin_input = false;  // --stdin
};

// How the decoder under test is run: the engine in-process, or a program over a pty.
struct Runner {
  std::optional<conformance::DecoderCommand> external;  // --decoder / --adapter
  conformance::DecoderCommand own;  // `meterlab decode` itself, for scenarios with a pty mode
  std::optional<sim::Speed> speed;
  std::string mode;
};

// A directory given on the command line must exist; the defaults are looked for in the current
// directory (as `meterlab vectors` does), then in the source tree the binary was built from.
std::optional<fs::path> find_dir(const std::string& given, const char* fallback) {
  if (!given.empty())
    return fs::is_directory(given) ? std::optional<fs::path>(given) : std::nullopt;
  if (fs::is_directory(fallback)) return fs::path(fallback);
  fs::path built = fs::path(MLAB_SOURCE_DIR) / fallback;
  if (fs::is_directory(built)) return built;
  return std::nullopt;
}

bool selected(const std::string& filter, const fs::path& path, const std::string& name) {
  return filter.empty() || path.string().find(filter) != std::string::npos ||
         name.find(filter) != std::string::npos;
}

VectorOutcome check_vector(const fs::path& path, const Runner& run) {
  VectorOutcome out;
  out.path = path.string();
  out.name = path.stem().string();
  out.category = path.parent_path().filename().string();
  auto began = std::chrono::steady_clock::now();
  try {
    conformance::Vector v = conformance::load_vector(path);
    out.name = v.name;
    out.category = v.category;
    out.failures = run.external ? conformance::check_vector_external(v, *run.external)
                                : conformance::compare(v, conformance::decode(v));
  } catch (const std::exception& e) {
    out.failures.push_back(std::string("bad vector: ") + e.what());
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  return out;
}

// The modes a scenario runs in: its own ("modes" in the file), or the one --mode asks for. An
// external decoder always reads a pty: by default only the scenarios made for one (short, and
// fast enough in real time), with --mode pty every scenario selected.
std::vector<std::string> modes_of(const conformance::ScenarioFile& s, const Runner& run) {
  if (!s.scenario.profiles.empty())  // several meters at once: in-process only
    return run.external ? std::vector<std::string>{} : std::vector<std::string>{"in-process"};
  const auto& own = s.scenario.modes;
  const bool has_pty = std::find(own.begin(), own.end(), "pty") != own.end();
  if (run.external)
    return run.mode == "pty" || has_pty ? std::vector<std::string>{"pty"}
                                        : std::vector<std::string>{};
  if (run.mode == "auto") return own;
  return {run.mode};
}

conformance::ScenarioResult run_in(const conformance::ScenarioFile& s, const std::string& mode,
                                   const Runner& run, const conformance::Progress& progress) {
  if (!s.scenario.profiles.empty()) return conformance::run_soak(s, progress);
  if (mode == "in-process") return conformance::run_scenario(s, progress, run.own.keep_dir);
  return conformance::run_scenario_pty(s, run.external ? *run.external : run.own, run.speed,
                                       progress);
}

ScenarioOutcome check_scenario(const conformance::ScenarioFile& s, const std::string& mode,
                               const Runner& run, std::size_t index, std::size_t total) {
  ScenarioOutcome out;
  out.path = s.path.string();
  out.name = s.name;
  out.mode = mode;
  try {
    std::fprintf(stderr, "conform: [%zu/%zu] %s (%s)\n", index, total, s.name.c_str(),
                 mode.c_str());
    // Percentages only on a terminal: a CI log gets one line a scenario.
    conformance::Progress progress;
    if (isatty(STDERR_FILENO)) {
      progress = [&](double done) {
        std::fprintf(stderr, "\rconform:   %s %3.0f%%", s.name.c_str(), done * 100);
        if (done >= 1.0) std::fputc('\n', stderr);
      };
    }
    out.result = run_in(s, mode, run, progress);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

// A scenario file that cannot be read is a failing outcome of its own.
ScenarioOutcome unreadable(const fs::path& path, const std::string& why) {
  ScenarioOutcome out;
  out.path = path.string();
  out.name = path.stem().string();
  out.mode = "-";
  out.error = why;
  return out;
}

// The scenario --profile and its flags describe, read by the scenario file's own parser.
conformance::ScenarioFile adhoc_scenario(const ConformOptions& o, const Runner& run) {
  json doc = {{"name", o.profile}, {"profile", o.profile}, {"faults", o.faults}};
  if (!o.duration.empty()) doc["duration"] = o.duration;
  if (!o.start.empty()) doc["start"] = o.start;
  if (o.seed) doc["seed"] = *o.seed;
  if (!o.speed.empty()) doc["speed"] = o.speed;
  const bool pty = run.external || o.mode == "pty";
  doc["modes"] = {pty ? "pty" : "in-process"};
  try {
    return conformance::scenario_from_json(doc.dump(), o.profile + ".json");
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("--profile: ") + e.what());
  }
}

Report run_all(const ConformOptions& o, const Runner& run, const fs::path& vdir,
               const fs::path& sdir) {
  Report rep;
  if (!o.profile.empty()) {
    conformance::ScenarioFile s = adhoc_scenario(o, run);
    rep.scenarios.push_back(check_scenario(s, s.scenario.modes.front(), run, 1, 1));
    return rep;
  }
  for (const auto& path : conformance::find_vectors(vdir))
    if (selected(o.filter, path, path.stem().string()))
      rep.vectors.push_back(check_vector(path, run));
  // Every (scenario, mode) to run, then each in turn with its place in the count.
  std::vector<std::pair<conformance::ScenarioFile, std::string>> jobs;
  for (const auto& path : conformance::find_scenarios(sdir)) {
    if (!selected(o.filter, path, path.stem().string())) continue;
    try {
      conformance::ScenarioFile s = conformance::load_scenario(path);
      for (const std::string& mode : modes_of(s, run)) jobs.emplace_back(s, mode);
    } catch (const std::exception& e) {
      rep.scenarios.push_back(unreadable(path, e.what()));
    }
  }
  for (std::size_t i = 0; i < jobs.size(); ++i)
    rep.scenarios.push_back(check_scenario(jobs[i].first, jobs[i].second, run, i + 1, jobs.size()));
  return rep;
}

// The path of this very binary, for {meterlab} in commands.
std::string self_path() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("meterlab") : p.string();
}

conformance::DecoderCommand decoder_command(const ConformOptions& o, conformance::Adapter adapter,
                                            std::string command) {
  conformance::DecoderCommand d;
  d.command = std::move(command);
  d.adapter = std::move(adapter);
  d.self = self_path();
  d.settle = std::chrono::milliseconds(o.settle_ms);
  d.keep_dir = o.keep_dir;
  return d;
}

// A program finds the tty on its command line, in its environment or in a file it reads.
bool names_tty(const std::string& command, const conformance::Adapter& a) {
  auto has = [](const std::string& t) { return t.find("{tty}") != std::string::npos; };
  if (has(command)) return true;
  for (const auto& [name, value] : a.env)
    if (has(value)) return true;
  return std::any_of(a.files.begin(), a.files.end(),
                     [&](const conformance::FileSpec& f) { return has(f.contents); });
}

// The same program fed through a pipe on its standard input, when its adapter says how
// (`stdin_command`) and it is not fed so already: the second row of --bench.
std::optional<conformance::DecoderCommand> pipe_variant(const conformance::DecoderCommand& d) {
  if (d.pipe || d.adapter.stdin_command.empty()) return std::nullopt;
  conformance::DecoderCommand p = d;
  p.command = d.adapter.stdin_command;
  p.pipe = true;
  return p;
}

// The program under test: its command, and whether it reads a pipe or names the tty.
conformance::DecoderCommand external_command(const ConformOptions& o, conformance::Adapter a) {
  using Input = conformance::Adapter::Input;
  const bool pipe = o.stdin_input || a.input == Input::stdin_;
  std::string command = !o.decoder.empty()              ? o.decoder
                        : pipe && a.input == Input::tty ? a.stdin_command
                                                        : a.command;
  if (command.empty())
    throw std::invalid_argument("adapter " + a.name + " has no " +
                                (pipe ? "stdin_command" : "command") + ": give --decoder 'CMD" +
                                (pipe ? "'" : " {tty}'"));
  if (pipe && command.find("{tty}") != std::string::npos)
    throw std::invalid_argument("the decoder reads standard input: its command names no {tty}");
  if (!pipe && !names_tty(command, a))
    throw std::invalid_argument(
        "the decoder command (or a file or variable of its adapter) must name the tty to read as "
        "{tty}, or the program reads standard input (--stdin)");
  conformance::DecoderCommand d = decoder_command(o, std::move(a), std::move(command));
  d.pipe = pipe;
  return d;
}

// Throws std::invalid_argument on a usage error (exit status 2).
Runner make_runner(const ConformOptions& o) {
  Runner run;
  run.mode = o.mode;
  if (o.mode != "auto" && o.mode != "in-process" && o.mode != "pty")
    throw std::invalid_argument("--mode must be auto, in-process or pty");
  if (!o.speed.empty()) {
    run.speed = sim::Speed::parse(o.speed);
    if (!run.speed)
      throw std::invalid_argument("--speed: realtime, max or a factor, not " + o.speed);
  }
  conformance::Adapter own = conformance::find_adapter("meterlab-decode");
  run.own = decoder_command(o, own, own.command);
  if (o.decoder.empty() && o.adapter.empty()) return run;
  if (o.mode == "in-process")
    throw std::invalid_argument(
        "an external decoder reads a pty: --mode in-process does not apply");
  run.external = external_command(
      o, conformance::find_adapter(o.adapter.empty() ? "meterlab-decode" : o.adapter));
  return run;
}

// --bench: `meterlab decode` itself, then the program under test, on the same telegrams.
int run_bench(const ConformOptions& o, const Runner& run) {
  if (o.profile.empty()) throw std::invalid_argument("--bench needs --profile");
  ConformOptions with_default = o;
  if (with_default.duration.empty()) with_default.duration = "10m";
  const conformance::ScenarioFile s = adhoc_scenario(with_default, run);
  std::vector<conformance::DecoderCommand> programs{run.own};
  if (run.external) programs.push_back(*run.external);
  std::vector<conformance::BenchResult> results;
  for (const conformance::DecoderCommand& d : programs) {
    // Over a pty, then (for a program that can read either) over a pipe.
    for (const auto& way : {std::optional(d), pipe_variant(d)}) {
      if (!way) continue;
      std::fprintf(stderr, "conform: bench %s (%s)\n", way->adapter.name.c_str(),
                   way->pipe ? "pipe" : "pty");
      results.push_back(conformance::run_bench(s, *way));
    }
  }
  conformance::print_bench(results);
  json doc = {{"bench", json::array()}};
  bool ok = true;
  for (const auto& r : results) {
    doc["bench"].push_back(conformance::bench_json(r));
    ok = ok && r.failures.empty();
  }
  if (!o.json_file.empty()) {
    std::ofstream out(o.json_file);
    if (!out) throw std::runtime_error("cannot write " + o.json_file);
    out << doc.dump(2) << "\n";
  }
  return ok ? 0 : 1;
}

int run_conform(const ConformOptions& o) {
  auto vdir = find_dir(o.vectors, "vectors");
  auto sdir = find_dir(o.scenarios, "conformance/scenarios");
  if (!vdir || !sdir) {
    std::cerr << "meterlab conform: no " << (vdir ? "scenario" : "vector") << " directory "
              << (vdir ? o.scenarios : o.vectors) << " (use --" << (vdir ? "scenarios" : "vectors")
              << " DIR)\n";
    return 2;
  }
  Runner run;
  Report rep;
  try {
    run = make_runner(o);
    if (o.bench) return run_bench(o, run);
    rep = run_all(o, run, *vdir, *sdir);
  } catch (const std::invalid_argument& e) {
    std::cerr << "meterlab conform: " << e.what() << "\n";
    return 2;
  }
  if (rep.vectors.empty() && rep.scenarios.empty()) {
    std::cerr << "meterlab conform: nothing matches --filter " << o.filter << "\n";
    return 2;
  }
  const bool passed = conformance::passed(rep);
  conformance::print_report(rep);
  std::printf("\nconform: %s\n", passed ? "pass" : "FAIL");
  if (!o.json_file.empty()) {
    std::ofstream out(o.json_file);
    if (!out) throw std::runtime_error("cannot write " + o.json_file);
    out << conformance::report_json(rep).dump(2) << "\n";
  }
  if (!o.junit_file.empty()) conformance::write_junit(o.junit_file, rep);
  if (!o.html_file.empty()) conformance::write_html(o.html_file, rep);
  return passed ? 0 : 1;
}

}  // namespace

void add_conform_command(CLI::App& app, int& status) {
  auto o = std::make_shared<ConformOptions>();
  CLI::App* cmd =
      app.add_subcommand("conform", "Grade the decoder on every vector and simulator scenario");
  cmd->add_option("--vectors", o->vectors, "Vector directory (default: vectors/)");
  cmd->add_option("--scenarios", o->scenarios,
                  "Scenario directory (default: conformance/scenarios/)");
  cmd->add_option("--filter", o->filter,
                  "Only vectors and scenarios whose path or name contains this");
  cmd->add_option("--json", o->json_file, "Write every count to this JSON file");
  cmd->add_option("--junit", o->junit_file, "Write a JUnit XML report to this file");
  cmd->add_option("--html", o->html_file,
                  "Write one self-contained HTML page (verdicts, counts, timelines, values)");
  cmd->add_option("--decoder", o->decoder,
                  "Grade this program instead of the engine: a shell command that reads the tty "
                  "named {tty} (or its standard input, --stdin) and prints what its --adapter "
                  "reads (default: JSON lines of meterlab's schema)");
  cmd->add_option("--adapter", o->adapter,
                  "How to read the program's output: an adapter file, or a built-in one "
                  "(meterlab-decode)");
  cmd->add_option("--mode", o->mode, "auto (each scenario's own modes), in-process or pty")
      ->capture_default_str();
  cmd->add_option("--speed", o->speed,
                  "pty mode: realtime, max or a factor, instead of each scenario's speed");
  cmd->add_option("--profile", o->profile,
                  "Grade one ad-hoc scenario of this built-in profile (no vectors, no files)");
  cmd->add_option("--duration", o->duration, "--profile: virtual duration (30s, 10m, 6h)");
  cmd->add_option("--start", o->start, "--profile: virtual start, ISO 8601 in the meter's zone");
  cmd->add_option("--seed", o->seed, "--profile: the simulator's seed");
  cmd->add_option("--fault", o->faults, "--profile: a fault, e.g. tag-fail:p=0.1 (repeatable)");
  cmd->add_option("--keep", o->keep_dir,
                  "Keep each run's bytes, truth, raw output, files and mapped lines in a "
                  "folder of DIR (keys redacted; in-process runs: the engine's lines)");
  cmd->add_flag("--bench", o->bench,
                "Measure speed instead of grading: --profile's telegrams (10m of meter time by "
                "default) to `meterlab decode` and to --decoder, one at a time over the pty (and "
                "over a pipe for a program that reads standard input)");
  cmd->add_flag("--stdin", o->stdin_input,
                "--decoder reads the meter's bytes on its standard input (a pipe), not {tty}");
  cmd->add_option("--settle-ms", o->settle_ms,
                  "pty mode: quiet time after the last byte before the decoder is stopped")
      ->capture_default_str();
  cmd->footer(
      "A program under test (--decoder) gets {tty}; {transport} (hdlc, mbus, apdu, auto) and\n"
      "the keys {key} {auth_key} {system_title} are there for its adapter's \"env\" (keys in\n"
      "the environment do not show in ps). Adapters: conformance/adapters/README.md.\n"
      "Exit status: 0 when everything passes, 1 when something fails, 2 on usage errors.");
  cmd->callback([o, &status] {
    try {
      status = run_conform(*o);
    } catch (const std::exception& e) {
      std::cerr << "meterlab conform: " << e.what() << "\n";
      status = 2;
    }
  });
}

}  // namespace meterlab::cli
