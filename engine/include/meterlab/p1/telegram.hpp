// P1 telegram text -> cosem::Telegram: the DSMR 5.0.2 P1 companion standard (clause 6.12, the
// data objects) and IEC 62056-21 data sets, OBIS(value*unit)(...), one object a line.
//
// Values are exact: decimal fixed point read as an integer and a scaler, never a binary float,
// in the base units of the DLMS telegrams (kWh -> Wh, kW -> W, kvar(h) -> var(h); V, A, m3 as
// sent). Every line becomes readings; a line that is not OBIS(...) is p1_bad_line and skipped, a
// timestamp with impossible fields is p1_bad_timestamp and its value null; the rest still
// decodes. The Telegram's storage is reused: nothing is allocated per telegram once it has grown.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "meterlab/core/bytes.hpp"
#include "meterlab/cosem/telegram.hpp"

namespace meterlab::p1 {

// Most value groups one object may have (a Fluvius 0-0:98.1.0 with 13 months of maxima has 42).
constexpr std::size_t kMaxGroups = 128;

// The problems of one telegram that did not stop it, in the order found; the first kMaxKept are
// kept with their stream offsets, all are counted.
struct Problems {
  static constexpr std::size_t kMaxKept = 8;
  std::array<Error, kMaxKept> first{};
  std::size_t count = 0;

  void add(Error e) noexcept {
    if (count < kMaxKept) first[count] = e;
    ++count;
  }
  std::span<const Error> kept() const noexcept {
    return {first.data(), count < kMaxKept ? count : kMaxKept};
  }
  void clear() noexcept { count = 0; }
};

// The UTC offsets of a timestamp's X flag (DSMR 5.0.2 clause 6.12: YYMMDDhhmmssX, X = S summer
// time, W winter time). The default is CET/CEST (Europe/Amsterdam, Brussels, Luxembourg, Vienna).
// A DSMR 2.2 stamp, which has no flag, is placed by the EU summer-time rule around winter_minutes.
struct Zone {
  int winter_minutes = 60;
  int summer_minutes = 120;
};

// Parses one telegram, '/' through its '!' line as the framer delimits it (`stream_offset`: of
// the '/'), into `out` (cleared first; transport p1). The header line gives meter_type, 0-0:96.1.1
// or 0-0:96.1.0 meter_id, 1-3:0.2.8 or 0-0:96.1.4 list_id, 0-0:1.0.0 timestamp.
void parse_telegram(Bytes text, std::size_t stream_offset, cosem::Telegram& out, Problems& problems,
                    const Zone& zone = {});

}  // namespace meterlab::p1
