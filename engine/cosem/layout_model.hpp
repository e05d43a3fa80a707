// The compact C++ form of a layout, parsed once from JSON (layout_json.cpp) and used by map()
// (layout.cpp). Internal to the cosem layer. Strings that readings point at (names) live in the
// owning LayoutSet; units point into the static unit table.
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

namespace meterlab::cosem::detail {

enum class Mode : std::uint8_t { obis, positional, capture };
enum class RootKind : std::uint8_t { any, structure, array };
enum class Role : std::uint8_t { value, meter_id, meter_type, list_id, clock, date, time, skip };

// What an element must be: a class of types, or one exact A-XDR tag.
enum class TypeClass : std::uint8_t { any, number, string, date_time, date, time, exact };
struct TypeSpec {
  TypeClass cls = TypeClass::any;
  axdr::Tag tag = axdr::Tag::null_data;  // for exact
};

struct ElementSpec {
  std::optional<ObisCode> obis;
  std::string_view name;  // reading name: the layout's, else obis_name()
  std::string_view unit;  // static unit table symbol; empty = default_unit(obis)
  bool has_unit = false;
  std::int8_t scaler = 0;
  Role role = Role::value;
  TypeSpec type;
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

  // A layout with an identifying key (list id or first OBIS) is chosen by that key; a later type
  // error is then cosem_layout_mismatch. Without one, the structure itself is the key.
  bool identified() const noexcept { return list_id.has_value() || first_obis.has_value(); }
};

// Parses one JSON document (object or array of objects) into layouts; names that readings will
// point at are kept in `names`. Throws std::runtime_error naming the layout on bad input.
void parse_layouts(std::string_view json_text, std::deque<Layout>& out,
                   std::deque<std::string>& names);

}  // namespace meterlab::cosem::detail

namespace meterlab::cosem {
struct LayoutSet::Impl {
  std::deque<detail::Layout> layouts;  // deque: names stay put as more are loaded
  std::deque<std::string> names;       // stable storage for reading names from loaded layouts
};
}  // namespace meterlab::cosem
