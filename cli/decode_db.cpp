// The flags of the InfluxDB, PostgreSQL and Solarview outputs of `meterlab decode`. Each given
// flag writes into `overrides` (the config file's schema), so a flag and the config file mean
// the same. Secrets have no flags (they would show in `ps`): METERLAB_INFLUX_TOKEN,
// METERLAB_INFLUX_PASSWORD and libpq's PGPASSWORD are read from the environment.
#include <string>

#include "decode_outputs.hpp"

namespace meterlab::cli {
namespace {

// A string flag that sets outputs.<output>.<key>.
void string_flag(CLI::App& cmd, nlohmann::json& overrides, const std::string& flag,
                 const char* output, const char* key, const std::string& help) {
  cmd.add_option_function<std::string>(
         flag,
         [&overrides, output, key](const std::string& v) { overrides["outputs"][output][key] = v; },
         help)
      ->group("Outputs");
}

}  // namespace

void add_influx_flags(CLI::App& cmd, nlohmann::json& overrides) {
  string_flag(cmd, overrides, "--influx", "influxdb", "url",
              "InfluxDB URL (http://HOST:8086); line protocol, v1 /write unless "
              "--influx-org/--influx-bucket");
  string_flag(cmd, overrides, "--influx-db", "influxdb", "database",
              "InfluxDB 1.x database (default meters)");
  auto v2 = [&overrides](const char* key) {
    return [&overrides, key](const std::string& v) {
      overrides["outputs"]["influxdb"][key] = v;
      overrides["outputs"]["influxdb"]["version"] = 2;  // org and bucket exist only in the v2 API
    };
  };
  cmd.add_option_function<std::string>("--influx-org", v2("org"),
                                       "InfluxDB 2 organisation (selects /api/v2/write; token from "
                                       "METERLAB_INFLUX_TOKEN)")
      ->group("Outputs");
  cmd.add_option_function<std::string>("--influx-bucket", v2("bucket"), "InfluxDB 2 bucket")
      ->group("Outputs");
  string_flag(cmd, overrides, "--influx-measurement", "influxdb", "measurement",
              "InfluxDB measurement (default meterlab)");
  cmd.add_option_function<std::vector<std::string>>(
         "--influx-tag",
         [&overrides](const std::vector<std::string>& tags) {
           for (const std::string& kv : tags) {
             const std::size_t eq = kv.find('=');
             overrides["outputs"]["influxdb"]["tags"][kv.substr(0, eq)] = kv.substr(eq + 1);
           }
         },
         "extra InfluxDB tag K=V on every point (repeatable)")
      ->allow_extra_args(false)  // one K=V per --influx-tag: the device after it stays positional
      ->check([](const std::string& kv) {
        const std::size_t eq = kv.find('=');
        return eq == std::string::npos || eq == 0 || eq + 1 == kv.size()
                   ? std::string("must be KEY=VALUE")
                   : std::string();
      })
      ->group("Outputs");
}

void add_postgres_flags(CLI::App& cmd, nlohmann::json& overrides) {
  string_flag(cmd, overrides, "--postgres", "postgres", "conninfo",
              "PostgreSQL connection ('host=127.0.0.1 port=5432 dbname=meterlab user=..'; password "
              "from PGPASSWORD or ~/.pgpass)");
  string_flag(cmd, overrides, "--postgres-table", "postgres", "table",
              "PostgreSQL table, created if missing (default readings)");
}

void add_solarview_flags(CLI::App& cmd, nlohmann::json& overrides) {
  string_flag(cmd, overrides, "--solarview", "solarview", "file",
              "write the Solarview file (1.8.0/2.8.0 in kWh), rewritten atomically");
  string_flag(cmd, overrides, "--solarview-ident", "solarview", "ident",
              "ident line of the Solarview file (default KAIFA)");
}

}  // namespace meterlab::cli
