// outputs.mqtt: telegrams to an MQTT broker through libmosquitto, whose own network thread
// (mosquitto_loop_start) does every socket operation and the reconnects with back-off. The read
// loop only builds messages and appends them to a bounded queue: it never waits for the broker.
//
// Threads: telegram()/tick()/close() run on the read loop; on_connect/on_disconnect/on_publish
// on libmosquitto's thread. mu_ guards the queue, the meters and the counters, and is never held
// while calling into libmosquitto (its callbacks hold its own locks and then take mu_).
#include <mosquitto.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#include "meterlab/reader/outputs.hpp"
#include "mqtt_topics.hpp"

namespace meterlab::reader {
namespace {

using mqtt::Config;
using mqtt::Message;

// Messages handed to libmosquitto and not yet sent (QoS 0) or acknowledged (QoS 1, 2): beyond
// this the rest wait in our own bounded queue, so a slow broker cannot grow memory without end.
constexpr std::uint64_t kMaxInFlight = 1000;
// A graceful close waits this long for the "offline" status even when its limit is spent.
constexpr std::chrono::milliseconds kOfflineGrace{200};

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string default_client_id() {
  std::array<char, 64> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return "meterlab-" + std::string(host.data()) + "-" + std::to_string(getpid());
}

// Telegrams without a meter id held until one with an id names the meter.
constexpr std::size_t kHoldAnonymous = 64;

struct Meter {
  mqtt::DeviceInfo device;
  mqtt::ReadingKeys keys;
  std::vector<Message> discovery;  // every config published so far, again after a reconnect
};

class MqttSink final : public Sink {
 public:
  MqttSink(Config cfg, mosquitto* mosq) : cfg_(std::move(cfg)), mosq_(mosq) {
    mosquitto_user_data_set(mosq_, this);
    mosquitto_connect_callback_set(mosq_, [](mosquitto*, void* self, int rc) {
      static_cast<MqttSink*>(self)->on_connect(rc);
    });
    mosquitto_disconnect_callback_set(mosq_, [](mosquitto*, void* self, int rc) {
      static_cast<MqttSink*>(self)->on_disconnect(rc);
    });
    mosquitto_publish_callback_set(
        mosq_, [](mosquitto*, void* self, int) { static_cast<MqttSink*>(self)->on_publish(); });
    // Failures that reach no callback (refused TCP, a TLS handshake that fails) are only logged.
    mosquitto_log_callback_set(mosq_, [](mosquitto*, void* self, int level, const char* text) {
      if (level == MOSQ_LOG_ERR) static_cast<MqttSink*>(self)->on_error(text);
    });
  }
  ~MqttSink() override {
    shutdown();
    mosquitto_destroy(mosq_);
  }
  MqttSink(const MqttSink&) = delete;
  MqttSink& operator=(const MqttSink&) = delete;

  std::string_view name() const noexcept override { return "mqtt"; }
  void telegram(const cosem::Telegram& t, const Received& r) override;
  void tick(SteadyClock::time_point) override { pump(); }
  void close(std::chrono::milliseconds limit) override;
  SinkStats stats() const override;

 private:
  struct Held {
    cosem::Telegram telegram;
    WallClock::time_point wall;
  };
  void flush_anonymous(const std::string& meter);
  void publish_telegram(const cosem::Telegram& t, WallClock::time_point wall,
                        const std::string& meter);
  void start(const std::string& meter);
  void enqueue(std::vector<Message> batch);
  bool publish(const Message& m);
  void pump(bool wait = true);
  void on_connect(int rc);
  void on_disconnect(int rc);
  void on_publish();
  void on_error(const char* text);
  bool drained();
  void wait_drained(SteadyClock::time_point deadline);
  void shutdown();
  std::string where() const { return cfg_.host + ":" + std::to_string(cfg_.port); }

  const Config cfg_;
  mosquitto* mosq_;
  std::thread starter_;  // connect_async resolves the host name: not on the read loop
  bool started_ = false;
  bool stopped_ = false;
  std::vector<Held> anonymous_;   // read loop only
  bool gave_up_waiting_ = false;  // read loop only: kHoldAnonymous telegrams went out unnamed
  std::atomic<bool> connected_{false};

