// meterlab: the command. Subcommands: decode, simulate, vectors, conform.
#include <CLI/CLI.hpp>

#include "decode.hpp"

namespace meterlab::cli {
void add_vectors_command(CLI::App& app, int& status);
void add_simulate_command(CLI::App& app, int& status);
void add_conform_command(CLI::App& app, int& status);
}  // namespace meterlab::cli

int main(int argc, char** argv) {
  CLI::App app{"meterlab: decode, simulate and test smart-meter customer-interface data"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "meterlab " MLAB_VERSION);
  int status = 0;
  meterlab::cli::add_decode_command(app, status);
  meterlab::cli::add_simulate_command(app, status);
  meterlab::cli::add_vectors_command(app, status);
  meterlab::cli::add_conform_command(app, status);
  CLI11_PARSE(app, argc, argv);
  return status;
}
