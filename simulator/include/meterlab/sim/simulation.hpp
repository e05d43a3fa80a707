// A simulation run: a meter of one profile, a seed, a start and a duration, and faults. It yields
// the byte stream piece by piece (each with the virtual time it leaves the meter) and the truth log
// that says what every byte meant. Deterministic: the same profile, options and seed give the same
// bytes and truth on every machine.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "meterlab/sim/faults.hpp"
#include "meterlab/sim/meter.hpp"
#include "meterlab/sim/rng.hpp"

namespace meterlab::sim {

struct SimOptions {
  std::uint64_t seed = 1;
  SimTime start = 0;
  Duration duration = 6LL * 3600 * 1000;
  std::vector<FaultSpec> faults;
  std::optional<Key> ek;  // replace the profile's keys (never printed)
  std::optional<Key> ak;
};

// Bytes leaving the meter at virtual time t (a link frame, or noise).
struct Chunk {
  SimTime t = 0;
  Buffer bytes;
};

class Simulation {
 public:
  // Throws std::invalid_argument when a fault does not apply to the profile (tag-fail without
  // authenticated encryption, segment faults on a single-frame profile, wrong-key on plain).
  Simulation(const Profile& profile, SimOptions options);
  ~Simulation();

  // The next chunk in time order; false when the duration is over.
  bool next(Chunk& chunk);
  // Truth log lines (JSON, no newline) completed so far; the caller takes them.
  std::vector<std::string> take_truth();
  // The closing truth line: {"type": "summary", bytes, telegrams, frames, noise, sha256}.
  std::string summary_line() const;

  std::uint64_t bytes_out() const noexcept { return offset_; }
  std::string sha256_hex() const;  // of every byte yielded so far
  const Profile& profile() const noexcept { return profile_; }

 private:
  void produce();  // one telegram (and its faults) into the queue
  bool triggers(std::size_t fault, SimTime t, const std::string& list);
  BuildTweaks meter_faults(SimTime t, const std::string& list, nlohmann::json& faults);
  void segment_faults(MeterTelegram& m, nlohmann::json& faults);
  void byte_faults(MeterTelegram& m, nlohmann::json& faults);
  void noise_after(SimTime t);
  void event(SimTime t, const char* kind, nlohmann::json detail);
  void emit(SimTime t, Buffer bytes);

  Profile profile_;
  SimOptions options_;
  Meter meter_;
  std::vector<Rng> fault_rng_;
  std::deque<Chunk> queue_;
  std::vector<std::string> truth_;
  SimTime cursor_;         // last scheduled send time
  SimTime line_free_ = 0;  // when the line is idle again
  SimTime end_;
  Duration clock_offset_ = 0;
  std::vector<bool> fired_;  // one-shot faults already applied
  std::uint64_t offset_ = 0;
  std::uint64_t telegrams_ = 0, frames_ = 0, noise_bytes_ = 0;
  struct Hash;
  std::unique_ptr<Hash> hash_;
};

}  // namespace meterlab::sim
