// A tiny HTTP/1.1 server on 127.0.0.1 for the InfluxDB output's tests: it records every request
// (method, target, headers, body) and answers each with the next scripted status (then the
// default), one request per connection. Stands in for an InfluxDB 2 (Debian has none), and for
// a server failing on purpose.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace meterlab::reader::test {

struct HttpRequest {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

class HttpRecorder {
 public:
  // `port` 0: any free port. `silent`: accept but never answer (a hung server).
  explicit HttpRecorder(int port = 0, int default_status = 204, bool silent = false)
      : default_status_(default_status), silent_(silent) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    socklen_t len = sizeof a;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~HttpRecorder() {
    stop_ = true;
    thread_.join();
    for (int c : held_) ::close(c);
    ::close(fd_);
  }
  HttpRecorder(const HttpRecorder&) = delete;
  HttpRecorder& operator=(const HttpRecorder&) = delete;

  int port() const noexcept { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The next answers, in order, before the default (status, body).
  void script(std::vector<std::pair<int, std::string>> answers) {
    std::lock_guard lock(mu_);
    for (auto& a : answers) script_.push_back(std::move(a));
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      serve(c);
    }
  }

  // Reads one request (headers, then Content-Length bytes); false on a short read.
  static bool read_request(int c, HttpRequest& req) {
    std::string data;
    char buf[4096];
    std::size_t head_end = std::string::npos;
    std::size_t need = 0;
    for (;;) {
      if (head_end == std::string::npos &&
          (head_end = data.find("\r\n\r\n")) != std::string::npos) {
        parse_head(data.substr(0, head_end), req);
        auto it = req.headers.find("content-length");
        need = head_end + 4 + (it == req.headers.end() ? 0 : std::stoul(it->second));
      }
      if (head_end != std::string::npos && data.size() >= need) break;
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return false;
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) return false;
      data.append(buf, static_cast<std::size_t>(n));
    }
    req.body = data.substr(head_end + 4, need - head_end - 4);
    return true;
  }

  static void parse_head(const std::string& head, HttpRequest& req) {
    std::size_t line_end = head.find("\r\n");
    const std::string first = head.substr(0, line_end);
    const std::size_t sp1 = first.find(' '), sp2 = first.rfind(' ');
    req.method = first.substr(0, sp1);
    req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    while (line_end != std::string::npos && line_end < head.size()) {
      const std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line =
          head.substr(start, line_end == std::string::npos ? head.npos : line_end - start);
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      req.headers[name] = line.substr(v);
    }
  }

  void serve(int c) {
    HttpRequest req;
    if (!read_request(c, req)) {
      ::close(c);
      return;
    }
    std::pair<int, std::string> answer{default_status_, ""};
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
      if (!script_.empty()) {
        answer = script_.front();
        script_.pop_front();
      }
    }
    if (silent_) {
      held_.push_back(c);  // never answered; closed when the recorder goes
      return;
    }
    const std::string reply = "HTTP/1.1 " + std::to_string(answer.first) +
                              " X\r\nContent-Length: " + std::to_string(answer.second.size()) +
                              "\r\nConnection: close\r\n\r\n" + answer.second;
    (void)!::write(c, reply.data(), reply.size());
    ::close(c);
  }

  int fd_ = -1;
  int port_ = 0;
  int default_status_;
  bool silent_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::deque<std::pair<int, std::string>> script_;
  std::vector<HttpRequest> requests_;
  std::vector<int> held_;
};

}  // namespace meterlab::reader::test
