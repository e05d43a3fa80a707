#include "external.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <thread>

#include "meterlab/core/hex.hpp"
#include "meterlab/sim/profile.hpp"
#include "meterlab/sim/simulation.hpp"

extern char** environ;

namespace meterlab::conformance {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// How a child process ended, in words: "exit status 1", "signal 11 (Segmentation fault)".
std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return "signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
  }
  return "status " + std::to_string(status);
}

// The decoder program: /bin/sh -c COMMAND in its own process group, stdout read line by line
// on a thread (each line timed as it arrives), stderr kept in a temporary file for the report.
class Child {
 public:
  Child(const std::string& command, const std::map<std::string, std::string>& env) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
    char err_name[] = "/tmp/meterlab-conform-stderr-XXXXXX";
    err_fd_ = ::mkostemp(err_name, O_CLOEXEC);
    if (err_fd_ < 0) throw std::runtime_error("mkstemp: " + std::string(std::strerror(errno)));
    ::unlink(err_name);
    std::vector<std::string> env_text;
    for (char** e = environ; *e; ++e) env_text.emplace_back(*e);
    for (const auto& [k, v] : env) env_text.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (std::string& s : env_text) envp.push_back(s.data());
    envp.push_back(nullptr);
    started_ = Clock::now();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(err_fd_, STDERR_FILENO);
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
      const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
      ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
    ::close(out[1]);
    out_fd_ = out[0];
    reader_ = std::thread([this] { read_lines(); });
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (!status_) stop(std::chrono::milliseconds(500));
    if (reader_.joinable()) reader_.join();
    ::close(out_fd_);
    ::close(err_fd_);
  }

  // Whether it is still running; once it ended, how.
  bool running() {
    if (status_) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = st;
      ended_at_ = since(started_);
    }
    return !status_;
  }
  std::optional<int> status() const { return status_; }
  double ended_at() const { return ended_at_; }
  Clock::time_point started() const { return started_; }

  // SIGTERM to the group, then SIGKILL after `limit`; true when it stopped on SIGTERM.
  bool stop(std::chrono::milliseconds limit) {
    if (!running()) return true;
    ::kill(-pid_, SIGTERM);
    const auto until = Clock::now() + limit;
    while (Clock::now() < until) {
      if (!running()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(-pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    status_ = st;
    return false;
  }

  // Waits for the end of its output (after it exited), then hands over every line.
  std::vector<TimedLine> take_lines() {
    if (reader_.joinable()) reader_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    return std::move(lines_);
  }
  std::size_t line_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_.size();
  }
  double last_line_at() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_.empty() ? 0 : lines_.back().at;
  }

  // The last line of what it wrote to stderr (keys never reach it from us: they go in env).
  std::string stderr_tail() const {
    std::string text;
    char buf[4096];
    const off_t size = ::lseek(err_fd_, 0, SEEK_END);
    const off_t from = size > 4096 ? size - 4096 : 0;
    const ssize_t n = ::pread(err_fd_, buf, sizeof buf, from);
    if (n > 0) text.assign(buf, static_cast<std::size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    const std::size_t nl = text.rfind('\n');
    if (nl != std::string::npos) text.erase(0, nl + 1);
    if (text.size() > 200) text = text.substr(0, 200) + "...";
    return text;
  }

 private:
  void read_lines() {
    std::string partial;
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(out_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      const double at = since(started_);
      partial.append(buf, static_cast<std::size_t>(n));
      std::size_t nl;
      while ((nl = partial.find('\n')) != std::string::npos) {
        std::lock_guard<std::mutex> lock(mutex_);
        lines_.push_back({at, partial.substr(0, nl)});
        partial.erase(0, nl + 1);
      }
    }
    if (!partial.empty()) {
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.push_back({since(started_), partial});
    }
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  Clock::time_point started_;
  std::optional<int> status_;
  double ended_at_ = 0;
  std::thread reader_;
  std::mutex mutex_;
  std::vector<TimedLine> lines_;
};

// The placeholders of a command and of the adapter's environment.
struct Placeholders {
  std::map<std::string, std::string> values;
};

Placeholders placeholders(const DecoderCommand& d, const std::string& tty,
                          const std::string& transport) {
  Placeholders p;
  p.values = {{"tty", tty}, {"meterlab", d.self}, {"transport", transport}};
  return p;
}

void add_keys(Placeholders& p, const std::optional<std::string>& ek,
              const std::optional<std::string>& ak, const std::optional<std::string>& title) {
  if (ek) p.values["key"] = *ek;
  if (ak) p.values["auth_key"] = *ak;
  if (title) p.values["system_title"] = *title;
}

// The environment: each adapter entry whose placeholders all have a value (a plain meter gets no
// key variables at all).
std::map<std::string, std::string> environment(const Adapter& a, const Placeholders& p) {
  std::map<std::string, std::string> env;
  for (const auto& [name, tmpl] : a.env) {
    try {
      env[name] = expand(tmpl, p.values, false);
    } catch (const std::runtime_error&) {
    }
  }
  return env;
}

// Starts the program and waits until it has the pty open.
std::optional<std::string> start(Child& child, sim::Sink& pty, std::chrono::milliseconds limit) {
  const auto until = Clock::now() + limit;
  while (!pty.connected()) {
    if (!child.running()) {
      return "decoder ended (" + describe_status(*child.status()) +
             ") before it opened the tty; stderr: " + child.stderr_tail();
    }
    if (Clock::now() > until) {
      return "decoder did not open the tty within " + std::to_string(limit.count() / 1000) + " s";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

// After the last byte: wait until the output has been quiet for `settle` (at most `max_settle`),
// then stop the program. Returns what went wrong with the program itself, if anything.
std::vector<std::string> finish(Child& child, const DecoderCommand& d, double last_byte_at) {
  std::vector<std::string> problems;
  const auto hard_end = Clock::now() + d.max_settle;
  const double settle = std::chrono::duration<double>(d.settle).count();
  while (Clock::now() < hard_end && child.running()) {
    const double quiet_since = std::max(last_byte_at, child.last_line_at());
    if (since(child.started()) - quiet_since >= settle) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!child.running()) {
    problems.push_back("decoder ended early (" + describe_status(*child.status()) + ", " +
                       std::to_string(child.ended_at()) +
                       " s after start); stderr: " + child.stderr_tail());
    return problems;
  }
  if (!child.stop(d.stop_limit)) {
    problems.push_back("decoder hung: still running " + std::to_string(d.stop_limit.count()) +
                       " ms after SIGTERM, killed");
  }
  return problems;
}

struct MappedOutput {
  std::vector<json> telegrams;
  std::vector<double> arrived;
  std::vector<json> rejections;
  std::uint64_t garbage = 0;
  std::vector<std::string> garbage_examples;
};

MappedOutput map_output(const Adapter& a, const std::vector<TimedLine>& lines) {
  MappedOutput out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].text.find_first_not_of(" \t\r") == std::string::npos) continue;
    MappedLine m = map_line(a, lines[i].text);
    switch (m.kind) {
      case MappedLine::Kind::telegram:
        out.telegrams.push_back(std::move(m.value));
        out.arrived.push_back(lines[i].at);
        break;
      case MappedLine::Kind::rejection:
        out.rejections.push_back(std::move(m.value));
        break;
      case MappedLine::Kind::ignored:
        break;
      case MappedLine::Kind::garbage:
        ++out.garbage;
        if (out.garbage_examples.size() < 3) {
          std::string shown = lines[i].text.substr(0, 80);
          out.garbage_examples.push_back(
              "line " + std::to_string(i + 1) + ": " + m.error + ": " +
              json(shown).dump(-1, ' ', false, json::error_handler_t::replace));
        }
        break;
    }
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

Placeholders scenario_placeholders(const DecoderCommand& d, const sim::Profile& p,
                                   const std::string& tty) {
  Placeholders ph = placeholders(d, tty, p.framing == sim::Framing::hdlc ? "hdlc" : "mbus");
  if (p.security) {
    const auto& s = *p.security;
    add_keys(ph, to_hex(Bytes(s.ek.data(), s.ek.size())),
             s.ak ? std::optional(to_hex(Bytes(s.ak->data(), s.ak->size()))) : std::nullopt,
             to_hex(Bytes(s.system_title.data(), s.system_title.size())));
  }
  return ph;
}

// Sends the simulation through the pacer, timing each truth telegram as its chunk leaves.
double send_all(sim::Simulation& simulation, sim::Sink& pty, sim::Pacer& pacer, Child& child,
                std::vector<SentTelegram>& sent, std::vector<json>& other_truth,
                const Progress& progress, double span) {
  sim::Chunk c;
  bool started = false;
  sim::SimTime t0 = 0;
  double last = 0;
  while (simulation.next(c)) {
    if (!started) pacer.restart(c.t), t0 = c.t, started = true;
    std::vector<std::string> truth = simulation.take_truth();
    pacer.send(pty, c.t, c.bytes);
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
  std::string tty;
  auto pty = sim::open_pty(p->serial, "", &tty);
  Placeholders ph = scenario_placeholders(d, *p, tty);
  Child child(expand(d.command, ph.values, true), environment(d.adapter, ph));

  std::vector<std::string> failures;
  std::vector<SentTelegram> sent;
  std::vector<json> other_truth;
  if (auto why = start(child, *pty, d.open_limit)) {
    failures.push_back(*why);
    child.stop(d.stop_limit);
  } else {
    sim::Pacer pacer(p->serial, *speed, 0);
    const double last =
        send_all(*simulation, *pty, pacer, child, sent, other_truth, progress, span);
    for (std::string& f : finish(child, d, last)) failures.push_back(std::move(f));
  }
  MappedOutput m = map_output(d.adapter, child.take_lines());
  report_garbage(m, failures);
  if (pty->bytes_dropped() > 0) {
    failures.push_back(std::to_string(pty->bytes_dropped()) +
                       " bytes were written while the decoder did not have the tty open");
  }

  const CompareOptions options = compare_options(d.adapter);
  TruthMatcher matcher(s.pass, options);
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
  ScenarioResult r = matcher.finish(s.name);
  for (std::string& f : failures) r.failures.push_back(std::move(f));
  r.seconds = std::chrono::duration<double>(Clock::now() - began).count();
  if (progress) progress(1.0);
  return r;
}

std::vector<std::string> check_vector_external(const Vector& v, const DecoderCommand& d) {
  std::string tty;
  const sim::SerialSettings serial = *sim::SerialSettings::parse("115200 8N1");
  auto pty = sim::open_pty(serial, "", &tty);
  Placeholders ph = placeholders(d, tty, std::string(input_transport_name(v.transport)));
  const json keys = v.doc.value("keys", json::array());
  if (!keys.empty()) {
    const json& k = keys.front();
    auto str = [&](const char* name) -> std::optional<std::string> {
      if (!k.contains(name) || !k.at(name).is_string()) return std::nullopt;
      return k.at(name).get<std::string>();
    };
    add_keys(ph, str("ek"), str("ak"), str("system_title"));
  }
  Child child(expand(d.command, ph.values, true), environment(d.adapter, ph));
  std::vector<std::string> failures;
  if (auto why = start(child, *pty, d.open_limit)) {
    failures.push_back(*why);
    child.stop(d.stop_limit);
    return failures;
  }
  sim::Pacer pacer(serial, sim::Speed{}, 0);
  pacer.send(*pty, 0, v.input);
  for (std::string& f : finish(child, d, since(child.started()))) failures.push_back(std::move(f));
  MappedOutput m = map_output(d.adapter, child.take_lines());
  report_garbage(m, failures);
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
