#include "run_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace meterlab::conformance {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Written with mode 600 from the start: the contents may hold keys.
void write_private(const fs::path& p, const std::string& contents) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + p.string() + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (done != contents.size()) throw std::runtime_error("cannot write " + p.string());
}

}  // namespace

RunDir::RunDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string name = std::string(tmp && *tmp ? tmp : "/tmp") + "/meterlab-run-XXXXXX";
  if (!::mkdtemp(name.data()))
    throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
  dir_ = name;
}

RunDir::~RunDir() {
  std::error_code ec;
  for (const fs::path& p : written_) fs::remove(p, ec);
  for (const auto& [p, contents] : saved_) {
    try {
      write_private(p, contents);
    } catch (const std::runtime_error&) {
    }
  }
  fs::remove_all(dir_, ec);
  for (int fd : locks_) ::close(fd);  // closing drops the flock
}

fs::path RunDir::resolve(const std::string& p) const {
  const fs::path fp(p);
  return fp.is_absolute() ? fp : dir_ / fp;
}

void RunDir::lock(const fs::path& absolute_path) {
  const std::size_t h = std::hash<std::string>{}(absolute_path.lexically_normal().string());
  const std::string name = "/tmp/meterlab-conform-" + std::to_string(h) + ".lock";
  const int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot lock " + absolute_path.string());
  while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
  }
  locks_.push_back(fd);
}

void RunDir::write_files(const std::vector<FileSpec>& files,
                         const std::map<std::string, std::string>& values) {
  for (const FileSpec& f : files) {
    const fs::path p = resolve(f.path);
    if (f.absolute) {
      lock(p);
      if (fs::exists(p)) saved_.emplace_back(p, read_all(p));
    }
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    write_private(p, expand(f.contents, values, false));
    written_.push_back(p);
  }
}

FileTail::FileTail(fs::path file, bool rewrite, Clock::time_point t0)
    : file_(std::move(file)), rewrite_(rewrite), t0_(t0) {
  thread_ = std::thread([this] {
    while (!stop_) {
      poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    poll();
  });
}

FileTail::~FileTail() { stop(); }

void FileTail::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (!partial_.empty()) push(std::exchange(partial_, {}));
}

double FileTail::last_line_at() {
  std::lock_guard<std::mutex> lock(mutex_);
  return lines_.empty() ? 0 : lines_.back().at;
}

std::vector<TimedLine> FileTail::take_lines() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::move(lines_);
}

std::vector<TimedLine> FileTail::lines_from(std::size_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (index >= lines_.size()) return {};
  return {lines_.begin() + static_cast<std::ptrdiff_t>(index), lines_.end()};
}

void FileTail::push(std::string text, bool boundary) {
  if (!text.empty() && text.back() == '\r') text.pop_back();
  const double at = std::chrono::duration<double>(Clock::now() - t0_).count();
  std::lock_guard<std::mutex> lock(mutex_);
  lines_.push_back({at, std::move(text), boundary});
}

void FileTail::poll() {
  if (rewrite_) {
    poll_rewrite();
  } else {
    poll_append();
  }
}

// New bytes since the last look; a file truncated or replaced is read from its start again.
void FileTail::poll_append() {
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0) return;
  const auto size = static_cast<std::uintmax_t>(st.st_size);
  if (st.st_ino != ino_ || size < pos_) pos_ = 0, ino_ = st.st_ino;
  if (size == pos_) return;
  std::ifstream in(file_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(pos_));
  std::string chunk(size - pos_, '\0');
  in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<std::size_t>(in.gcount()));
  pos_ += chunk.size();
  partial_ += chunk;
  std::size_t nl;
  while ((nl = partial_.find('\n')) != std::string::npos) {
    push(partial_.substr(0, nl));
    partial_.erase(0, nl + 1);
  }
}

// The whole file each time it is written (a new inode or modification time): its lines, then a
// boundary (one telegram a version, even when it says what the last one said).
void FileTail::poll_rewrite() {
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0 || st.st_size == 0) return;
  const auto stamp = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000u +
                     static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
  if (st.st_ino == ino_ && stamp == stamp_) return;
  ino_ = st.st_ino;
  stamp_ = stamp;
  std::istringstream in(read_all(file_));
  for (std::string line; std::getline(in, line);) push(line);
  push("", true);
}

}  // namespace meterlab::conformance
