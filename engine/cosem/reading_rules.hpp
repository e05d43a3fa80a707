// The rules that turn a value read from a body into its reading, written once for the two that
// map a body: the layout walk (layout_walk.cpp), which reads the value off the A-XDR tape, and
// the shape cache (shape_cache.cpp), which reads it in place from the bytes of a body of a shape
// the walk mapped before. Internal to the cosem layer.
#pragma once

#include <cstdint>
#include <limits>

#include "meterlab/cosem/telegram.hpp"

namespace meterlab::cosem::detail {

// An integer value: `bits` is the value as 64 bits, sign-extended when the wire type is signed
// (an A-XDR node's `u`). Unsigned 64-bit values beyond INT64_MAX keep their bit pattern in `raw`
// and say so. The scaler and unit are the reading's already (the layout's, or the list's own).
inline void set_integer(Reading& r, std::uint64_t bits, bool is_signed) noexcept {
  r.raw = static_cast<std::int64_t>(bits);
  r.raw_unsigned = !is_signed && bits > static_cast<std::uint64_t>(INT64_MAX);
}

// A clock sent as a separate date and time (Iskra/Siemens AT lists): the date's fields with the
// time's hour, minute, second and hundredths.
inline void merge_time(DateTime& date, const DateTime& time) noexcept {
  date.hour = time.hour;
  date.minute = time.minute;
  date.second = time.second;
  date.hundredths = time.hundredths;
}

}  // namespace meterlab::cosem::detail
