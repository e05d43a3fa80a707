// `meterlab conform --bench`: how fast a reader is. A profile's telegrams are made first (outside
// the timing), then written to the program over a pty (or a pipe on its standard input) one at a
// time, each as soon as the program answered the one before (or gave up on it): telegrams a
// second, latency from the start of a telegram's write to the program's next output line (p50,
// p99), CPU seconds per 1,000 telegrams (every process of the program's group, read from /proc
// while it runs: its threads' schedstat, and the children it already waited for) and peak RSS.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "external.hpp"
#include "scenario_check.hpp"

namespace meterlab::conformance {

struct BenchResult {
  std::string name;  // the program (its adapter's name)
  std::string profile;
  std::string input;            // "pty" or "pipe" (the program's standard input)
  std::uint64_t telegrams = 0;  // written
  std::uint64_t answered = 0;   // followed by an output line within the limit
  double seconds = 0, per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  double cpu_seconds_per_1000 = 0;
  long peak_rss_kib = 0;
  std::vector<std::string> failures;  // the program failed to start, ended early, ...
};

// Throws std::runtime_error when the scenario cannot run (unknown profile, bad option).
BenchResult run_bench(const ScenarioFile& s, const DecoderCommand& d,
                      std::chrono::milliseconds answer_limit = std::chrono::milliseconds(2000));

nlohmann::json bench_json(const BenchResult& r);
// The table: one line a program, side by side.
void print_bench(const std::vector<BenchResult>& results);

}  // namespace meterlab::conformance
