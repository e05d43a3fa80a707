// outputs.postgres: one row per reading in a PostgreSQL table (libpq), created if missing.
// Rows are queued and inserted in batches by a worker thread (BatchWorker): one parameterised
// multi-row INSERT per batch; meter strings travel only as parameters, never inside the SQL.
// When the server goes away the batch is retried with back-off over a new connection while new
// rows queue (bounded: beyond max_queue they are dropped and counted).
#include <libpq-fe.h>

#include <array>
#include <charconv>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "meterlab/reader/batch_worker.hpp"
#include "meterlab/reader/config_reader.hpp"
#include "meterlab/reader/outputs.hpp"
#include "postgres_rows.hpp"

namespace meterlab::reader {
namespace {

using postgres::Row;

struct PostgresConfig {
  std::string conninfo = "host=127.0.0.1 port=5432 dbname=meterlab";  // may hold a password
  std::string table = "readings";  // validated: [schema.]name, each [A-Za-z_][A-Za-z0-9_]*
  BatchOptions batch;
};

bool plain_identifier(std::string_view s) {
  if (s.empty() || s.size() > 48) return false;  // leaves room for the index name (63 max)
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// kColumns parameters a row; PostgreSQL takes at most 65535 parameters a statement.
constexpr std::int64_t kMaxBatch = 8000;
static_assert(kMaxBatch * postgres::kColumns <= 65535);

bool valid_table(std::string_view table) {
  const std::size_t dot = table.find('.');
  if (dot == std::string_view::npos) return plain_identifier(table);
  return plain_identifier(table.substr(0, dot)) && plain_identifier(table.substr(dot + 1));
}

std::string read_config(const nlohmann::json& cfg, PostgresConfig& out) {
  std::string error;
  ConfigReader c(cfg, "outputs.postgres", error);
  out.batch.retries = -1;  // a database that is away is waited for; the queue bound limits memory
  if (!c.only({"conninfo", "table", "batch_size", "flush_interval_ms", "max_queue",
               "backoff_initial_ms", "backoff_max_ms"}) ||
      !c.secret("conninfo", out.conninfo) || !c.text("table", out.table)) {
    return error;
  }
  if (!valid_table(out.table)) {
    c.fail("table", "NAME or SCHEMA.NAME (letters, digits, _; up to 48 each)");
    return error;
  }
  read_batch_options(c, out.batch, kMaxBatch);
  return error;
}

// "schema"."name" from a validated [schema.]name.
std::string quoted_table(std::string_view table) {
  const std::size_t dot = table.find('.');
  if (dot == std::string_view::npos) return "\"" + std::string(table) + "\"";
  return "\"" + std::string(table.substr(0, dot)) + "\".\"" + std::string(table.substr(dot + 1)) +
         "\"";
}

std::string unqualified(std::string_view table) {
  const std::size_t dot = table.find('.');
  return std::string(dot == std::string_view::npos ? table : table.substr(dot + 1));
}

std::string trimmed(const char* msg) {
  std::string s = msg != nullptr ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return "postgres: " + s;
}

void ignore_notice(void*, const char*) {}  // "relation exists, skipping" is no news

class PostgresSink final : public BatchingSink<Row> {
 public:
  explicit PostgresSink(PostgresConfig cfg) : cfg_(std::move(cfg)) {
    create_sql_ = postgres::create_sql(quoted_table(cfg_.table), unqualified(cfg_.table));
    start(cfg_.batch);
  }
  ~PostgresSink() override {
    stop();  // joins the thread before the connection it uses goes
    if (conn_ != nullptr) PQfinish(conn_);
  }

  std::string_view name() const noexcept override { return "postgres"; }

 private:
  std::optional<Row> record(const cosem::Telegram& t, const cosem::Reading& reading,
                            const Received& r) override {
    if (reading.kind == cosem::ValueKind::none) return std::nullopt;
    return postgres::row(r.meter, t, reading, r);
  }

  // A new connection with the table in place; false (and why) when the server is not there.
  bool connect(std::string& error) {
    if (conn_ != nullptr) PQfinish(conn_);
    // Later keywords override the expanded conninfo's: a bounded connect unless it says otherwise.
    const std::array<const char*, 4> keys{"connect_timeout", "application_name", "dbname", nullptr};
    const std::array<const char*, 4> values{"5", "meterlab", cfg_.conninfo.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys.data(), values.data(), 1);
    if (PQstatus(conn_) != CONNECTION_OK) {
      error = trimmed(PQerrorMessage(conn_));
      return false;
    }
    PQsetNoticeProcessor(conn_, &ignore_notice, nullptr);
    PGresult* res = PQexec(conn_, create_sql_.c_str());
    const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) error = trimmed(PQresultErrorMessage(res));
    PQclear(res);
    return ok;
  }

  SendOutcome send(const std::vector<Row>& batch, std::string& error) override {
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      if (!connect(error)) {
        return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK ? SendOutcome::give_up
                                                                    : SendOutcome::retry;
      }
    }
    const std::string& sql = insert_sql(batch.size());
    std::vector<const char*> params;
    params.reserve(batch.size() * postgres::kColumns);
    for (const Row& row : batch) postgres::append_params(row, params);
    PGresult* res = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                                 params.data(), nullptr, nullptr, 0);
    const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) error = trimmed(PQresultErrorMessage(res));
    PQclear(res);
    if (ok) return SendOutcome::ok;
    // A lost connection is retried; an error the server reports on a live one is not.
    return PQstatus(conn_) == CONNECTION_OK ? SendOutcome::give_up : SendOutcome::retry;
  }

  const std::string& insert_sql(std::size_t rows) {
    if (insert_rows_ != rows) {
      insert_sql_ = postgres::insert_sql(quoted_table(cfg_.table), rows);
      insert_rows_ = rows;
    }
    return insert_sql_;
  }

  PostgresConfig cfg_;
  std::string create_sql_;
  std::string insert_sql_;
  std::size_t insert_rows_ = 0;
  PGconn* conn_ = nullptr;
};

}  // namespace

SinkOrError make_postgres_sink(const nlohmann::json& cfg) {
  PostgresConfig c;
  if (std::string err = read_config(cfg, c); !err.empty()) return {nullptr, err};
  return {std::make_unique<PostgresSink>(std::move(c)), ""};
}

}  // namespace meterlab::reader
