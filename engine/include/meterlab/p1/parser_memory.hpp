// The P1 parser's telegram shape memory: the P1 counterpart of the DLMS shape cache
// (cosem/shape_cache.hpp). A meter sends the same lines, in the same order and widths, every
// telegram; only the digits of its numbers and timestamps change. The memory keeps, from the last
// telegram parsed the general way with no problem, each line's bytes, which of them are such
// digits, and the readings the line gave. A line of the next telegram whose other bytes are the
// same (and whose next line does not continue it) gives those readings again, its numbers and
// stamps read anew by the same rules (value.hpp); any other line goes the general way, and the
// memory learns that telegram. The common case, a telegram whose lines start where the learnt
// ones did, is compared whole at once (64 bytes a step under the mask) and only the lines whose
// digits differ are read anew; the telegram's own fields (meter id, list id, clock) then come
// from the readings the learnt telegram had them in. The output is the general path's for every
// input (p1_shape_test).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/core/bytes.hpp"
#include "meterlab/cosem/telegram.hpp"
#include "meterlab/p1/telegram.hpp"

namespace meterlab::p1 {

namespace detail {
struct ShapeAccess;

// One line (or empty line, or multi-line object) as the parse loop read it.
struct ShapeLine {
  static constexpr std::uint16_t kNone = 0xFFFF;
  std::uint32_t at = 0;      // offset of its first byte in its telegram text
  std::uint32_t length = 0;  // to the next line's start
  std::uint32_t first = 0;   // its readings: out.readings[first, first + count)
  std::uint32_t count = 0;
  std::uint16_t number_at = kNone;  // a number value (the Known line shapes): offset in the line
  std::uint16_t number_length = 0;  // its characters ([-]digits[.digits])
  std::uint16_t stamp_at = kNone;   // a YYMMDDhhmmssX value or capture time: offset in the line
  std::int8_t unit_scale = 0;       // the number's BaseUnit
  std::string_view unit_symbol;     // static storage (the DLMS unit table)
  bool object = false;              // an object line (one more line index), not an empty line
};
// The readings that give a telegram its own fields (meter id, list id, clock): their indices in
// its readings, kNone where it has none.
struct FieldReadings {
  static constexpr std::uint32_t kNone = 0xFFFFFFFF;
  std::uint32_t meter_id = kNone;
  std::uint32_t list_id = kNone;
  std::uint32_t timestamp = kNone;
};
}  // namespace detail

struct ParserMemoryStats {
  std::uint64_t telegrams = 0;   // parsed with the memory on
  std::uint64_t all_hit = 0;     // every line of them from the memory
  std::uint64_t at_once = 0;     // every line compared at once (the common case), not line by line
  std::uint64_t lines_hit = 0;   // lines from the memory
  std::uint64_t lines_read = 0;  // lines the general way
  std::uint64_t learnt = 0;      // telegrams the memory learnt
  // Telegrams whose lines from the memory were written over the readings the memory had left in
  // the same Telegram: only the readings read anew were written (see parse_telegram()).
  std::uint64_t in_place = 0;
};

class ParserMemory {
 public:
  // On by default. Off: every line the general way, nothing kept (the general path's measure).
  void enable(bool on) noexcept {
    on_ = on;
    if (!on) forget();
  }
  bool enabled() const noexcept { return on_; }
  void forget() noexcept { ready_ = false; }
  const ParserMemoryStats& stats() const noexcept { return stats_; }

 private:
  friend struct detail::ShapeAccess;
  bool on_ = true;
  bool ready_ = false;  // lines_ hold a telegram's shape
  Zone zone_;           // the zone its stamps were read in
  std::string bytes_;   // that telegram's text (a line's digits as last seen)
  std::string mask_;    // 0xFF a byte compared, 0 a variable digit
  std::vector<detail::ShapeLine> lines_;
  std::size_t objects_ = 0;               // object lines among them
  bool plain_ = false;                    // they may be compared all at once (ShapeAccess::whole())
  std::vector<cosem::Reading> readings_;  // the lines' readings as last seen; text in texts_
  std::string texts_;
  std::vector<std::uint32_t> text_readings_;  // those whose value is text, ascending
  detail::FieldReadings fields_;              // of the telegram learnt: the same given whole
  bool learnt_now_ = false;                   // the telegram being parsed is being learnt
  // The telegram being parsed: its lines read the general way, and the runs of lines given
  // from the memory (lines_[from, to), before pending_[pending], at `at`, readings from `first`).
  struct Run {
    std::size_t pending, from, to;
    std::uint32_t at, first;
  };
  std::vector<detail::ShapeLine> pending_;
  std::vector<Run> runs_;
  std::vector<detail::ShapeLine> next_;  // lines_ being learnt again
  // The Telegram the memory last wrote whole (given whole, or learnt): its readings are the
  // memory's but for the texts' places. Its readings' storage and count then, to tell a
  // Telegram that came in their place.
  struct Written {
    const cosem::Telegram* telegram = nullptr;
    const cosem::Reading* data = nullptr;
    std::size_t size = 0;
  };
  Written written_;
  bool in_place_ = false;               // the telegram being parsed goes into that Telegram
  std::vector<std::uint32_t> changed_;  // the readings read anew in it
  ParserMemoryStats stats_;
};

// parse_telegram() (telegram.hpp) with `memory`; the overload without uses one per thread.
// `out` keeps its readings' storage: the memory writes over the last telegram's readings. When
// it wrote the last telegram wholly into this same `out`, it writes only the readings whose
// digits changed (the DLMS shape cache's rule, cosem/shape_cache.hpp): so between two calls
// nothing may change `out`'s readings (the Decoder's own telegram, which callers see as const);
// else clear() them first.
void parse_telegram(Bytes text, std::size_t stream_offset, cosem::Telegram& out, Problems& problems,
                    ParserMemory& memory, const Zone& zone = {});

}  // namespace meterlab::p1
