// outputs.influxdb: readings as line protocol over HTTP (libcurl), InfluxDB 1.x `/write` or
// 2.x `/api/v2/write`, in batches sent by a worker thread (BatchWorker), so telegram() never
// waits for the network. 5xx, 429 and connection errors are retried with back-off; other 4xx
// (bad request, bad credentials) give the batch up at once, its reason in last_error.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "batch_worker.hpp"
#include "line_protocol.hpp"
#include "meterlab/reader/outputs.hpp"
#include "sink_config.hpp"

namespace meterlab::reader {
namespace {

using detail::BatchOptions;
using detail::SendOutcome;

struct InfluxConfig {
  std::string url;  // base, no trailing '/'
  int version = 1;
  std::string database, username, password, org, bucket, token;
  std::string measurement = "meterlab";
  influx::Tags tags;
  BatchOptions batch;
  long timeout_ms = 10000;
};

// A secret from the config, else from the environment variable `env`.
std::string secret(detail::ConfigReader& c, const char* key, const char* env) {
  std::string v = c.text(key, "");
  if (v.empty()) {
    if (const char* e = std::getenv(env)) v = e;
  }
  return v;
}

void read_tags(detail::ConfigReader& c, InfluxConfig& out) {
  const nlohmann::json* tags = c.object("tags");
  if (tags == nullptr) return;
  for (const auto& item : tags->items()) {
    const std::string& k = item.key();
    if (k.empty() || k == "meter" || k == "obis" || k == "name" || k == "unit") {
      c.fail("tags." + k, "reserved or empty tag key (meter, obis, name, unit are set per reading)");
    } else if (!item.value().is_string() || item.value().get<std::string>().empty()) {
      c.fail("tags." + k, "must be a non-empty string");
    } else {
      out.tags.emplace_back(k, item.value().get<std::string>());
    }
  }
}

void read_batch(detail::ConfigReader& c, BatchOptions& b) {
  b.batch_size = static_cast<std::size_t>(c.integer("batch_size", 500, 1, 100000));
  b.flush_interval = std::chrono::milliseconds(c.integer("flush_interval_ms", 1000, 0, 3600000));
  b.retries = static_cast<int>(c.integer("retries", 5, 0, 1000));
  b.max_queue = static_cast<std::size_t>(c.integer("max_queue", 100000, 1, 10000000));
  b.backoff_initial = std::chrono::milliseconds(c.integer("backoff_initial_ms", 500, 1, 3600000));
  b.backoff_max = std::chrono::milliseconds(c.integer("backoff_max_ms", 30000, 1, 3600000));
}

// The URL must be http(s) and carry no credentials (they would end up in error messages).
void check_url(detail::ConfigReader& c, std::string& url) {
  const bool http = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  const std::size_t host = url.find("//") + 2;
  const std::size_t end = url.find_first_of("/?#", host);
  const std::string authority = url.substr(host, end == std::string::npos ? url.npos : end - host);
  if (!http || authority.empty()) {
    c.fail("url", "must be http://HOST[:PORT] or https://HOST[:PORT]");
  } else if (authority.find('@') != std::string::npos) {
    c.fail("url", "must not contain credentials (use username/password or token)");
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
}

std::string read_config(const nlohmann::json& cfg, InfluxConfig& out) {
  detail::ConfigReader c(cfg, "outputs.influxdb");
  c.only({"url", "version", "database", "username", "password", "org", "bucket", "token",
          "measurement", "tags", "batch_size", "flush_interval_ms", "retries", "max_queue",
          "backoff_initial_ms", "backoff_max_ms", "timeout_ms"});
  out.url = c.text("url", "http://127.0.0.1:8086");
  check_url(c, out.url);
  out.version = static_cast<int>(c.integer("version", 1, 1, 2));
  out.database = c.text("database", "meters");
  out.username = c.text("username", "");
  out.password = secret(c, "password", "METERLAB_INFLUX_PASSWORD");
  out.org = c.text("org", "");
  out.bucket = c.text("bucket", "");
  out.token = secret(c, "token", "METERLAB_INFLUX_TOKEN");
  out.measurement = c.text("measurement", "meterlab");
  if (out.measurement.empty()) c.fail("measurement", "must not be empty");
  read_tags(c, out);
  read_batch(c, out.batch);
  out.timeout_ms = static_cast<long>(c.integer("timeout_ms", 10000, 100, 600000));
  if (out.version == 1 && out.database.empty()) c.fail("database", "needed for version 1");
  if (out.version == 2 && (out.org.empty() || out.bucket.empty())) {
    c.fail(out.org.empty() ? "org" : "bucket", "needed for version 2");
  }
  if (out.version == 2 && out.token.empty()) {
    c.fail("token", "needed for version 2 (or METERLAB_INFLUX_TOKEN)");
  }
  return c.error();
}

std::string escaped(CURL* curl, const std::string& s) {
  char* e = curl_easy_escape(curl, s.c_str(), static_cast<int>(s.size()));
  std::string out = e != nullptr ? e : "";
  curl_free(e);
  return out;
}

std::size_t keep_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t len = size * n;
  // Only the start of an error body is kept for last_error.
  body->append(data, std::min(len, body->size() < 300 ? 300 - body->size() : std::size_t{0}));
  return len;
}

class InfluxSink final : public Sink {
 public:
  explicit InfluxSink(InfluxConfig cfg) : cfg_(std::move(cfg)), curl_(curl_easy_init(), &curl_easy_cleanup) {
    setup();
    worker_ = std::make_unique<detail::BatchWorker<std::string>>(
        cfg_.batch, [this](const std::vector<std::string>& batch, std::string& error) {
          return send(batch, error);
        });
  }
  ~InfluxSink() override {
    worker_->close(std::chrono::milliseconds(0));  // joins the thread before the handle it uses goes
    if (headers_ != nullptr) curl_slist_free_all(headers_);
  }

