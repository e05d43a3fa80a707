// The PostgreSQL output against a real server started here (initdb + postgres on 127.0.0.1, as
// user postgres when run as root): the table created when missing and reused when present, every
// reading of simulator telegrams stored equal to the truth, batches (fewer INSERTs than rows),
// meter strings as parameters only, a server restart bridged by the queue, and a bounded queue.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <tuple>

#include "../postgres_rows.hpp"
#include "meterlab/reader/outputs.hpp"
#include "p1_telegram.hpp"
#include "server_util.hpp"
#include "sim_feed.hpp"

namespace meterlab::reader {
namespace {

using namespace std::chrono_literals;
using test::json;

TEST(PostgresRows, StatementsAndParameters) {
  EXPECT_EQ(postgres::insert_sql("\"t\"", 2),
            "INSERT INTO \"t\" (time, meter_id, obis, name, value, value_text, unit, time_source)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8), ($9, $10, $11, $12, $13, $14, $15, $16)");
  EXPECT_EQ(
      postgres::create_sql("\"s\".\"t\"", "t"),
      "CREATE TABLE IF NOT EXISTS \"s\".\"t\" (time timestamptz NOT NULL, meter_id text NOT NULL,"
      " obis text NOT NULL, name text, value double precision, value_text text, unit text,"
      " time_source text); ALTER TABLE \"s\".\"t\" ADD COLUMN IF NOT EXISTS time_source text;"
      " CREATE INDEX IF NOT EXISTS \"t_meter_id_time_idx\" ON \"s\".\"t\" (meter_id, time);");
  cosem::Telegram t;
  cosem::Reading r;
  r.obis = *cosem::ObisCode::parse("1-0:1.8.0.255");
  r.name = "active_energy_import";
  r.unit = "kWh";
  r.kind = cosem::ValueKind::integer;
  r.raw = 5305034;
  r.scaler = -3;
  const Received rc{WallClock::time_point(1767567600123ms), "x"};
  const postgres::Row row = postgres::row("m1", t, r, rc);
  EXPECT_EQ(row.time, "2026-01-04T23:00:00.123Z");
  EXPECT_EQ(row.obis, "1-0:1.8.0.255");
  EXPECT_EQ(row.value, "5305.034");
  EXPECT_EQ(row.value_text, "5305.034");
  std::vector<const char*> params;
  postgres::append_params(row, params);
  ASSERT_EQ(params.size(), postgres::kColumns);
  EXPECT_STREQ(params[1], "m1");
  EXPECT_STREQ(params[6], "kWh");
  EXPECT_STREQ(params[7], "received");  // the telegram has no clock
}

// Issue 17 and 16: a P1 gas register is stored at its own capture time, the rest at the
// telegram's; both say the meter's clock gave it. A clock whose UTC is not known gives the
// receive time, and says so.
TEST(PostgresRows, P1GasAtItsCaptureTimeAndTheTimeSource) {
  cosem::Telegram t = test::p1_telegram(test::p1_text());
  const Received rc{WallClock::time_point(1767567600123ms), "x"};
  const cosem::Reading* gas = test::find_reading(t, "0-1:24.2.1.255");
  const cosem::Reading* energy = test::find_reading(t, "1-0:1.8.1.255");
  const cosem::Reading* text = test::find_reading(t, "0-0:96.13.0.255");
  ASSERT_TRUE(gas && energy && text);
  postgres::Row g = postgres::row("m1", t, *gas, rc);
  EXPECT_EQ(g.time, "2017-01-02T15:10:05.000Z");  // 16:10:05 W (UTC+1)
  EXPECT_EQ(g.time_source, "meter");
  EXPECT_EQ(g.value, "0.107");
  EXPECT_EQ(g.unit, "m3");
  postgres::Row e = postgres::row("m1", t, *energy, rc);
  EXPECT_EQ(e.time, "2017-01-02T18:20:02.000Z");  // the telegram's 0-0:1.0.0, 19:20:02 W
  EXPECT_EQ(e.time_source, "meter");
  EXPECT_EQ(e.value, "4426");
  EXPECT_EQ(e.unit, "Wh");
  postgres::Row m = postgres::row("m1", t, *text, rc);
  EXPECT_EQ(m.value, std::nullopt);
  EXPECT_EQ(m.value_text, "Hello");
  EXPECT_EQ(m.time_source, "meter");
  // Without a known UTC (no deviation) neither time is used.
  t.timestamp->deviation.reset();
  t.timestamp_source = cosem::ClockSource::none;  // as resolve_clock() leaves it then
  for (cosem::Reading& r : t.readings) r.date_time.deviation.reset();
  g = postgres::row("m1", t, *gas, rc);
  EXPECT_EQ(g.time, "2026-01-04T23:00:00.123Z");
  EXPECT_EQ(g.time_source, "received");
  EXPECT_EQ(postgres::row("m1", t, *energy, rc).time_source, "received");
}

TEST(PostgresConfig, RefusesWithThePath) {
  EXPECT_EQ(make_postgres_sink(json{{"host", "x"}}).error,
            "outputs.postgres.host: expected one of conninfo, table, batch_size, "
            "flush_interval_ms, max_queue, backoff_initial_ms, backoff_max_ms, got an unknown key");
  EXPECT_EQ(make_postgres_sink(json{{"table", "r; DROP TABLE x"}}).error,
            "outputs.postgres.table: expected NAME or SCHEMA.NAME (letters, digits, _; up to 48 "
            "each), got \"r; DROP TABLE x\"");
  EXPECT_EQ(make_postgres_sink(json{{"batch_size", 10000}}).error,
            "outputs.postgres.batch_size: expected an integer 1-8000, got 10000");
  // conninfo may hold a password: never quoted.
  EXPECT_EQ(make_postgres_sink(json{{"conninfo", 5}}).error,
            "outputs.postgres.conninfo: expected a string, got a number");
}

// ---- a real server ---------------------------------------------------------------------------

std::string pg_program(const char* name) {
  return test::find_program(name, {"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin",
                                   "/usr/lib/postgresql/15/bin"});
}

class Postgres {
 public:
  Postgres() : dir_("pg"), port_(test::free_port()), proc_(SIGINT) {}  // SIGINT: fast shutdown

