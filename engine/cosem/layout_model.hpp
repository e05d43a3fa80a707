// The compact C++ form of a layout, parsed once from JSON (layout_json.cpp), and the steps of
// mapping a body with it: matching (layout_match.cpp), the walk (layout_walk.cpp), both driven by
// LayoutSet (layout_set.cpp). Internal to the cosem layer. Strings that readings point at (names)
// live in the owning LayoutSet; units point into the static unit table.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/axdr/axdr.hpp"
#include "meterlab/cosem/layout.hpp"
#include "meterlab/cosem/obis.hpp"
#include "meterlab/cosem/telegram.hpp"

namespace meterlab::cosem::detail {

// generic: the mapping of a body no layout identifies (layout_generic.cpp), not loadable from JSON.
enum class Mode : std::uint8_t { obis, positional, capture, generic };
enum class RootKind : std::uint8_t { any, structure, array };
// unnamed: a position whose meaning no source documents: a positional reading (its `position`,
// no OBIS code, no name, the raw value), never dropped and never given an invented OBIS.
enum class Role : std::uint8_t { value, meter_id, meter_type, list_id, clock, date, time, unnamed };

// What an element must be: a class of types, or one exact A-XDR tag.
enum class TypeClass : std::uint8_t { any, number, string, date_time, date, time, exact };
struct TypeSpec {
  TypeClass cls = TypeClass::any;
  axdr::Tag tag = axdr::Tag::null_data;  // for exact
};

// A TypeSpec as the mapper tests it: a set of tags, and an octet-string length that also passes
// (a date-time, date or time sent as an octet-string of 12, 5 or 4 bytes). Made at load time.
struct TypeCheck {
  std::uint32_t tags = ~std::uint32_t{0};
  std::uint32_t octets = 0;  // 0: no octet-string length passes by itself
  bool accepts(const axdr::Node& n) const noexcept {
    return axdr::detail::in(tags, n.tag) ||
           (n.tag == axdr::Tag::octet_string && n.count == octets && octets != 0);
  }
};

constexpr TypeCheck type_check(TypeSpec t) noexcept {
  using axdr::Tag;
  using axdr::detail::tag_bit;
  switch (t.cls) {
    case TypeClass::any:
      return {};
    case TypeClass::number:
      return {(axdr::detail::kIntegerTags & ~tag_bit(Tag::boolean)) | tag_bit(Tag::float32) |
                  tag_bit(Tag::float64),
              0};
    case TypeClass::string:
      return {axdr::detail::kStringTags, 0};
    case TypeClass::date_time:
      return {tag_bit(Tag::date_time), 12};
    case TypeClass::date:
      return {tag_bit(Tag::date), 5};
    case TypeClass::time:
      return {tag_bit(Tag::time), 4};
    case TypeClass::exact:
      return {tag_bit(t.tag), 0};
  }
  return {};
}

// Where a clock element without an OBIS code of its own puts its reading.
constexpr ObisCode kClockObis{{0, 0, 1, 0, 0, 255}};

struct ElementSpec {
  std::optional<ObisCode> obis;
  // Resolved when the layout is loaded, so that mapping looks nothing up: the reading's name (the
  // layout's, else obis_name() of its OBIS code, or of kClockObis for a clock, date or time) and,
  // for a value, its unit (the layout's, else default_unit()).
  std::string_view name;
  std::string_view unit;  // static unit table symbol
  bool has_unit = false;  // the layout gave the unit
  std::int8_t scaler = 0;
  Role role = Role::value;
  TypeSpec type;
  TypeCheck check;  // type_check(type)
  // The reading it gives, all but the value filled in at load time, so that a frame copies it and
  // sets the value: for a value that is an integer (OBIS, name, unit, scaler), and for an element
  // with an OBIS code that is a string (OBIS and name).
  Reading integer_reading;
  Reading text_reading;
};

// An OBIS pattern: -1 in a group matches any value ("1-*:31.7.0.*").
struct ObisPattern {
  std::array<std::int16_t, 6> g{};
  bool matches(const ObisCode& c) const noexcept {
    for (std::size_t i = 0; i < 6; ++i) {
      if (g[i] >= 0 && g[i] != c.v[i]) return false;
    }
    return true;
  }
};

struct ScalerRule {
  ObisPattern pattern;
  std::int8_t scaler = 0;
  std::string_view unit;  // static unit table symbol
};

// A meter family's clock (layouts/README.md "clock"): for the lists with this list id (any list
// when none is given), the family's default time zone (a name in the time zone table, empty:
// none) and whether its deviation field is known to be wrong.
struct ClockRule {
  std::optional<std::string> list_id;
  std::string_view zone;
  bool deviation_unreliable = false;
};

struct Layout {
  std::string name;
  Mode mode = Mode::obis;
  // Match keys.
  RootKind root = RootKind::any;
  std::uint32_t min_count = 0, max_count = UINT32_MAX;
  std::optional<std::string> list_id;  // the list's own id text
  std::optional<ObisCode> first_obis;  // the first OBIS code of the body
  // mode obis
  std::vector<ElementSpec> prefix, suffix;
  bool require_scaler_unit = false;
  // mode positional
  std::vector<ElementSpec> elements;
  // modes obis and capture: scaler/unit by OBIS when the list does not carry them
  std::vector<ScalerRule> scalers;
  // The clock rules, the first that fits the telegram's list id applies.
  std::vector<ClockRule> clock_rules;

