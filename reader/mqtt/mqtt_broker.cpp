// A real mosquitto broker and a subscriber for the MQTT tests.
#include "mqtt_broker.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace meterlab::reader::test {
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a = loopback(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::string broker_binary() {
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/bin/mosquitto"})
    if (access(p, X_OK) == 0) return p;
  return "";
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/meterlab-mqtt-XXXXXX";
  if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

std::string run_command(const std::string& cmd) {
  FILE* p = popen(("(" + cmd + ") 2>&1").c_str(), "r");
  if (p == nullptr) return "popen failed: " + cmd;
  std::string out;
  std::array<char, 256> buf{};
  while (fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) out += buf.data();
  const int status = pclose(p);
  if (status == 0) return "";
  return out.empty() ? "failed: " + cmd : out;
}

Broker::Broker(std::string listener_extra, bool allow_anonymous) : port_(free_port()) {
  // Run as whoever runs the test: mosquitto started as root would otherwise switch to the
  // `mosquitto` user and lose the temp dir (mode 0700).
  const passwd* pw = getpwuid(geteuid());
  std::ofstream conf(dir_.file("mosquitto.conf"));
  conf << "per_listener_settings false\n"
       << "persistence false\n"
       << "log_dest stderr\n"
       << "log_type error\nlog_type warning\nlog_type notice\n"
       << "user " << (pw != nullptr ? pw->pw_name : "root") << "\n"
       << "allow_anonymous " << (allow_anonymous ? "true" : "false") << "\n"
       << "listener " << port_ << " 127.0.0.1\n"
       << listener_extra << "\n";
}

Broker::~Broker() { stop(); }

bool Broker::start() {
  const std::string bin = broker_binary();
  if (bin.empty()) {
    error_ = "mosquitto not found (ci/setup installs the `mosquitto` package)";
    return false;
  }
  const std::string conf = dir_.file("mosquitto.conf");
  const std::string logf = dir_.file("broker.log");
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(logf.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(bin.c_str(), bin.c_str(), "-c", conf.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    if (accepts(port_)) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "mosquitto exited at start: " + log();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  error_ =
      "mosquitto not listening on 127.0.0.1:" + std::to_string(port_) + " after 10 s: " + log();
  stop();
  return false;
}

void Broker::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void Broker::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill();
}

std::string Broker::log() const {
  std::ifstream in(dir_.file("broker.log"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Subscriber::Subscriber(int port, std::string filter, ClientOptions opt)
    : filter_(std::move(filter)) {
  mosquitto_lib_init();
  mosq_ = mosquitto_new(nullptr, true, this);
  mosquitto_connect_callback_set(mosq_, &Subscriber::on_connect);
  mosquitto_subscribe_callback_set(mosq_, &Subscriber::on_subscribe);
  mosquitto_message_callback_set(mosq_, &Subscriber::on_message);
  if (!opt.username.empty())
    mosquitto_username_pw_set(mosq_, opt.username.c_str(), opt.password.c_str());
  if (!opt.ca_file.empty())
    mosquitto_tls_set(mosq_, opt.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr);
  mosquitto_connect_async(mosq_, "127.0.0.1", port, 30);
  mosquitto_loop_start(mosq_);
}

Subscriber::~Subscriber() {
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, false);
  mosquitto_destroy(mosq_);
}

void Subscriber::on_connect(mosquitto* m, void* self, int rc) {
  auto* s = static_cast<Subscriber*>(self);
  if (rc == 0) mosquitto_subscribe(m, nullptr, s->filter_.c_str(), 1);
}

void Subscriber::on_subscribe(mosquitto*, void* self, int, int, const int*) {
  auto* s = static_cast<Subscriber*>(self);
  std::lock_guard lock(s->mu_);
  s->subscribed_ = true;
  s->cv_.notify_all();
}

void Subscriber::on_message(mosquitto*, void* self, const mosquitto_message* msg) {
  auto* s = static_cast<Subscriber*>(self);
  std::lock_guard lock(s->mu_);
  s->msgs_.push_back({msg->topic,
                      std::string(static_cast<const char*>(msg->payload),
                                  static_cast<std::size_t>(msg->payloadlen)),
                      msg->retain});
  s->cv_.notify_all();
}

bool Subscriber::ready(std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return subscribed_; });
}

std::vector<Msg> Subscriber::messages() const {
  std::lock_guard lock(mu_);
  return msgs_;
}

bool Subscriber::wait_for(const std::function<bool(const std::vector<Msg>&)>& pred,
                          std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return pred(msgs_); });
}

Msg Subscriber::last(const std::string& topic) const {
  std::lock_guard lock(mu_);
  for (auto it = msgs_.rbegin(); it != msgs_.rend(); ++it)
    if (it->topic == topic) return *it;
  return {};
}

}  // namespace meterlab::reader::test
