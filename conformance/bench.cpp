#include "bench.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "meterlab/sim/simulation.hpp"
#include "program.hpp"

namespace meterlab::conformance {
namespace {

using namespace program;  // NOLINT: the process pieces
using Buffer = std::vector<std::uint8_t>;

// Each telegram's bytes (with whatever came on the line before it), made before any timing.
std::vector<Buffer> telegram_bytes(const ScenarioFile& s, const sim::Profile& p) {
  sim::Simulation simulation(p, sim_options(s.scenario, p));
  Buffer stream;
  std::vector<std::uint64_t> ends;
  sim::Chunk c;
  while (simulation.next(c)) {
    stream.insert(stream.end(), c.bytes.begin(), c.bytes.end());
    for (const std::string& t : simulation.take_truth()) {
      json line = json::parse(t);
      if (line.value("type", "") == "telegram")
        ends.push_back(line.at("offset").get<std::uint64_t>() +
                       line.at("length").get<std::uint64_t>());
    }
  }
  std::vector<Buffer> out;
  std::uint64_t from = 0;
  for (std::uint64_t end : ends) {
    out.emplace_back(stream.begin() + static_cast<std::ptrdiff_t>(from),
                     stream.begin() + static_cast<std::ptrdiff_t>(end));
    from = end;
  }
  return out;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// The telegrams the program's output completes, read through its adapter as lines come.
class TelegramCounter {
 public:
  explicit TelegramCounter(const Adapter& a) : a_(a) {
    if (a.output.text) text_.emplace(a);
  }
  // Reads the lines that came since the last call; true when one completed a telegram (`at`:
  // when its last line arrived).
  bool poll(Program& program, double& at) {
    bool done = false;
    for (const TimedLine& l : program.output_from(seen_)) {
      ++seen_;
      std::vector<MappedLine> mapped;
      if (text_) {
        mapped = l.boundary ? text_->boundary() : text_->add(l.text, l.at);
      } else if (!l.boundary) {
        mapped.push_back(map_line(a_, l.text));
        mapped.back().at = l.at;
      }
      for (const MappedLine& m : mapped) {
        if (m.kind != MappedLine::Kind::telegram || done) continue;
        done = true;
        at = m.at;
      }
    }
    return done;
  }

 private:
  const Adapter& a_;
  std::optional<TextMapper> text_;
  std::size_t seen_ = 0;
};

// Writes each telegram once the one before was answered; the latencies of those answered.
std::vector<double> feed(Program& program, const Adapter& a, sim::Sink& pty,
                         const std::vector<Buffer>& telegrams, std::chrono::milliseconds limit) {
  Child& child = program.child();
  TelegramCounter counter(a);
  std::vector<double> latencies;
  for (const Buffer& t : telegrams) {
    // Timed as the write starts: the program may answer before write() has returned.
    const double sent_at = since(child.started());
    pty.write(t);
    const auto until = Clock::now() + limit;
    double at = 0;
    bool answered = false;
    while (!(answered = counter.poll(program, at)) && Clock::now() < until && child.running())
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    if (answered) latencies.push_back(std::max(0.0, at - sent_at));
    if (!child.running()) break;
  }
  return latencies;
}

void fill_usage(BenchResult& r, const GroupUsage& u) {
  r.cpu_seconds_per_1000 = r.answered ? u.cpu_seconds / static_cast<double>(r.answered) * 1000 : 0;
  r.peak_rss_kib = u.peak_rss_kib;
}

// The CPU time of a process's threads so far, from each one's schedstat (nanoseconds on CPU).
double running_cpu_seconds(const std::filesystem::path& process) {
  double seconds = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(process / "task", ec)) {
    std::ifstream schedstat(task.path() / "schedstat");
    std::uint64_t ns = 0;
    if (schedstat >> ns) seconds += static_cast<double>(ns) / 1e9;
  }
  return seconds;
}

}  // namespace

GroupUsage program::group_usage(pid_t group) {
  GroupUsage g;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::ifstream stat(entry.path() / "stat");
    std::string text;
    if (!std::getline(stat, text)) continue;
    const std::size_t paren = text.rfind(')');
    if (paren == std::string::npos || paren + 2 > text.size()) continue;
    std::istringstream in(text.substr(paren + 2));
    std::vector<std::string> f;
    for (std::string field; f.size() < 15 && in >> field;) f.push_back(field);
    // After the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    // utime stime cutime cstime (proc(5)).
    if (f.size() < 15 || std::stol(f[2]) != group) continue;
    // Running threads to the nanosecond (schedstat), children already waited for in ticks.
    g.cpu_seconds += running_cpu_seconds(entry.path()) +
                     static_cast<double>(std::stoll(f[13]) + std::stoll(f[14])) / tick;
    std::ifstream status(entry.path() / "status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("VmHWM:", 0) == 0) g.peak_rss_kib += std::stol(line.substr(6));
  }
  return g;
}

BenchResult run_bench(const ScenarioFile& s, const DecoderCommand& d,
                      std::chrono::milliseconds answer_limit) {
  const sim::Profile* p = sim::find_profile(s.scenario.profile);
  if (!p) throw std::runtime_error("unknown profile \"" + s.scenario.profile + "\"");
  BenchResult r;
  r.name = d.adapter.name;
  r.profile = p->name;
  const std::vector<Buffer> telegrams = telegram_bytes(s, *p);
  r.input = d.pipe ? "pipe" : "pty";
  MeterLine line = open_line(d, p->serial);
  Placeholders ph = scenario_placeholders(d, *p, line.tty);
  Program program(d, ph, std::exchange(line.stdin_fd, -1));
  if (auto why = start(program.child(), *line.sink, d.open_limit)) {
    r.failures.push_back(*why);
    program.child().stop(d.stop_limit);
    return r;
  }
  const auto began = Clock::now();
  const std::vector<double> latencies =
      feed(program, d.adapter, *line.sink, telegrams, answer_limit);
  r.seconds = std::chrono::duration<double>(Clock::now() - began).count();
  r.telegrams = telegrams.size();
  r.answered = latencies.size();
  r.per_second = r.seconds > 0 ? static_cast<double>(r.answered) / r.seconds : 0;
  r.p50_ms = percentile(latencies, 0.50) * 1000;
  r.p99_ms = percentile(latencies, 0.99) * 1000;
  fill_usage(r, group_usage(program.pid()));
  if (!program.child().running()) {
    r.failures.push_back("decoder ended early (" + describe_status(*program.child().status()) +
                         "); stderr: " + program.child().stderr_tail());
  }
  program.child().stop(d.stop_limit);
  if (r.answered < r.telegrams) {
    r.failures.push_back(std::to_string(r.telegrams - r.answered) + " of " +
                         std::to_string(r.telegrams) + " telegrams got no output line within " +
                         std::to_string(answer_limit.count()) + " ms");
  }
  return r;
}

json bench_json(const BenchResult& r) {
  return {{"name", r.name},
          {"profile", r.profile},
          {"input", r.input},
          {"telegrams", r.telegrams},
          {"answered", r.answered},
          {"seconds", r.seconds},
          {"telegrams_per_second", r.per_second},
          {"latency_ms", {{"p50", r.p50_ms}, {"p99", r.p99_ms}}},
          {"cpu_seconds_per_1000_telegrams", r.cpu_seconds_per_1000},
          {"peak_rss_kib", r.peak_rss_kib},
          {"failures", r.failures}};
}

void print_bench(const std::vector<BenchResult>& results) {
  std::printf("%-30s %-5s %-24s %9s %10s %9s %9s %11s %9s\n", "program", "input", "profile",
              "telegrams", "per second", "p50 ms", "p99 ms", "CPU s/1000", "RSS KiB");
  for (const BenchResult& r : results) {
    std::printf("%-30s %-5s %-24s %9llu %10.1f %9.3f %9.3f %11.3f %9ld\n", r.name.c_str(),
                r.input.c_str(), r.profile.c_str(), static_cast<unsigned long long>(r.answered),
                r.per_second, r.p50_ms, r.p99_ms, r.cpu_seconds_per_1000, r.peak_rss_kib);
    for (const std::string& f : r.failures) std::printf("    %s\n", f.c_str());
  }
}

}  // namespace meterlab::conformance
