// The rows and statements of the PostgreSQL output (private to reader/postgres; the tests use
// them). Table:
//   time timestamptz, meter_id text, obis text, name text, value double precision,
//   value_text text, unit text, time_source text; index (meter_id, time).
// `value` is the number (NULL for text, octets, dates); `value_text` the reading as text (the
// exact decimal for numbers); empty name and unit are NULL. `time` is the reading's
// stored_time() (a P1 gas register's own capture time, else the meter's clock when its UTC is
// known, else the receive time) and `time_source` says which: "meter" or "received".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/reader/sink.hpp"

namespace meterlab::reader::postgres {

inline constexpr std::size_t kColumns = 8;

// One row, every column as the text libpq sends (nullopt: NULL).
struct Row {
  std::string time;  // ISO 8601 UTC with milliseconds: "2026-01-05T00:58:00.000Z"
  std::string meter_id;
  std::string obis;
  std::optional<std::string> name;
  std::optional<std::string> value;
  std::string value_text;
  std::optional<std::string> unit;
  std::string time_source;  // "meter" or "received"
};

Row row(std::string_view meter, const cosem::Telegram& t, const cosem::Reading& r,
        const Received& rc);
// Appends the row's kColumns parameters (pointers into the row; nullptr for NULL).
void append_params(const Row& row, std::vector<const char*>& params);
// CREATE TABLE / INDEX IF NOT EXISTS for `table` (quoted, maybe schema-qualified).
std::string create_sql(std::string_view table, std::string_view unqualified);
// INSERT INTO table (...) VALUES ($1..$8), ($9..$16), ... for `rows` rows.
std::string insert_sql(std::string_view table, std::size_t rows);

}  // namespace meterlab::reader::postgres
