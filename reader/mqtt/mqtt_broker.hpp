// Test fixtures for the MQTT output: a real mosquitto broker on 127.0.0.1 (a free port, a temp
// dir, started and always stopped by the test) and a libmosquitto subscriber that records what
// it receives. Nothing here reaches any other address.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

struct mosquitto;
struct mosquitto_message;

namespace meterlab::reader::test {

// A directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const noexcept { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A port on 127.0.0.1 nobody listens on right now.
int free_port();
// Runs a shell command, "" when it exits 0, else its output.
std::string run_command(const std::string& cmd);

class Broker {
 public:
  // `listener_extra`: config lines for the listener (password_file, cafile, ...). start()
  // must be called; errors are in error().
  explicit Broker(std::string listener_extra = "", bool allow_anonymous = true);
  ~Broker();  // stops the broker whatever happened
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  bool start();  // (re)starts on the same port; false (and error()) when it is not ready in 10 s
  void kill();   // SIGKILL: the broker vanishes without a word, as a crash or power loss does
  void stop();   // SIGTERM, then SIGKILL after 5 s
  int port() const noexcept { return port_; }
  const TempDir& dir() const noexcept { return dir_; }
  const std::string& error() const noexcept { return error_; }
  std::string log() const;

 private:
  TempDir dir_;
  int port_;
  pid_t pid_ = -1;
  std::string error_;
};

struct Msg {
  std::string topic;
  std::string payload;
  bool retain = false;
};

struct ClientOptions {
  std::string username;
  std::string password;
  std::string ca_file;  // TLS when set
};

// Subscribes to `filter` and keeps every message. Waits are bounded.
class Subscriber {
 public:
  Subscriber(int port, std::string filter = "#", ClientOptions opt = {});
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  bool ready(std::chrono::milliseconds limit = std::chrono::seconds(10));
  std::vector<Msg> messages() const;
  // True when `pred` holds for the messages within `limit`.
  bool wait_for(const std::function<bool(const std::vector<Msg>&)>& pred,
                std::chrono::milliseconds limit);
  // The last message on `topic` (empty topic when none).
  Msg last(const std::string& topic) const;

 private:
  static void on_connect(mosquitto* m, void* self, int rc);
  static void on_subscribe(mosquitto* m, void* self, int mid, int n, const int* granted);
  static void on_message(mosquitto* m, void* self, const ::mosquitto_message* msg);

  mosquitto* mosq_ = nullptr;
  std::string filter_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool subscribed_ = false;
  std::vector<Msg> msgs_;
};

}  // namespace meterlab::reader::test
