// The InfluxDB output: line protocol escaping, the exact v1 and v2 requests (against a recorder:
// Debian 12 has no InfluxDB 2), batching, retries, refusals, and a real influxd 1.6 that stores
// every reading of simulator telegrams and keeps them coming across a restart.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "../line_protocol.hpp"
#include "http_client.hpp"
#include "http_recorder.hpp"
#include "meterlab/reader/outputs.hpp"
#include "p1_telegram.hpp"
#include "server_util.hpp"
#include "sim_feed.hpp"

namespace meterlab::reader {
namespace {

using namespace std::chrono_literals;
using test::json;

std::string escaped_measurement(std::string_view s) {
  std::string out;
  influx::append_measurement(s, out);
  return out;
}
std::string escaped_key(std::string_view s) {
  std::string out;
  influx::append_key(s, out);
  return out;
}
std::string escaped_string(std::string_view s) {
  std::string out;
  influx::append_string_field(s, out);
  return out;
}

TEST(InfluxLineProtocol, EscapesPerElement) {
  EXPECT_EQ(escaped_measurement("my meas,x=1"), "my\\ meas\\,x=1");  // '=' is fine here
  EXPECT_EQ(escaped_key("a b,c=d"), "a\\ b\\,c\\=d");
  EXPECT_EQ(escaped_key("tab\tok\"q\""), "tab\tok\"q\"");
  EXPECT_EQ(escaped_string("say \"hi\" \\ ok"), "\"say \\\"hi\\\" \\\\ ok\"");
  EXPECT_EQ(escaped_string("two\nlines\r"), "\"two lines \"");
  EXPECT_EQ(escaped_key("line\nbreak"), "line break");
}

// One simulator hour boundary of a Kaifa meter: list 1 (power only, no meter id), list 2, list 3.
const test::Fed& kaifa() {
  static const test::Fed f = test::feed("kaifa-kfm001-3ph", "2026-01-05T00:58:00", 4 * 60 * 1000);
  return f;
}

std::string meter_of(const test::Fed& f, std::size_t i) {
  std::string m = "meter";
  for (std::size_t k = 0; k <= i; ++k)
    if (!f.truth[k].at("meter_id").is_null()) m = f.truth[k].at("meter_id").get<std::string>();
  return m;
}

TEST(InfluxLineProtocol, PointOfARealReading) {
  const test::Fed& f = kaifa();
  ASSERT_GT(f.telegrams.size(), 100u);
  const cosem::Telegram& t = f.telegrams[0];
  const json& readings = f.truth[0].at("readings");
  ASSERT_EQ(t.readings.size(), readings.size());
  std::size_t k = 0;
  while (k < readings.size() && !readings[k].at("value").is_number_integer()) ++k;
  ASSERT_LT(k, readings.size());
  const json& truth = readings[k];
  std::string expect = "meterlab,meter=meter,name=" + std::string(t.readings[k].name) +
                       ",obis=" + truth.at("obis").get<std::string>() +
                       ",site=home\\ 1,unit=" + truth.at("unit").get<std::string>() +
                       " value=" + std::to_string(truth.at("value").get<std::int64_t>()) +
                       // The APDU's date-time says deviation "not specified": the UTC time
                       // comes from the family's zone (Europe/Oslo).
                       ",time_source=\"zone\" " +
                       std::to_string(f.truth[0].at("t_ms").get<std::int64_t>());
  EXPECT_EQ(
      influx::point("meterlab", {{"site", "home 1"}}, "meter", t, t.readings[k], f.received[0]),
      expect);
}

// Issue 17 and 16: a P1 gas register at its own capture time, the other readings at the
// telegram's; text as the string field; the time's source in a field (a tag would split the
// series); without a known UTC, the receive time.
TEST(InfluxLineProtocol, P1GasAtItsCaptureTime) {
  cosem::Telegram t = test::p1_telegram(test::p1_text());
  const Received rc{WallClock::time_point(std::chrono::milliseconds(1767567600123)), "x"};
  auto point = [&](const char* obis) {
    const cosem::Reading* r = test::find_reading(t, obis);
    return r ? influx::point("meterlab", {}, "m1", t, *r, rc) : std::string("missing");
  };
  EXPECT_EQ(point("0-1:24.2.1.255"),
            "meterlab,meter=m1,name=mbus1_volume,obis=0-1:24.2.1.255,unit=m3 "
            "value=0.107,time_source=\"meter\" "
            "1483369805000");  // 2017-01-02 16:10:05 W = 15:10:05Z
  EXPECT_EQ(point("1-0:1.8.1.255"),
            "meterlab,meter=m1,name=active_energy_import_t1,obis=1-0:1.8.1.255,unit=Wh "
            "value=4426,time_source=\"meter\" 1483381202000");  // 19:20:02 W
  EXPECT_EQ(point("0-0:96.13.0.255"),
            "meterlab,meter=m1,name=message_text,obis=0-0:96.13.0.255 "
            "text=\"Hello\",time_source=\"meter\" "
            "1483381202000");
  t.timestamp->deviation.reset();
  t.timestamp_source = cosem::ClockSource::none;  // as resolve_clock() leaves it then
  for (cosem::Reading& r : t.readings) r.date_time.deviation.reset();
  EXPECT_EQ(point("0-1:24.2.1.255"),
            "meterlab,meter=m1,name=mbus1_volume,obis=0-1:24.2.1.255,unit=m3 "
            "value=0.107,time_source=\"received\" "
            "1767567600123");
}

// The telegram's time is the engine's resolved UTC (Telegram::timestamp_source): through the
// meter's time zone it says "zone"; with none, the receive time, whatever the deviation field.
TEST(InfluxLineProtocol, TelegramTimeFromTheZoneOrNone) {
  cosem::Telegram t = test::p1_telegram(test::p1_text());
  const Received rc{WallClock::time_point(std::chrono::milliseconds(1767567600123)), "x"};
  const cosem::Reading* energy = test::find_reading(t, "1-0:1.8.1.255");
  ASSERT_NE(energy, nullptr);
  t.timestamp_source = cosem::ClockSource::zone;
  t.utc_deviation = -120;  // as if its zone said two hours east: 19:20:02 -> 17:20:02Z
  EXPECT_EQ(influx::point("meterlab", {}, "m1", t, *energy, rc),
            "meterlab,meter=m1,name=active_energy_import_t1,obis=1-0:1.8.1.255,unit=Wh "
            "value=4426,time_source=\"zone\" 1483377602000");
  t.timestamp_source = cosem::ClockSource::none;  // its deviation field is still there
  EXPECT_EQ(influx::point("meterlab", {}, "m1", t, *energy, rc),
            "meterlab,meter=m1,name=active_energy_import_t1,obis=1-0:1.8.1.255,unit=Wh "
            "value=4426,time_source=\"received\" 1767567600123");
}

TEST(InfluxConfig, RefusesWithThePath) {
  EXPECT_EQ(
      make_influx_sink(json{{"colour", "red"}}).error,
      "outputs.influxdb.colour: expected one of url, version, database, username, "
      "password, org, bucket, token, measurement, tags, batch_size, flush_interval_ms, "
      "retries, max_queue, backoff_initial_ms, backoff_max_ms, timeout_ms, got an unknown key");
  EXPECT_EQ(
      make_influx_sink(json{{"url", "ftp://x"}}).error,
      "outputs.influxdb.url: expected http://HOST[:PORT] or https://HOST[:PORT], got \"ftp://x\"");
  auto creds = make_influx_sink(json{{"url", "http://u:secret@127.0.0.1:1"}});
  EXPECT_EQ(creds.error,
            "outputs.influxdb.url: expected a URL without credentials (use username/password or "
            "token), got one with credentials");
  EXPECT_EQ(make_influx_sink(json{{"tags", {{"obis", "x"}}}})
                .error.rfind("outputs.influxdb.tags.obis:", 0),
            0u);
  ::unsetenv("METERLAB_INFLUX_TOKEN");
  EXPECT_EQ(make_influx_sink(json{{"version", 2}, {"org", "o"}, {"bucket", "b"}}).error,
            "outputs.influxdb.token: expected a token for version 2 (or METERLAB_INFLUX_TOKEN)");
  EXPECT_EQ(make_influx_sink(json{{"batch_size", 0}}).error,
            "outputs.influxdb.batch_size: expected an integer 1-100000, got 0");
}

// Feeds telegrams [from, to) of `f` to the sink; returns the points it must have written.
std::vector<std::string> feed(Sink& s, const test::Fed& f, std::size_t from, std::size_t to,
                              const influx::Tags& tags = {}) {
  std::vector<std::string> lines;
  for (std::size_t i = from; i < to; ++i) {
    const Received& rc = f.received[i];  // its meter attributed as the read loop does
    s.telegram(f.telegrams[i], rc);
    for (const cosem::Reading& r : f.telegrams[i].readings)
      lines.push_back(influx::point("meterlab", tags, rc.meter, f.telegrams[i], r, rc));
  }
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

TEST(InfluxHttp, V2RequestIsExact) {
  test::HttpRecorder rec;
  auto made = make_influx_sink(json{{"url", rec.url() + "/"},
                                    {"version", 2},
                                    {"org", "my org"},
                                    {"bucket", "b&1"},
                                    {"token", "tok-123"},
                                    {"tags", {{"site", "home 1"}}},
                                    {"batch_size", 100000}});
  ASSERT_TRUE(made.sink) << made.error;
  const auto lines = feed(*made.sink, kaifa(), 0, 20, {{"site", "home 1"}});
  made.sink->close(5s);
  const auto reqs = rec.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/api/v2/write?org=my%20org&bucket=b%261&precision=ms");
  EXPECT_EQ(reqs[0].headers.at("authorization"), "Token tok-123");
  EXPECT_EQ(reqs[0].headers.at("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(reqs[0].body, joined(lines));
  EXPECT_EQ(made.sink->stats().delivered, lines.size());
  EXPECT_EQ(made.sink->stats().telegrams, 20u);
}

TEST(InfluxHttp, V1BasicAuthFromEnvironmentAndBatches) {
  test::HttpRecorder rec;
  ::setenv("METERLAB_INFLUX_PASSWORD", "p", 1);
  auto made = make_influx_sink(json{{"url", rec.url()},
                                    {"database", "my db"},
                                    {"username", "u"},
                                    {"batch_size", 50},
                                    {"flush_interval_ms", 60000}});
  ::unsetenv("METERLAB_INFLUX_PASSWORD");
  ASSERT_TRUE(made.sink) << made.error;
  const auto lines = feed(*made.sink, kaifa(), 0, kaifa().telegrams.size());
  made.sink->close(10s);
  const auto reqs = rec.requests();
  EXPECT_EQ(reqs.size(), (lines.size() + 49) / 50);  // full batches, then the rest at close
  EXPECT_LT(reqs.size(), lines.size() / 10);
  std::string all;
  for (const auto& r : reqs) {
    EXPECT_EQ(r.target, "/write?db=my%20db&precision=ms");
    EXPECT_EQ(r.headers.at("authorization"), "Basic dTpw");  // base64("u:p")
    all += r.body;
  }
  EXPECT_EQ(all, joined(lines));
  EXPECT_EQ(made.sink->stats().delivered, lines.size());
  EXPECT_EQ(made.sink->stats().failed, 0u);
}

json fast(const std::string& url, int retries) {
  return json{{"url", url},         {"batch_size", 100000},     {"flush_interval_ms", 10},
              {"retries", retries}, {"backoff_initial_ms", 10}, {"backoff_max_ms", 40}};
}

TEST(InfluxHttp, RetriesServerErrorsThenDelivers) {
  test::HttpRecorder rec;
  rec.script({{503, "busy"}, {500, ""}});
  auto made = make_influx_sink(fast(rec.url(), 5));
  ASSERT_TRUE(made.sink) << made.error;
  const auto lines = feed(*made.sink, kaifa(), 0, 10);
  ASSERT_TRUE(test::wait_until([&] { return made.sink->stats().delivered == lines.size(); }, 10s));
  made.sink->close(1s);
  const auto reqs = rec.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].body, reqs[2].body);
  EXPECT_EQ(made.sink->stats().reconnects, 1u);
  EXPECT_EQ(made.sink->stats().failed, 0u);
}

TEST(InfluxHttp, GivesUpAfterRetriesAndCounts) {
  test::HttpRecorder rec(0, 503);
  json cfg = fast(rec.url(), 2);
  // One batch whatever the machine's load: the 10 telegrams are queued well within a second
  // (with 10 ms, a slow feed split them into two batches and twice the requests).
  cfg["flush_interval_ms"] = 1000;
  auto made = make_influx_sink(cfg);
  ASSERT_TRUE(made.sink) << made.error;
  const auto lines = feed(*made.sink, kaifa(), 0, 10);
  ASSERT_TRUE(test::wait_until([&] { return made.sink->stats().failed == lines.size(); }, 10s))
      << made.sink->stats().failed << " " << lines.size() << " " << rec.requests().size() << " "
      << made.sink->stats().last_error;
  made.sink->close(1s);
  EXPECT_EQ(rec.requests().size(), 3u);  // the try and two retries
  EXPECT_EQ(made.sink->stats().delivered, 0u);
  EXPECT_EQ(made.sink->stats().last_error, "influxdb: HTTP 503");
}

TEST(InfluxHttp, ClientErrorIsNotRetriedAndKeepsTheTokenSecret) {
  test::HttpRecorder rec(0, 401);
  rec.script({{401, "{\"error\":\"authorization failed\"}\n"}});
  json cfg = fast(rec.url(), 5);
  cfg.update(json{{"version", 2}, {"org", "o"}, {"bucket", "b"}, {"token", "supersecret"}});
  auto made = make_influx_sink(cfg);
  ASSERT_TRUE(made.sink) << made.error;
  const auto lines = feed(*made.sink, kaifa(), 0, 10);
  ASSERT_TRUE(test::wait_until([&] { return made.sink->stats().failed == lines.size(); }, 10s));
  made.sink->close(1s);
  EXPECT_EQ(rec.requests().size(), 1u);
  const std::string err = made.sink->stats().last_error;
  EXPECT_EQ(err, "influxdb: HTTP 401 {\"error\":\"authorization failed\"}");
  EXPECT_EQ(err.find("supersecret"), std::string::npos);
}

TEST(InfluxHttp, TelegramNeverWaitsForAHungServer) {
  test::HttpRecorder rec(0, 204, /*silent=*/true);
  json cfg = fast(rec.url(), 5);
  cfg["batch_size"] = 1;
  cfg["timeout_ms"] = 60000;
  auto made = make_influx_sink(cfg);
  ASSERT_TRUE(made.sink) << made.error;
  const auto start = std::chrono::steady_clock::now();
  const auto lines = feed(*made.sink, kaifa(), 0, 60);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  ASSERT_TRUE(test::wait_until([&] { return !rec.requests().empty(); }, 5s));
  const auto close_start = std::chrono::steady_clock::now();
  made.sink->close(200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - close_start, 3s);  // the transfer was aborted
  const SinkStats s = made.sink->stats();
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_EQ(s.failed, lines.size());
  EXPECT_EQ(s.queued, 0u);
}

TEST(InfluxHttp, ServerAwayThenBackDeliversTheQueue) {
  const int port = test::free_port();
  auto made = make_influx_sink(fast("http://127.0.0.1:" + std::to_string(port), 1000));
  ASSERT_TRUE(made.sink) << made.error;
  const auto lines = feed(*made.sink, kaifa(), 0, 30);
  ASSERT_TRUE(test::wait_until([&] { return !made.sink->stats().last_error.empty(); }, 5s));
  EXPECT_NE(made.sink->stats().last_error.find("influxdb: "), std::string::npos);
  EXPECT_EQ(made.sink->stats().queued, lines.size());
  test::HttpRecorder rec(port);
  ASSERT_TRUE(test::wait_until([&] { return made.sink->stats().delivered == lines.size(); }, 10s));
  made.sink->close(1s);
  EXPECT_EQ(made.sink->stats().reconnects, 1u);
  EXPECT_EQ(made.sink->stats().failed, 0u);
  std::string all;
  for (const auto& r : rec.requests()) all += r.body;
  EXPECT_EQ(all, joined(lines));
}

// ---- a real influxd (Debian's influxdb 1.6) -------------------------------------------------

class Influxd {
 public:
  Influxd() : dir_("influxd"), port_(test::free_port()), rpc_(test::free_port()) {
    bin_ = test::find_program("influxd", {"/usr/bin", "/usr/sbin"});
    if (bin_.empty()) return;
    const auto d = dir_.path();
    std::ofstream(d / "influxd.conf")
        << "reporting-disabled = true\nbind-address = \"127.0.0.1:" << rpc_ << "\"\n"
        << "[meta]\n  dir = \"" << (d / "meta").string() << "\"\n"
        << "[data]\n  dir = \"" << (d / "data").string() << "\"\n  wal-dir = \""
        << (d / "wal").string() << "\"\n  query-log-enabled = false\n"
        << "[monitor]\n  store-enabled = false\n"
        << "[http]\n  enabled = true\n  bind-address = \"127.0.0.1:" << port_ << "\"\n"
        << "  log-enabled = false\n";
  }
  bool start() {
    proc_.start({bin_, "-config", (dir_.path() / "influxd.conf").string()},
                dir_.path() / "influxd.log");
    return test::wait_until([&] { return test::http(url() + "/ping").status == 204; }, 30s);
  }
  void stop() { proc_.stop(); }
  bool found() const { return !bin_.empty(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return test::read_text(dir_.path() / "influxd.log"); }
  json query(const std::string& db, const std::string& q) const {
    auto r = test::http(url() + "/query?epoch=ms&db=" + test::url_escape(db) +
                        "&q=" + test::url_escape(q));
    return r.status == 200 ? json::parse(r.body) : json();
  }

 private:
  test::TempDir dir_;
  int port_, rpc_;
  std::string bin_;
  test::Process proc_;
};

// Every truth reading of telegrams [0, n) must be stored, equal; returns the rows seen.
void expect_stored(const Influxd& db, const test::Fed& f, std::size_t n) {
  json res = db.query("meters", "SELECT * FROM meterlab");
  ASSERT_TRUE(res.contains("results")) << res.dump();
  const json& series = res["results"][0]["series"][0];
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < series["columns"].size(); ++i) col[series["columns"][i]] = i;
  std::map<std::tuple<std::int64_t, std::string>, json> rows;
  for (const json& row : series["values"])
    rows[{row[col["time"]].get<std::int64_t>(), row[col["obis"]].get<std::string>()}] = row;
  std::size_t readings = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t t = test::ms_of(telegram_time(f.telegrams[i], f.received[i]));
    for (const json& r : f.truth[i].at("readings")) {
      ++readings;
      auto it = rows.find({t, r.at("obis").get<std::string>()});
      ASSERT_NE(it, rows.end()) << "telegram " << i << " " << r.dump();
      const json& row = it->second;
      EXPECT_EQ(row[col["meter"]], meter_of(f, i));
      if (r.at("value").is_number()) {
        EXPECT_TRUE(test::same_number(row[col["value"]].get<double>(), r.at("value").get<double>()))
            << r.dump() << " stored " << row.dump();
      } else {
        EXPECT_EQ(row[col["text"]], r.at("value")) << r.dump();
      }
      const std::string unit = r.at("unit").get<std::string>();
      EXPECT_EQ(row[col["unit"]], unit.empty() ? json() : json(unit)) << r.dump();
    }
  }
  EXPECT_EQ(rows.size(), readings);
}

TEST(InfluxReal, StoresEveryReadingAndSurvivesARestart) {
  Influxd db;
  ASSERT_TRUE(db.found()) << "influxd not installed (ci/setup installs Debian's influxdb)";
  ASSERT_TRUE(db.start()) << db.log();
  ASSERT_EQ(test::http(db.url() + "/query?q=CREATE%20DATABASE%20meters", true).status, 200);
  const test::Fed& f = kaifa();
  const std::size_t half = f.telegrams.size() / 2;
  json cfg = fast(db.url(), 1000);
  cfg["batch_size"] = 100;
  cfg["backoff_max_ms"] = 200;
  auto made = make_influx_sink(cfg);
  ASSERT_TRUE(made.sink) << made.error;
  const auto first = feed(*made.sink, f, 0, half);
  ASSERT_TRUE(test::wait_until([&] { return made.sink->stats().delivered == first.size(); }, 20s));
  expect_stored(db, f, half);

  db.stop();
  const auto second = feed(*made.sink, f, half, f.telegrams.size());
  ASSERT_TRUE(test::wait_until([&] { return !made.sink->stats().last_error.empty(); }, 10s));
  EXPECT_GT(made.sink->stats().queued, 0u);
  ASSERT_TRUE(db.start()) << db.log();
  made.sink->close(20s);
  const SinkStats s = made.sink->stats();
  EXPECT_EQ(s.delivered, first.size() + second.size());
  EXPECT_EQ(s.failed, 0u);
  EXPECT_GE(s.reconnects, 1u);
  expect_stored(db, f, f.telegrams.size());
}

}  // namespace
}  // namespace meterlab::reader
