// Rows and statements of the PostgreSQL output (see postgres_rows.hpp).
#include "postgres_rows.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace meterlab::reader::postgres {
namespace {

std::string iso_utc_ms(WallClock::time_point t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const auto secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const auto frac = static_cast<int>(ms - static_cast<std::int64_t>(secs) * 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  std::array<char, 40> buf{};
  const int n = std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                              tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                              tm.tm_sec, frac);
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

std::optional<std::string> unless_empty(std::string_view s) {
  if (s.empty()) return std::nullopt;
  return std::string(s);
}

const char* param(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

}  // namespace

Row row(std::string_view meter, const cosem::Telegram& t, const cosem::Reading& r,
        const Received& rc) {
  Row out;
  const StoredTime when = stored_time(t, r, rc);
  out.time = iso_utc_ms(when.time);
  out.time_source = std::string(time_source_name(when.source));
  out.meter_id = std::string(meter);
  out.obis = reading_code(r);  // "position-2.1" for a reading no layout names
  out.name = unless_empty(r.name);
  if (auto v = number(r); v && std::isfinite(*v)) {
    std::array<char, 32> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), *v);
    out.value = std::string(buf.data(), res.ptr);
  }
  out.value_text = value_text(t, r);
  out.unit = unless_empty(r.unit);
  return out;
}

void append_params(const Row& row, std::vector<const char*>& params) {
  params.push_back(row.time.c_str());
  params.push_back(row.meter_id.c_str());
  params.push_back(row.obis.c_str());
  params.push_back(param(row.name));
  params.push_back(param(row.value));
  params.push_back(row.value_text.c_str());
  params.push_back(param(row.unit));
  params.push_back(row.time_source.c_str());
}

std::string create_sql(std::string_view table, std::string_view unqualified) {
  std::string t(table);
  return "CREATE TABLE IF NOT EXISTS " + t +
         " (time timestamptz NOT NULL, meter_id text NOT NULL, obis text NOT NULL, name text,"
         " value double precision, value_text text, unit text, time_source text);"
         // A table made before time_source existed gets the column (NULL in its old rows).
         " ALTER TABLE " +
         t +
         " ADD COLUMN IF NOT EXISTS time_source text;"
         " CREATE INDEX IF NOT EXISTS \"" +
         std::string(unqualified) + "_meter_id_time_idx\" ON " + t + " (meter_id, time);";
}

std::string insert_sql(std::string_view table, std::size_t rows) {
  std::string sql = "INSERT INTO " + std::string(table) +
                    " (time, meter_id, obis, name, value, value_text, unit, time_source) VALUES ";
  std::size_t n = 1;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (std::size_t c = 0; c < kColumns; ++c, ++n) {
      if (c > 0) sql += ", ";
      sql += "$" + std::to_string(n);
    }
    sql += ")";
  }
  return sql;
}

}  // namespace meterlab::reader::postgres
