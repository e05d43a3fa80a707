// The meter: household state -> list template -> A-XDR -> APDU -> (GCM) -> link frames, with the
// readings a decoder must report for them.
#include "meterlab/sim/meter.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "meterlab/core/hex.hpp"
#include "meterlab/sim/p1.hpp"

namespace meterlab::sim {
namespace {

constexpr std::array<double, 7> kPow10{1, 10, 100, 1000, 10000, 100000, 1000000};

// x / 10^scale without pow(): exact scaling by powers of ten.
double unscale(double x, int scale) {
  if (scale >= 0) return x / kPow10[static_cast<std::size_t>(std::min(scale, 6))];
  return x * kPow10[static_cast<std::size_t>(std::min(-scale, 6))];
}

// Energy register in units of 10^scale Wh: floor of the exact integral (registers never round up).
std::int64_t register_value(std::int64_t wms, int scale) {
  std::int64_t per_unit = MeterState::kWmsPerWh;
  std::int64_t mult = 1;
  if (scale >= 0)
    per_unit *= static_cast<std::int64_t>(kPow10[static_cast<std::size_t>(scale)]);
  else
    mult = static_cast<std::int64_t>(kPow10[static_cast<std::size_t>(-scale)]);
  return (wms * mult) / per_unit;  // wms >= 0
}

std::int64_t phase_value(const MeterState& s, Source src) {
  auto idx = [](Source base, Source v) {
    return static_cast<std::size_t>(static_cast<int>(v) - static_cast<int>(base));
  };
  switch (src) {
    case Source::p_import_l1:
    case Source::p_import_l2:
    case Source::p_import_l3:
      return s.phase[idx(Source::p_import_l1, src)].p_import_w;
    case Source::p_export_l1:
    case Source::p_export_l2:
    case Source::p_export_l3:
      return s.phase[idx(Source::p_export_l1, src)].p_export_w;
    case Source::q_import_l1:
    case Source::q_import_l2:
    case Source::q_import_l3:
      return s.phase[idx(Source::q_import_l1, src)].q_import_var;
    default:
      return s.phase[idx(Source::q_export_l1, src)].q_export_var;
  }
}

double measured(const MeterState& s, Source src) {
  switch (src) {
    case Source::voltage_l1:
      return s.phase[0].voltage_v;
    case Source::voltage_l2:
      return s.phase[1].voltage_v;
    case Source::voltage_l3:
      return s.phase[2].voltage_v;
    case Source::current_l1:
      return s.phase[0].current_a;
    case Source::current_l2:
      return s.phase[1].current_a;
    case Source::current_l3:
      return s.phase[2].current_a;
    case Source::power_factor:
      return s.power_factor;
    case Source::power_factor_l1:
      return s.phase[0].power_factor;
    case Source::power_factor_l2:
      return s.phase[1].power_factor;
    case Source::power_factor_l3:
      return s.phase[2].power_factor;
    default:
      return s.frequency_hz;
  }
}

}  // namespace

std::int64_t raw_value(const Node& n, const MeterState& s) {
  switch (n.source) {
    case Source::constant:
      return n.number;
    case Source::p_import:
      return std::llround(unscale(static_cast<double>(s.p_import_w), n.scale));
    case Source::p_export:
      return std::llround(unscale(static_cast<double>(s.p_export_w), n.scale));
    case Source::q_import:
      return std::llround(unscale(static_cast<double>(s.q_import_var), n.scale));
    case Source::q_export:
      return std::llround(unscale(static_cast<double>(s.q_export_var), n.scale));
    case Source::p_import_l1:
    case Source::p_import_l2:
    case Source::p_import_l3:
    case Source::p_export_l1:
    case Source::p_export_l2:
    case Source::p_export_l3:
    case Source::q_import_l1:
    case Source::q_import_l2:
    case Source::q_import_l3:
    case Source::q_export_l1:
    case Source::q_export_l2:
    case Source::q_export_l3:
      return std::llround(unscale(static_cast<double>(phase_value(s, n.source)), n.scale));
    case Source::energy_import:
      return register_value(s.import_wms, n.scale);
    case Source::energy_export:
      return register_value(s.export_wms, n.scale);
    case Source::energy_reactive_import:
      return register_value(s.reactive_import_varms, n.scale);
    case Source::energy_reactive_export:
      return register_value(s.reactive_export_varms, n.scale);
    default:
      return std::llround(unscale(measured(s, n.source), n.scale));
  }
}

namespace {

template <class T>
T clamp_to(std::int64_t v) {
  return static_cast<T>(std::clamp<std::int64_t>(
      v, std::numeric_limits<T>::min(), static_cast<std::int64_t>(std::numeric_limits<T>::max())));
}

std::int64_t write_integer(AxdrWriter& w, NodeType type, std::int64_t v) {
  switch (type) {
    case NodeType::int8:
      w.int8(clamp_to<std::int8_t>(v));
      return clamp_to<std::int8_t>(v);
    case NodeType::int16:
      w.int16(clamp_to<std::int16_t>(v));
      return clamp_to<std::int16_t>(v);
    case NodeType::int32:
      w.int32(clamp_to<std::int32_t>(v));
      return clamp_to<std::int32_t>(v);
    case NodeType::int64:
      w.int64(v);
      return v;
    case NodeType::uint8:
      w.uint8(clamp_to<std::uint8_t>(v));
      return clamp_to<std::uint8_t>(v);
    case NodeType::uint16:
      w.uint16(clamp_to<std::uint16_t>(v));
      return clamp_to<std::uint16_t>(v);
    case NodeType::uint32:
      w.uint32(clamp_to<std::uint32_t>(v));
      return clamp_to<std::uint32_t>(v);
    case NodeType::uint64:
      w.uint64(static_cast<std::uint64_t>(std::max<std::int64_t>(v, 0)));
      return std::max<std::int64_t>(v, 0);
    case NodeType::enumeration:
      w.enumeration(clamp_to<std::uint8_t>(v));
      return clamp_to<std::uint8_t>(v);
    case NodeType::boolean:  // the profile's byte for it: FF for true, or what a meter sent
      w.boolean_byte(clamp_to<std::uint8_t>(v));
      return v != 0;
    default:
      return v;
  }
}

// An octet-string reading is text when printable ASCII, else lowercase hex (the decoder's rule).
std::string octets_text(const std::string& bytes) {
  bool printable = !bytes.empty() && std::all_of(bytes.begin(), bytes.end(),
                                                 [](char c) { return c >= 0x20 && c <= 0x7E; });
  if (printable) return bytes;
  return to_hex(Bytes(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

class BodyWriter {
 public:
  BodyWriter(const Profile& p, const MeterState& s, const CosemDateTime& clock, Buffer& out,
             MeterTelegram& telegram)
      : profile_(p),
        state_(s),
        clock_(clock),
        w_(out),
        telegram_(telegram),
        readings_(telegram.readings) {}

  // The text of the first clock only its position names ("" when none).
  const std::string& positional_clock() const { return positional_clock_; }

  void write(const Node& n) {
    switch (n.type) {
      case NodeType::structure:
        w_.structure(n.items.size());
        break;
      case NodeType::array:
        w_.array(n.items.size());
        break;
      case NodeType::null_data:
        w_.null_data();
        return;
      case NodeType::octet_string:
      case NodeType::visible_string:
      case NodeType::utf8_string:
        return write_text(n);
      case NodeType::date_time_octets:
      case NodeType::date_time:
        return write_clock(n);
      case NodeType::float32:
      case NodeType::float64:
        return write_float(n);
      default:
        return write_number(n);
    }
    for (const Node& item : n.items) write(item);
  }

 private:
  std::string text_of(const Node& n) const {
    switch (n.source) {
      case Source::meter_id:
        return profile_.meter_id;
      case Source::meter_type:
        return profile_.meter_type;
      case Source::clock_time:
        return bytes_text({clock_.hour, clock_.minute, clock_.second, clock_.hundredths});
      case Source::clock_date:
        return bytes_text({static_cast<std::uint8_t>(clock_.year >> 8),
                           static_cast<std::uint8_t>(clock_.year), clock_.month, clock_.day,
                           clock_.weekday});
      default:
        return n.text;
    }
  }

  static std::string bytes_text(std::initializer_list<std::uint8_t> b) {
    return std::string(b.begin(), b.end());
  }

  void write_text(const Node& n) {
    std::string text = text_of(n);
    if (n.type == NodeType::visible_string)
      w_.visible_string(text);
    else if (n.type == NodeType::utf8_string)
      w_.utf8_string(text);
    else
      w_.octet_string(Bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    // An unnamed string is printed as octets whatever its type (the decoder's generic rule).
    if (n.obis.empty()) return record(n, TruthReading{{}, {}, true, octets_text(text), 0, 0, {}});
    if (n.source == Source::meter_id) telegram_.carries_meter_id = true;
    if (n.source == Source::clock_time) return;  // the date element carries the clock reading
    if (n.source == Source::clock_date) {
      // Separate time and date strings read as one local clock, without an offset.
      CosemDateTime local = clock_;
      local.deviation = static_cast<std::int16_t>(0x8000);
      return record(n, TruthReading{{}, {}, true, date_time_text(local), 0, 0, {}});
    }
    const bool octets = n.type == NodeType::octet_string;
    record(n, TruthReading{{}, {}, true, octets ? octets_text(text) : text, 0, 0, {}});
  }

  void write_clock(const Node& n) {
    if (n.type == NodeType::date_time)
      w_.date_time(clock_);
    else
      w_.date_time_octets(clock_);
    // A clock only its position names is the telegram's clock when no OBIS names one (the
    // generic mapping's rule; the learner keeps such a clock only then).
    if (n.obis.empty() && !n.position.empty() && positional_clock_.empty())
      positional_clock_ = date_time_text(clock_);
    record(n, TruthReading{{}, {}, true, date_time_text(clock_), 0, 0, {}});
  }

  void write_float(const Node& n) {
    double v =
        n.source == Source::constant ? static_cast<double>(n.number) : measured(state_, n.source);
    // Floats carry the value itself; the truth keeps it to the profile's scale.
    std::int64_t raw = std::llround(unscale(v, n.scale));
    double sent = static_cast<double>(raw) / unscale(1.0, n.scale);
    if (n.type == NodeType::float32)
      w_.float32(static_cast<float>(sent));
    else
      w_.float64(sent);
    record(n, TruthReading{{}, {}, false, {}, raw, n.scale, {}});
  }

  void write_number(const Node& n) {
    std::int64_t raw = write_integer(w_, n.type, raw_value(n, state_));
    TruthReading r{{}, {}, false, {}, raw, n.scale, {}};
    r.boolean = n.type == NodeType::boolean;
    record(n, std::move(r));
  }

  // What the truth says about a leaf's reading: named by its OBIS code, with its unit and scale;
  // else, when no layout names it, by its position, unscaled and without a unit (issue 16); else
  // nothing (a value the decoder reports as no reading).
  void record(const Node& n, TruthReading r) {
    if (!n.obis.empty()) {
      r.obis = n.obis;
      r.unit = n.unit;
    } else if (!n.position.empty()) {
      r.position = n.position;
      r.scale = 0;
    } else {
      return;
    }
    readings_.push_back(std::move(r));
  }

  const Profile& profile_;
  const MeterState& state_;
  const CosemDateTime& clock_;
  AxdrWriter w_;
  MeterTelegram& telegram_;
  std::vector<TruthReading>& readings_;
  std::string positional_clock_;
};

}  // namespace

CosemDateTime cosem_time(SimTime t, Zone zone, const ClockForm& form) {
  LocalTime lt = to_local(t, zone);
  CosemDateTime dt;
  dt.year = static_cast<std::uint16_t>(lt.year);
  dt.month = static_cast<std::uint8_t>(lt.month);
  dt.day = static_cast<std::uint8_t>(lt.day);
  dt.weekday = static_cast<std::uint8_t>(lt.weekday);
  dt.hour = static_cast<std::uint8_t>(lt.hour);
  dt.minute = static_cast<std::uint8_t>(lt.minute);
  dt.second = static_cast<std::uint8_t>(lt.second);
  dt.hundredths = static_cast<std::uint8_t>(form.hundredths == 0xFF ? 0xFF : lt.millis / 10);
  switch (form.deviation) {
    case ClockForm::Deviation::unspecified:
      dt.deviation = static_cast<std::int16_t>(0x8000);
      break;
    case ClockForm::Deviation::local:
      dt.deviation = static_cast<std::int16_t>(-lt.utc_offset_min);
      break;
    case ClockForm::Deviation::fixed:
      dt.deviation = form.fixed_deviation;
      break;
  }
  dt.status = form.status_dst ? (lt.dst ? 0x80 : 0x00) : form.status;
  return dt;
}

std::string date_time_text(const CosemDateTime& dt) {
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04u-%02u-%02uT%02u:%02u:%02u", unsigned{dt.year},
                        unsigned{dt.month}, unsigned{dt.day}, unsigned{dt.hour},
                        unsigned{dt.minute}, unsigned{dt.second});
  std::string out(buf, static_cast<std::size_t>(n));
  if (dt.hundredths != 0xFF && dt.hundredths != 0) {
    std::snprintf(buf, sizeof buf, ".%02u", unsigned{dt.hundredths});
    out += buf;
  }
  if (dt.deviation != static_cast<std::int16_t>(0x8000)) {
    int offset = -dt.deviation;  // deviation = UTC - local
    int a = offset < 0 ? -offset : offset;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset < 0 ? '-' : '+', a / 60, a % 60);
    out += buf;
  }
  return out;
}

namespace {

// Each profile's household differs under the same --seed (FNV-1a of the name mixed in), so meters
// simulated side by side do not show the same load curve.
std::uint64_t household_seed(std::uint64_t seed, std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) h = (h ^ static_cast<std::uint8_t>(c)) * 0x100000001b3ULL;
  return seed ^ h;
}

// The APDU as sent in the profile's link frames; in general-block-transfer blocks, each block in
// its own link frames (the LLC in the first HDLC frame, or in every block's where the meter
// repeats it).
std::vector<Buffer> link_frames(const Profile& p, const Buffer& wire) {
  auto frame = [&](ByteSpan apdu) {
    return p.framing == Framing::hdlc ? hdlc_frames(apdu, p.hdlc) : mbus_frames(apdu, p.mbus);
  };
  if (!p.gbt) return frame(wire);
  std::vector<Buffer> out;
  HdlcParams later = p.hdlc;  // the blocks after the first: the LLC only when the meter repeats it
  later.llc = p.hdlc.llc && p.gbt->llc_every_block;
  for (const Buffer& block : general_block_transfer(wire, *p.gbt)) {
    std::vector<Buffer> frames =
        out.empty() || p.framing != Framing::hdlc ? frame(block) : hdlc_frames(block, later);
    out.insert(out.end(), frames.begin(), frames.end());
  }
  return out;
}

}  // namespace

Meter::Meter(const Profile& profile, std::uint64_t seed, SimTime start)
    : profile_(profile),
      household_(profile.household, profile.zone, start, profile.step,
                 household_seed(seed, profile.name)),
      next_ic_(profile.security ? profile.security->invocation_counter : 0),
      invoke_id_(profile.invoke_id),
      p1_(profile.p1 ? std::make_shared<P1Meter>(profile, seed, start) : nullptr) {}

std::pair<SimTime, const ListDef*> Meter::next_slot(SimTime after) const {
  SimTime best = std::numeric_limits<SimTime>::max();
  const ListDef* list = nullptr;
  for (const ScheduleEntry& e : profile_.schedule) {
    // smallest at + k*every > after
    SimTime k = (after - e.at) >= 0 ? (after - e.at) / e.every + 1 : 0;
    SimTime t = e.at + k * e.every;
    if (t <= best) {  // ties: the later entry wins
      best = t;
      list = &profile_.lists.at(e.list);
    }
  }
  return {best, list};
}

void Meter::set_outages(const std::vector<Outage>& outages) {
  household_.set_supply_off(outages);
  if (p1_) p1_->set_outages(outages);
}

MeterTelegram Meter::build(SimTime t, const ListDef& list, const BuildTweaks& tweaks) {
  const MeterState& state = household_.advance_to(t);
  if (p1_) return p1_->build(state, t, tweaks, seq_++, next_ic_);
  MeterTelegram out;
  out.seq = seq_++;
  out.t = t;
  out.list = list.name;
  CosemDateTime clock = cosem_time(t + tweaks.clock_offset, profile_.zone, profile_.clock);

  Buffer body;
  BodyWriter writer(profile_, state, clock, body, out);
  writer.write(list.body);
  bool stamped = profile_.apdu_time != DateTimeForm::absent;
  out.apdu = data_notification(invoke_id_, profile_.apdu_time, stamped ? &clock : nullptr, body);
  invoke_id_ += profile_.invoke_id_step;
  if (stamped) {
    out.timestamp = date_time_text(clock);
  } else {
    auto it = std::find_if(out.readings.begin(), out.readings.end(),
                           [](const TruthReading& r) { return r.obis.ends_with(":1.0.0.255"); });
    out.timestamp = it != out.readings.end() ? it->text : writer.positional_clock();
  }

  Buffer wire = out.apdu;
  if (const auto& sec = profile_.security) {
    std::uint32_t ic = tweaks.invocation_counter.value_or(next_ic_);
    next_ic_ = ic + sec->invocation_step;
    CipherParams params{sec->security_control,       sec->system_title, ic,
                        tweaks.ek.value_or(sec->ek), sec->ak,           12};
    auto ciphered = general_glo_ciphering(out.apdu, params);
    if (ciphered) wire = std::move(*ciphered);    // parse_profile checked SC and AK already
    if (tweaks.corrupt_tag) wire.back() ^= 0x01;  // the tag is the last 12 bytes
    out.invocation_counter = ic;
  }
  out.frames = link_frames(profile_, wire);
  SimTime at = t;
  for (const Buffer& f : out.frames) {
    out.frame_times.push_back(at);
    at += profile_.serial.airtime_ms(f.size()) + profile_.segment_gap;
  }
  return out;
}

}  // namespace meterlab::sim