  std::mutex pump_mu_;  // serialises pump(); taken before mu_, never inside it
  mutable std::mutex mu_;
  std::condition_variable progress_;
  std::map<std::string, Meter> meters_;
  std::deque<Message> queue_;
  bool ever_connected_ = false;
  std::uint64_t in_flight_ = 0;
  SinkStats stats_;
};

// A telegram whose input has not named its meter yet (list 1 of the Nordic meters, power only,
// before the first list 2) waits for the name (kHoldAnonymous at most, then they go out under
// kUnnamedMeter). The meter is the read loop's attribution (Received::meter), as for every output.
void MqttSink::telegram(const cosem::Telegram& t, const Received& r) {
  {
    std::lock_guard lock(mu_);
    ++stats_.telegrams;
  }
  const std::string meter = mqtt::topic_level(r.meter);
  if (!r.meter_named && !gave_up_waiting_) {
    anonymous_.push_back({t, r.wall});
    if (anonymous_.size() < kHoldAnonymous) return;
    gave_up_waiting_ = true;
    flush_anonymous(meter);
    return;
  }
  flush_anonymous(meter);
  publish_telegram(t, r.wall, meter);
}

void MqttSink::flush_anonymous(const std::string& meter) {
  for (const Held& h : anonymous_) publish_telegram(h.telegram, h.wall, meter);
  anonymous_.clear();
}

void MqttSink::publish_telegram(const cosem::Telegram& t, WallClock::time_point wall,
                                const std::string& meter) {
  std::vector<Message> batch;
  std::vector<std::string> keys;
  keys.reserve(t.readings.size());
  {
    std::lock_guard lock(mu_);
    auto [it, new_meter] = meters_.try_emplace(meter);
    Meter& m = it->second;
    m.device.merge(t);
    // A meter that appears while connected: its status now (on_connect says it for the others).
    if (new_meter && connected_) batch.push_back({mqtt::status_topic(cfg_, meter), "online", true});
    for (std::size_t i = 0; i < t.readings.size(); ++i) {
      // A code the telegram already gave (an entry of a P1 buffer or log) is history: the
      // topics carry the current value, the first one.
      if (repeats_code(t, i)) {
        keys.emplace_back();
        continue;
      }
      const cosem::Reading& reading = t.readings[i];
      auto [key, fresh] = m.keys.key(reading);
      if (fresh && cfg_.discovery) {
        Message d{mqtt::discovery_topic(cfg_, meter, key),
                  mqtt::discovery_payload(cfg_, m.device, meter, t, reading, key), true};
        m.discovery.push_back(d);
        // While away, the next connect publishes every config (on_connect): not queued twice.
        if (connected_) batch.push_back(std::move(d));
      }
      keys.push_back(std::move(key));
    }
  }
  batch.push_back({mqtt::state_topic(cfg_, meter),
                   mqtt::state_payload(t, Received{wall, ""}, meter, keys), cfg_.retain});
  for (std::size_t i = 0; i < t.readings.size(); ++i) {
    if (keys[i].empty()) continue;
    if (auto payload = mqtt::reading_payload(t, t.readings[i]))
      batch.push_back(
          {mqtt::reading_topic(cfg_, meter, keys[i]), std::move(*payload), cfg_.retain});
  }
  enqueue(std::move(batch));
  if (!started_) start(meter);
  pump();
}

// The first meter's status topic carries the Last Will (one connection has one will), so the
// connection starts with the first telegram.
void MqttSink::start(const std::string& meter) {
  started_ = true;
  const std::string will = mqtt::status_topic(cfg_, meter);
  mosquitto_will_set(mosq_, will.c_str(), 7, "offline", cfg_.qos, true);
  starter_ = std::thread([this] {
    const int rc = mosquitto_connect_async(mosq_, cfg_.host.c_str(), cfg_.port, cfg_.keepalive_s);
    if (rc != MOSQ_ERR_SUCCESS) {
      std::lock_guard lock(mu_);
      stats_.last_error = "cannot connect to " + where() + ": " + mosquitto_strerror(rc);
    }
    // The network thread retries a failed first connect with the same back-off as a lost one.
    mosquitto_loop_start(mosq_);
  });
}

// Oldest messages go first when the queue is full: the newest values matter most.
void MqttSink::enqueue(std::vector<Message> batch) {
  std::lock_guard lock(mu_);
  for (Message& m : batch) queue_.push_back(std::move(m));
  std::uint64_t dropped = 0;
  while (queue_.size() > cfg_.queue_size) {
    queue_.pop_front();
    ++dropped;
  }
  if (dropped > 0) {
    stats_.failed += dropped;
    stats_.last_error = "queue full (" + std::to_string(cfg_.queue_size) + " messages) while " +
                        where() + " is away: oldest dropped";
  }
}

// Hands one message to libmosquitto (which only queues it for its thread). Counts it in flight
// first: the publish callback may run before mosquitto_publish returns.
bool MqttSink::publish(const Message& m) {
  {
    std::lock_guard lock(mu_);
    ++in_flight_;
  }
  const int rc =
      mosquitto_publish(mosq_, nullptr, m.topic.c_str(), static_cast<int>(m.payload.size()),
                        m.payload.data(), cfg_.qos, m.retain);
  if (rc == MOSQ_ERR_SUCCESS) return true;
  std::lock_guard lock(mu_);
  --in_flight_;
  if (rc != MOSQ_ERR_NO_CONN) {
    stats_.last_error = std::string("publish to ") + where() + ": " + mosquitto_strerror(rc);
  }
  return false;
}

// One pump at a time keeps the messages in order. libmosquitto's thread only tries: when the
// read loop is pumping, it goes on until the queue is empty or the in-flight bound is reached
// (then the next publish callback or tick() resumes).
void MqttSink::pump(bool wait) {
  std::unique_lock order(pump_mu_, std::defer_lock);
  if (wait) {
    order.lock();
  } else if (!order.try_lock()) {
    return;
  }
  while (connected_) {
    std::vector<Message> batch;
    {
      std::lock_guard lock(mu_);
      while (!queue_.empty() && in_flight_ + batch.size() < kMaxInFlight && batch.size() < 256) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (batch.empty()) return;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (publish(batch[i])) continue;
      // Not connected after all: the rest goes back to the front, in order.
      std::lock_guard lock(mu_);
      for (std::size_t k = batch.size(); k > i; --k) queue_.push_front(std::move(batch[k - 1]));
      return;
    }
  }
}

// On libmosquitto's thread. Status, then every discovery config (Home Assistant may have lost
// them, or the broker its retained store), then what waited.
void MqttSink::on_connect(int rc) {
  if (rc != 0) {
    std::lock_guard lock(mu_);
    stats_.last_error =
        "broker " + where() + " refused the connection: " + mosquitto_connack_string(rc);
    return;
  }
  std::vector<Message> hello;
  {
    std::lock_guard lock(mu_);
    if (ever_connected_) ++stats_.reconnects;
    ever_connected_ = true;
    for (const auto& [meter, m] : meters_) {
      hello.push_back({mqtt::status_topic(cfg_, meter), "online", true});
      hello.insert(hello.end(), m.discovery.begin(), m.discovery.end());
    }
    // Under the lock that took the snapshot: a config made after it is queued by telegram().
    connected_ = true;
  }
  for (const Message& m : hello) publish(m);
  pump(false);
  progress_.notify_all();
}

// QoS 0 messages handed over and not yet written are gone with the connection (libmosquitto
// drops its packet queue on reconnect); QoS 1 and 2 ones it keeps and sends again.
void MqttSink::on_disconnect(int rc) {
  const bool was = connected_.exchange(false);
  std::lock_guard lock(mu_);
  if (cfg_.qos == 0) {
    stats_.failed += in_flight_;
    in_flight_ = 0;
  }
  if (rc != 0 && was) {
    stats_.last_error = "connection to " + where() + " lost: " + mosquitto_strerror(rc);
  }
  progress_.notify_all();
}

void MqttSink::on_publish() {
  {
    std::lock_guard lock(mu_);
    if (in_flight_ > 0) --in_flight_;
    ++stats_.delivered;
  }
  progress_.notify_all();
  pump(false);
}

void MqttSink::on_error(const char* text) {
  std::lock_guard lock(mu_);
  stats_.last_error = where() + ": " + text;
}

bool MqttSink::drained() {
  std::lock_guard lock(mu_);
  return queue_.empty() && in_flight_ == 0;
}

void MqttSink::wait_drained(SteadyClock::time_point deadline) {
  while (!drained() && SteadyClock::now() < deadline) {
    pump();
    std::unique_lock lock(mu_);
    progress_.wait_for(lock, std::chrono::milliseconds(20));
  }
}

void MqttSink::close(std::chrono::milliseconds limit) {
  if (stopped_) return;
  if (!anonymous_.empty()) flush_anonymous(std::string(kUnnamedMeter));
  const auto deadline = SteadyClock::now() + limit;
  if (started_) wait_drained(deadline);
  if (connected_) {
    std::vector<std::string> meters;
    {
      std::lock_guard lock(mu_);
      for (const auto& entry : meters_) meters.push_back(entry.first);
    }
    // A clean DISCONNECT suppresses the will: say "offline" ourselves.
    for (const std::string& m : meters) publish({mqtt::status_topic(cfg_, m), "offline", true});
    wait_drained(std::max(deadline, SteadyClock::now() + kOfflineGrace));
  }
  shutdown();
}

void MqttSink::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  if (starter_.joinable()) starter_.join();
  if (started_) {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
  }
  connected_ = false;
  std::lock_guard lock(mu_);
  stats_.failed += queue_.size() + in_flight_;
  queue_.clear();
  in_flight_ = 0;
}

SinkStats MqttSink::stats() const {
  std::lock_guard lock(mu_);
  SinkStats s = stats_;
  s.queued = queue_.size() + in_flight_;
  return s;
}

// Credentials and TLS are set before the first connect; a file TLS cannot use is a config error.
std::string configure(mosquitto* mosq, const Config& c) {
  mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_reconnect_delay_set(mosq, c.reconnect_delay_s, c.reconnect_delay_max_s, true);
  if (!c.username.empty()) {
    const char* pw = c.password.empty() ? nullptr : c.password.c_str();
    if (mosquitto_username_pw_set(mosq, c.username.c_str(), pw) != MOSQ_ERR_SUCCESS)
      return "outputs.mqtt.username: not accepted by libmosquitto";
  }
  if (c.tls.enabled()) {
    auto opt = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    const int rc = mosquitto_tls_set(mosq, c.tls.ca_file.c_str(), nullptr, opt(c.tls.cert_file),
                                     opt(c.tls.key_file), nullptr);
    if (rc != MOSQ_ERR_SUCCESS)
      return std::string("outputs.mqtt.tls: ") + mosquitto_strerror(rc) +
             " (ca_file, cert_file and key_file must be readable)";
    mosquitto_tls_insecure_set(mosq, c.tls.insecure);
  }
  return "";
}

}  // namespace

SinkOrError make_mqtt_sink(const nlohmann::json& cfg) {
  auto parsed = mqtt::parse_config(cfg, std::getenv("METERLAB_MQTT_PASSWORD"));
  if (!parsed.config) return {nullptr, parsed.error};
  Config& c = *parsed.config;
  if (c.client_id.empty()) c.client_id = default_client_id();
  init_library();
  mosquitto* mosq = mosquitto_new(c.client_id.c_str(), true, nullptr);
  if (mosq == nullptr) return {nullptr, "outputs.mqtt: libmosquitto could not make a client"};
  if (auto e = configure(mosq, c); !e.empty()) {
    mosquitto_destroy(mosq);
    return {nullptr, e};
  }
  return {std::make_unique<MqttSink>(std::move(c), mosq), ""};
}

}  // namespace meterlab::reader
