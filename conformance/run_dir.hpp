// What a program under test needs around it: a private run directory with the files its adapter
// declares (mode 600, removed afterwards; an absolute path held under a lock so two runs never
// share it at once), and its output read from a file it writes (or its stderr) line by line, each
// line timed as it appears.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapter.hpp"

namespace meterlab::conformance {

// One output line with the time it arrived (seconds since the decoder started). `boundary`: a
// rewritten file's content ended here (no text).
struct TimedLine {
  double at = 0;
  std::string text;
  bool boundary = false;
};

class RunDir {
 public:
  RunDir();  // a new directory under $TMPDIR (or /tmp), mode 700
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  ~RunDir();  // removes what it wrote, restores what an absolute path held before, unlocks
  const std::filesystem::path& path() const { return dir_; }
  // An adapter path: absolute as it is, else inside the run directory.
  std::filesystem::path resolve(const std::string& p) const;
  // Until the run ends, no other run may use this absolute path (waits for one that does).
  void lock(const std::filesystem::path& absolute_path);
  // Writes each file from its template (mode 600). Throws std::runtime_error when one cannot be.
  void write_files(const std::vector<FileSpec>& files,
                   const std::map<std::string, std::string>& values);
  // The files it wrote (absolute paths among them).
  const std::vector<std::filesystem::path>& written() const { return written_; }

 private:
  std::filesystem::path dir_;
  std::vector<int> locks_;
  std::vector<std::filesystem::path> written_;
  std::vector<std::pair<std::filesystem::path, std::string>> saved_;  // what was there before
};

// Follows a file as the program writes it: appended lines, or (rewrite) the whole file each time
// it changes, followed by a boundary. Polls every 10 ms on its own thread.
class FileTail {
 public:
  using Clock = std::chrono::steady_clock;
  FileTail(std::filesystem::path file, bool rewrite, Clock::time_point t0);
  FileTail(const FileTail&) = delete;
  FileTail& operator=(const FileTail&) = delete;
  ~FileTail();
  void stop();  // a last look at the file, then the thread ends
  double last_line_at();
  std::vector<TimedLine> take_lines();                   // after stop()
  std::vector<TimedLine> lines_from(std::size_t index);  // so far, a copy

 private:
  void poll();
  void poll_append();
  void poll_rewrite();
  void push(std::string text, bool boundary = false);

  std::filesystem::path file_;
  bool rewrite_;
  Clock::time_point t0_;
  std::uintmax_t pos_ = 0;
  std::uint64_t ino_ = 0;
  std::string partial_;
  std::uint64_t stamp_ = 0;  // rewrite: the modification time seen last, in ns
  std::mutex mutex_;
  std::vector<TimedLine> lines_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace meterlab::conformance
