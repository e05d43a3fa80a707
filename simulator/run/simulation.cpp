// The simulation loop: schedule -> meter -> faults -> chunks with stream offsets -> truth log.
#include "meterlab/sim/simulation.hpp"

#include <botan/hash.h>
#include <botan/hex.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "meterlab/core/crc.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/sim/p1.hpp"

namespace meterlab::sim {
namespace {

using nlohmann::json;

constexpr std::array<double, 7> kPow10{1, 10, 100, 1000, 10000, 100000, 1000000};

json reading_json(const TruthReading& r) {
  json j{{"obis", r.obis}, {"unit", r.unit}};
  if (r.obis.empty()) {  // a reading no layout names: its position instead
    j["obis"] = nullptr;
    j["position"] = r.position;
  }
  if (r.is_text) {
    j["value"] = r.text;
  } else if (r.boolean) {
    j["value"] = r.raw != 0;
  } else if (r.scale >= 0) {
    j["value"] = r.raw * static_cast<std::int64_t>(kPow10[static_cast<std::size_t>(r.scale)]);
  } else {
    j["value"] = static_cast<double>(r.raw) / kPow10[static_cast<std::size_t>(-r.scale)];
  }
  if (!r.captured.empty()) j["captured"] = r.captured;  // P1: the value's own capture time
  return j;
}

std::string security_word(const Profile& p) {
  if (!p.security) return "plain";
  return (p.security->security_control & 0x10) != 0 ? "authenticated" : "decrypted";
}

}  // namespace

struct Simulation::Hash {
  std::unique_ptr<Botan::HashFunction> fn = Botan::HashFunction::create_or_throw("SHA-256");
};

Simulation::Simulation(const Profile& profile, SimOptions options)
    : profile_(profile),
      options_(std::move(options)),
      meter_(profile_, options_.seed, options_.start),
      cursor_(options_.start - 1),
      end_(options_.start + options_.duration),
      hash_(std::make_unique<Hash>()) {
  if ((options_.ek || options_.ak) && !profile_.security)
    throw std::invalid_argument("profile " + profile_.name + " is not encrypted: it takes no key");
  if (options_.ek) profile_.security->ek = *options_.ek;
  if (options_.ak) profile_.security->ak = *options_.ak;
  Rng root(options_.seed);
  std::vector<Outage> outages;  // the run's power failures (restart faults)
  for (std::size_t i = 0; i < options_.faults.size(); ++i) {
    const FaultSpec& f = options_.faults[i];
    if (auto outage = outage_of(f, options_.start)) outages.push_back(*outage);
    bool segmented = profile_.framing == Framing::mbus || profile_.hdlc.max_info != 0;
    if ((f.kind == FaultKind::wrong_key || f.kind == FaultKind::counter_back) && !profile_.security)
      throw std::invalid_argument(std::string(fault_name(f.kind)) +
                                  " needs an encrypted profile; " + profile_.name + " is plain");
    if (f.kind == FaultKind::tag_fail &&
        (!profile_.security || (profile_.security->security_control & 0x10) == 0))
      throw std::invalid_argument("tag-fail needs authenticated encryption (SC 0x30/0x31); " +
                                  profile_.name + " has none");
    if ((f.kind == FaultKind::segment_lost || f.kind == FaultKind::segment_duplicate ||
         f.kind == FaultKind::segment_reorder) &&
        !segmented)
      throw std::invalid_argument(std::string(fault_name(f.kind)) + " needs a segmented profile; " +
                                  profile_.name + " sends single frames");
    if (f.kind == FaultKind::drop_end && (profile_.framing != Framing::p1 || profile_.security))
      throw std::invalid_argument("drop-end needs a plain P1 profile; " + profile_.name +
                                  " is not one");
    fault_rng_.push_back(root.fork(0x4641554C54000000ULL + i));  // "FAULT" + index
  }
  fired_.assign(options_.faults.size(), false);
  meter_.set_outages(outages);
}

Simulation::~Simulation() = default;

bool Simulation::next(Chunk& chunk) {
  while (queue_.empty() && cursor_ < end_) produce();
  if (queue_.empty()) return false;
  chunk = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

std::vector<std::string> Simulation::take_truth() {
  std::vector<std::string> out;
  out.swap(truth_);
  return out;
}

void Simulation::emit(SimTime t, Buffer bytes) {
  hash_->fn->update(bytes.data(), bytes.size());
  offset_ += bytes.size();
  queue_.push_back(Chunk{t, std::move(bytes)});
}

std::string Simulation::sha256_hex() const {
  auto copy = hash_->fn->copy_state();
  return Botan::hex_encode(copy->final(), false);
}

std::string Simulation::summary_line() const {
  json j{{"type", "summary"},           {"profile", profile_.name},
         {"seed", options_.seed},       {"bytes", offset_},
         {"telegrams", telegrams_},     {"frames", frames_},
         {"noise_bytes", noise_bytes_}, {"sha256", sha256_hex()}};
  return j.dump();
}

}  // namespace meterlab::sim

namespace meterlab::sim {

// A fault with at= applies once at the first telegram from then on, or over [at, at + for); one
// without applies to each telegram with probability p.
bool Simulation::triggers(std::size_t i, SimTime t, const std::string& list) {
  const FaultSpec& f = options_.faults[i];
  if (!f.list.empty() && f.list != list) return false;
  if (!f.at) return fault_rng_[i].chance(f.rate);
  Duration since = t - options_.start;
  if (f.span > 0) return since >= *f.at && since < *f.at + f.span;
  if (fired_[i] || since < *f.at) return false;
  fired_[i] = true;
  return true;
}

void Simulation::event(SimTime t, const char* kind, json detail) {
  detail["type"] = "event";
  detail["kind"] = kind;
  detail["t_ms"] = t;
  detail["t"] = format_iso(t, profile_.zone);
  truth_.push_back(detail.dump());
}

BuildTweaks Simulation::meter_faults(SimTime t, const std::string& list, json& faults) {
  BuildTweaks tweaks;
  for (std::size_t i = 0; i < options_.faults.size(); ++i) {
    const FaultSpec& f = options_.faults[i];
    switch (f.kind) {
      case FaultKind::clock_jump:
        if (triggers(i, t, list)) {
          clock_offset_ += f.by;
          event(t, "clock_jump", {{"by_ms", f.by}});
        }
        break;
      case FaultKind::counter_back:
        if (triggers(i, t, list)) {
          auto ic = meter_.next_invocation_counter() - static_cast<std::uint32_t>(f.by);
          tweaks.invocation_counter = ic;
          faults.push_back({{"kind", "counter_back"}, {"by", f.by}});
        }
        break;
      case FaultKind::wrong_key:
        if (triggers(i, t, list)) {
          Key k{};
          for (auto& b : k) b = static_cast<std::uint8_t>(fault_rng_[i].next());
          k[0] = static_cast<std::uint8_t>(k[0] ^ (k == profile_.security->ek ? 0xFF : 0));
          tweaks.ek = k;
          faults.push_back({{"kind", "wrong_key"}});
        }
        break;
      case FaultKind::tag_fail:
        if (triggers(i, t, list)) {
          tweaks.corrupt_tag = true;
          faults.push_back({{"kind", "tag_fail"}});
        }
        break;
      default:
        break;
    }
  }
  tweaks.clock_offset = clock_offset_;
  if (clock_offset_ != 0) faults.push_back({{"kind", "clock_jump"}, {"offset_ms", clock_offset_}});
  return tweaks;
}

void Simulation::segment_faults(MeterTelegram& m, json& faults) {
  for (std::size_t i = 0; i < options_.faults.size(); ++i) {
    const FaultSpec& f = options_.faults[i];
    bool seg = f.kind == FaultKind::segment_lost || f.kind == FaultKind::segment_duplicate ||
               f.kind == FaultKind::segment_reorder;
    if (!seg || m.frames.size() < 2 || !triggers(i, m.t, m.list)) continue;
    auto n = static_cast<std::int64_t>(m.frames.size());
    Rng& rng = fault_rng_[i];
    if (f.kind == FaultKind::segment_lost) {
      auto k = rng.uniform_int(0, n - 1);
      m.frames.erase(m.frames.begin() + k);
      faults.push_back({{"kind", "segment_lost"}, {"segment", k}});
    } else if (f.kind == FaultKind::segment_duplicate) {
      auto k = rng.uniform_int(0, n - 1);
      m.frames.insert(m.frames.begin() + k + 1, m.frames[static_cast<std::size_t>(k)]);
      faults.push_back({{"kind", "segment_duplicate"}, {"segment", k}});
    } else {
      auto k = rng.uniform_int(0, n - 2);
      std::swap(m.frames[static_cast<std::size_t>(k)], m.frames[static_cast<std::size_t>(k + 1)]);
      faults.push_back({{"kind", "segment_reorder"}, {"segment", k}});
    }
  }
}

namespace {

// Bit flips at `rate` per bit; returns [[byte, bit], ...].
json flip_bits(Buffer& frame, double rate, Rng& rng) {
  json flips = json::array();
  for (std::size_t b = 0; b < frame.size(); ++b)
    for (int bit = 0; bit < 8; ++bit)
      if (rng.chance(rate)) {
        frame[b] = static_cast<std::uint8_t>(frame[b] ^ (1u << bit));
        flips.push_back({b, bit});
      }
  return flips;
}

// Edits stay inside the frame (the first and last byte untouched): an HDLC frame that only lost
// or doubled a flag is still a valid frame (flags may be shared), so it would not be a fault.
json edit_bytes(FaultKind kind, Buffer& frame, std::int64_t count, Rng& rng) {
  auto len = static_cast<std::int64_t>(frame.size());
  if (len < 3) return {{"kind", "none"}};
  switch (kind) {
    case FaultKind::drop_bytes: {
      auto pos = rng.uniform_int(1, len - 2);
      auto n = std::min(count, len - 1 - pos);
      frame.erase(frame.begin() + pos, frame.begin() + pos + n);
      return {{"kind", "drop"}, {"at", pos}, {"count", n}};
    }
    case FaultKind::insert_bytes: {
      auto pos = rng.uniform_int(1, len - 1);
      Buffer extra(static_cast<std::size_t>(count));
      for (auto& x : extra) x = static_cast<std::uint8_t>(rng.next());
      frame.insert(frame.begin() + pos, extra.begin(), extra.end());
      return {{"kind", "insert"}, {"at", pos}, {"count", count}};
    }
    case FaultKind::duplicate_bytes: {
      auto pos = rng.uniform_int(1, len - 2);
      auto n = std::min(count, len - 1 - pos);
      Buffer run(frame.begin() + pos, frame.begin() + pos + n);
      frame.insert(frame.begin() + pos + n, run.begin(), run.end());
      return {{"kind", "duplicate"}, {"at", pos}, {"count", n}};
    }
    default: {  // truncate: the frame's last two bytes (at least) never arrive
      auto keep = rng.uniform_int(1, len - 2);
      frame.resize(static_cast<std::size_t>(keep));
      return {{"kind", "truncate"}, {"kept", keep}, {"length", len}};
    }
  }
}

// A P1 telegram whose text still starts with '/' and ends with "!" + its CRC-16/ARC; one
// without a CRC (DSMR 2.2) has no check that a changed digit could fail.
bool p1_intact(const Buffer& f, const Profile& p) {
  if (!p.p1->crc) return true;
  auto bang = std::find(f.rbegin(), f.rend(), std::uint8_t{'!'});
  if (f.empty() || f.front() != '/' || bang == f.rend()) return false;
  auto end = static_cast<std::size_t>(f.rend() - bang);  // just past the '!'
  // The CR LF after the CRC is covered by nothing: a reader takes the telegram whatever they
  // became (a flip there alone is flags_only), so only the 4 digits must be there.
  if (f.size() < end + 4) return false;
  const std::array<char, 4> hex = crc16_arc_text(crc16_arc(Bytes(f.data(), end)));
  // Hex digits in either case: a flip of bit 5 turns 'E' into 'e', which still reads the same.
  return std::equal(hex.begin(), hex.end(), f.begin() + static_cast<std::ptrdiff_t>(end),
                    [](char h, std::uint8_t b) { return h == std::toupper(b); });
}

// Whether a (faulted) link frame still passes every check a reader can make: HDLC flags, length,
// HCS and FCS; M-Bus start bytes, L fields, checksum and stop byte. Bit flips that keep all of
// that (two flips of one bit cancel in the 8-bit M-Bus sum) cannot be caught at the link layer.
bool link_intact(const Buffer& f, const Profile& p) {
  if (p.framing == Framing::p1) return p1_intact(f, p);
  if (f.size() < 8) return false;
  if (p.framing == Framing::mbus) {
    std::size_t len = f[1];
    return f[0] == 0x68 && f[3] == 0x68 && f[2] == f[1] && f.size() == len + 6 &&
           f.back() == 0x16 && mbus_checksum(Bytes(f.data() + 4, len)) == f[4 + len];
  }
  std::size_t inner = f.size() - 2;
  std::size_t header = 2 + p.hdlc.dest.size() + p.hdlc.src.size() + 1;
  auto crc_at = [&](std::size_t covered) {
    std::uint16_t c = crc16_x25(Bytes(f.data() + 1, covered));
    return f[1 + covered] == static_cast<std::uint8_t>(c) &&
           f[2 + covered] == static_cast<std::uint8_t>(c >> 8);
  };
  return f.front() == 0x7E && f.back() == 0x7E && inner > header + 2 &&
         (((std::size_t{f[1]} & 0x07) << 8) | f[2]) == inner && crc_at(header) && crc_at(inner - 2);
}

}  // namespace

void Simulation::byte_faults(MeterTelegram& m, json& faults) {
  for (std::size_t i = 0; i < options_.faults.size(); ++i) {
    const FaultSpec& f = options_.faults[i];
    Rng& rng = fault_rng_[i];
    if (f.kind == FaultKind::ber) {
      if (!f.list.empty() && f.list != m.list) continue;
      for (std::size_t k = 0; k < m.frames.size(); ++k) {
        json flips = flip_bits(m.frames[k], f.rate, rng);
        if (flips.empty()) continue;
        // Flips only in an HDLC frame's flags may leave it valid: the neighbours' flags can
        // stand in. So may flips only in a P1 telegram's final CRLF, which no CRC covers. Such a
        // telegram may be decoded (equal) or rejected.
        std::size_t last = m.frames[k].size() - 1;
        bool p1 = profile_.framing == Framing::p1 && !profile_.security;
        bool flags_only = (profile_.framing == Framing::hdlc || p1) &&
                          std::all_of(flips.begin(), flips.end(), [&](const json& fl) {
                            auto b = fl.at(0).get<std::size_t>();
                            return p1 ? b + 1 >= last : b == 0 || b == last;
                          });
        faults.push_back(
            {{"kind", "ber"}, {"frame", k}, {"flips", flips}, {"flags_only", flags_only}});
      }
      continue;
    }
    if (f.kind == FaultKind::drop_end && !m.frames.empty() && triggers(i, m.t, m.list)) {
      Buffer& text = m.frames.front();  // one P1 telegram: cut at its '!'
      auto bang = std::find(text.rbegin(), text.rend(), std::uint8_t{'!'});
      text.resize(static_cast<std::size_t>(text.rend() - bang) - 1);
      faults.push_back({{"kind", "drop_end"}, {"frame", 0}, {"kept", text.size()}});
      continue;
    }
    bool edit = f.kind == FaultKind::drop_bytes || f.kind == FaultKind::insert_bytes ||
                f.kind == FaultKind::duplicate_bytes || f.kind == FaultKind::truncate;
    if (!edit || m.frames.empty() || !triggers(i, m.t, m.list)) continue;
    auto k = static_cast<std::size_t>(
        rng.uniform_int(0, static_cast<std::int64_t>(m.frames.size()) - 1));
    json rec = edit_bytes(f.kind, m.frames[k], f.count, rng);
    rec["frame"] = k;
    // A plain P1 telegram that lost only its final CRLF still has its '!' and CRC: it may decode.
    if (f.kind == FaultKind::truncate && profile_.framing == Framing::p1 && !profile_.security &&
        rec.at("kept").get<std::int64_t>() + 2 >= rec.at("length").get<std::int64_t>())
      rec["flags_only"] = true;
    faults.push_back(rec);
  }
}

void Simulation::noise_after(SimTime t) {
  for (std::size_t i = 0; i < options_.faults.size(); ++i) {
    const FaultSpec& f = options_.faults[i];
    if (f.kind != FaultKind::noise || !triggers(i, t, "")) continue;
    Rng& rng = fault_rng_[i];
    Buffer noise(static_cast<std::size_t>(rng.uniform_int(1, f.count)));
    for (auto& b : noise) b = static_cast<std::uint8_t>(rng.next());
    SimTime at = std::max(t, line_free_) + 20;  // a short pause, then the noise burst
    json j{{"type", "noise"}, {"t_ms", at}, {"offset", offset_}, {"length", noise.size()}};
    truth_.push_back(j.dump());
    noise_bytes_ += noise.size();
    line_free_ = at + profile_.serial.airtime_ms(noise.size());
    emit(at, std::move(noise));
  }
}

void Simulation::produce() {
  auto [t, list] = meter_.next_slot(cursor_);
  cursor_ = t;
  if (t >= end_) return;
  for (std::size_t i = 0; i < options_.faults.size(); ++i) {
    const FaultSpec& f = options_.faults[i];
    auto outage = outage_of(f, options_.start);
    if (!outage || t < outage->from || t >= outage->to) continue;
    if (!fired_[i]) event(t, "restart", {{"down_ms", f.span}});
    fired_[i] = true;
    return;  // the meter is down: nothing is sent in this slot
  }
  json faults = json::array();
  BuildTweaks tweaks = meter_faults(t, list->name, faults);
  MeterTelegram m = meter_.build(t, *list, tweaks);
  segment_faults(m, faults);
  byte_faults(m, faults);
  // "decode": nothing that breaks it; "reject": a fault that certainly does; "either": a fault
  // that may have left it valid (flips only in HDLC flags).
  auto breaks = [](const json& f) {
    std::string k = f.at("kind");
    return k != "counter_back" && k != "clock_jump" && k != "segment_duplicate" && k != "none";
  };
  bool certain = std::any_of(faults.begin(), faults.end(), [&](const json& f) {
    return breaks(f) && !f.value("flags_only", false);
  });
  bool maybe = std::any_of(faults.begin(), faults.end(), breaks);
  const char* expect = certain ? "reject" : maybe ? "either" : "decode";
  // Bit flips that every link check misses, with no GCM tag behind them: no reader can tell.
  bool tagged = profile_.security && (profile_.security->security_control & 0x10) != 0;
  bool only_flips = std::all_of(faults.begin(), faults.end(),
                                [&](const json& f) { return !breaks(f) || f.at("kind") == "ber"; });
  if (certain && only_flips && !tagged &&
      std::all_of(m.frames.begin(), m.frames.end(),
                  [&](const Buffer& f) { return link_intact(f, profile_); }))
    expect = "undetectable";

  json frames = json::array();
  SimTime at = std::max(t, line_free_);
  std::uint64_t start = offset_;
  for (Buffer& f : m.frames) {
    frames.push_back({{"t_ms", at}, {"offset", offset_}, {"length", f.size()}});
    SimTime next = at + profile_.serial.airtime_ms(f.size()) + profile_.segment_gap;
    line_free_ = at + profile_.serial.airtime_ms(f.size());
    ++frames_;
    emit(at, std::move(f));
    at = next;
  }
  ++telegrams_;
  json rec{{"type", "telegram"},
           {"seq", m.seq},
           {"profile", profile_.name},
           {"list", m.list},
           {"t_ms", t},
           {"t", format_iso(t, profile_.zone)},
           {"offset", start},
           {"length", offset_ - start},
           {"frames", frames},
           {"security", security_word(profile_)},
           {"faults", faults},
           {"expect", expect}};
  rec["meter_id"] = m.carries_meter_id ? json(profile_.meter_id) : json(nullptr);
  rec["timestamp"] = m.timestamp.empty() ? json(nullptr) : json(m.timestamp);
  rec["invocation_counter"] = m.invocation_counter ? json(*m.invocation_counter) : json(nullptr);
  rec["system_title"] =
      profile_.security ? json(to_hex(profile_.security->system_title)) : json(nullptr);
  json readings = json::array();
  for (const TruthReading& r : m.readings) readings.push_back(reading_json(r));
  rec["readings"] = std::move(readings);
  truth_.push_back(rec.dump());
  noise_after(line_free_);
}

}  // namespace meterlab::sim
