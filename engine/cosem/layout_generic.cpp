// The generic mapping: a body no layout identifies still gives a telegram with every value it
// carries (layout "generic"). Nothing is guessed; the readings come in the body's own order:
//  - a capture-object list {array of capture objects, values...} maps as a capture layout does,
//    without scalers or units;
//  - an OBIS-coded object (structure{OBIS, value[, {scaler, unit}]}, or a flat run of OBIS, value
//    [, {scaler, unit}]) is one reading named by its OBIS code, scaled and with its unit only when
//    the object carries its {scaler, unit};
//  - any other value is a positional reading: no OBIS code, no name, no unit, its `position` the
//    1-based index path from the body's root ("3", "2.1"), the raw value (a 12-byte octet-string
//    that reads as a COSEM date-time is one);
//  - the telegram's meter id, type and list id come from the well-known OBIS codes, its list id
//    also from a leading string, and its clock (when the APDU has none) from the first clock
//    object or date-time value.
// A body nested deeper than Reading::kMaxDepth or with more than Reading::kMaxIndex elements in
// one container is not mapped (cosem_unknown_layout).
#include "layout_mapper.hpp"

namespace meterlab::cosem::detail {

Layout generic_layout() {
  Layout l;
  l.name = std::string(kGenericLayout);
  l.mode = Mode::generic;
  return l;
}

Result<void> Mapper::map_generic() {
  if (!node(0).is_container()) return generic_value(0, Position{1});
  if (capture_shape()) {
    if (map_capture()) return {};
    reset_mapped(out_);  // not a capture list after all: every value positional
    clock.reset();
    if (trace_) trace_->clear();
  }
  return generic_children(0, Position{}, 0);
}

// structure{array of structure{long-unsigned class, OBIS, ...}, ...} with a value per object.
bool Mapper::capture_shape() const {
  const Node& root = node(0);
  if (root.tag != Tag::structure || root.count == 0) return false;
  const std::uint32_t list_idx = axdr::Document::first_child(0);
  const Node& list = node(list_idx);
  if (list.tag != Tag::array || list.count == 0) return false;
  if (root.count != list.count && root.count != list.count + 1) return false;
  const std::uint32_t obj = axdr::Document::first_child(list_idx);
  if (node(obj).tag != Tag::structure || node(obj).count != 4) return false;
  const std::uint32_t c = axdr::Document::first_child(obj);
  return node(c).tag == Tag::long_unsigned && is_obis_node(node(doc_.next_sibling(c)));
}

Result<void> Mapper::generic_children(std::uint32_t container, Position path, std::size_t depth) {
  const Node& c = node(container);
  if (depth >= Reading::kMaxDepth || c.count > Reading::kMaxIndex) return mismatch(c);
  std::uint32_t idx = axdr::Document::first_child(container);
  for (std::uint32_t k = 0; k < c.count;) {
    path[depth] = static_cast<std::uint8_t>(k + 1);
    const Node& n = node(idx);
    if (is_plain_integer(n)) {  // most of a list, and never the head of an OBIS-coded object
      positional_integer(n, path);
      idx = doc_.next_sibling(idx);
      ++k;
      continue;
    }
    MLAB_ASSIGN(std::uint32_t used, generic_item(idx, k, c.count, path, depth));
    for (std::uint32_t i = 0; i < used; ++i) idx = doc_.next_sibling(idx);
    k += used;
  }
  return {};
}

// Child `idx` (position k of `end` in its container): an OBIS-coded object, a container, or a
// value. Returns the children it used.
Result<std::uint32_t> Mapper::generic_item(std::uint32_t idx, std::uint32_t k, std::uint32_t end,
                                           const Position& path, std::size_t depth) {
  if (obis_object(idx, k, end)) return map_obis_item(idx, k, end);
  if (node(idx).is_container()) {
    MLAB_TRY(generic_children(idx, path, depth + 1));
  } else {
    MLAB_TRY(generic_value(idx, path));
  }
  return 1u;
}

// structure{OBIS, value[, {scaler, unit}]}, or OBIS followed by a value (not an OBIS code).
bool Mapper::obis_object(std::uint32_t idx, std::uint32_t k, std::uint32_t end) const {
  const Node& n = node(idx);
  if (n.tag == Tag::structure && (n.count == 2 || n.count == 3)) {
    const std::uint32_t obis = axdr::Document::first_child(idx);
    const std::uint32_t value = doc_.next_sibling(obis);
    if (!is_obis_node(node(obis)) || node(value).is_container()) return false;
    return n.count == 2 || scaler_unit_shape(doc_, doc_.next_sibling(value));
  }
  if (!is_obis_node(n) || k + 1 >= end) return false;
  const Node& value = node(doc_.next_sibling(idx));
  return !value.is_container() && !is_obis_node(value);
}

// A layout's element of undocumented meaning, the body's child k (0-based): its value(s) by
// position, as the generic mapping gives them.
Result<void> Mapper::unnamed(std::uint32_t idx, std::uint32_t k) {
  if (k >= Reading::kMaxIndex) return mismatch(node(idx));
  Position path{};
  path[0] = static_cast<std::uint8_t>(k + 1);
  if (node(idx).is_container()) return generic_children(idx, path, 1);
  return generic_value(idx, path);
}

// One positional reading: the raw value at `path`. Only the generic mapping takes the telegram's
// clock or list id from such a value; a layout says where they are.
Result<void> Mapper::generic_value(std::uint32_t idx, const Position& path) {
  const Node& n = node(idx);
  if (is_plain_integer(n)) {
    positional_integer(n, path);
    return {};
  }
  bool clock_like = n.tag == Tag::date_time;
  if (n.tag == Tag::octet_string && n.count == 12) {
    DateTime probe;
    clock_like = parse_date_time(doc_.bytes(n), at(n), probe).has_value();
  }
  Reading& r = out_.readings.emplace_back();
  r.position = path;
  MLAB_TRY(set_value(r, n, clock_like));
  if (layout_.mode != Mode::generic) return {};
  if (clock_like && r.kind == ValueKind::date_time && !clock) clock = out_.readings.size() - 1;
  const bool leading = path[0] == 1 && path[1] == 0;
  if (leading && r.kind == ValueKind::text) set_field(Role::list_id, r.text);
  return {};
}

}  // namespace meterlab::cosem::detail
