#pragma once

#include <CLI/CLI.hpp>

namespace meterlab::cli {
// Adds `meterlab decode` to the app.
void add_decode_command(CLI::App& app, int& status);
}  // namespace meterlab::cli