  // initdb (as user postgres when we are root: the server refuses root); "" or why not.
  std::string init() {
    initdb_ = pg_program("initdb");
    server_ = pg_program("postgres");
    if (initdb_.empty() || server_.empty())
      return "initdb/postgres not installed (ci/setup installs postgresql)";
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr) return "no user postgres to run the server as";
      if (::chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) return "chown failed";
      as_user_ = {test::find_program("setpriv"), "--reuid=postgres", "--regid=postgres",
                  "--init-groups", "--"};
    }
    auto argv = as_user_;
    for (std::string a :
         std::vector<std::string>{initdb_, "-D", (dir_.path() / "data").string(), "-A", "trust",
                                  "-U", "postgres", "--no-sync", "-E", "UTF8"})
      argv.push_back(a);
    if (test::run_program(argv, dir_.path() / "initdb.log") != 0)
      return "initdb failed: " + log("initdb.log");
    return "";
  }

  bool start() {
    auto argv = as_user_;
    argv.push_back(server_);
    for (std::string a : std::vector<std::string>{
             "-D", (dir_.path() / "data").string(), "-p", std::to_string(port_), "-k",
             dir_.path().string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"})
      argv.push_back(a);
    proc_.start(argv, dir_.path() / "postgres.log");
    return test::wait_until([&] { return PQping(conninfo("postgres").c_str()) == PQPING_OK; }, 30s);
  }
  void stop() { proc_.stop(); }

  std::string conninfo(const std::string& db) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + db + " user=postgres";
  }
  std::string log(const char* name = "postgres.log") const {
    return test::read_text(dir_.path() / name);
  }

  // Runs SQL in `db`; the rows as text (NULL as "<null>"), or one row with the error.
  std::vector<std::vector<std::string>> query(const std::string& db, const std::string& sql) const {
    std::vector<std::vector<std::string>> out;
    PGconn* c = PQconnectdb(conninfo(db).c_str());
    PGresult* res = PQexec(c, sql.c_str());
    if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
      out.push_back({std::string("ERROR ") + PQerrorMessage(c)});
    }
    for (int i = 0; i < PQntuples(res); ++i) {
      out.emplace_back();
      for (int j = 0; j < PQnfields(res); ++j)
        out.back().push_back(PQgetisnull(res, i, j) ? "<null>" : PQgetvalue(res, i, j));
    }
    PQclear(res);
    PQfinish(c);
    return out;
  }

 private:
  test::TempDir dir_;
  int port_;
  test::Process proc_;
  std::string initdb_, server_;
  std::vector<std::string> as_user_;
};

class PostgresReal : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = pg_.init();
    ASSERT_EQ(why, "");
    ASSERT_TRUE(pg_.start()) << pg_.log();
    ASSERT_EQ(pg_.query("postgres", "CREATE DATABASE meters").size(), 0u);
  }
  json config(std::size_t batch = 100) const {
    return json{{"conninfo", pg_.conninfo("meters")},
                {"table", "readings"},
                {"batch_size", batch},
                {"flush_interval_ms", 10},
                {"backoff_initial_ms", 20},
                {"backoff_max_ms", 200}};
  }
  Postgres pg_;
};

const test::Fed& kaifa() {
  static const test::Fed f = test::feed("kaifa-kfm001-3ph", "2026-01-05T00:58:00", 4 * 60 * 1000);
  return f;
}

