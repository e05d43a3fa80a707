// Placeholder until the postgres output lands.
#include <nlohmann/json.hpp>

#include "meterlab/reader/outputs.hpp"

namespace meterlab::reader {
SinkOrError make_postgres_sink(const nlohmann::json&) { return {nullptr, "outputs.postgres: not built in yet"}; }
}  // namespace meterlab::reader
