// A TCP listener on 127.0.0.1 that sends the stream to every connected client.
//
// Everything happens inside write() (and connected()), without threads: pending connections are
// accepted (the listener is non-blocking), clients that hung up are closed (a readable socket
// whose recv() returns 0 or an error; what clients send is read and discarded), then each client
// gets the bytes with a non-blocking send(). What a slow client's socket buffer cannot take is
// lost for that client, as on a serial line; a client that fails is dropped. MSG_NOSIGNAL keeps
// a client that vanished from raising SIGPIPE in the simulator.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fd.hpp"
#include "meterlab/sim/io.hpp"

namespace meterlab::sim {
namespace {

constexpr int kBacklog = 16;

class TcpSink final : public Sink {
 public:
  TcpSink(detail::UniqueFd listener, std::uint16_t port)
      : listener_(std::move(listener)), port_(port) {}

  void write(std::span<const std::uint8_t> bytes) override {
    refresh_clients();
    std::size_t most = 0;  // the longest prefix some client took
    for (auto it = clients_.begin(); it != clients_.end();) {
      const std::optional<std::size_t> sent = send_some(it->get(), bytes);
      if (!sent) {
        it = clients_.erase(it);
        continue;
      }
      most = std::max(most, *sent);
      ++it;
    }
    written_ += most;
    dropped_ += bytes.size() - most;
  }

  bool connected() override {
    refresh_clients();
    return !clients_.empty();
  }

  std::string describe() const override { return "tcp 127.0.0.1:" + std::to_string(port_); }

 private:
  void refresh_clients() {
    accept_pending();
    std::erase_if(clients_, [](const detail::UniqueFd& c) { return hung_up(c.get()); });
  }

  void accept_pending() {
    for (;;) {
      detail::UniqueFd c(
          ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!c) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;  // EAGAIN: none pending (other errors: try again on the next write)
      }
      // Pacing sends slices of a few bytes every 10 ms: Nagle's algorithm would bunch them up.
      const int one = 1;
      ::setsockopt(c.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      clients_.push_back(std::move(c));
    }
  }

  // True when the client closed its end or the connection failed; data it sent is discarded.
  static bool hung_up(int fd) {
    std::array<std::uint8_t, 1024> buf{};
    for (;;) {
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n > 0) continue;
      if (n == 0) return true;
      if (errno == EINTR) continue;
      return errno != EAGAIN && errno != EWOULDBLOCK;
    }
  }

  // How much of `bytes` the client's socket took; nullopt when the connection is broken.
  static std::optional<std::size_t> send_some(int fd, std::span<const std::uint8_t> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n =
          ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      } else {
        return std::nullopt;  // EPIPE, ECONNRESET ...
      }
    }
    return done;
  }

  detail::UniqueFd listener_;
  std::uint16_t port_;
  std::vector<detail::UniqueFd> clients_;
};

}  // namespace

std::unique_ptr<Sink> open_tcp(std::uint16_t port, std::uint16_t* bound_port) {
  detail::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) detail::throw_errno("socket");
  const int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    detail::throw_errno("setsockopt SO_REUSEADDR");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only: the meter is not for the LAN
  socklen_t len = sizeof addr;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
    detail::throw_errno("bind 127.0.0.1:" + std::to_string(port));
  }
  if (::listen(fd.get(), kBacklog) != 0) detail::throw_errno("listen");
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    detail::throw_errno("getsockname");
  }
  const std::uint16_t bound = ntohs(addr.sin_port);
  if (bound_port != nullptr) *bound_port = bound;
  return std::make_unique<TcpSink>(std::move(fd), bound);
}

}  // namespace meterlab::sim