std::size_t readings_of(const test::Fed& f, std::size_t from, std::size_t to) {
  std::size_t n = 0;
  for (std::size_t i = from; i < to; ++i) n += f.truth[i].at("readings").size();
  return n;
}

void feed(Sink& s, const test::Fed& f, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) s.telegram(f.telegrams[i], f.received[i]);
}

// Every truth reading of telegrams [0, n) is a row, equal (time, meter, obis, value, unit).
void expect_stored(const Postgres& pg, const test::Fed& f, std::size_t n) {
  const auto rows =
      pg.query("meters",
               "SELECT (extract(epoch FROM time) * 1000)::bigint, meter_id, obis, value,"
               " value_text, coalesce(unit, '') FROM readings");
  std::map<std::tuple<std::int64_t, std::string>, std::vector<std::string>> by_key;
  for (const auto& r : rows) {
    ASSERT_EQ(r.size(), 6u) << r[0];
    by_key[{std::stoll(r[0]), r[2]}] = r;
  }
  std::string meter = "meter";
  for (std::size_t i = 0; i < n; ++i) {
    if (!f.truth[i].at("meter_id").is_null()) meter = f.truth[i].at("meter_id").get<std::string>();
    const std::int64_t t = test::ms_of(telegram_time(f.telegrams[i], f.received[i]));
    for (const json& r : f.truth[i].at("readings")) {
      auto it = by_key.find({t, r.at("obis").get<std::string>()});
      ASSERT_NE(it, by_key.end()) << "telegram " << i << " " << r.dump();
      const auto& row = it->second;
      EXPECT_EQ(row[1], meter);
      if (r.at("value").is_number()) {
        EXPECT_TRUE(test::same_number(std::stod(row[3]), r.at("value").get<double>())) << r.dump();
      } else {
        EXPECT_EQ(row[3], "<null>");
        EXPECT_EQ(row[4], r.at("value").get<std::string>());
      }
      EXPECT_EQ(row[5], r.at("unit").get<std::string>());
    }
  }
  EXPECT_EQ(rows.size(), readings_of(f, 0, n));
}

TEST_F(PostgresReal, CreatesTheTableAndStoresEveryReadingInBatches) {
  auto made = make_postgres_sink(config());
  ASSERT_TRUE(made.sink) << made.error;
  const test::Fed& f = kaifa();
  feed(*made.sink, f, 0, f.telegrams.size());
  made.sink->close(20s);
  const SinkStats s = made.sink->stats();
  EXPECT_EQ(s.delivered, readings_of(f, 0, f.telegrams.size())) << s.last_error;
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.queued, 0u);
  expect_stored(pg_, f, f.telegrams.size());
  const auto cols =
      pg_.query("meters",
                "SELECT column_name || ' ' || data_type FROM information_schema.columns"
                " WHERE table_name = 'readings' ORDER BY ordinal_position");
  std::vector<std::string> got;
  for (const auto& c : cols) got.push_back(c[0]);
  EXPECT_EQ(got, (std::vector<std::string>{"time timestamp with time zone", "meter_id text",
                                           "obis text", "name text", "value double precision",
                                           "value_text text", "unit text", "time_source text"}));
  EXPECT_EQ(pg_.query("meters", "SELECT indexdef FROM pg_indexes WHERE tablename = 'readings'")
                .at(0)
                .at(0),
            "CREATE INDEX readings_meter_id_time_idx ON public.readings USING btree (meter_id, "
            "\"time\")");
  // One INSERT per batch, each its own transaction: fewer transactions than rows.
  const auto txns = pg_.query("meters", "SELECT count(DISTINCT xmin::text) FROM readings");
  EXPECT_LT(std::stoul(txns.at(0).at(0)), s.delivered / 20);
}

TEST_F(PostgresReal, ReusesAnExistingTable) {
  ASSERT_EQ(pg_.query("meters", postgres::create_sql("\"readings\"", "readings")).size(), 0u);
  ASSERT_EQ(
      pg_.query("meters", "INSERT INTO readings (time, meter_id, obis) VALUES (now(), 'old', 'x')")
          .size(),
      0u);
  const test::Fed& f = kaifa();
  for (int round = 0; round < 2; ++round) {  // a second sink finds the table the first made
    auto made = make_postgres_sink(config());
    ASSERT_TRUE(made.sink) << made.error;
    feed(*made.sink, f, round == 0 ? 0 : 20, round == 0 ? 20 : 40);
    made.sink->close(20s);
    EXPECT_EQ(made.sink->stats().failed, 0u) << made.sink->stats().last_error;
  }
  EXPECT_EQ(pg_.query("meters", "SELECT count(*) FROM readings WHERE meter_id = 'old'").at(0).at(0),
            "1");
  EXPECT_EQ(pg_.query("meters", "SELECT count(*) FROM readings").at(0).at(0),
            std::to_string(1 + readings_of(f, 0, 40)));
}

