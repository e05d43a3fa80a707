// OBIS codes (IEC 62056-61), the DLMS unit table (Blue Book, interface class 3 scaler_unit) and the
// names and default units of the quantities the push lists carry.
#include "meterlab/cosem/obis.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <span>

namespace meterlab::cosem {

std::string ObisCode::to_string() const {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%u-%u:%u.%u.%u.%u", v[0], v[1], v[2], v[3], v[4], v[5]);
  return std::string(buf, static_cast<std::size_t>(n));
}

namespace {

// Reads one decimal group 0..255 starting at `pos`; advances `pos`.
std::optional<std::uint8_t> read_group(std::string_view s, std::size_t& pos) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data() + pos, s.data() + s.size(), value);
  if (ec != std::errc{} || value > 255) return std::nullopt;
  pos = static_cast<std::size_t>(end - s.data());
  return static_cast<std::uint8_t>(value);
}

}  // namespace

// Accepts "A-B:C.D.E.F" (IEC 62056-61 display form) and "A.B.C.D.E.F" (all dots).
std::optional<ObisCode> ObisCode::parse(std::string_view s) {
  static constexpr char kDashForm[5] = {'-', ':', '.', '.', '.'};
  ObisCode code;
  std::size_t pos = 0;
  bool dots_only = false;
  for (std::size_t i = 0; i < 6; ++i) {
    auto g = read_group(s, pos);
    if (!g) return std::nullopt;
    code.v[i] = *g;
    if (i == 5) break;
    if (pos >= s.size()) return std::nullopt;
    char sep = s[pos++];
    if (i == 0) dots_only = (sep == '.');
    if (sep != (dots_only ? '.' : kDashForm[i])) return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  return code;
}

Result<ObisCode> ObisCode::from_bytes(Bytes six, std::size_t offset) {
  if (six.size() != 6) return fail(Errc::cosem_bad_obis, offset);
  ObisCode code;
  for (std::size_t i = 0; i < 6; ++i) code.v[i] = six[i];
  return code;
}

namespace {

// Blue Book (DLMS UA 1000-1), class 3 "Register" scaler_unit: the unit enumeration. Codes not
// listed are reserved; 254 "other unit" and 255 "no unit / count" have no symbol.
struct UnitRow {
  std::uint8_t code;
  std::string_view symbol;
};
constexpr UnitRow kUnits[] = {
    {1, "a"},         {2, "mo"},         {3, "wk"},       {4, "d"},           {5, "h"},
    {6, "min"},       {7, "s"},          {8, "\u00b0"},   {9, "\u00b0C"},     {10, "currency"},
    {11, "m"},        {12, "m/s"},       {13, "m3"},      {14, "m3"},         {15, "m3/h"},
    {16, "m3/h"},     {17, "m3/d"},      {18, "m3/d"},    {19, "l"},          {20, "kg"},
    {21, "N"},        {22, "Nm"},        {23, "Pa"},      {24, "bar"},        {25, "J"},
    {26, "J/h"},      {27, "W"},         {28, "VA"},      {29, "var"},        {30, "Wh"},
    {31, "VAh"},      {32, "varh"},      {33, "A"},       {34, "C"},          {35, "V"},
    {36, "V/m"},      {37, "F"},         {38, "\u03a9"},  {39, "\u03a9m2/m"}, {40, "Wb"},
    {41, "T"},        {42, "A/m"},       {43, "H"},       {44, "Hz"},         {45, "1/(Wh)"},
    {46, "1/(varh)"}, {47, "1/(VAh)"},   {48, "V2h"},     {49, "A2h"},        {50, "kg/s"},
    {51, "S"},        {52, "K"},         {53, "1/(V2h)"}, {54, "1/(A2h)"},    {55, "1/m3"},
    {56, "%"},        {57, "Ah"},        {60, "Wh/m3"},   {61, "J/m3"},       {62, "Mol %"},
    {63, "g/m3"},     {64, "Pa s"},      {65, "J/kg"},    {66, "g/cm2"},      {67, "atm"},
    {70, "dBm"},      {71, "dB\u00b5V"}, {72, "dB"},
};

// kUnits by code, built at compile time: unit_symbol() runs once per self-describing reading.
constexpr std::array<std::string_view, 256> make_unit_index() {
  std::array<std::string_view, 256> index{};
  for (const auto& row : kUnits) index[row.code] = row.symbol;
  return index;
}
constexpr auto kUnitIndex = make_unit_index();

}  // namespace

std::string_view unit_symbol(std::uint8_t code) noexcept { return kUnitIndex[code]; }

std::optional<std::uint8_t> unit_code(std::string_view symbol) noexcept {
  for (const auto& row : kUnits) {
    if (row.symbol == symbol) return row.code;
  }
  return std::nullopt;
}

namespace {

// Names of the quantities by value groups C.D.E (IEC 62056-61 / EN 13757 tables), for A = 1
// (electricity); B (channel) and F (billing period) are not part of the name.
struct QuantityRow {
  std::uint8_t c, d, e;
  std::string_view name;
  std::string_view unit;
};
constexpr QuantityRow kElectricity[] = {
    {1, 7, 0, "active_power_import", "W"},
    {2, 7, 0, "active_power_export", "W"},
    {3, 7, 0, "reactive_power_import", "var"},
    {4, 7, 0, "reactive_power_export", "var"},
    {9, 7, 0, "apparent_power_import", "VA"},
    {10, 7, 0, "apparent_power_export", "VA"},
    {13, 7, 0, "power_factor", ""},
    {14, 7, 0, "frequency", "Hz"},
    {21, 7, 0, "active_power_import_l1", "W"},
    {22, 7, 0, "active_power_export_l1", "W"},
    {23, 7, 0, "reactive_power_import_l1", "var"},
    {24, 7, 0, "reactive_power_export_l1", "var"},
    {41, 7, 0, "active_power_import_l2", "W"},
    {42, 7, 0, "active_power_export_l2", "W"},
    {43, 7, 0, "reactive_power_import_l2", "var"},
    {44, 7, 0, "reactive_power_export_l2", "var"},
    {61, 7, 0, "active_power_import_l3", "W"},
    {62, 7, 0, "active_power_export_l3", "W"},
    {63, 7, 0, "reactive_power_import_l3", "var"},
    {64, 7, 0, "reactive_power_export_l3", "var"},
    {31, 7, 0, "current_l1", "A"},
    {51, 7, 0, "current_l2", "A"},
    {71, 7, 0, "current_l3", "A"},
    {91, 7, 0, "current_neutral", "A"},
    {32, 7, 0, "voltage_l1", "V"},
    {52, 7, 0, "voltage_l2", "V"},
    {72, 7, 0, "voltage_l3", "V"},
    {33, 7, 0, "power_factor_l1", ""},
    {53, 7, 0, "power_factor_l2", ""},
    {73, 7, 0, "power_factor_l3", ""},
    {1, 8, 0, "active_energy_import", "Wh"},
    {2, 8, 0, "active_energy_export", "Wh"},
    {3, 8, 0, "reactive_energy_import", "varh"},
    {4, 8, 0, "reactive_energy_export", "varh"},
    {5, 8, 0, "reactive_energy_q1", "varh"},
    {6, 8, 0, "reactive_energy_q2", "varh"},
    {7, 8, 0, "reactive_energy_q3", "varh"},
    {8, 8, 0, "reactive_energy_q4", "varh"},
    {9, 8, 0, "apparent_energy_import", "VAh"},
    {10, 8, 0, "apparent_energy_export", "VAh"},
    {21, 8, 0, "active_energy_import_l1", "Wh"},
    {22, 8, 0, "active_energy_export_l1", "Wh"},
    {41, 8, 0, "active_energy_import_l2", "Wh"},
    {42, 8, 0, "active_energy_export_l2", "Wh"},
    {61, 8, 0, "active_energy_import_l3", "Wh"},
    {62, 8, 0, "active_energy_export_l3", "Wh"},
    {1, 8, 1, "active_energy_import_t1", "Wh"},
    {1, 8, 2, "active_energy_import_t2", "Wh"},
    {2, 8, 1, "active_energy_export_t1", "Wh"},
    {2, 8, 2, "active_energy_export_t2", "Wh"},
    {1, 8, 3, "active_energy_import_t3", "Wh"},
    {1, 8, 4, "active_energy_import_t4", "Wh"},
    {2, 8, 3, "active_energy_export_t3", "Wh"},
    {2, 8, 4, "active_energy_export_t4", "Wh"},
    {3, 8, 1, "reactive_energy_import_t1", "varh"},
    {3, 8, 2, "reactive_energy_import_t2", "varh"},
    {4, 8, 1, "reactive_energy_export_t1", "varh"},
    {4, 8, 2, "reactive_energy_export_t2", "varh"},
    {5, 7, 0, "reactive_power_q1", "var"},
    {6, 7, 0, "reactive_power_q2", "var"},
    {7, 7, 0, "reactive_power_q3", "var"},
    {8, 7, 0, "reactive_power_q4", "var"},
    {15, 8, 0, "active_energy_absolute", "Wh"},
    // Demand (e-MUCS P1, Belgium): the running quarter-hour average, the month's largest
    // finished one (with its time), and the fuse supervision thresholds.
    {1, 4, 0, "active_demand_import", "W"},
    {2, 4, 0, "active_demand_export", "W"},
    {1, 6, 0, "active_demand_import_max", "W"},
    {2, 6, 0, "active_demand_export_max", "W"},
    {31, 4, 0, "current_limit_l1", "A"},
    {51, 4, 0, "current_limit_l2", "A"},
    {71, 4, 0, "current_limit_l3", "A"},
    // Power quality counters (DSMR 5.0.2): voltage sags and swells per phase, the long power
    // failure event log (1-0:99.97.0, its number of entries).
    {32, 32, 0, "voltage_sags_l1", ""},
    {52, 32, 0, "voltage_sags_l2", ""},
    {72, 32, 0, "voltage_sags_l3", ""},
    {32, 36, 0, "voltage_swells_l1", ""},
    {52, 36, 0, "voltage_swells_l2", ""},
    {72, 36, 0, "voltage_swells_l3", ""},
    {99, 97, 0, "power_failure_log", ""},
    // IEC 62056-21 device address (the meter's id on German and Irish meters), P1 version (1-3).
    {0, 0, 0, "device_id", ""},
    {0, 2, 8, "p1_version", ""},
    // List identifier of the Nordic HAN lists ("AIDON_V0001", "KFM_001"): 1-1/1-0:0.2.129.
    {0, 2, 129, "list_id", ""},
    // Kamstrup sends its GS1 meter number as 1-1:0.0.5 and the type as 1-1:96.1.1.
    {0, 0, 5, "meter_id", ""},
    {96, 1, 1, "meter_type", ""},
};

// Abstract objects (A = 0) by C.D.E; B is the channel.
constexpr QuantityRow kAbstract[] = {
    {1, 0, 0, "clock", ""},
    {96, 1, 0, "meter_id", ""},
    {96, 1, 7, "meter_type", ""},
    {42, 0, 0, "logical_device_name", ""},
    {25, 9, 0, "push_setup", ""},
    // DSMR 5.0.2 / e-MUCS P1 objects.
    {96, 1, 1, "equipment_id", ""},
    {96, 1, 4, "p1_version", ""},
    {96, 14, 0, "tariff", ""},
    {96, 7, 21, "power_failures", ""},
    {96, 7, 9, "long_power_failures", ""},
    {96, 7, 19, "power_failure_duration", "s"},
    {96, 3, 10, "breaker_state", ""},
    {17, 0, 0, "limiter_threshold", ""},
    {96, 13, 0, "message_text", ""},
    {96, 13, 1, "message_code", ""},
    {98, 1, 0, "monthly_maxima", ""},
};

// The objects of an M-Bus device on channel B = 1..4 of a P1 meter (DSMR 5.0.2 and e-MUCS: gas,
// water, heat): the channel is part of their name, as two devices send the same C.D.E.
struct ChannelRow {
  std::uint8_t c, d, e;
  std::array<std::string_view, 4> names;  // channel 1..4
  std::string_view unit;
};
constexpr ChannelRow kMbusChannel[] = {
    {24,
     1,
     0,
     {"mbus1_device_type", "mbus2_device_type", "mbus3_device_type", "mbus4_device_type"},
     ""},
    {96,
     1,
     0,
     {"mbus1_equipment_id", "mbus2_equipment_id", "mbus3_equipment_id", "mbus4_equipment_id"},
     ""},
    {96,
     1,
     1,
     {"mbus1_equipment_id", "mbus2_equipment_id", "mbus3_equipment_id", "mbus4_equipment_id"},
     ""},
    {24, 2, 1, {"mbus1_volume", "mbus2_volume", "mbus3_volume", "mbus4_volume"}, "m3"},
    {24,
     2,
     3,
     {"mbus1_volume_uncorrected", "mbus2_volume_uncorrected", "mbus3_volume_uncorrected",
      "mbus4_volume_uncorrected"},
     "m3"},
    {24,
     4,
     0,
     {"mbus1_valve_state", "mbus2_valve_state", "mbus3_valve_state", "mbus4_valve_state"},
     ""},
};
constexpr std::uint8_t kMbusChannels = 4;

// The rows of a table by their group C, built at compile time: a reading's name and default unit
// are found with a look at the (at most kPerC) rows of its C instead of a walk of the table.
constexpr std::size_t kPerC = 12;
struct QuantityIndex {
  std::array<std::array<std::uint8_t, kPerC>, 256> rows{};  // row index + 1; 0 = none
};

// Not constexpr: reaching it while the index is built at compile time is a compile-time error
// (a throw would do the same, but not in a build without exceptions).
inline void more_than_kPerC_quantities_share_one_C() {}

template <std::size_t N>
constexpr QuantityIndex make_index(const QuantityRow (&table)[N]) {
  static_assert(N < 255, "row indexes are stored in a byte");
  QuantityIndex index;
  for (std::size_t i = 0; i < N; ++i) {
    auto& slots = index.rows[table[i].c];
    std::size_t k = 0;
    while (k < kPerC && slots[k] != 0) ++k;
    if (k == kPerC) more_than_kPerC_quantities_share_one_C();
    slots[k] = static_cast<std::uint8_t>(i + 1);
  }
  return index;
}
constexpr QuantityIndex kElectricityIndex = make_index(kElectricity);
constexpr QuantityIndex kAbstractIndex = make_index(kAbstract);

const QuantityRow* find_in(std::span<const QuantityRow> table, const QuantityIndex& index,
                           const ObisCode& obis) noexcept {
  for (std::uint8_t slot : index.rows[obis.v[2]]) {
    if (slot == 0) return nullptr;
    const QuantityRow& row = table[slot - 1u];
    if (row.d == obis.v[3] && row.e == obis.v[4]) return &row;
  }
  return nullptr;
}

struct Quantity {
  std::string_view name, unit;
};

std::optional<Quantity> find_channel(const ObisCode& obis) noexcept {
  const std::uint8_t b = obis.v[1];
  if (obis.v[0] != 0 || b == 0 || b > kMbusChannels) return std::nullopt;
  for (const ChannelRow& row : kMbusChannel) {
    if (row.c == obis.v[2] && row.d == obis.v[3] && row.e == obis.v[4]) {
      return Quantity{row.names[b - 1u], row.unit};
    }
  }
  return std::nullopt;
}

Quantity find_quantity(const ObisCode& obis) noexcept {
  if (auto channel = find_channel(obis)) return *channel;
  const QuantityRow* row = nullptr;
  if (obis.v[0] == 1) row = find_in(kElectricity, kElectricityIndex, obis);
  if (obis.v[0] == 0) row = find_in(kAbstract, kAbstractIndex, obis);
  return row ? Quantity{row->name, row->unit} : Quantity{};
}

}  // namespace

std::string_view obis_name(const ObisCode& obis) noexcept { return find_quantity(obis).name; }

std::string_view default_unit(const ObisCode& obis) noexcept { return find_quantity(obis).unit; }

}  // namespace meterlab::cosem
