// ShapeCache: see shape_cache.hpp. A hit costs a masked compare of the body (eight bytes a step)
// and one read per value; nothing is allocated once the shapes' buffers and the telegram's
// vectors have grown.
#include "meterlab/cosem/shape_cache.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <type_traits>

#include "meterlab/cosem/obis.hpp"
#include "reading_rules.hpp"

namespace meterlab::cosem {

namespace {

std::uint64_t load64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

std::size_t slot_size(const ValueSlot& s) noexcept {
  switch (s.kind) {
    case SlotKind::integer:
      return s.width;
    case SlotKind::boolean:
      return 1;
    case SlotKind::real32:
    case SlotKind::time:
    case SlotKind::time_part:
      return 4;
    case SlotKind::real64:
      return 8;
    case SlotKind::date:
    case SlotKind::date_part:
      return 5;
    case SlotKind::date_time:
      return 12;
  }
  return 0;
}

// What a layout maps besides the readings: the texts, and which of them are the meter's id, type
// and list id, the layout's name and its family's clock rule.
void copy_texts(const Telegram& from, Telegram& to) {
  to.text_storage = from.text_storage;
  to.meter_id = from.meter_id;
  to.meter_type = from.meter_type;
  to.list_id = from.list_id;
  to.layout = from.layout;
  to.family_zone = from.family_zone;
  to.deviation_unreliable = from.deviation_unreliable;
}

// The date or the time of a clock sent as the two (layout_walk.cpp date_or_time): merged with
// the other part, which the reading holds already.
bool set_part(Reading& r, Bytes b, SlotKind kind, std::size_t at) noexcept {
  if (kind == SlotKind::date_part) {
    const DateTime time = r.date_time;
    if (!parse_date(b, at, r.date_time)) return false;
    detail::merge_time(r.date_time, time);
    return true;
  }
  DateTime time;
  if (!parse_time(b, at, time)) return false;
  detail::merge_time(r.date_time, time);
  return true;
}

// One value into its reading, by the walk's rules; false when it does not read (only dates and
// times can fail).
bool set_value(Reading& r, const std::uint8_t* p, const ValueSlot& s, std::size_t at) noexcept {
  const Bytes b(p, slot_size(s));
  switch (s.kind) {
    case SlotKind::integer: {
      const std::uint64_t v = load_uint_be(p, s.width, false);
      detail::set_integer(r, s.is_signed ? sign_extend(v, s.width) : v, s.is_signed);
      return true;
    }
    case SlotKind::boolean:
      r.raw = p[0] != 0 ? 1 : 0;
      return true;
    case SlotKind::real32:
      r.real = std::bit_cast<float>(static_cast<std::uint32_t>(load_uint_be(p, 4, false)));
      return true;
    case SlotKind::real64:
      r.real = std::bit_cast<double>(load_uint_be(p, 8, false));
      return true;
    case SlotKind::date_time:
      return parse_date_time(b, at, r.date_time).has_value();
    case SlotKind::date:
      return parse_date(b, at, r.date_time).has_value();
    case SlotKind::time:
      return parse_time(b, at, r.date_time).has_value();
    case SlotKind::date_part:
    case SlotKind::time_part:
      return set_part(r, b, s.kind, at);
  }
  return false;
}

}  // namespace

bool ShapeCache::fits(const Shape& s, Bytes body) const noexcept {
  if (s.bytes.size() != body.size()) return false;
  const std::uint8_t* a = body.data();
  const std::uint8_t* t = s.bytes.data();
  const std::uint8_t* m = s.mask.data();
  const std::size_t n = body.size();
  std::uint64_t diff = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) diff |= (load64(a + i) ^ load64(t + i)) & load64(m + i);
  for (; i < n; ++i) diff |= static_cast<std::uint64_t>((a[i] ^ t[i]) & m[i]);
  return diff == 0;
}

