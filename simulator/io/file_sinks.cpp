// File and stdout sinks. Unlike a serial line these have a reader that wants every byte (a file,
// a pipe into `meterlab decode`), so write() waits for room instead of dropping: a slow pipe
// consumer slows the simulation down, it does not lose frames. Only a hard error (EPIPE with
// SIGPIPE ignored, ENOSPC, EIO) drops the rest of a write, counted in bytes_dropped().
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "fd.hpp"
#include "meterlab/sim/io.hpp"

namespace meterlab::sim {
namespace {

class FdSink final : public Sink {
 public:
  FdSink(detail::UniqueFd owned, int fd, std::string description)
      : owned_(std::move(owned)), fd_(fd), description_(std::move(description)) {}

  void write(std::span<const std::uint8_t> bytes) override {
    const std::size_t done = detail::write_all(fd_, bytes);
    written_ += done;
    dropped_ += bytes.size() - done;
  }

  std::string describe() const override { return description_; }

 private:
  detail::UniqueFd owned_;  // empty for stdout, which is not ours to close
  int fd_;
  std::string description_;
};

}  // namespace

std::unique_ptr<Sink> open_file(const std::string& path) {
  detail::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) detail::throw_errno("open " + path);
  const int raw = fd.get();
  return std::make_unique<FdSink>(std::move(fd), raw, "file " + path);
}

std::unique_ptr<Sink> open_stdout() {
  return std::make_unique<FdSink>(detail::UniqueFd{}, STDOUT_FILENO, "stdout");
}

}  // namespace meterlab::sim
