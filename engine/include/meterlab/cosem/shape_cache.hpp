// A meter sends the same list over and over: the same tags, lengths, OBIS codes, strings and
// {scaler, unit}s, in the same places; only the numbers and the clock change. A ShapeCache keeps
// the last few bodies a layout mapped ("shapes") with where each reading's value came from, and
// maps a new body of the same shape without the A-XDR walk: every byte that is not such a value
// must equal the remembered body's, then the values are read in place.
//
// It is the one fast path over the layout walk, and what it gives is what LayoutSet::map() gives
// for the body: it learns a shape from what the walk noted, every byte that could change a
// decision of the walk (tags, lengths, OBIS codes, strings, scalers, units, a capture object's
// class) is compared, so the walk would take the same steps, and a value is turned into its
// reading by the walk's own rules (engine/cosem/reading_rules.hpp); a value that does not read
// (an impossible date-time) sends the body back to the walk, which reports it. Tests hold it to
// the walk (layout_test LayoutShapeCache.*, conformance/shape_cache_test.cpp). One cache per
// stream (a Decoder owns one): it is state, not shared.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "meterlab/core/bytes.hpp"
#include "meterlab/cosem/telegram.hpp"

namespace meterlab::cosem {

// How a reading's value is read from the body's bytes.
enum class SlotKind : std::uint8_t {
  integer,    // `width` bytes, big-endian, sign-extended when `is_signed`
  boolean,    // 1 byte
  real32,     // IEEE 754 binary32
  real64,     // IEEE 754 binary64
  date_time,  // 12 bytes (date-time, or an octet-string read as one)
  date,       // 5 bytes: the whole reading's date_time
  time,       // 4 bytes: the whole reading's date_time
  date_part,  // 5 bytes: the date fields of a clock sent as separate date and time (Iskra AT)
  time_part,  // 4 bytes: the time fields of the same
};

// One reading's value in the body: readings[reading] comes from bytes [data, data + size).
struct ValueSlot {
  std::uint32_t reading = 0;
  std::uint32_t data = 0;  // offset of the value's content in the body
  SlotKind kind = SlotKind::integer;
  std::uint8_t width = 0;  // integer: 1, 2, 4 or 8
  bool is_signed = false;
};

// What the layout walk notes for the cache (LayoutContext::trace): where each value-bearing
// reading came from, and the reading that gives the telegram its clock.
struct MapTrace {
  std::vector<ValueSlot> slots;
  std::optional<std::size_t> clock;
  void clear() noexcept {
    slots.clear();
    clock.reset();
  }
};

struct ShapeCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;   // no shape of this length and bytes
  std::uint64_t learned = 0;  // shapes remembered
};

class ShapeCache {
 public:
  static constexpr std::size_t kShapes = 4;      // a meter's lists (Aidon: 3) and a spare
  static constexpr std::size_t kMaxBody = 2048;  // longer bodies are not remembered

  // `out` as LayoutSet::map() gives it (readings, meter_id/type, list_id, layout and, when the
  // APDU had none, timestamp): true. false: no remembered shape fits, or a value does not read;
  // `out`'s mapped fields are then unspecified (the general path sets them again).
  //
  // The cache remembers which telegram it last wrote, and with which shape (map() on a hit,
  // learn() from the telegram the walk wrote). When the same shape comes again into that
  // telegram, only the values are written: its readings are the shape's but for them. So
  // between two calls nothing but the walk after a miss may change that telegram's readings
  // (the Decoder's own telegram, which callers see as const); else call clear().
  bool map(Bytes body, std::size_t body_offset, Telegram& out);
  // Remembers the shape of a body the general path mapped into `mapped` with these slots.
  void learn(Bytes body, const Telegram& mapped, const MapTrace& trace);
  // Forgets every shape (the layouts changed), and the telegram last written.
  void clear() noexcept;
  const ShapeCacheStats& stats() const noexcept { return stats_; }

 private:
  // An integer slot with eight bytes in the body from its start (most of them): one load, a
  // byte swap and a shift, with no test of its kind or width.
  struct IntSlot {
    std::uint32_t data = 0;     // ValueSlot::data
    std::uint32_t reading = 0;  // ValueSlot::reading
    std::uint8_t shift = 0;     // 64 - 8 x width
    bool is_signed = false;
  };
  struct Shape {
    std::vector<std::uint8_t> bytes;   // the body, values zeroed
    std::vector<std::uint8_t> mask;    // 0xFF: compared; 0x00: a value's byte
    std::vector<IntSlot> ints;         // integer slots that can be read with one load
    std::vector<ValueSlot> others;     // every other slot, in the walk's order
    Telegram telegram;                 // readings and strings as mapped; values overwritten
    std::optional<std::size_t> clock;  // reading that gives the timestamp when the APDU has none
    std::uint64_t used = 0;            // last use, for replacement
  };
  // The telegram last written (see map()), and from which shape: a plain value, copied as it
  // is. A copy of the cache remembers the same telegram, which does hold that shape's readings;
  // the copy of a Decoder writes into its own telegram, which is not that one, so its first hit
  // writes the readings whole. (Two caches writing one telegram break the rule of map().)
  struct Written {
    const Telegram* telegram = nullptr;
    std::size_t shape = 0;
  };
  bool fits(const Shape& s, Bytes body) const noexcept;
  // `in_place`: out's readings are the shape's already, but for their values.
  bool fill(const Shape& s, Bytes body, std::size_t body_offset, Telegram& out,
            bool in_place) const;

  std::array<Shape, kShapes> shapes_;
  std::size_t count_ = 0;
  std::uint64_t tick_ = 0;
  Written written_;
  ShapeCacheStats stats_;
};

}  // namespace meterlab::cosem