// A table made before time_source existed gets the column; P1 rows say which time they are.
TEST_F(PostgresReal, AddsTimeSourceToAnOlderTable) {
  ASSERT_EQ(pg_.query("meters",
                      "CREATE TABLE readings (time timestamptz NOT NULL, meter_id text NOT NULL,"
                      " obis text NOT NULL, name text, value double precision, value_text text,"
                      " unit text)")
                .size(),
            0u);
  auto made = make_postgres_sink(config());
  ASSERT_TRUE(made.sink) << made.error;
  const cosem::Telegram t = test::p1_telegram(test::p1_text());
  Received rc{WallClock::time_point(1767567600123ms), "x"};
  MeterAttribution().attribute(t, rc);
  made.sink->telegram(t, rc);
  made.sink->close(10s);
  EXPECT_EQ(made.sink->stats().delivered, t.readings.size()) << made.sink->stats().last_error;
  const auto rows = pg_.query("meters",
                              "SELECT (extract(epoch FROM time) * 1000)::bigint, time_source,"
                              " value_text FROM readings WHERE obis = '0-1:24.2.1.255'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1483369805000", "meter", "0.107"}));
  EXPECT_EQ(
      pg_.query("meters", "SELECT count(*) FROM readings WHERE time_source = 'meter'").at(0).at(0),
      std::to_string(t.readings.size()));
}

TEST_F(PostgresReal, MeterStringsAreOnlyParameters) {
  auto made = make_postgres_sink(config());
  ASSERT_TRUE(made.sink) << made.error;
  cosem::Telegram t;
  const std::string evil = "x'); DROP TABLE readings; --";
  t.meter_id = t.store(evil);
  cosem::Reading r;
  r.obis = *cosem::ObisCode::parse("0-0:96.1.1.255");
  r.kind = cosem::ValueKind::text;
  r.text = t.store("\"quoted\" 'text' \\ $1");
  t.readings.push_back(r);
  Received rc{WallClock::now(), "x"};
  MeterAttribution().attribute(t, rc);
  made.sink->telegram(t, rc);
  made.sink->close(10s);
  EXPECT_EQ(made.sink->stats().delivered, 1u) << made.sink->stats().last_error;
  const auto rows = pg_.query("meters", "SELECT meter_id, value_text, value FROM readings");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{evil, "\"quoted\" 'text' \\ $1", "<null>"}));
}

TEST_F(PostgresReal, ServerRestartQueuesThenDelivers) {
  auto made = make_postgres_sink(config(50));
  ASSERT_TRUE(made.sink) << made.error;
  const test::Fed& f = kaifa();
  const std::size_t half = f.telegrams.size() / 2;
  feed(*made.sink, f, 0, half);
  ASSERT_TRUE(test::wait_until(
      [&] { return made.sink->stats().delivered == readings_of(f, 0, half); }, 20s))
      << made.sink->stats().last_error;
  EXPECT_EQ(made.sink->stats().reconnects, 0u);

  pg_.stop();
  feed(*made.sink, f, half, f.telegrams.size());
  ASSERT_TRUE(test::wait_until([&] { return !made.sink->stats().last_error.empty(); }, 10s));
  EXPECT_EQ(made.sink->stats().last_error.rfind("postgres: ", 0), 0u);
  EXPECT_GT(made.sink->stats().queued, 0u);
  std::this_thread::sleep_for(500ms);  // a few failed reconnects
  ASSERT_TRUE(pg_.start()) << pg_.log();
  made.sink->close(30s);
  const SinkStats s = made.sink->stats();
  EXPECT_EQ(s.delivered, readings_of(f, 0, f.telegrams.size())) << s.last_error;
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.reconnects, 1u);
  expect_stored(pg_, f, f.telegrams.size());
}

TEST_F(PostgresReal, QueueIsBoundedWhileTheServerIsAway) {
  pg_.stop();
  json cfg = config(5);
  cfg["max_queue"] = 10;
  auto made = make_postgres_sink(cfg);
  ASSERT_TRUE(made.sink) << made.error;
  const test::Fed& f = kaifa();
  feed(*made.sink, f, 0, 60);
  const std::size_t n = readings_of(f, 0, 60);
  ASSERT_TRUE(test::wait_until([&] { return !made.sink->stats().last_error.empty(); }, 10s));
  SinkStats s = made.sink->stats();
  EXPECT_LE(s.queued, 15u);  // 10 waiting and one batch of 5 in flight
  EXPECT_EQ(s.failed + s.queued, n);
  made.sink->close(100ms);
  s = made.sink->stats();
  EXPECT_EQ(s.failed, n);
  EXPECT_EQ(s.delivered, 0u);
}

}  // namespace
}  // namespace meterlab::reader
