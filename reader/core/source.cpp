// The sources: serial device or pty, TCP client, file, stdin. Non-blocking descriptors; the
// read loop polls them.
#include "meterlab/reader/source.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace meterlab::reader {
namespace {

constexpr int kConnectTimeoutMs = 5000;

std::string errno_text(int e) { return std::strerror(e); }

// What every descriptor-backed source shares: one fd, closed on close().
class FdSource : public Source {
 public:
  explicit FdSource(std::string name) : Source(std::move(name)) {}
  ~FdSource() override { FdSource::close(); }
  void close() noexcept override {
    if (fd_ >= 0 && fd_ != STDIN_FILENO) ::close(fd_);
    fd_ = -1;
  }
  int fd() const noexcept override { return fd_; }
  ReadOutcome read(std::span<std::uint8_t> buf) override {
    ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n > 0) return {ReadOutcome::Kind::data, static_cast<std::size_t>(n), {}};
    if (n == 0) return at_zero();
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {};
    return on_error(errno);
  }

 protected:
  // A read of 0 bytes: EOF for files and sockets; for a tty in VMIN = VTIME = 0 mode it also
  // means "nothing now" (the loop looks at POLLHUP to tell a hang-up).
  virtual ReadOutcome at_zero() { return {ReadOutcome::Kind::end, 0, {}}; }
  virtual ReadOutcome on_error(int e) { return {ReadOutcome::Kind::lost, 0, errno_text(e)}; }
  int fd_ = -1;
};

class SerialSource final : public FdSource {
 public:
  SerialSource(std::string path, LineSettings line) : FdSource(path), line_(line) {}
  std::string open() override {
    close();
    const char* path = name().c_str();
    fd_ = ::open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0 && errno == EACCES)
      fd_ = ::open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) return "cannot open " + name() + ": " + errno_text(errno);
    tty_ = ::isatty(fd_) != 0;
    if (!tty_) return {};  // a character device that is not a line: read as is, 0 is its end
    if (auto err = apply_line_settings(fd_, line_)) {
      close();
      return name() + ": " + *err;
    }
    return {};
  }
  bool reopenable() const noexcept override { return true; }
  SourceKind kind() const noexcept override { return SourceKind::serial; }

 protected:
  ReadOutcome at_zero() override {
    return tty_ ? ReadOutcome{} : ReadOutcome{ReadOutcome::Kind::end, 0, {}};
  }

 private:
  LineSettings line_;
  bool tty_ = false;
};

class FileSource final : public FdSource {
 public:
  explicit FileSource(std::string path) : FdSource(std::move(path)) {}
  std::string open() override {
    close();
    // Blocking open: a FIFO waits for its writer (its reads only follow a poll, so never block).
    fd_ = ::open(name().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return "cannot open " + name() + ": " + errno_text(errno);
    return {};
  }
  bool reopenable() const noexcept override { return false; }
  SourceKind kind() const noexcept override { return SourceKind::file; }

 protected:
  // A file's read error ends it; a tty given as stdin hangs up with EIO: also the end.
  ReadOutcome on_error(int e) override { return {ReadOutcome::Kind::end, 0, errno_text(e)}; }
};

class StdinSource final : public FdSource {
 public:
  StdinSource() : FdSource("-") {}
  std::string open() override {
    fd_ = STDIN_FILENO;
    return {};
  }
  bool reopenable() const noexcept override { return false; }
  SourceKind kind() const noexcept override { return SourceKind::stdin_stream; }

 protected:
  ReadOutcome on_error(int e) override { return {ReadOutcome::Kind::end, 0, errno_text(e)}; }
};

// Waits for a non-blocking connect to finish; 0 or the errno.
int finish_connect(int fd) {
  pollfd p{fd, POLLOUT, 0};
  int r = ::poll(&p, 1, kConnectTimeoutMs);
  if (r == 0) return ETIMEDOUT;
  if (r < 0) return errno;
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

class TcpSource final : public FdSource {
 public:
  TcpSource(std::string device, TcpAddress addr)
      : FdSource(std::move(device)), addr_(std::move(addr)) {}
  std::string open() override {
    close();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    const std::string port = std::to_string(addr_.port);
    if (int rc = ::getaddrinfo(addr_.host.c_str(), port.c_str(), &hints, &list); rc != 0) {
      return "cannot resolve " + addr_.host + ": " + ::gai_strerror(rc);
    }
    std::string why = "no address";
    for (addrinfo* a = list; a != nullptr && fd_ < 0; a = a->ai_next) why = connect_one(*a);
    ::freeaddrinfo(list);
    return fd_ >= 0 ? std::string() : "cannot connect to " + name() + ": " + why;
  }
  bool reopenable() const noexcept override { return true; }
  SourceKind kind() const noexcept override { return SourceKind::tcp; }

 protected:
  ReadOutcome at_zero() override { return {ReadOutcome::Kind::lost, 0, "closed by the peer"}; }

 private:
  std::string connect_one(const addrinfo& a) {
    int fd = ::socket(a.ai_family, a.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a.ai_protocol);
    if (fd < 0) return errno_text(errno);
    int err = ::connect(fd, a.ai_addr, a.ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) err = finish_connect(fd);
    if (err != 0) {
      ::close(fd);
      return errno_text(err);
    }
    fd_ = fd;
    return {};
  }
  TcpAddress addr_;
};

}  // namespace

std::string_view source_kind_name(SourceKind k) noexcept {
  switch (k) {
    case SourceKind::serial:
      return "serial";
    case SourceKind::tcp:
      return "tcp";
    case SourceKind::file:
      return "file";
    case SourceKind::stdin_stream:
      return "stdin";
  }
  return "?";
}

std::optional<TcpAddress> parse_tcp_address(std::string_view device) {
  constexpr std::string_view kScheme = "tcp://";
  if (device.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  std::string_view rest = device.substr(kScheme.size());
  std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = rest.substr(0, colon);
  std::string_view port = rest.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned value = 0;
  auto res = std::from_chars(port.data(), port.data() + port.size(), value);
  if (res.ec != std::errc() || res.ptr != port.data() + port.size() || value == 0 ||
      value > 65535) {
    return std::nullopt;
  }
  return TcpAddress{std::string(host), static_cast<std::uint16_t>(value)};
}

std::unique_ptr<Source> make_source(const InputConfig& in) {
  if (in.device == "-") return std::make_unique<StdinSource>();
  if (auto addr = parse_tcp_address(in.device))
    return std::make_unique<TcpSource>(in.device, *addr);
  struct stat st {};
  bool device =
      ::stat(in.device.c_str(), &st) == 0 ? S_ISCHR(st.st_mode) : in.device.rfind("/dev/", 0) == 0;
  if (device) return std::make_unique<SerialSource>(in.device, in.line);
  return std::make_unique<FileSource>(in.device);
}

}  // namespace meterlab::reader
