// The soak: many meters at once (a scenario with "profiles"), each on its own line with its own
// decoder, for hours of virtual time, in-process. Each meter is graded against its truth as in a
// scenario; on top, the soak checks what only a long run shows: memory stays flat (resident size
// at the end within a bound of the first hour's), every byte is accounted for, no reading that
// differs from the truth comes out, forged tags are rejected as such, and a wrong key is counted
// as a wrong key, not as corruption.
#pragma once

#include "scenario_check.hpp"

namespace meterlab::conformance {

// Memory may grow by this much over the first hour's resident size (allocator slack, caches).
inline constexpr double kSoakRssGrowth = 0.10;
inline constexpr std::uint64_t kSoakRssSlackKib = 4096;

// Faults are applied to each meter they fit and skipped on the others (a tag failure needs
// SC 0x30, segment faults need a segmented meter). Throws std::runtime_error when the scenario
// cannot run at all.
ScenarioResult run_soak(const ScenarioFile& s, const Progress& progress = {});

// The process's resident set size now, in KiB (from /proc/self/statm).
std::uint64_t resident_kib();

}  // namespace meterlab::conformance
