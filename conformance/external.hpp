// A decoder program under test: started with a tty to read (the simulator's pseudo-terminal, or
// one a vector's bytes are written to), its JSON lines read through its adapter and graded. A
// program that crashes, hangs, never opens the tty or prints garbage is a failing result with a
// message saying so, never a harness crash.
//
// Without stream offsets in the program's output, decoded telegrams are matched to the truth by
// order and time: a line can only belong to a telegram that was already on the line when the line
// arrived, and belongs to the first such telegram it equals; one that equals none is the one it
// differs least from (the earliest on a tie), read wrong; one that arrives before anything
// unclaimed was sent is a phantom.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "adapter.hpp"
#include "meterlab/sim/io.hpp"
#include "run_dir.hpp"
#include "scenario_check.hpp"
#include "vector_check.hpp"

namespace meterlab::conformance {

struct DecoderCommand {
  std::string command;  // template: {tty} {meterlab} {transport} {key} {auth_key} {system_title}
  Adapter adapter;
  std::string self;                        // the meterlab binary, for {meterlab}
  std::chrono::milliseconds settle{1000};  // quiet time after the last byte before stopping
  std::chrono::milliseconds max_settle{5000};
  std::chrono::milliseconds open_limit{10000};  // to open the tty
  std::chrono::milliseconds stop_limit{3000};   // to exit after SIGTERM
  std::string keep_dir;  // --keep: the evidence of each run goes in a folder here
  bool pipe = false;     // the program reads the meter's bytes on its standard input, not {tty}
};

// Matches decoded telegrams (in arrival order) to truth telegrams (in sending order, each with
// the time its last chunk left) as the header says; returns, per decoded telegram, the index of
// its truth telegram or none (phantom).
struct SentTelegram {
  double sent_at = 0;
  nlohmann::json truth;
};
std::vector<std::optional<std::size_t>> attribute(const std::vector<SentTelegram>& sent,
                                                  const std::vector<nlohmann::json>& decoded,
                                                  const std::vector<double>& arrived,
                                                  const CompareOptions& options,
                                                  double slack_seconds = 0.25);

// Runs the scenario over a pty at `speed` (the scenario's own when not given; real time when it
// has none) with the program reading the tty. Never throws for the program's faults; throws
// std::runtime_error when the scenario itself cannot run.
ScenarioResult run_scenario_pty(const ScenarioFile& s, const DecoderCommand& d,
                                std::optional<sim::Speed> speed, const Progress& progress = {});

// Writes the vector's bytes to a pty the program reads, grades its output: the failures (empty
// when it passes).
std::vector<std::string> check_vector_external(const Vector& v, const DecoderCommand& d);

}  // namespace meterlab::conformance