  std::string_view name() const noexcept override { return "influxdb"; }

  void telegram(const cosem::Telegram& t, const Received& r) override {
    worker_->telegram_seen();
    const std::string_view meter = meter_.of(t);
    for (const cosem::Reading& reading : t.readings) {
      std::string line = influx::point(cfg_.measurement, cfg_.tags, meter, t, reading, r);
      if (!line.empty()) worker_->push(std::move(line));
    }
  }

  void close(std::chrono::milliseconds limit) override { worker_->close(limit); }
  SinkStats stats() const override { return worker_->stats(); }

 private:
  void setup() {
    CURL* c = curl_.get();
    endpoint_ = cfg_.version == 1
                    ? cfg_.url + "/write?db=" + escaped(c, cfg_.database) + "&precision=ms"
                    : cfg_.url + "/api/v2/write?org=" + escaped(c, cfg_.org) +
                          "&bucket=" + escaped(c, cfg_.bucket) + "&precision=ms";
    headers_ = curl_slist_append(headers_, "Content-Type: text/plain; charset=utf-8");
    if (cfg_.version == 2) {
      headers_ = curl_slist_append(headers_, ("Authorization: Token " + cfg_.token).c_str());
    } else if (!cfg_.username.empty()) {
      curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(c, CURLOPT_USERNAME, cfg_.username.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, cfg_.password.c_str());
    }
    curl_easy_setopt(c, CURLOPT_URL, endpoint_.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, std::min(cfg_.timeout_ms, 5000L));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cfg_.timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &keep_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response_);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &abort_check);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error_.data());
  }

  // libcurl's progress callback: a non-zero return aborts the transfer once close() timed out.
  static int abort_check(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<InfluxSink*>(self)->worker_->aborting() ? 1 : 0;
  }

  SendOutcome send(const std::vector<std::string>& batch, std::string& error) {
    body_.clear();
    for (const std::string& line : batch) {
      body_ += line;
      body_ += '\n';
    }
    response_.clear();
    curl_error_[0] = '\0';
    CURL* c = curl_.get();
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body_.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      error = std::string("influxdb: ") + (curl_error_[0] != '\0' ? curl_error_.data() : curl_easy_strerror(rc));
      return SendOutcome::retry;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) return SendOutcome::ok;
    error = "influxdb: HTTP " + std::to_string(status) + " " + response_;
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    return status >= 500 || status == 429 ? SendOutcome::retry : SendOutcome::give_up;
  }

  InfluxConfig cfg_;
  detail::MeterName meter_;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl_;
  curl_slist* headers_ = nullptr;
  std::string endpoint_;
  std::string body_;
  std::string response_;
  std::array<char, CURL_ERROR_SIZE> curl_error_{};
  std::unique_ptr<detail::BatchWorker<std::string>> worker_;
};

}  // namespace

SinkOrError make_influx_sink(const nlohmann::json& cfg) {
  InfluxConfig c;
  if (std::string err = read_config(cfg, c); !err.empty()) return {nullptr, err};
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return {std::make_unique<InfluxSink>(std::move(c)), ""};
}

}  // namespace meterlab::reader
