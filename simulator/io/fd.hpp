// Small POSIX helpers shared by the sinks: an owning file descriptor and errno as an exception
// (setup errors only; write paths never throw).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace meterlab::sim::detail {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept;
  void reset() noexcept;

 private:
  int fd_ = -1;
};

// Throws std::system_error with the current errno and "what: detail".
[[noreturn]] void throw_errno(const std::string& what);

// Writes all of `bytes` to a blocking (or EAGAIN-prone) descriptor, waiting with poll() when it
// is full. Returns how many bytes went out before a hard error (EPIPE, EIO, ENOSPC ...).
std::size_t write_all(int fd, std::span<const std::uint8_t> bytes) noexcept;

}  // namespace meterlab::sim::detail