bool ShapeCache::fill(const Shape& s, Bytes body, std::size_t body_offset, Telegram& out,
                      bool in_place) const {
  const Telegram& t = s.telegram;
  // Readings are trivially copyable: over readings already there (the Decoder leaves the last
  // telegram's in place) the copy is one memmove; into an empty vector it is element by element.
  static_assert(std::is_trivially_copyable_v<Reading>);
  // In place the readings are this shape's from the last telegram: only the values change.
  if (!in_place && out.readings.size() == t.readings.size()) {
    std::copy(t.readings.begin(), t.readings.end(), out.readings.begin());
  } else if (!in_place) {
    out.readings = t.readings;
  }
  copy_texts(t, out);
  // Most values: a load, a byte swap and a shift each (the top bytes are the value's, the shift
  // sign-extends a signed one), then the walk's rule.
  Reading* readings = out.readings.data();
  for (const IntSlot& slot : s.ints) {
    const std::uint64_t top = __builtin_bswap64(load64(body.data() + slot.data));
    const std::uint64_t u =
        slot.is_signed ? static_cast<std::uint64_t>(static_cast<std::int64_t>(top) >> slot.shift)
                       : top >> slot.shift;
    detail::set_integer(readings[slot.reading], u, slot.is_signed);
  }
  for (const ValueSlot& slot : s.others) {
    Reading& r = readings[slot.reading];
    if (!set_value(r, body.data() + slot.data, slot, body_offset + slot.data)) return false;
  }
  if (!out.timestamp && s.clock) out.timestamp = out.readings[*s.clock].date_time;
  return true;
}

bool ShapeCache::map(Bytes body, std::size_t body_offset, Telegram& out) {
  for (std::size_t i = 0; i < count_; ++i) {
    Shape& s = shapes_[i];
    if (!fits(s, body)) continue;
    const bool in_place = written_.telegram == &out && written_.shape == i &&
                          out.readings.size() == s.telegram.readings.size();
    if (!fill(s, body, body_offset, out, in_place)) break;
    s.used = ++tick_;
    ++stats_.hits;
    written_.telegram = &out;
    written_.shape = i;
    return true;
  }
  ++stats_.misses;
  written_.telegram = nullptr;  // the walk writes `out` next
  return false;
}

void ShapeCache::learn(Bytes body, const Telegram& mapped, const MapTrace& trace) {
  const std::vector<ValueSlot>& slots = trace.slots;
  if (body.size() > kMaxBody) return;
  if (trace.clock && *trace.clock >= mapped.readings.size()) return;
  for (const ValueSlot& slot : slots) {  // a slot the walk noted wrongly is not remembered
    const bool width_ok = slot.kind != SlotKind::integer || (slot.width >= 1 && slot.width <= 8);
    if (!width_ok || slot.reading >= mapped.readings.size() || slot.data > body.size() ||
        slot_size(slot) > body.size() - slot.data) {
      return;
    }
  }
  // A free place, else the shape used least recently.
  std::size_t at = count_;
  if (count_ == kShapes) {
    at = 0;
    for (std::size_t i = 1; i < kShapes; ++i) {
      if (shapes_[i].used < shapes_[at].used) at = i;
    }
  } else {
    ++count_;
  }
  Shape& s = shapes_[at];
  s.bytes.assign(body.begin(), body.end());
  s.mask.assign(body.size(), 0xFF);
  for (const ValueSlot& slot : slots) {
    std::fill_n(s.mask.begin() + slot.data, slot_size(slot), std::uint8_t{0});
    std::fill_n(s.bytes.begin() + slot.data, slot_size(slot), std::uint8_t{0});
  }
  // The integer fast path loads eight bytes from a value's start: only where they are in the
  // body, and on a little-endian machine (load64 + byte swap).
  constexpr bool kLittle = std::endian::native == std::endian::little;
  s.ints.clear();
  s.others.clear();
  for (const ValueSlot& slot : slots) {
    if (kLittle && slot.kind == SlotKind::integer && body.size() - slot.data >= 8) {
      s.ints.push_back(IntSlot{slot.data, slot.reading,
                               static_cast<std::uint8_t>(64 - 8 * slot.width), slot.is_signed});
    } else {
      s.others.push_back(slot);
    }
  }
  s.telegram.readings = mapped.readings;
  copy_texts(mapped, s.telegram);
  s.clock = trace.clock;
  s.used = ++tick_;
  ++stats_.learned;
  written_.telegram = &mapped;  // which holds this shape's readings, values and all
  written_.shape = at;
}

void ShapeCache::clear() noexcept {
  count_ = 0;
  tick_ = 0;
  written_.telegram = nullptr;
}

}  // namespace meterlab::cosem
