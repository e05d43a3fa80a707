// `meterlab simulate`: a deterministic meter on a pty, a file, stdout or a TCP port, at its real
// cadence and line rate (or faster), with faults and a truth log. Keys are never printed.
#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "keys.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/sim/io.hpp"
#include "meterlab/sim/learn.hpp"
#include "meterlab/sim/profile.hpp"
#include "meterlab/sim/scenario.hpp"
#include "meterlab/sim/simulation.hpp"

namespace meterlab::cli {
namespace {

using namespace meterlab::sim;

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_signal(int) { g_stop = 1; }

struct SimulateOptions {
  bool list = false;
  std::string profile;
  std::optional<std::uint64_t> seed;
  std::string start;
  std::string duration;
  std::string speed;
  bool pty = false;
  std::string link;
  std::string out;
  std::optional<std::uint16_t> tcp;
  std::string truth;
  std::string key_hex, auth_key_hex;
  std::vector<std::string> faults;
  std::string scenario;
  bool wait = false;
  std::string settle = "500ms";    // with --wait: quiet time after the reader opened the port
  std::string linger;              // live sinks: how long the port stays open after the last frame
  std::string target;              // "-" for stdout
  std::string learn;               // a capture to learn the profile from
  std::string save_profile;        // where to write the learned profile
  bool save_keys = false;          // write the keys into the saved profile
  std::string serial;              // line settings of a learned profile
  std::string transport = "auto";  // the capture's transport
  std::string keys_file;           // with --learn: a key file as `meterlab decode --keys` reads
  std::string cadence;             // with --learn: a list's cadence when the capture does not tell
};

struct Failure {
  std::string what;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure{"cannot open " + path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<Key> key_from(const std::string& flag, std::string hex, const char* env) {
  if (hex.empty())
    if (const char* v = std::getenv(env)) hex = v;
  if (hex.empty()) return std::nullopt;
  auto bytes = parse_hex(hex);
  if (!bytes || bytes->size() != 16) throw Failure{flag + " (or " + env + ") is not 32 hex digits"};
  Key k{};
  std::copy(bytes->begin(), bytes->end(), k.begin());
  return k;
}

int list_profiles() {
  for (const Profile& p : builtin_profiles()) {
    std::string sec = "plain";
    if (p.security) {
      char sc[8];
      std::snprintf(sc, sizeof sc, "SC %02X", p.security->security_control);
      sec = sc;
    }
    std::cout << p.name << "  [" << (p.framing == Framing::hdlc ? "HDLC" : "M-Bus") << ", "
              << p.serial.to_string() << ", " << sec << "]\n    " << p.description << "\n";
  }
  return 0;
}

// Scenario values first, then the flags over them.
void merge_scenario(SimulateOptions& o, std::vector<FaultSpec>& faults) {
  if (o.scenario.empty()) return;
  Scenario s = parse_scenario(read_file(o.scenario));
  if (!s.profiles.empty())
    throw Failure{"scenario " + o.scenario +
                  " has several meters (\"profiles\"): run it with meterlab conform"};
  if (o.profile.empty()) o.profile = s.profile;
  if (!o.seed) o.seed = s.seed;
  if (o.start.empty() && s.start) o.start = *s.start;
  if (o.duration.empty() && s.duration) o.duration = std::to_string(*s.duration) + "ms";
  if (o.speed.empty() && s.speed) o.speed = *s.speed;
  faults = s.faults;
}

std::unique_ptr<Sink> open_sink(const SimulateOptions& o, const Profile& p) {
  int chosen = int{o.pty} + int{!o.out.empty()} + int{o.tcp.has_value()} + int{o.target == "-"};
  if (chosen != 1)
    throw Failure{"choose one output: --pty, --out FILE, --tcp PORT, or - for stdout"};
  // A live sink: its address is the first line of stdout, for a reader (or a script) to use.
  auto announce = [&](std::unique_ptr<Sink> sink, const std::string& where) {
    std::cout << where << std::endl;
    std::cerr << "meterlab simulate: " << p.name << " on " << sink->describe() << "\n";
    return sink;
  };
  if (o.pty) {
    std::string path;
    auto sink = open_pty(p.serial, o.link, &path);
    return announce(std::move(sink), path);
  }
  if (o.tcp) {
    std::uint16_t port = 0;
    auto sink = open_tcp(*o.tcp, &port);
    return announce(std::move(sink), "tcp://127.0.0.1:" + std::to_string(port));
  }
  if (!o.out.empty()) return open_file(o.out);
  return open_stdout();
}

Speed speed_of(const SimulateOptions& o) {
  bool live = o.pty || o.tcp;
  std::string text = o.speed.empty() ? (live ? "realtime" : "max") : o.speed;
  auto s = Speed::parse(text);
  if (!s) throw Failure{"--speed: expected realtime, max or a factor, got " + text};
  return *s;
}

SimOptions sim_options(const SimulateOptions& o, const Profile& p, std::vector<FaultSpec> faults) {
  SimOptions s;
  s.seed = o.seed.value_or(1);
  std::string start = o.start.empty() ? "2026-01-05T00:00:00" : o.start;
  auto t = parse_iso(start, p.zone);
  if (!t) throw Failure{"--start: not an ISO date-time: " + start};
  s.start = *t;
  std::string duration = o.duration.empty() ? "6h" : o.duration;
  auto d = parse_duration(duration);
  if (!d) throw Failure{"--duration: not a duration: " + duration};
  s.duration = *d;
  for (const std::string& f : o.faults) faults.push_back(parse_fault(f));
  s.faults = std::move(faults);
  s.ek = key_from("--key", o.key_hex, "METERLAB_SIM_KEY");
  s.ak = key_from("--auth-key", o.auth_key_hex, "METERLAB_SIM_AUTH_KEY");
  return s;
}

Duration duration_flag(const char* flag, const std::string& text) {
  auto d = parse_duration(text);
  if (!d || *d < 0) throw Failure{std::string(flag) + ": not a duration: " + text};
  return *d;
}

// A reader opens the port, sets the line and often flushes its input: sending starts only after
// it has had `settle` (wall time) to do that, and then with a whole frame.
void wait_for_reader(Sink& sink, Duration settle) {
  std::cerr << "meterlab simulate: waiting for a reader\n";
  while (!g_stop && !sink.connected()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(settle));
}

// How long a live port stays open and silent after the last frame when --linger does not say:
// three of the profile's shortest cadences in wall time (a reader that frames by a read timeout
// of twice the cadence still gets its last telegram and a clean timeout), at least 2 s.
Duration default_linger(const Profile& p, const Speed& speed) {
  Duration cadence = p.step;
  for (const ScheduleEntry& e : p.schedule)
    if (e.every > 0) cadence = std::min(cadence, e.every);
  const double wall = speed.max ? 0.0 : 3.0 * static_cast<double>(cadence) / speed.factor;
  return std::max<Duration>(2000, static_cast<Duration>(wall));
}

// A meter's port does not vanish after its last telegram: the pty (or TCP port) stays open and
// silent until the reader closes it, a signal comes, or `linger` has passed.
void linger_open(Sink& sink, Duration linger) {
  if (linger <= 0 || g_stop) return;
  std::cerr << "meterlab simulate: last frame sent; the port stays open for "
            << static_cast<double>(linger) / 1000.0 << " s or until the reader closes it\n";
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(linger);
  while (!g_stop && std::chrono::steady_clock::now() < until && sink.connected())
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

// --learn CAPTURE: the capture's meter as a profile; --save-profile writes it (keys only with
// --save-keys). Keys come from --key / --auth-key (or their variables) and are never printed.
Profile learned_profile(const SimulateOptions& o) {
  LearnOptions lo;
  lo.name = "learned-" + std::filesystem::path(o.learn).stem().string();
  lo.ek = key_from("--key", o.key_hex, "METERLAB_SIM_KEY");
  lo.ak = key_from("--auth-key", o.auth_key_hex, "METERLAB_SIM_AUTH_KEY");
  if (!o.keys_file.empty()) {
    KeySet set;
    cli::KeyOptions ko;
    ko.keys_file = o.keys_file;
    if (auto bad = load_keys(ko, set)) throw Failure{*bad};
    for (const KeyEntry& k : set) lo.keys.push_back(TitledKey{k.title, k.ek, k.ak});
  }
  lo.serial = o.serial;
  lo.transport = o.transport;
  if (!o.cadence.empty()) {
    lo.cadence_ms = duration_flag("--cadence", o.cadence);
    if (*lo.cadence_ms <= 0) throw Failure{"--cadence: must be more than 0: " + o.cadence};
  }
  Learned l;
  try {
    l = learn_profile(capture_bytes(read_file(o.learn)), lo);
  } catch (const LearnError& e) {
    throw Failure{"cannot learn " + o.learn + ": " + e.what()};
  }
  std::cerr << "meterlab simulate: learned " << lo.name << " from " << l.telegrams << " telegrams, "
            << l.lists.size() << " list(s)\n";
  if (!l.link_from.empty())
    std::cerr << "meterlab simulate: the capture has bare APDUs (no link layer); their link comes "
                 "from "
              << (l.link_from.find(" default") != std::string::npos
                      ? "the " + l.link_from
                      : "the built-in family " + l.link_from)
              << "\n";
  if (!o.save_profile.empty()) {
    std::ofstream out(o.save_profile);
    out << (o.save_keys ? l.profile_json : l.saved_json);
    if (!out) throw Failure{"cannot write " + o.save_profile};
  }
  return parse_profile(l.profile_json);
}

// --profile FILE: a profile file (a learned one saved without keys takes them from --key).
Profile profile_file(const SimulateOptions& o) {
  nlohmann::json doc = nlohmann::json::parse(read_file(o.profile), nullptr, false);
  if (doc.is_discarded()) throw Failure{o.profile + ": not JSON"};
  if (doc.contains("security") && doc["security"].is_object() && !doc["security"].contains("ek")) {
    auto ek = key_from("--key", o.key_hex, "METERLAB_SIM_KEY");
    if (!ek) throw Failure{o.profile + " holds no key: give it with --key"};
    doc["security"]["ek"] = to_hex(*ek);
    auto ak = key_from("--auth-key", o.auth_key_hex, "METERLAB_SIM_AUTH_KEY");
    doc["security"]["ak"] = ak ? nlohmann::json(to_hex(*ak)) : nlohmann::json(nullptr);
  }
  return parse_profile(doc.dump());
}

std::unique_ptr<Profile> chosen_profile(const SimulateOptions& o) {
  if (!o.learn.empty()) {
    if (!o.profile.empty()) throw Failure{"--learn takes the place of --profile: give one"};
    return std::make_unique<Profile>(learned_profile(o));
  }
  if (o.profile.empty()) throw Failure{"--profile or --learn is required (see --list)"};
  if (const Profile* p = find_profile(o.profile)) return std::make_unique<Profile>(*p);
  if (std::filesystem::is_regular_file(o.profile))
    return std::make_unique<Profile>(profile_file(o));
  throw Failure{"no profile \"" + o.profile + "\" (see --list)"};
}

bool has_output(const SimulateOptions& o) {
  return o.pty || !o.out.empty() || o.tcp.has_value() || o.target == "-";
}

int run(SimulateOptions o) {
  if (o.list) return list_profiles();
  std::vector<FaultSpec> faults;
  merge_scenario(o, faults);
  const std::unique_ptr<Profile> profile = chosen_profile(o);
  const Profile* p = profile.get();
  if (!o.save_profile.empty() && !has_output(o)) return 0;  // learned and saved: done
  Simulation sim(*p, sim_options(o, *p, std::move(faults)));
  std::unique_ptr<Sink> sink = open_sink(o, *p);
  std::ofstream truth;
  if (!o.truth.empty()) {
    truth.open(o.truth);
    if (!truth) throw Failure{"cannot write " + o.truth};
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const Speed speed = speed_of(o);
  const bool live = o.pty || o.tcp;
  const Duration linger = o.linger.empty() ? (live ? default_linger(*p, speed) : 0)
                                           : duration_flag("--linger", o.linger);
  if (o.wait) wait_for_reader(*sink, duration_flag("--settle", o.settle));
  Chunk c;
  bool started = false;
  Pacer pacer(p->serial, speed, 0);
  while (!g_stop && sim.next(c)) {
    if (!started) pacer.restart(c.t), started = true;
    pacer.send(*sink, c.t, c.bytes);
    for (const std::string& line : sim.take_truth()) truth << line << '\n';
    // A live run's truth is read while it runs (a reader's test compares what it decoded so
    // far): each frame's truth is on disk once the frame is on the line.
    if (live) truth.flush();
  }
  for (const std::string& line : sim.take_truth()) truth << line << '\n';
  truth << sim.summary_line() << '\n';
  sink->flush();
  if (live) linger_open(*sink, linger);
  std::cerr << "meterlab simulate: " << (g_stop ? "stopped, " : "") << sim.bytes_out() << " bytes ("
            << sink->bytes_dropped() << " dropped with no reader), sha256 " << sim.sha256_hex()
            << "\n";
  return 0;
}

}  // namespace

void add_simulate_command(CLI::App& app, int& status) {
  auto o = std::make_shared<SimulateOptions>();
  CLI::App* cmd =
      app.add_subcommand("simulate", "Emulate a meter: its real frames at its real cadence");
  cmd->add_flag("--list", o->list, "List the built-in profiles");
  cmd->add_option("--profile", o->profile, "Profile name (see --list) or a profile file");
  cmd->add_option("--learn", o->learn,
                  "Emulate the meter of this capture (binary or hex, one or more telegrams)");
  cmd->add_option("--save-profile", o->save_profile,
                  "With --learn: write the learned profile here (no keys unless --save-keys)");
  cmd->add_flag("--save-keys", o->save_keys, "With --save-profile: write the keys too");
  cmd->add_option("--keys", o->keys_file,
                  "With --learn: a key file (JSON), as meterlab decode --keys reads it");
  cmd->add_option("--transport", o->transport,
                  "With --learn: the capture's transport (auto, hdlc, mbus, p1; an encrypted P1 "
                  "capture needs p1). A capture of bare APDUs (a reader's log after the link "
                  "layer) is sent in the link of the built-in family with its list, else in the "
                  "default link of the transport given here (hdlc or mbus)")
      ->capture_default_str();
  cmd->add_option("--serial", o->serial,
                  "With --learn: line settings, e.g. \"2400 8E1\" (default: the built-in family's, "
                  "else HDLC 2400 8E1, M-Bus 2400 8N1, P1 115200 8N1, DSMR 2.2 9600 7E1)");
  cmd->add_option("--cadence", o->cadence,
                  "With --learn: the cadence of a list the capture does not time (seen once or "
                  "without a clock), e.g. 10s (default: the family's)");
  cmd->add_option("--seed", o->seed, "Seed: the same seed gives the same bytes (default 1)");
  cmd->add_option("--start", o->start,
                  "Virtual start, ISO 8601; local time of the profile's zone "
                  "unless it has an offset (default 2026-01-05T00:00:00)");
  cmd->add_option("--duration", o->duration, "Virtual duration: 30s, 10m, 6h, 1d (default 6h)");
  cmd->add_option("--speed", o->speed,
                  "realtime, a factor (10), or max (default: realtime on "
                  "--pty/--tcp, max on files and stdout)");
  cmd->add_flag("--pty", o->pty, "Write to a new pseudo-terminal; its path is printed on stdout");
  cmd->add_option("--link", o->link, "With --pty: a symlink to the pty at this path");
  cmd->add_option("--out", o->out, "Write to a file");
  cmd->add_option("--tcp", o->tcp, "Listen on 127.0.0.1:PORT (0: any free port, printed)");
  cmd->add_option("target", o->target, "- to write to stdout");
  cmd->add_option("--truth", o->truth, "Truth log (JSON lines): what every frame meant");
  cmd->add_option("--key", o->key_hex, "Replace the profile's encryption key (32 hex digits)");
  cmd->add_option("--auth-key", o->auth_key_hex, "Replace the profile's authentication key");
  cmd->add_option("--fault", o->faults,
                  "Fault, e.g. ber:rate=1e-4, truncate:p=0.01, "
                  "restart:at=1h,for=30s (repeatable; see the README)");
  cmd->add_option("--scenario", o->scenario, "Scenario file (JSON); flags override it");
  cmd->add_flag("--wait", o->wait, "With --pty/--tcp: start the clock when a reader connects");
  cmd->add_option("--settle", o->settle,
                  "With --wait: wall time left to the reader to set the line and flush its input "
                  "before the first frame")
      ->capture_default_str();
  cmd->add_option(
      "--linger", o->linger,
      "With --pty/--tcp: after the last frame the port stays open and silent this long, "
      "or until the reader closes it (default: 3 cadences of the profile, at least 2s)");
  cmd->footer(
      "Keys may also come from METERLAB_SIM_KEY / METERLAB_SIM_AUTH_KEY; they are never "
      "printed.\nOn exit the sha256 of every byte the meter sent is printed on stderr.");
  cmd->callback([o, &status] {
    try {
      status = run(*o);
    } catch (const Failure& f) {
      std::cerr << "meterlab simulate: " << f.what << "\n";
      status = 2;
    } catch (const std::exception& e) {  // profile, fault and I/O setup errors
      std::cerr << "meterlab simulate: " << e.what() << "\n";
      status = 2;
    }
  });
}

}  // namespace meterlab::cli
