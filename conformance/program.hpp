// The program under test as a process: /bin/sh -c COMMAND in its own process group, with its run
// directory, files and output (the pieces external.cpp and bench.cpp share). Internal to the
// conformance library.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "external.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/sim/io.hpp"
#include "meterlab/sim/profile.hpp"
#include "run_dir.hpp"

extern char** environ;

namespace meterlab::conformance::program {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

inline double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// How a child process ended, in words: "exit status 1", "signal 11 (Segmentation fault)".
inline std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return "signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
  }
  return "status " + std::to_string(status);
}

// The decoder program: /bin/sh -c COMMAND in its own process group, stdout read line by line
// on a thread (each line timed as it arrives), stderr kept in a temporary file for the report.
// Its standard input is /dev/null, or `stdin_fd` (a pipe's read end: the Child closes it in
// this process once the program has it).
class Child {
 public:
  Child(const std::string& command, const std::map<std::string, std::string>& env,
        int stdin_fd = -1) {
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
      const int in = stdin_fd >= 0 ? stdin_fd : ::open("/dev/null", O_RDONLY);
      if (in >= 0) ::dup2(in, STDIN_FILENO);
      const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
      ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
    ::close(out[1]);
    if (stdin_fd >= 0) ::close(stdin_fd);
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
    if (::wait4(pid_, &st, WNOHANG, &usage_) == pid_) {
      status_ = st;
      ended_at_ = since(started_);
    }
    return !status_;
  }
  std::optional<int> status() const { return status_; }
  int stderr_fd() const { return err_fd_; }
  pid_t pid() const { return pid_; }
  // Once it ended: its CPU time and peak RSS, with the children it waited for (wait4).
  const struct rusage& usage() const { return usage_; }
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
    ::wait4(pid_, &st, 0, &usage_);
    status_ = st;
    return false;
  }

  // Waits for the end of its output (after it exited), then hands over every line.
  std::vector<TimedLine> take_lines() {
    if (reader_.joinable()) reader_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    return std::move(lines_);
  }
  // The lines from `index` on, so far (a copy: the program is still writing).
  std::vector<TimedLine> lines_from(std::size_t index) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (index >= lines_.size()) return {};
    return {lines_.begin() + static_cast<std::ptrdiff_t>(index), lines_.end()};
  }
  std::size_t line_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_.size();
  }
  // When line `index` (0-based) arrived.
  double first_line_at(std::size_t index) {
    std::lock_guard<std::mutex> lock(mutex_);
    return index < lines_.size() ? lines_[index].at : 0;
  }
  double last_line_at() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_.empty() ? 0 : lines_.back().at;
  }

  // Everything it wrote to stderr.
  std::string stderr_all() const {
    std::string text;
    char buf[65536];
    off_t at = 0;
    ssize_t n;
    while ((n = ::pread(err_fd_, buf, sizeof buf, at)) > 0) {
      text.append(buf, static_cast<std::size_t>(n));
      at += n;
    }
    return text;
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

  struct rusage usage_ {};
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

// The program's standard input as the meter's line: a write blocks until the program has taken
// the bytes (a pipe has no line rate); bytes a program that closed its input cannot take are
// dropped (counted).
class PipeSink : public sim::Sink {
 public:
  PipeSink() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
    read_ = fds[0];
    write_ = fds[1];
    ::signal(SIGPIPE, SIG_IGN);  // a program that ends early is an EPIPE here, not our end
  }
  PipeSink(const PipeSink&) = delete;
  PipeSink& operator=(const PipeSink&) = delete;
  ~PipeSink() override {
    if (read_ >= 0) ::close(read_);
    close();
  }
  // The read end, for the program (its Child closes it here once the program has it).
  int release_read_end() { return std::exchange(read_, -1); }
  void write(std::span<const std::uint8_t> bytes) override {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = write_ < 0 ? -1 : ::write(write_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    written_ += done;
    dropped_ += bytes.size() - done;
  }
  std::string describe() const override { return "pipe"; }
  // End of input: the program reads EOF after the last byte, as from `cat capture | program`.
  void close() {
    if (write_ >= 0) ::close(std::exchange(write_, -1));
  }

 private:
  int read_ = -1, write_ = -1;
};

// The meter's line to the program: a pty it opens ({tty}), or a pipe on its standard input.
struct MeterLine {
  std::unique_ptr<sim::Sink> sink;
  std::string tty;    // the pty's path; "" for a pipe
  int stdin_fd = -1;  // a pipe's read end, for Program
};
inline MeterLine open_line(const DecoderCommand& d, const sim::SerialSettings& serial) {
  MeterLine line;
  if (!d.pipe) {
    line.sink = sim::open_pty(serial, "", &line.tty);
    return line;
  }
  auto pipe = std::make_unique<PipeSink>();
  line.stdin_fd = pipe->release_read_end();
  line.sink = std::move(pipe);
  return line;
}
// After the last byte: a pipe is closed (EOF), a pty stays open like a meter's port.
inline void end_of_input(MeterLine& line) {
  if (auto* pipe = dynamic_cast<PipeSink*>(line.sink.get())) pipe->close();
}
// Why bytes were dropped on the line, for a failure message.
inline std::string dropped_reason(const DecoderCommand& d) {
  return d.pipe ? "the decoder had closed its standard input"
                : "the decoder did not have the tty open";
}

// The placeholders of a command and of the adapter's environment.
struct Placeholders {
  std::map<std::string, std::string> values;
};

// The meter's: its profile name and family ("kaifa"), its line settings.
inline Placeholders placeholders(const DecoderCommand& d, const std::string& tty,
                                 const std::string& transport, const std::string& profile,
                                 const sim::SerialSettings& serial) {
  Placeholders p;
  p.values = {{"tty", tty},
              {"meterlab", d.self},
              {"transport", transport},
              {"profile", profile},
              {"family", profile.substr(0, profile.find('-'))},
              {"baud", std::to_string(serial.baud)},
              {"parity", std::string(1, serial.parity)},
              {"data_bits", std::to_string(serial.data_bits)},
              {"stop_bits", std::to_string(serial.stop_bits)}};
  return p;
}

// The environment: each adapter entry whose placeholders all have a value (a plain meter gets no
// key variables at all).
inline std::map<std::string, std::string> environment(const Adapter& a, const Placeholders& p) {
  std::map<std::string, std::string> env;
  for (const auto& [name, tmpl] : a.env) {
    try {
      env[name] = expand(tmpl, p.values, false);
    } catch (const std::runtime_error&) {
    }
  }
  return env;
}

// CPU seconds and peak RSS (KiB, summed) of every process in a process group, read from /proc
// while they run: a program of several processes (a script and its decoder) counts whole.
struct GroupUsage {
  double cpu_seconds = 0;
  long peak_rss_kib = 0;
};
GroupUsage group_usage(pid_t group);

// The program with what it needs around it: its run directory and files, and its output read
// where the adapter says.
class Program {
 public:
  // `stdin_fd`: the read end of the meter's pipe for a program that reads its standard input.
  Program(const DecoderCommand& d, Placeholders& ph, int stdin_fd = -1) {
    ph.values["run_dir"] = dir_.path().string();
    // A file is written whole: a meter without keys gets them empty (in env they are left out).
    std::map<std::string, std::string> file_values = ph.values;
    for (const char* k : {"key", "auth_key", "system_title"}) file_values.emplace(k, "");
    dir_.write_files(d.adapter.files, file_values);
    const OutputSpec& o = d.adapter.output;
    if (o.from == OutputSpec::From::file && o.absolute) dir_.lock(o.path);
    child_.emplace(expand(d.command, ph.values, true), environment(d.adapter, ph), stdin_fd);
    if (o.from == OutputSpec::From::stderr_) {
      tail_.emplace("/proc/self/fd/" + std::to_string(child_->stderr_fd()), false,
                    child_->started());
    } else if (o.from == OutputSpec::From::file) {
      tail_.emplace(dir_.resolve(o.path), o.rewrite, child_->started());
    }
  }
  Child& child() { return *child_; }
  pid_t pid() const { return child_->pid(); }
  double last_line_at() {
    return std::max(child_->last_line_at(), tail_ ? tail_->last_line_at() : 0.0);
  }
  // The lines its adapter reads from `index` on, so far.
  std::vector<TimedLine> output_from(std::size_t index) {
    return tail_ ? tail_->lines_from(index) : child_->lines_from(index);
  }
  // After the program stopped: the lines its adapter reads (its stdout is kept for --keep).
  std::vector<TimedLine> take_output() {
    stdout_ = child_->take_lines();
    if (!tail_) return stdout_;
    tail_->stop();
    return tail_->take_lines();
  }
  const std::vector<TimedLine>& stdout_lines() const { return stdout_; }
  const RunDir& dir() const { return dir_; }

 private:
  RunDir dir_;
  std::vector<TimedLine> stdout_;
  std::optional<Child> child_;
  std::optional<FileTail> tail_;
};

inline void add_keys(Placeholders& p, const std::optional<std::string>& ek,
                     const std::optional<std::string>& ak,
                     const std::optional<std::string>& title) {
  if (ek) p.values["key"] = *ek;
  if (ak) p.values["auth_key"] = *ak;
  if (title) p.values["system_title"] = *title;
}

// Starts the program and waits until it has the pty open.
inline std::optional<std::string> start(Child& child, sim::Sink& pty,
                                        std::chrono::milliseconds limit) {
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
inline std::vector<std::string> finish(Program& program, const DecoderCommand& d,
                                       double last_byte_at) {
  Child& child = program.child();
  std::vector<std::string> problems;
  const auto hard_end = Clock::now() + d.max_settle;
  const double settle = std::chrono::duration<double>(d.settle).count();
  while (Clock::now() < hard_end && child.running()) {
    const double quiet_since = std::max(last_byte_at, program.last_line_at());
    if (since(child.started()) - quiet_since >= settle) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!child.running()) {
    // A program reading a pipe ends at its EOF, with an exit status of its own choosing (meterlab
    // decode's says whether anything was rejected); only a signal is a crash there.
    if (d.pipe && WIFEXITED(*child.status())) return problems;
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

inline Placeholders scenario_placeholders(const DecoderCommand& d, const sim::Profile& p,
                                          const std::string& tty) {
  Placeholders ph =
      placeholders(d, tty, std::string(sim::framing_name(p.framing)), p.name, p.serial);
  if (p.security) {
    const auto& s = *p.security;
    add_keys(ph, to_hex(Bytes(s.ek.data(), s.ek.size())),
             s.ak ? std::optional(to_hex(Bytes(s.ak->data(), s.ak->size()))) : std::nullopt,
             to_hex(Bytes(s.system_title.data(), s.system_title.size())));
  }
  return ph;
}

}  // namespace meterlab::conformance::program
