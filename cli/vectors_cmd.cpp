// meterlab vectors: list the golden vectors, or run them through the engine and grade them.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "vector_check.hpp"

namespace meterlab::cli {
namespace {

struct VectorsOptions {
  std::string dir = "vectors";
  std::string filter;
  bool list = false;
  bool verbose = false;
};

int run_vectors(const VectorsOptions& o) {
  if (!std::filesystem::is_directory(o.dir)) {
    std::cerr << "meterlab vectors: no vector directory " << o.dir << " (use --dir)\n";
    return 2;
  }
  int passed = 0;
  int failed = 0;
  for (const auto& path : conformance::find_vectors(o.dir)) {
    if (!o.filter.empty() && path.string().find(o.filter) == std::string::npos) continue;
    conformance::Vector v;
    try {
      v = conformance::load_vector(path);
    } catch (const std::exception& e) {
      std::printf("%-60s BAD VECTOR  %s\n", path.stem().c_str(), e.what());
      ++failed;
      continue;
    }
    const auto& expect = v.doc.at("expect");
    std::size_t telegrams = expect.value("telegrams", nlohmann::json::array()).size();
    std::size_t errors = expect.value("errors", nlohmann::json::array()).size();
    if (o.list) {
      std::printf("%-16s %-55s %-5s %zu telegram(s) %zu error(s)\n", v.category.c_str(),
                  v.name.c_str(), v.doc.value("transport", "").c_str(), telegrams, errors);
      continue;
    }
    auto failures = conformance::compare(v, conformance::decode(v));
    std::printf("%-16s %-55s %s\n", v.category.c_str(), v.name.c_str(),
                failures.empty() ? "pass" : "FAIL");
    if (!failures.empty() || o.verbose) {
      for (const auto& f : failures) std::printf("    %s\n", f.c_str());
    }
    (failures.empty() ? passed : failed)++;
  }
  if (!o.list) std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace

void add_vectors_command(CLI::App& app, int& status) {
  auto opts = std::make_shared<VectorsOptions>();
  CLI::App* cmd = app.add_subcommand("vectors", "List or check the golden vectors");
  cmd->add_option("--dir", opts->dir, "Vector directory")->capture_default_str();
  cmd->add_option("--filter", opts->filter, "Only vectors whose path contains this");
  cmd->add_flag("--list", opts->list, "List the vectors instead of checking them");
  cmd->add_flag("-v,--verbose", opts->verbose, "Print details");
  cmd->callback([opts, &status] { status = run_vectors(*opts); });
}

}  // namespace meterlab::cli
