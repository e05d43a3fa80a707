// A simulated meter's profile: data (simulator/profiles/*.json, built into the binary), never code.
// It says how the meter frames, ciphers and lays out its lists, how often it sends each list, its
// line settings, and the household behind it. The format is documented in simulator/README.md.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/sim/encode.hpp"
#include "meterlab/sim/household.hpp"
#include "meterlab/sim/io.hpp"
#include "meterlab/sim/time.hpp"

namespace meterlab::sim {

// A-XDR types a list template can hold.
enum class NodeType : std::uint8_t {
  structure,
  array,
  null_data,
  boolean,
  int8,
  int16,
  int32,
  int64,
  uint8,
  uint16,
  uint32,
  uint64,
  enumeration,
  float32,
  float64,
  octet_string,
  visible_string,
  utf8_string,
  date_time_octets,  // the clock as an octet-string of 12 (how meters send it)
  date_time,         // the clock as A-XDR date-time (tag 0x19)
};

// Where a leaf's value comes from: a constant of the profile, or the meter.
enum class Source : std::uint8_t {
  constant,
  meter_id,
  meter_type,
  clock,
  clock_time,  // octet-string of 4: hour, minute, second, hundredths (Wiener Netze push)
  clock_date,  // octet-string of 5: year (2), month, day, weekday
  p_import,
  p_export,
  q_import,
  q_export,
  p_import_l1,
  p_import_l2,
  p_import_l3,
  p_export_l1,
  p_export_l2,
  p_export_l3,
  q_import_l1,  // per-phase reactive powers (the Swedish HAN list)
  q_import_l2,
  q_import_l3,
  q_export_l1,
  q_export_l2,
  q_export_l3,
  voltage_l1,
  voltage_l2,
  voltage_l3,
  current_l1,
  current_l2,
  current_l3,
  power_factor,
  power_factor_l1,
  power_factor_l2,
  power_factor_l3,
  frequency,
  energy_import,
  energy_export,
  energy_reactive_import,
  energy_reactive_export,
};
std::optional<Source> parse_source(std::string_view name);  // "p_import", ...
std::string_view source_name(Source s);

struct Node {
  NodeType type = NodeType::null_data;
  std::vector<Node> items;  // structure / array
  Source source = Source::constant;
  std::int64_t number = 0;  // constant number
  std::string text;         // constant string / octets (raw bytes)
  int scale = 0;            // value in `unit` = raw x 10^scale
  std::string obis;         // set when this leaf is a reading (as the decoder reports it)
  std::string unit;         // DLMS unit symbol ("W", "V", ...; "" for none)
  // A leaf without OBIS whose meaning no source documents: the decoder reports it as an unnamed
  // reading at this position ("11", "2.1"); the truth then holds it there (issue 16).
  std::string position;
};

struct ListDef {
  std::string name;  // "list1"
  Node body;         // the notification body
};

// Each entry sends `list` at every multiple of `every` since the epoch, plus `at`. (The zones are
// whole hours off UTC, so hourly lists land on the local hour in winter and summer alike.) Where
// two entries fall on the same instant the later entry wins (list 3 replaces list 2 on the hour).
struct ScheduleEntry {
  std::string list;
  Duration every = 0;
  Duration at = 0;
};

// How the meter writes a COSEM date-time (Blue Book 4.1.6.1).
struct ClockForm {
  std::uint8_t hundredths = 0xFF;  // 0xFF not specified, else the value sent (0x00)
  enum class Deviation : std::uint8_t {
    unspecified,
    local,
    fixed
  } deviation = Deviation::unspecified;
  std::int16_t fixed_deviation = 0;  // minutes, when `fixed`
  bool status_dst = false;           // status 0x80 while summer time is in force
  std::uint8_t status = 0x00;        // status otherwise (0xFF: not specified)
};

struct Security {
  std::uint8_t security_control = 0x20;
  SystemTitle system_title{};
  std::uint32_t invocation_counter = 0;  // of the first telegram
  std::uint32_t invocation_step = 1;     // per telegram
  Key ek{};
  std::optional<Key> ak;
};

enum class Framing : std::uint8_t { hdlc, mbus, p1 };  // p1: DSMR text telegrams (sim/p1.hpp)

struct P1Spec;

// A real capture (vectors/<vector>.json) that telegrams of `list` must match in structure: link
// header, LLC, APDU form, SC and system-title form; unless `framing` only ("match": "framing", a
// capture of a sibling meter with another list, e.g. 3-phase for a 1-phase profile) also the
// length of every link frame and of the APDU; with `full` also the A-XDR skeleton (types in
// order, container counts, string lengths, OBIS codes, list id). "match": "header" is the default.
struct VectorRef {
  std::string list;
  std::string vector;
  bool full = true;
  bool sizes = true;
};

struct Profile {
  std::string name;
  std::string description;
  std::vector<VectorRef> vectors;  // real captures whose structure this profile follows
  std::string meter_id;
  std::string meter_type;
  Zone zone = Zone::europe_oslo;
  SerialSettings serial;
  Framing framing = Framing::hdlc;
  HdlcParams hdlc;
  MbusParams mbus;
  Duration segment_gap = 0;  // silence between link segments of one telegram
  std::uint32_t invoke_id = 0;
  std::uint32_t invoke_id_step = 0;  // per telegram (0: constant)
  DateTimeForm apdu_time = DateTimeForm::absent;
  std::optional<GbtParams> gbt;  // the APDU sent in general-block-transfer blocks, a frame each
  ClockForm clock;
  std::optional<Security> security;
  HouseholdConfig household;
  Duration step = 2000;  // the model's power step (the fastest cadence)
  std::vector<ScheduleEntry> schedule;
  std::map<std::string, ListDef> lists;
  std::shared_ptr<const P1Spec> p1;  // framing p1: the telegram's lines (one list, "telegram")
};

// The transport's name as readers spell it ("hdlc", "mbus", "p1": `meterlab decode --transport`).
inline std::string_view framing_name(Framing f) {
  return f == Framing::hdlc ? "hdlc" : f == Framing::mbus ? "mbus" : "p1";
}

// Whether a reader finds this meter's transport by auto-detection: an encrypted P1 frame (DB 08
// <title> ..., no '/') decides none of the engine's link channels, so a reader of smarty-lu or
// sagemcom-t210dr-at is told P1, as `--meter smarty` does.
inline bool auto_detectable(const Profile& p) { return p.framing != Framing::p1 || !p.security; }

// Parses one profile. Errors throw std::invalid_argument naming the profile and the JSON path
// ("kaifa-kfm001-3ph: lists.list2[3]: unknown source 'p_imprt'").
Profile parse_profile(std::string_view json_text);

// The profiles built into the binary (simulator/profiles/*.json), sorted by name.
const std::vector<Profile>& builtin_profiles();
const Profile* find_profile(std::string_view name);

}  // namespace meterlab::sim
