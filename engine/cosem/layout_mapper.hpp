// The walk's Mapper: one layout over one parsed body (layout_walk.cpp; the generic mapping of a
// body no layout identifies: layout_generic.cpp). Internal to the cosem layer.
#pragma once

#include <cstring>

#include "layout_model.hpp"
#include "meterlab/axdr/value.hpp"
#include "reading_rules.hpp"

namespace meterlab::cosem::detail {

using axdr::Node;
using axdr::Tag;

constexpr std::uint16_t kPushSetupClass = 40;  // Blue Book class 40: push setup (metadata)
// A number, as the layouts' type "number" means it.
constexpr TypeCheck kNumber = type_check({TypeClass::number});

struct Scaling {
  std::int8_t scaler = 0;
  std::string_view unit;
};

inline bool is_plain_integer(const Node& n) noexcept {
  return n.is_integer() && n.tag != Tag::boolean;
}
inline bool is_number(const Node& n) noexcept { return kNumber.accepts(n); }
inline bool is_meter_id(const ObisCode& o) noexcept {
  return (o.v[0] == 0 && o.v[2] == 96 && o.v[3] == 1 && o.v[4] == 0) ||
         (o.v[0] == 1 && o.v[2] == 0 && o.v[3] == 0 && o.v[4] == 5);
}
inline bool is_meter_type(const ObisCode& o) noexcept {
  return (o.v[0] == 0 && o.v[2] == 96 && o.v[3] == 1 && o.v[4] == 7) ||
         (o.v[0] == 1 && o.v[2] == 96 && o.v[3] == 1 && o.v[4] == 1);
}
// Printable ASCII (0x20..0x7E), eight bytes at a time: a byte below 0x20 borrows into its top
// bit when 0x20 is subtracted from it, a byte above 0x7E carries into it when 0x01 is added,
// and a byte that has its top bit set already is not ASCII (the classic "has less / has more
// than" word tests). Meter ids, types and list ids are 7 to 16 bytes long.
inline bool printable(Bytes b) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHigh = 0x8080808080808080;
  if (b.empty()) return false;
  std::uint64_t bad = 0;
  while (b.size() >= 8) {
    std::uint64_t w;
    std::memcpy(&w, b.data(), 8);
    bad |= ((w - 0x20 * kOnes) | (w + kOnes) | w) & kHigh;
    b = b.subspan(8);
  }
  for (std::uint8_t c : b) bad |= static_cast<std::uint8_t>(c - 0x20) > 0x7E - 0x20 ? 1 : 0;
  return bad == 0;
}

// Visible and UTF-8 strings are text; an octet-string is when it is printable ASCII.
inline bool is_text(const Node& n, Bytes b) noexcept {
  return n.tag == Tag::visible_string || n.tag == Tag::utf8_string ||
         (n.tag == Tag::octet_string && printable(b));
}

inline bool has_text_role(Role role) noexcept {
  return role == Role::value || role == Role::meter_id || role == Role::meter_type ||
         role == Role::list_id;
}

// The i-th child of a container node, by walking siblings (lists are short: < 64 elements).
inline std::uint32_t child(const axdr::Document& doc, std::uint32_t container, std::uint32_t i) {
  std::uint32_t idx = axdr::Document::first_child(container);
  for (std::uint32_t k = 0; k < i; ++k) idx = doc.next_sibling(idx);
  return idx;
}

// Where the value of the telegram's last reading came from, for the shape cache.
inline void note_slot(MapTrace* trace, const Telegram& out, const Node& n, SlotKind kind) {
  if (!trace) return;
  const axdr::detail::TagInfo info = axdr::detail::kTagTable[static_cast<std::uint8_t>(n.tag)];
  trace->slots.push_back(ValueSlot{static_cast<std::uint32_t>(out.readings.size() - 1), n.data,
                                   kind, info.size, info.is_signed});
}

// The slot of a date-time, date or time value (set_value's three cases).
inline SlotKind date_slot(const Node& n) noexcept {
  return n.tag == Tag::date   ? SlotKind::date
         : n.tag == Tag::time ? SlotKind::time
                              : SlotKind::date_time;
}

// {scaler, unit} of a Register (Blue Book class 3 attribute 3): structure{integer, enum}.
bool scaler_unit_shape(const axdr::Document& doc, std::uint32_t idx);

using Position = std::array<std::uint8_t, Reading::kMaxDepth>;

class Mapper {
 public:
  Mapper(const Layout& layout, const LayoutContext& ctx, Telegram& out)
      : layout_(layout), doc_(*ctx.body), base_(ctx.body_offset), out_(out), trace_(ctx.trace) {}

  Result<void> run();
  // The reading that gives the telegram its clock when the APDU has none (its index in
  // out.readings; copied once the list is mapped).
  std::optional<std::size_t> clock;

 private:
  Result<void> map_obis();
  Result<std::uint32_t> map_obis_run(std::uint32_t idx, std::uint32_t k, std::uint32_t end);
  Result<std::uint32_t> map_obis_item(std::uint32_t idx, std::uint32_t k, std::uint32_t end);
  Result<void> map_positional();
  Result<void> map_capture();
  Result<void> map_generic();
  Result<void> generic_children(std::uint32_t container, Position path, std::size_t depth);
  Result<std::uint32_t> generic_item(std::uint32_t idx, std::uint32_t k, std::uint32_t end,
                                     const Position& path, std::size_t depth);
  Result<void> generic_value(std::uint32_t idx, const Position& path);
  // A plain integer at `path`: the positional reading generic_value() gives it, also written by
  // generic_children() at once (the one rule for both).
  void positional_integer(const Node& n, const Position& path) {
    Reading& r = out_.readings.emplace_back();
    r.position = path;
    read_integer(r, n);
  }
  bool obis_object(std::uint32_t idx, std::uint32_t k, std::uint32_t end) const;
  bool capture_shape() const;
  Result<void> map_element(const ElementSpec& e, std::uint32_t idx, std::uint32_t k);
  Result<void> unnamed(std::uint32_t idx, std::uint32_t k);
  Result<void> date_or_time(const ElementSpec& e, const Node& n);
  Result<void> emit(const ObisCode& obis, const Node& value, Scaling s, std::string_view name,
                    bool as_date_time);
  Result<void> set_value(Reading& r, const Node& n, bool as_date_time);
  void emit_integer(const ObisCode& obis, const Node& n, Scaling s, std::string_view name);
  void emit_text(const ElementSpec& e, const Node& n);
  void read_integer(Reading& r, const Node& n);
  void read_text(Reading& r, const Node& n);
  Result<void> read_date_time(const Node& n, DateTime& out);
  bool readable_clock(const Result<void>& read, DateTime& dt);
  Scaling scaling_for(const ObisCode& obis) const noexcept;
  TextRef node_text(const Node& n);
  void apply_fields(const Reading& r);
  void set_field(Role role, TextRef text);
  Unexpected mismatch(const Node& n) const { return fail(Errc::cosem_layout_mismatch, at(n)); }
  std::size_t at(const Node& n) const noexcept { return base_ + n.offset; }
  const Node& node(std::uint32_t i) const { return doc_.nodes()[i]; }

  const Layout& layout_;
  const axdr::Document& doc_;
  std::size_t base_;
  Telegram& out_;
  MapTrace* trace_;  // null: nothing noted
  std::optional<DateTime> date_, time_;
  const Node* date_node_ = nullptr;  // where date_ and time_ came from
  const Node* time_node_ = nullptr;
  bool clock_ok_ = true;  // neither date_ nor time_ was impossible
};

}  // namespace meterlab::cosem::detail
