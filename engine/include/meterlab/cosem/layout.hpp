// Layouts: how a notification body becomes readings. Data, not code: JSON descriptions, one per
// list, built into the library (engine/cosem/layouts/*.json) and loadable from files.
//
// Shapes handled:
//  - self-describing: elements structure{OBIS, value[, structure{scaler, unit}]} (Aidon, TINETZ,
//    Salzburg), also flat OBIS, value[, {scaler, unit}] runs (EVN, Kaifa SE, Kamstrup) and bare
//    OBIS + value pairs at the top level (TINETZ/VKW clock);
//  - OBIS/value lists without scaler_unit: the layout gives scalers and units per OBIS;
//  - positional lists without OBIS codes (Kaifa KFM_001, Iskra AM550, Siemens IM350, L&G E450 AT):
//    the layout gives the OBIS, scaler and unit of every position;
//  - capture-object list + values (L&G CH push with its push_object_list).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/axdr/axdr.hpp"
#include "meterlab/cosem/shape_cache.hpp"
#include "meterlab/cosem/telegram.hpp"

namespace meterlab::cosem {

// The layout name of a telegram no layout identified: the generic mapping gave it (map()).
inline constexpr std::string_view kGenericLayout = "generic";

struct LayoutContext {
  const axdr::Document* body = nullptr;  // parsed notification body
  std::size_t body_offset = 0;           // offset of the body in the APDU: added to the body's
                                         // node offsets in errors
  MapTrace* trace = nullptr;             // when set, map() notes where each value came from
                                         // (cleared first; valid when map() succeeds)
};

class LayoutSet {
 public:
  LayoutSet();
  ~LayoutSet();
  LayoutSet(LayoutSet&&) noexcept;
  LayoutSet& operator=(LayoutSet&&) noexcept;

  // The layouts built into the library.
  static const LayoutSet& builtin();
  // Adds the layouts of one JSON document (an object or an array of objects). Errors are for
  // people: thrown as std::runtime_error with the layout name (loading is not a decode path).
  void load_json(std::string_view json_text);
  std::vector<std::string> names() const;

  // Readings' names point into this set (built-in names are static): a LayoutSet loaded with
  // load_json must outlive the telegrams it maps.
  // Maps a parsed body into `out.readings`, `out.meter_id`, `out.meter_type`, `out.list_id`,
  // `out.layout` and (when the APDU had none) `out.timestamp`. Errors: cosem_unknown_layout
  // (offset = body offset), cosem_layout_mismatch / cosem_bad_obis / cosem_bad_date_time at the
  // element's offset. A body no layout identifies is mapped generically (layout kGenericLayout:
  // layout_generic.cpp says how); cosem_unknown_layout is left for an empty body and a body
  // nested deeper than Reading::kMaxDepth or wider than Reading::kMaxIndex.
  Result<void> map(const LayoutContext& ctx, Telegram& out) const;
  // The names of every layout that would map this body (tests: matching must be unambiguous);
  // kGenericLayout alone when no layout would.
  std::vector<std::string_view> matching(const LayoutContext& ctx) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace meterlab::cosem
