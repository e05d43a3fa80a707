// The layout walk: a parsed notification body -> Telegram readings, by one layout (layouts are
// data: layouts/*.json, parsed once into layout_model.hpp structs). It is the one way a body is
// mapped: the shape cache (shape_cache.cpp) learns from what the walk notes (MapTrace) and is held
// to it by tests. It allocates nothing once the telegram's reading vector and text storage have
// grown.
#include "layout_mapper.hpp"

namespace meterlab::cosem::detail {

Result<void> Mapper::run() {
  switch (layout_.mode) {
    case Mode::obis:
      return map_obis();
    case Mode::positional:
      return map_positional();
    case Mode::capture:
      return map_capture();
    case Mode::generic:
      return map_generic();
  }
  return {};
}

// Mode obis: prefix elements, a run of OBIS-coded objects, suffix elements.
Result<void> Mapper::map_obis() {
  const Node& root = node(0);
  auto np = static_cast<std::uint32_t>(layout_.prefix.size());
  auto ns = static_cast<std::uint32_t>(layout_.suffix.size());
  if (np + ns > root.count) return mismatch(root);
  std::uint32_t idx = axdr::Document::first_child(0);
  for (std::uint32_t k = 0; k < np; ++k, idx = doc_.next_sibling(idx)) {
    MLAB_TRY(map_element(layout_.prefix[k], idx, k));
  }
  std::uint32_t suffix_at = root.count - ns;
  MLAB_ASSIGN(idx, map_obis_run(idx, np, suffix_at));  // the run ends where the suffix begins
  for (std::uint32_t k = 0; k < ns; ++k, idx = doc_.next_sibling(idx)) {
    MLAB_TRY(map_element(layout_.suffix[k], idx, suffix_at + k));
  }
  return {};
}

// Children k..end-1 (the first at `idx`); returns the index of child `end`.
Result<std::uint32_t> Mapper::map_obis_run(std::uint32_t idx, std::uint32_t k, std::uint32_t end) {
  while (k < end) {
    MLAB_ASSIGN(std::uint32_t used, map_obis_item(idx, k, end));
    for (std::uint32_t i = 0; i < used; ++i) idx = doc_.next_sibling(idx);
    k += used;
  }
  return idx;
}

// {scaler, unit} of a Register (Blue Book class 3 attribute 3): structure{integer, enum}.
bool scaler_unit_shape(const axdr::Document& doc, std::uint32_t idx) {
  const Node& n = doc.nodes()[idx];
  if (n.tag != Tag::structure || n.count != 2) return false;
  std::uint32_t c0 = axdr::Document::first_child(idx);
  return doc.nodes()[c0].tag == Tag::integer && doc.nodes()[doc.next_sibling(c0)].tag == Tag::enum_;
}

Scaling read_scaler_unit(const axdr::Document& doc, std::uint32_t idx) {
  std::uint32_t c0 = axdr::Document::first_child(idx);
  const Node& s = doc.nodes()[c0];
  const Node& u = doc.nodes()[doc.next_sibling(c0)];
  return {static_cast<std::int8_t>(s.i), unit_symbol(static_cast<std::uint8_t>(u.u))};
}

// One object of the run at child `idx` (position k): structure{OBIS, value[, scaler_unit]}, a
// flat OBIS, value[, scaler_unit], or a null-data placeholder. Returns the children it used.
Result<std::uint32_t> Mapper::map_obis_item(std::uint32_t idx, std::uint32_t k, std::uint32_t end) {
  const Node& n = node(idx);
  if (n.tag == Tag::null_data) return 1u;  // Kamstrup 1-phase: missing L2/L3 pairs are nulls
  std::uint32_t obis_idx = idx, value_idx = 0, su_idx = 0, used = 0;
  if (n.tag == Tag::structure && (n.count == 2 || n.count == 3)) {
    obis_idx = axdr::Document::first_child(idx);
    value_idx = doc_.next_sibling(obis_idx);
    if (n.count == 3) su_idx = doc_.next_sibling(value_idx);
    used = 1;
  } else {
    if (k + 1 >= end) return mismatch(n);
    value_idx = doc_.next_sibling(idx);
    std::uint32_t next = doc_.next_sibling(value_idx);
    used = 2;
    if (k + 2 < end && scaler_unit_shape(doc_, next)) su_idx = next, used = 3;
  }
  if (!is_obis_node(node(obis_idx))) return mismatch(node(obis_idx));
  if (su_idx != 0 && !scaler_unit_shape(doc_, su_idx)) return mismatch(node(su_idx));
  MLAB_ASSIGN(ObisCode obis, ObisCode::from_bytes(doc_.bytes(node(obis_idx)), at(node(obis_idx))));
  const Node& value = node(value_idx);
  bool has_su = su_idx != 0;
  if (layout_.require_scaler_unit && is_number(value) && !has_su) return mismatch(value);
  Scaling s = has_su ? read_scaler_unit(doc_, su_idx) : scaling_for(obis);
  MLAB_TRY(emit(obis, value, s, obis_name(obis), is_clock(obis)));
  return used;
}

// The generic mapping guesses no scaler and no unit.
Scaling Mapper::scaling_for(const ObisCode& obis) const noexcept {
  if (layout_.mode == Mode::generic) return {};
  for (const auto& rule : layout_.scalers) {
    if (rule.pattern.matches(obis)) return {rule.scaler, rule.unit};
  }
  return {0, default_unit(obis)};
}

// Mode positional: one element description per child. A plain number, most of every list, is
// written here at once; every other element goes through map_element().
Result<void> Mapper::map_positional() {
  std::uint32_t idx = axdr::Document::first_child(0);
  std::uint32_t k = 0;
  for (const auto& e : layout_.elements) {
    const Node& n = node(idx);
    if (e.role == Role::value && is_plain_integer(n) && e.check.accepts(n)) {
      Reading& r = out_.readings.emplace_back(e.integer_reading);
      read_integer(r, n);
    } else if (e.obis && has_text_role(e.role) && n.is_string() && e.check.accepts(n)) {
      emit_text(e, n);
    } else {
      MLAB_TRY(map_element(e, idx, k));
    }
    idx = doc_.next_sibling(idx);
    ++k;
  }
  return {};
}

Result<void> Mapper::map_element(const ElementSpec& e, std::uint32_t idx, std::uint32_t k) {
  const Node& n = node(idx);
  if (!e.check.accepts(n)) return mismatch(n);
  switch (e.role) {
    case Role::unnamed:
      return unnamed(idx, k);
    case Role::date:
    case Role::time:
      return date_or_time(e, n);
    case Role::value:
      return emit(*e.obis, n, Scaling{e.scaler, e.unit}, e.name, false);
    case Role::clock:
      return emit(e.obis ? *e.obis : kClockObis, n, {}, e.name, true);
    default:
      break;  // meter_id, meter_type, list_id
  }
  if (e.obis) {
    MLAB_TRY(emit(*e.obis, n, {}, e.name, false));
    set_field(e.role, out_.readings.back().text);
    return {};
  }
  if (!n.is_string()) return mismatch(n);
  set_field(e.role, node_text(n));
  return {};
}

// Iskra/Siemens AT lists send time (4) and date (5) as separate octet-strings: one clock.
Result<void> Mapper::date_or_time(const ElementSpec& e, const Node& n) {
  Bytes b = doc_.bytes(n);
  if (e.role == Role::date) {
    clock_ok_ &= readable_clock(parse_date(b, base_ + n.data, date_.emplace()), *date_);
    date_node_ = &n;
  } else {
    clock_ok_ &= readable_clock(parse_time(b, base_ + n.data, time_.emplace()), *time_);
    time_node_ = &n;
  }
  if (!date_ || !time_) return {};
  Reading& r = out_.readings.emplace_back();
  r.obis = e.obis ? *e.obis : kClockObis;
  r.name = e.name;
  if (!clock_ok_) return {};  // either part impossible: the clock is null
  r.kind = ValueKind::date_time;
  r.date_time = *date_;
  merge_time(r.date_time, *time_);
  note_slot(trace_, out_, *date_node_, SlotKind::date_part);
  note_slot(trace_, out_, *time_node_, SlotKind::time_part);
  if (!clock) clock = out_.readings.size() - 1;
  return {};
}

// Mode capture: structure{array of capture objects, value, value, ...}; the i-th value belongs
// to the i-th capture object {class-id, logical name, attribute, data index} (Blue Book class 40
// push_object_list). When the counts are equal the array is itself the first object's value.
Result<void> Mapper::map_capture() {
  const Node& root = node(0);
  if (root.tag != Tag::structure || root.count == 0) return mismatch(root);  // no array in it
  std::uint32_t list_idx = axdr::Document::first_child(0);
  const Node& list = node(list_idx);
  if (list.tag != Tag::array) return mismatch(root);
  std::uint32_t skip = 0;
  if (root.count == list.count + 1)
    skip = 1;
  else if (root.count != list.count)
    return mismatch(root);
  std::uint32_t value_idx = child(doc_, 0, skip);
  std::uint32_t obj = axdr::Document::first_child(list_idx);
  for (std::uint32_t i = 0; i < list.count; ++i) {
    const Node& o = node(obj);
    if (o.tag != Tag::structure || o.count != 4) return mismatch(o);
    std::uint32_t c = axdr::Document::first_child(obj);
    std::uint32_t ln = doc_.next_sibling(c);
    if (node(c).tag != Tag::long_unsigned || !is_obis_node(node(ln))) return mismatch(o);
    if (node(c).u != kPushSetupClass) {
      MLAB_ASSIGN(ObisCode obis, ObisCode::from_bytes(doc_.bytes(node(ln)), at(node(ln))));
      MLAB_TRY(emit(obis, node(value_idx), scaling_for(obis), obis_name(obis), is_clock(obis)));
    }
    obj = doc_.next_sibling(obj);
    value_idx = doc_.next_sibling(value_idx);
  }
  return {};
}

Result<void> Mapper::emit(const ObisCode& obis, const Node& value, Scaling s, std::string_view name,
                          bool as_date_time) {
  if (is_plain_integer(value)) {
    emit_integer(obis, value, s, name);
    return {};
  }
  Reading& r = out_.readings.emplace_back();
  r.obis = obis;
  r.name = name;
  MLAB_TRY(set_value(r, value, as_date_time));
  if (r.kind == ValueKind::integer || r.kind == ValueKind::real) {
    r.scaler = s.scaler;
    r.unit = s.unit;
  }
  apply_fields(r);
  return {};
}

// An impossible date or time (month 13, hour 25) is no clock: a warning in the telegram, and the
// reading stays null (kind none); every other value still comes out (issue 16). The parsers give
// no other error for a value of the right size.
bool Mapper::readable_clock(const Result<void>& read, DateTime& dt) {
  if (read) return true;
  out_.clock_warnings.push_back(read.error());
  dt = DateTime{};
  return false;
}

Result<void> Mapper::read_date_time(const Node& n, DateTime& out) {
  Bytes b = doc_.bytes(n);
  std::size_t off = base_ + n.data;
  if (n.tag == Tag::date) return parse_date(b, off, out);
  if (n.tag == Tag::time) return parse_time(b, off, out);
  return parse_date_time(b, off, out);
}

Result<void> Mapper::set_value(Reading& r, const Node& n, bool as_date_time) {
  if (n.tag == Tag::date_time || n.tag == Tag::date || n.tag == Tag::time ||
      (as_date_time && n.tag == Tag::octet_string && n.count == 12)) {
    if (!readable_clock(read_date_time(n, r.date_time), r.date_time)) return {};
    r.kind = ValueKind::date_time;
    note_slot(trace_, out_, n, date_slot(n));
    return {};
  }
  if (n.is_container()) return mismatch(n);
  if (n.tag == Tag::null_data) {
    r.kind = ValueKind::none;
  } else if (n.tag == Tag::boolean) {
    r.kind = ValueKind::boolean;
    r.raw = n.i != 0;
    note_slot(trace_, out_, n, SlotKind::boolean);
  } else if (n.is_integer()) {
    read_integer(r, n);
  } else if (n.tag == Tag::float32 || n.tag == Tag::float64) {
    r.kind = ValueKind::real;
    r.real = n.f;
    note_slot(trace_, out_, n, n.tag == Tag::float32 ? SlotKind::real32 : SlotKind::real64);
  } else {  // strings, BCD, bit-string
    read_text(r, n);
  }
  return {};
}

// A string element with an OBIS code, as map_element() would give it through emit(): the text
// (or the bytes, when an octet-string is not printable), the Telegram fields it sets.
void Mapper::emit_text(const ElementSpec& e, const Node& n) {
  Reading& r = out_.readings.emplace_back(e.text_reading);
  read_text(r, n);
  apply_fields(r);
  if (e.role != Role::value) set_field(e.role, r.text);
}

// A number needs no more than this (the Telegram fields come from strings and clocks).
void Mapper::emit_integer(const ObisCode& obis, const Node& n, Scaling s, std::string_view name) {
  Reading& r = out_.readings.emplace_back();
  r.obis = obis;
  r.name = name;
  read_integer(r, n);
  r.scaler = s.scaler;
  r.unit = s.unit;
}

void Mapper::read_integer(Reading& r, const Node& n) {
  r.kind = ValueKind::integer;
  set_integer(r, n.u, n.is_signed());
  note_slot(trace_, out_, n, SlotKind::integer);
}

// A string's bytes into the telegram's text storage: text, or octets when an octet-string is not
// printable.
void Mapper::read_text(Reading& r, const Node& n) {
  const Bytes b = doc_.bytes(n);
  r.kind = is_text(n, b) ? ValueKind::text : ValueKind::octets;
  r.text = out_.store(as_text(b));
}

TextRef Mapper::node_text(const Node& n) { return out_.store(as_text(doc_.bytes(n))); }

// Telegram fields from the well-known objects; the first one found wins. `r` is the last reading;
// a clock is remembered by its index.
void Mapper::apply_fields(const Reading& r) {
  if (r.kind == ValueKind::date_time) {
    if (is_clock(r.obis) && !clock) clock = out_.readings.size() - 1;
    return;
  }
  if (!r.has_text()) return;
  if (is_meter_id(r.obis))
    set_field(Role::meter_id, r.text);
  else if (is_meter_type(r.obis))
    set_field(Role::meter_type, r.text);
  else if (is_list_id(r.obis))
    set_field(Role::list_id, r.text);
}

void Mapper::set_field(Role role, TextRef text) {
  TextRef* field = role == Role::meter_id     ? &out_.meter_id
                   : role == Role::meter_type ? &out_.meter_type
                   : role == Role::list_id    ? &out_.list_id
                                              : nullptr;
  if (field && field->empty()) *field = text;
}

void reset_mapped(Telegram& out) noexcept {
  out.readings.clear();
  out.text_storage.clear();
  out.meter_id = out.meter_type = out.list_id = {};
  out.layout = {};
  out.family_zone = {};
  out.deviation_unreliable = false;
  out.clock_warnings.clear();
}

// The family's clock rule for this telegram's list (layout_model.hpp ClockRule).
void apply_clock_rule(const Layout& layout, Telegram& out) {
  const std::string_view list_id = out.text(out.list_id);
  for (const ClockRule& rule : layout.clock_rules) {
    if (rule.list_id && *rule.list_id != list_id) continue;
    out.family_zone = rule.zone;
    out.deviation_unreliable = rule.deviation_unreliable;
    return;
  }
}

Result<void> walk(const Layout& layout, const LayoutContext& ctx, Telegram& out) {
  reset_mapped(out);
  if (ctx.trace) ctx.trace->clear();
  Mapper m(layout, ctx, out);
  MLAB_TRY(m.run());
  out.layout = layout.name;
  apply_clock_rule(layout, out);
  if (!out.timestamp && m.clock) out.timestamp = out.readings[*m.clock].date_time;
  if (ctx.trace) ctx.trace->clock = m.clock;
  return {};
}

}  // namespace meterlab::cosem::detail