  // A layout with an identifying key (list id or first OBIS) is chosen by that key; a later type
  // error is then cosem_layout_mismatch. Without one, the structure itself is the key.
  bool identified() const noexcept { return list_id.has_value() || first_obis.has_value(); }
};

// Parses one JSON document (object or array of objects) into layouts; names that readings will
// point at are kept in `names`. Throws std::runtime_error naming the layout on bad input.
void parse_layouts(std::string_view json_text, std::deque<Layout>& out,
                   std::deque<std::string>& names);

// An OBIS code on the wire: an octet-string of 6 bytes.
inline bool is_obis_node(const axdr::Node& n) noexcept {
  return n.tag == axdr::Tag::octet_string && n.count == 6;
}
// The clock (x-x:1.0.0.x) and the list id (x-x:0.2.129.x, values of group A 0 and 1).
inline bool is_clock(const ObisCode& o) noexcept {
  return o.v[0] == 0 && o.v[2] == 1 && o.v[3] == 0 && o.v[4] == 0;
}
inline bool is_list_id(const ObisCode& o) noexcept {
  return o.v[0] <= 1 && o.v[2] == 0 && o.v[3] == 2 && o.v[4] == 129;
}
inline std::string_view as_text(Bytes b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// What the layouts' match keys are compared with, read from the body once per map().
struct BodyKeys {
  axdr::Tag root = axdr::Tag::null_data;
  std::uint32_t count = 0;
  std::optional<ObisCode> first_obis;
  std::optional<std::string_view> list_id;
  const axdr::Node* first = nullptr;  // the root's first child; null when it has none
};
BodyKeys body_keys(const axdr::Document& doc);

// What the first child of a body must be for the walk of a layout not to end in
// cosem_layout_mismatch at once, when the body has at least `min_count` children: read off the
// layout when it is loaded, so that a layout that cannot fit is passed over before its walk.
struct FirstChild {
  TypeCheck check;  // default: anything
  std::uint32_t min_count = 1;
};
FirstChild first_child_check(const Layout& l);
// false when the walk of positional layout `l` would certainly end in cosem_layout_mismatch.
bool types_fit(const Layout& l, const axdr::Document& doc);

// The walk of one layout over a parsed body (layout_walk.cpp): `out`'s mapped fields are reset,
// then the readings, meter id and type, list id, layout name and (when the APDU had none) the
// timestamp written; ctx.trace, when set, is cleared and notes where each value came from. On an
// error `out`'s mapped fields are unspecified: reset_mapped() clears them.
Result<void> walk(const Layout& layout, const LayoutContext& ctx, Telegram& out);
void reset_mapped(Telegram& out) noexcept;
// The layout of the generic mapping (name kGenericLayout, mode generic).
Layout generic_layout();

}  // namespace meterlab::cosem::detail

namespace meterlab::cosem {
struct LayoutSet::Impl {
  std::deque<detail::Layout> layouts;  // deque: names stay put as more are loaded
  std::deque<std::string> names;       // stable storage for reading names from loaded layouts
  // The match keys of layouts[i] side by side, so that finding a body's layout reads a few
  // contiguous lines instead of one large Layout after another. Rebuilt by load_json().
  struct Keys {
    detail::RootKind root = detail::RootKind::any;
    std::uint32_t min_count = 0, max_count = UINT32_MAX;
    std::optional<ObisCode> first_obis;
    std::optional<std::string_view> list_id;  // into layouts[i].list_id
    detail::FirstChild first;                 // for a layout without an identifying key
  };
  std::vector<Keys> keys;
  detail::Layout generic = detail::generic_layout();  // when no layout identifies a body
};
}  // namespace meterlab::cosem

namespace meterlab::cosem::detail {
// Whether layout l's keys let it map the body: root, count, first OBIS code, list id, and for a
// layout without an identifying key, its first child (FirstChild).
inline bool keys_match(const LayoutSet::Impl::Keys& l, const BodyKeys& body) noexcept {
  if (l.root == detail::RootKind::structure && body.root != axdr::Tag::structure) return false;
  if (l.root == detail::RootKind::array && body.root != axdr::Tag::array) return false;
  if (body.count < l.min_count || body.count > l.max_count) return false;
  if (l.first_obis && body.first_obis != l.first_obis) return false;
  if (l.list_id && body.list_id != l.list_id) return false;
  return !body.first || body.count < l.first.min_count || l.first.check.accepts(*body.first);
}
}  // namespace meterlab::cosem::detail
