// outputs.influxdb: readings as line protocol over HTTP (libcurl), InfluxDB 1.x `/write` or
// 2.x `/api/v2/write`, in batches sent by a worker thread (BatchWorker), so telegram() never
// waits for the network. 5xx, 429 and connection errors are retried with back-off; other 4xx
// (bad request, bad credentials) give the batch up at once, its reason in last_error.
#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "line_protocol.hpp"
#include "meterlab/reader/batch_worker.hpp"
#include "meterlab/reader/config_reader.hpp"
#include "meterlab/reader/outputs.hpp"

namespace meterlab::reader {
namespace {

constexpr std::int64_t kMaxBatch = 100000;

struct InfluxConfig {
  std::string url = "http://127.0.0.1:8086";  // base, no trailing '/'
  int version = 1;
  std::string database = "meters", username, password, org, bucket, token;
  std::string measurement = "meterlab";
  influx::Tags tags;
  BatchOptions batch;
  long timeout_ms = 10000;
};

// A secret from the config, else from the environment variable `env`.
bool secret(ConfigReader& c, const char* key, const char* env, std::string& out) {
  if (!c.secret(key, out)) return false;
  if (const char* e = std::getenv(env); out.empty() && e != nullptr) out = e;
  return true;
}

bool read_tags(ConfigReader c, InfluxConfig& out) {
  for (const auto& item : c.object().items()) {
    const std::string& k = item.key();
    if (k.empty() || k == "meter" || k == "obis" || k == "name" || k == "unit" || k == "position") {
      return c.fail(k, "a tag key other than meter, obis, name, unit, position (set per reading)",
                    "a reserved or empty key");
    }
    std::string value;
    if (!c.text(k, value)) return false;
    if (value.empty()) return c.fail(k, "a non-empty string");
    out.tags.emplace_back(k, value);
  }
  return true;
}

// The URL must be http(s) and carry no credentials (they would end up in error messages).
bool check_url(ConfigReader& c, std::string& url) {
  const bool http = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  const std::size_t host = url.find("//") + 2;
  const std::size_t end = url.find_first_of("/?#", host);
  const std::string authority = url.substr(host, end == std::string::npos ? url.npos : end - host);
  if (!http || authority.empty()) {
    return c.fail("url", "http://HOST[:PORT] or https://HOST[:PORT]");
  }
  if (authority.find('@') != std::string::npos) {
    return c.fail("url", "a URL without credentials (use username/password or token)",
                  "one with credentials");
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return true;
}

bool read_members(ConfigReader& c, InfluxConfig& out) {
  return c.only({"url", "version", "database", "username", "password", "org", "bucket", "token",
                 "measurement", "tags", "batch_size", "flush_interval_ms", "retries", "max_queue",
                 "backoff_initial_ms", "backoff_max_ms", "timeout_ms"}) &&
         c.text("url", out.url) && check_url(c, out.url) &&
         c.integer("version", out.version, 1, 2) && c.text("database", out.database) &&
         c.text("username", out.username) &&
         secret(c, "password", "METERLAB_INFLUX_PASSWORD", out.password) &&
         c.text("org", out.org) && c.text("bucket", out.bucket) &&
         secret(c, "token", "METERLAB_INFLUX_TOKEN", out.token) &&
         c.text("measurement", out.measurement) && read_tags(c.nested("tags"), out) &&
         read_batch_options(c, out.batch, kMaxBatch) &&
         c.integer("retries", out.batch.retries, 0, 1000) &&
         c.integer("timeout_ms", out.timeout_ms, 100, 600000);
}

std::string read_config(const nlohmann::json& cfg, InfluxConfig& out) {
  std::string error;
  ConfigReader c(cfg, "outputs.influxdb", error);
  if (!read_members(c, out)) return error;
  if (out.measurement.empty()) c.fail("measurement", "a measurement name");
  if (out.version == 1 && out.database.empty()) c.fail("database", "a database for version 1");
  if (out.version == 2 && (out.org.empty() || out.bucket.empty())) {
    c.fail(out.org.empty() ? "org" : "bucket", "a value for version 2");
  }
  if (out.version == 2 && out.token.empty()) {
    c.fail("token", "a token for version 2 (or METERLAB_INFLUX_TOKEN)");
  }
  return error;
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

class InfluxSink final : public BatchingSink<std::string> {
 public:
  explicit InfluxSink(InfluxConfig cfg)
      : cfg_(std::move(cfg)), curl_(curl_easy_init(), &curl_easy_cleanup) {
    setup();
    start(cfg_.batch);
  }
  ~InfluxSink() override {
    stop();  // joins the thread before the handle it uses goes
    if (headers_ != nullptr) curl_slist_free_all(headers_);
  }

  std::string_view name() const noexcept override { return "influxdb"; }

 private:
  std::optional<std::string> record(const cosem::Telegram& t, const cosem::Reading& reading,
                                    const Received& r) override {
    std::string line = influx::point(cfg_.measurement, cfg_.tags, r.meter, t, reading, r);
    if (line.empty()) return std::nullopt;
    return line;
  }

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
    return static_cast<InfluxSink*>(self)->aborting() ? 1 : 0;
  }

  SendOutcome send(const std::vector<std::string>& batch, std::string& error) override {
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
      error = std::string("influxdb: ") +
              (curl_error_[0] != '\0' ? curl_error_.data() : curl_easy_strerror(rc));
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
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl_;
  curl_slist* headers_ = nullptr;
  std::string endpoint_;
  std::string body_;
  std::string response_;
  std::array<char, CURL_ERROR_SIZE> curl_error_{};
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
