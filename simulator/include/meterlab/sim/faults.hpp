// Scripted, seeded faults: what can go wrong between a meter and its reader, applied by the
// simulation and recorded in the truth log. Given as `--fault KIND[:key=value,...]` or in a
// scenario file; simulator/README.md lists the kinds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/sim/time.hpp"

namespace meterlab::sim {

enum class FaultKind : std::uint8_t {
  ber,                // bit flips at a bit error rate (rate=1e-4)
  drop_bytes,         // bytes lost inside a frame (p, count)
  insert_bytes,       // random bytes inserted inside a frame (p, count)
  duplicate_bytes,    // a run of bytes repeated inside a frame (p, count)
  truncate,           // a frame cut short (p)
  noise,              // random bytes on the line between frames (p, max)
  segment_lost,       // one link segment of a multi-segment telegram never sent (p)
  segment_duplicate,  // one segment sent twice (p)
  segment_reorder,    // two adjacent segments swapped (p)
  wrong_key,          // telegram encrypted under another key (p, or at/for)
  tag_fail,           // GCM tag corrupted before framing, link checksums valid (p)
  counter_back,       // invocation counter set back by `by` (at)
  clock_jump,         // the meter's clock jumps by `by` (at; may be negative: "-1h")
  restart,            // the meter restarts: silent for `for` (at)
  drop_end,           // P1: a telegram's "!" line (and CRC) never sent (p)
};

std::string_view fault_name(FaultKind k);  // "ber", "segment-lost", ... (the CLI spelling)

struct FaultSpec {
  FaultKind kind = FaultKind::ber;
  double rate = 0;             // ber: per bit; others: probability per telegram
  std::optional<Duration> at;  // one-shot, relative to the simulation start
  Duration span = 0;           // "for": length of a window (wrong_key) or silence (restart)
  std::int64_t count = 1;      // bytes for drop/insert/duplicate; max noise length
  std::int64_t by = 0;         // counter_back: steps; clock_jump: ms
  std::string list;            // only telegrams of this list ("" = all)
};

// The outage (sim/time.hpp) of a restart fault (the one fault in which the meter is off) as the
// simulation applies it, the first slot at or after its end sent again. The outage of fault `f` in
// a simulation starting at `start`; none for other kinds.
std::optional<Outage> outage_of(const FaultSpec& f, SimTime start);

// "ber:rate=1e-4", "truncate:p=0.01", "noise:p=0.05,max=40", "restart:at=3h,for=30s",
// "clock-jump:at=2h,by=-1h", "counter-back:at=1h,by=10", "wrong-key:at=10m,for=1m",
// "segment-lost:p=0.02,list=list3". Throws std::invalid_argument with the reason.
FaultSpec parse_fault(std::string_view text);

// The JSON form used by scenario files: {"kind": "ber", "rate": 1e-4, "at": "2h", ...}.
FaultSpec fault_from_json(const std::string& json_text);

}  // namespace meterlab::sim
