// A capture -> a profile (learn.hpp). The capture is decoded with the engine's Decoder (transport
// auto-detected, keys from the caller); each telegram is then taken apart with the engine's own
// framers and security layer to read the link header, the ciphering header and the plaintext, and
// each list's body becomes a template (learn_list.cpp). The result is profile JSON, parsed by the
// same parse_profile() as the built-in profiles.
#include "meterlab/sim/learn.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "meterlab/core/hex.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/dlms/apdu.hpp"
#include "meterlab/dlms/security.hpp"
#include "meterlab/hdlc/framer.hpp"
#include "meterlab/mbus/framer.hpp"
#include "meterlab/p1/secure.hpp"
#include "meterlab/sim/learn_detail.hpp"
#include "meterlab/sim/meter.hpp"
#include "meterlab/sim/profile.hpp"

namespace meterlab::sim {
namespace {

using json = nlohmann::ordered_json;
using learn_detail::ListTemplate;

// Cadences when a list's clock does not tell (one telegram of it, or no clock) and no built-in
// profile has a list of its skeleton: the HAN ports' usual list-2 period (HDLC, NO/SE/AT) and the
// Austrian M-Bus meters' period.
constexpr std::int64_t kHdlcCadenceMs = 10'000;
constexpr std::int64_t kMbusCadenceMs = 5'000;
// Line settings when neither a flag nor a known family gives them: the HDLC HAN ports 2400 8E1,
// the Kaifa MA309 M-Bus 8N1.
constexpr std::string_view kHdlcSerial = "2400 8E1";
constexpr std::string_view kMbusSerial = "2400 8N1";
// Security control: the bit that asks for a GCM tag made with the AK (IEC 62056-5-3 5.3.4.1).
constexpr std::uint8_t kScAuthentication = 0x10;

struct Captured {
  std::size_t offset = 0, length = 0;
  cosem::Transport transport = cosem::Transport::apdu;
  std::uint32_t invoke_id = 0;
  std::string meter_id;
  std::optional<std::int64_t> time_ms;  // the telegram's clock, ms since 1970 (local)
};

std::string at_byte(std::size_t offset) { return "stream byte " + std::to_string(offset); }

std::optional<std::int64_t> time_ms(const std::optional<cosem::DateTime>& t) {
  if (!t || !t->has_date() || !t->has_time()) return std::nullopt;
  std::int64_t s = learn_detail::days_from_civil(t->year, t->month, t->day) * 86400 +
                   t->hour * 3600 + t->minute * 60 + std::max(t->second, 0);
  return s * 1000 + std::max(t->hundredths, 0) * 10;
}

[[noreturn]] void no_telegram(std::size_t size, const std::optional<Rejection>& first) {
  if (first && first->error.code == Errc::security_no_key)
    throw LearnError("the telegram at " + at_byte(first->frame_offset) +
                     " is encrypted and no key was given for its system title (--key)");
  std::string why = "no telegram found in " + std::to_string(size) + " bytes";
  if (first)
    why += "; the first problem: " + std::string(name(first->layer())) + " " +
           std::string(name(first->error.code)) + " at " + at_byte(first->error.offset) + ": " +
           std::string(message(first->error.code));
  throw LearnError(why);
}

dlms::KeyRing keyring(const LearnOptions& o) {
  dlms::KeyRing ring;
  for (const TitledKey& k : o.keys) ring.add(k.title, k.ek, k.ak);
  if (o.ek) ring.add(std::nullopt, *o.ek, o.ak);
  return ring;
}

struct Decoded {
  std::vector<Captured> found;
  std::optional<Rejection> first;  // the first rejection, for the error when nothing is found
};

Decoded decode_as(ByteSpan capture, const LearnOptions& o, InputTransport transport) {
  Decoder dec(transport, keyring(o));
  Decoded out;
  auto drain = [&] {
    for (auto ev = dec.next(); ev != Decoder::Event::need_more; ev = dec.next()) {
      if (ev == Decoder::Event::rejection) {
        if (!out.first) out.first = dec.rejection();
        continue;
      }
      const cosem::Telegram& t = dec.telegram();
      // A clock with an impossible date or time decodes to null: there is no instant to advance.
      if (!t.clock_warnings.empty())
        throw LearnError("the telegram at " + at_byte(t.stream_offset) +
                         " has a clock with an impossible date or time (at stream byte " +
                         std::to_string(t.clock_warnings.front().offset) +
                         "): there is no time to advance from");
      out.found.push_back(Captured{t.stream_offset, t.length, t.transport, t.invoke_id,
                                   std::string(t.text(t.meter_id)), time_ms(t.timestamp)});
    }
  };
  dec.push(capture);
  drain();
  dec.finish();
  drain();
  return out;
}

// The capture's telegrams. A capture of bare APDUs (a reader's log after the link layer) given
// with --transport hdlc|mbus is still read: the transport then says what link to send them in.
std::vector<Captured> decode_capture(ByteSpan capture, const LearnOptions& o) {
  auto chosen = parse_input_transport(o.transport);
  if (!chosen) throw LearnError("unknown transport \"" + o.transport + "\"");
  Decoded d = decode_as(capture, o, *chosen);
  if (d.found.empty() && (*chosen == InputTransport::hdlc || *chosen == InputTransport::mbus)) {
    Decoded bare = decode_as(capture, o, InputTransport::apdu);
    if (!bare.found.empty()) return bare.found;
    // An APDU that was read but not decoded (no key for it) says more than the link's error.
    if (bare.first && bare.first->layer() == Layer::security) d.first = bare.first;
  }
  if (d.found.empty()) no_telegram(capture.size(), d.first);
  return d.found;
}

Buffer address_bytes(const hdlc::Address& a) {
  Buffer out;
  for (int i = a.size - 1; i >= 0; --i)
    out.push_back(static_cast<std::uint8_t>(a.value >> (8 * i)));
  return out;
}

struct Link {
  json framing;                // null for a bare APDU until its link is chosen (link_of)
  Buffer wire;                 // the APDU as sent: ciphered or plain
  std::vector<Buffer> frames;  // each link frame's information or data field
  bool llc = false;            // a bare APDU with the LLC E6 E7 00 in front: it was inside HDLC
};

// A bare APDU (a reader's log after the link layer): the APDU as captured, without its LLC.
Link split_bare(ByteSpan apdu) {
  Link link;
  link.llc = llc_in_front(apdu);
  if (link.llc) apdu = apdu.subspan(kLlcResponse.size());
  link.wire.assign(apdu.begin(), apdu.end());
  return link;
}

// HDLC frame format type 3: addresses and control as sent, LLC in the first frame, and the
// information field's length where the meter segments (IEC 62056-46).
Link split_hdlc(ByteSpan telegram) {
  hdlc::Framer f;
  f.push(telegram);
  Link link;
  for (auto ev = f.next(); ev.kind != hdlc::Event::Kind::need_more; ev = f.next()) {
    if (ev.kind != hdlc::Event::Kind::frame) continue;
    Bytes info = ev.frame.info;
    if (link.framing.empty()) {
      link.framing = {{"kind", "hdlc"},
                      {"dest", to_hex(address_bytes(ev.frame.dst))},
                      {"src", to_hex(address_bytes(ev.frame.src))},
                      {"control", to_hex(Bytes(&ev.frame.control, 1))},
                      {"llc", llc_in_front(info)}};
      if (ev.frame.segmented) link.framing["max_info"] = info.size();
      link.frames.emplace_back(info.begin(), info.end());
      if (llc_in_front(info)) info = info.subspan(kLlcResponse.size());
    } else {
      link.frames.emplace_back(info.begin(), info.end());
    }
    link.wire.insert(link.wire.end(), info.begin(), info.end());
  }
  return link;
}

// M-Bus long frames with the DLMS transport: C, A, STSAP, DTSAP as sent, and the data length of
// a full segment where the meter segments (EN 13757-2, the DLMS/COSEM M-Bus profile).
Link split_mbus(ByteSpan telegram) {
  mbus::Framer f;
  f.push(telegram);
  Link link;
  std::size_t frames = 0, first_data = 0;
  for (auto ev = f.next(); ev.kind != mbus::Event::Kind::need_more; ev = f.next()) {
    if (ev.kind != mbus::Event::Kind::frame || ev.frame.data.size() < 2) continue;
    Bytes data = ev.frame.data;
    if (link.framing.empty()) {
      link.framing = {{"kind", "mbus"},
                      {"c", to_hex(Bytes(&ev.frame.c, 1))},
                      {"a", to_hex(Bytes(&ev.frame.a, 1))},
                      {"stsap", to_hex(data.subspan(0, 1))},
                      {"dtsap", to_hex(data.subspan(1, 1))}};
      first_data = data.size() - 2;
    }
    ++frames;
    link.wire.insert(link.wire.end(), data.begin() + 2, data.end());
    link.frames.emplace_back(data.begin() + 2, data.end());
  }
  if (frames > 1) link.framing["max_data"] = first_data;
  return link;
}

struct Opened {
  Buffer plain;
  std::optional<dlms::CipheredApdu> ciphered;
};

Opened open_apdu(const Buffer& wire, const dlms::KeyRing& keys, std::size_t where) {
  Opened o;
  if (wire.empty()) throw LearnError("an empty APDU at " + at_byte(where));
  if (wire[0] != dlms::kGeneralGloCiphering) {
    o.plain = wire;
    return o;
  }
  auto c = dlms::parsed(dlms::parse_ciphered, Bytes(wire.data(), wire.size()));
  if (!c) throw LearnError("a bad ciphering header at " + at_byte(where));
  Buffer out;
  auto d = dlms::decrypt(*c, keys, out);
  if (!d)
    throw LearnError("the telegram at " + at_byte(where) +
                     " does not decrypt: " + std::string(message(d.error().code)));
  o.plain.assign(d->plaintext.begin(), d->plaintext.end());
  o.ciphered = *c;
  if (!o.plain.empty() && o.plain[0] == dlms::kGeneralBlockTransfer)
    throw LearnError("general block transfer inside ciphering at " + at_byte(where) +
                     ": the profile format cuts the ciphered APDU into blocks, not its plaintext");
  return o;
}

std::string hex_byte(std::uint8_t b) { return to_hex(Bytes(&b, 1)); }

// General block transfer: each link frame holds one block; the blocks, reassembled by the
// engine's GbtAssembler, are the APDU. The profile keeps the blocks' sizes, control, first number
// and ack as the meter sent them ("apdu": {"gbt": ...}).
json learn_gbt(Link& link, std::size_t where) {
  dlms::GbtAssembler gbt;
  json sizes = json::array(), out;
  bool llc_every = link.framing.value("llc", false);
  for (std::size_t i = 0; i < link.frames.size(); ++i) {
    Bytes field(link.frames[i].data(), link.frames[i].size());
    llc_every = llc_every && llc_in_front(field);
    if (llc_in_front(field)) field = field.subspan(kLlcResponse.size());
    const auto block = dlms::read_gbt_block(field);
    const std::string which = "general block transfer at " + at_byte(where) + ": link frame " +
                              std::to_string(i + 1) + " of " + std::to_string(link.frames.size());
    if (!block) {
      throw LearnError(which + " does not hold one whole block (" +
                       std::string(message(block.error().code)) + " at byte " +
                       std::to_string(block.error().offset) + ")");
    }
    auto done = gbt.push(field);
    if (!done) throw LearnError(which + ": " + std::string(message(done.error().code)));
    if (*done != (i + 1 == link.frames.size()))
      throw LearnError(which + ": the last block is not in the last frame");
    if (i == 0)
      out = {
          {"control", hex_byte(static_cast<std::uint8_t>(block->control & ~dlms::kGbtLastBlock))},
          {"first_block", block->number},
          {"ack", block->ack}};
    if (!*done) sizes.push_back(block->data.size());
  }
  out["blocks"] = sizes;
  if (llc_every && link.frames.size() > 1) out["llc_every_block"] = true;
  link.wire.assign(gbt.apdu().begin(), gbt.apdu().end());
  return out;
}

}  // namespace

Buffer capture_bytes(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return Buffer(text.begin(), text.end());
    digits += c;
  }
  auto bytes = parse_hex(digits);
  if (digits.empty() || !bytes) return Buffer(text.begin(), text.end());
  return *bytes;
}

namespace {

// One telegram taken apart.
struct Telegram {
  Captured at;
  Link link;
  Opened opened;
  ListTemplate list;
  json gbt = nullptr;  // the APDU's general-block-transfer blocks, when it came so
};

Telegram take_apart(ByteSpan capture, const Captured& c, const dlms::KeyRing& keys) {
  Telegram t{c, {}, {}, {}, nullptr};
  ByteSpan bytes = capture.subspan(c.offset, c.length);
  t.link = c.transport == cosem::Transport::hdlc   ? split_hdlc(bytes)
           : c.transport == cosem::Transport::mbus ? split_mbus(bytes)
                                                   : split_bare(bytes);
  if (!t.link.wire.empty() && t.link.wire[0] == dlms::kGeneralBlockTransfer) {
    if (c.transport == cosem::Transport::apdu)
      throw LearnError("general block transfer in a bare APDU at " + at_byte(c.offset) +
                       ": without its link frames the blocks' places are unknown");
    t.gbt = learn_gbt(t.link, c.offset);
  }
  t.opened = open_apdu(t.link.wire, keys, c.offset);
  t.list = learn_detail::learn_list(t.opened.plain, c.offset);
  return t;
}

// Two meters in one capture: another system title or meter id than the first telegram's.
void check_one_meter(const std::vector<Telegram>& ts) {
  const Telegram& a = ts.front();
  for (const Telegram& b : ts) {
    bool titles = a.opened.ciphered && b.opened.ciphered &&
                  a.opened.ciphered->system_title != b.opened.ciphered->system_title;
    if (titles)
      throw LearnError("two meters in one capture: system title " +
                       to_hex(a.opened.ciphered->system_title) + " at " + at_byte(a.at.offset) +
                       ", " + to_hex(b.opened.ciphered->system_title) + " at " +
                       at_byte(b.at.offset));
    if (!a.at.meter_id.empty() && !b.at.meter_id.empty() && a.at.meter_id != b.at.meter_id)
      throw LearnError("two meters in one capture: meter id " + a.at.meter_id + " at " +
                       at_byte(a.at.offset) + ", " + b.at.meter_id + " at " + at_byte(b.at.offset));
    if (a.link.framing != b.link.framing && b.link.framing.value("kind", "") == "hdlc" &&
        !b.link.framing.contains("max_info") && !a.link.framing.contains("max_info"))
      throw LearnError("two meters in one capture: link header " + a.link.framing.dump() + " at " +
                       at_byte(a.at.offset) + ", " + b.link.framing.dump() + " at " +
                       at_byte(b.at.offset));
  }
}

// The step between consecutive values, when it is the same every time (else 0).
std::int64_t constant_step(const std::vector<std::int64_t>& v) {
  if (v.size() < 2) return 0;
  std::int64_t step = v[1] - v[0];
  for (std::size_t i = 2; i < v.size(); ++i)
    if (v[i] - v[i - 1] != step) return 0;
  return step;
}

}  // namespace

namespace {

// How the meter writes its clock, from one date-time it sent (Blue Book 4.1.6.1): hundredths
// sent or not, the deviation following local time (CET/CEST: -60 / -120) or fixed, and the
// status following summer time or fixed.
json clock_json(const std::array<std::uint8_t, 12>& c) {
  json j;
  j["hundredths"] = c[8] == 0xFF ? 255 : 0;
  const auto dev = static_cast<std::int16_t>((c[9] << 8) | c[10]);
  const bool local = dev == -60 || dev == -120;
  if (static_cast<std::uint16_t>(dev) == 0x8000)
    j["deviation"] = "unspecified";
  else if (local)
    j["deviation"] = "local";
  else
    j["deviation"] = dev;
  if (local && (c[11] == 0x00 || c[11] == 0x80))
    j["status"] = "dst";
  else
    j["status"] = c[11];
  return j;
}

std::optional<std::array<std::uint8_t, 12>> first_clock(const std::vector<Telegram>& ts,
                                                        dlms::DateTimeForm& form) {
  auto n = dlms::parsed(dlms::parse_data_notification,
                        Bytes(ts.front().opened.plain.data(), ts.front().opened.plain.size()));
  form = n ? n->date_time_form : dlms::DateTimeForm::absent;
  if (n && n->date_time.size() == 12) {
    std::array<std::uint8_t, 12> c{};
    std::copy(n->date_time.begin(), n->date_time.end(), c.begin());
    return c;
  }
  for (const Telegram& t : ts)
    if (t.list.clock) return t.list.clock;
  return std::nullopt;
}

std::string_view form_name(dlms::DateTimeForm f) {
  switch (f) {
    case dlms::DateTimeForm::bare:
      return "bare";
    case dlms::DateTimeForm::tagged:
      return "octet_string";
    default:
      return "absent";
  }
}

json apdu_json(const std::vector<Telegram>& ts, dlms::DateTimeForm form) {
  std::vector<std::int64_t> ids;
  for (const Telegram& t : ts) ids.push_back(t.at.invoke_id);
  std::uint8_t id[4];
  for (int i = 0; i < 4; ++i)
    id[i] = static_cast<std::uint8_t>(ts.front().at.invoke_id >> (24 - 8 * i));
  json j{{"invoke_id", to_hex(Bytes(id, 4))},
         {"invoke_id_step", std::max<std::int64_t>(constant_step(ids), 0)},
         {"date_time", form_name(form)}};
  if (!ts.front().gbt.is_null()) j["gbt"] = ts.front().gbt;
  return j;
}

json security_json(const std::vector<Telegram>& ts, const LearnOptions& o) {
  const auto& c = ts.front().opened.ciphered;
  if (!c) return nullptr;
  std::vector<std::int64_t> ics;
  for (const Telegram& t : ts)
    if (t.opened.ciphered) ics.push_back(t.opened.ciphered->invocation_counter);
  json j{{"sc", to_hex(Bytes(&c->security_control, 1))},
         {"system_title", to_hex(c->system_title)},
         {"invocation_counter", c->invocation_counter},
         {"invocation_step", std::max<std::int64_t>(constant_step(ics), 1)}};
  // The key the capture decrypted with: its system title's, else the default one.
  TitledKey key{std::nullopt, o.ek.value_or(Key{}), o.ak};
  auto titled = std::find_if(o.keys.begin(), o.keys.end(),
                             [&](const TitledKey& k) { return k.title == c->system_title; });
  auto any =
      std::find_if(o.keys.begin(), o.keys.end(), [](const TitledKey& k) { return !k.title; });
  if (titled != o.keys.end())
    key = *titled;
  else if (!o.ek && any != o.keys.end())
    key = *any;
  if (o.ek || titled != o.keys.end() || any != o.keys.end()) j["ek"] = to_hex(key.ek);
  if ((c->security_control & kScAuthentication) != 0 && !key.ak)
    throw LearnError("the telegram at " + at_byte(ts.front().at.offset) + " has security control " +
                     to_hex(Bytes(&c->security_control, 1)) +
                     " (authenticated) and no AK was given (--auth-key): the meter's GCM tag "
                     "cannot be made without it");
  j["ak"] = key.ak ? json(to_hex(*key.ak)) : json(nullptr);
  return j;
}

struct Lists {
  json lists = json::object();
  std::vector<std::string> of;                                // each telegram's list
  std::vector<std::pair<std::string, std::int64_t>> cadence;  // in order of first appearance
  std::map<std::string, std::string> signature;               // each list's skeleton
};

// The family of a list: each built-in DLMS profile's lists, built once and taken apart like a
// capture's, by skeleton. The built-in profiles are where each family's periods and line
// settings are written (Aidon list 1 every 2.5 s, Kaifa list 1 every 2 s, list 3 hourly; Kamstrup
// 2400 8N1, Wiener Netze 115200 8N1, ...).
struct Family {
  std::int64_t every_ms = 0;
  std::string serial;
  std::string profile;  // the built-in profile's name
  json framing;         // its link, taken apart from its frames as a capture's is
};

// A built-in profile's link as the learner reads it from its frames, with its segment gap.
json family_link(const Profile& p, const MeterTelegram& mt) {
  Buffer bytes;
  for (const Buffer& f : mt.frames) bytes.insert(bytes.end(), f.begin(), f.end());
  json framing = p.framing == Framing::hdlc ? split_hdlc(bytes).framing : split_mbus(bytes).framing;
  if (p.segment_gap > 0) framing["segment_gap"] = std::to_string(p.segment_gap) + "ms";
  return framing;
}

const Family* family_of(const std::string& signature) {
  static const std::map<std::string, Family> by_skeleton = [] {
    std::map<std::string, Family> out;
    constexpr SimTime kWinterNoon = 1'704'110'400'000;  // 2024-01-01T12:00:00Z
    for (const Profile& p : builtin_profiles()) {
      if (p.framing == Framing::p1) continue;
      Meter meter(p, 1, kWinterNoon);
      for (const ScheduleEntry& e : p.schedule) {
        const MeterTelegram mt = meter.build(kWinterNoon, p.lists.at(e.list));
        out.try_emplace(learn_detail::learn_list(mt.apdu, 0).signature,
                        Family{e.every, p.serial.to_string(), p.name, family_link(p, mt)});
      }
    }
    return out;
  }();
  auto it = by_skeleton.find(signature);
  return it == by_skeleton.end() ? nullptr : &it->second;
}

// The link of a capture of bare APDUs, never invented silently: the built-in family whose list
// has the same skeleton gives its own (unless --transport asks for the other transport); else
// --transport hdlc|mbus gives that transport's default link; an LLC in front of the APDU means
// HDLC; else the capture is refused. `from` says which it was.
struct LinkChoice {
  json framing;
  std::string from;  // "" when the capture had its link, else "<family>" or "<transport> default"
};

// The default links: HDLC UI frames with P/F and the LLC, addressed as the Norwegian HAN push is
// (client 0x41, server 0x0883: Aidon); M-Bus as the Kaifa MA309 sends (the MbusParams defaults).
const json kDefaultHdlcLink = {
    {"kind", "hdlc"}, {"dest", "41"}, {"src", "0883"}, {"control", "13"}, {"llc", true}};
const json kDefaultMbusLink = {{"kind", "mbus"}};

LinkChoice link_of(const std::vector<Telegram>& ts, const LearnOptions& o) {
  const Telegram& first = ts.front();
  if (!first.link.framing.is_null()) return {first.link.framing, ""};
  const std::string asked = o.transport == "hdlc" || o.transport == "mbus" ? o.transport : "";
  for (const Telegram& t : ts) {
    const Family* f = family_of(t.list.signature);
    if (f && (asked.empty() || f->framing.at("kind") == asked)) return {f->framing, f->profile};
  }
  if (asked.empty() && first.link.llc) return {kDefaultHdlcLink, "hdlc default (LLC E6 E7 00)"};
  if (asked.empty())
    throw LearnError("a bare APDU with no link layer at " + at_byte(first.at.offset) +
                     ", no LLC in front and no built-in family with its list: pass --transport "
                     "hdlc or --transport mbus to say what link the simulator sends it in");
  return {asked == "hdlc" ? kDefaultHdlcLink : kDefaultMbusLink, asked + " default"};
}

std::int64_t cadence_of(const std::vector<Telegram>& ts, const Lists& l, const std::string& name,
                        const LearnOptions& o, bool hdlc) {
  std::optional<std::int64_t> last, best;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    if (l.of[i] != name || !ts[i].at.time_ms) continue;
    if (last && *ts[i].at.time_ms > *last) {
      std::int64_t d = *ts[i].at.time_ms - *last;
      best = best ? std::min(*best, d) : d;
    }
    last = ts[i].at.time_ms;
  }
  if (best) return *best;
  if (o.cadence_ms) return *o.cadence_ms;
  if (const Family* f = family_of(l.signature.at(name))) return f->every_ms;
  return hdlc ? kHdlcCadenceMs : kMbusCadenceMs;
}

Lists group_lists(const std::vector<Telegram>& ts, const LearnOptions& o, bool hdlc,
                  std::vector<LearnedList>& out, ByteSpan capture) {
  Lists l;
  std::map<std::string, std::string> by_signature;
  for (const Telegram& t : ts) {
    auto [it, fresh] = by_signature.try_emplace(t.list.signature,
                                                "list" + std::to_string(by_signature.size() + 1));
    l.of.push_back(it->second);
    if (!fresh) continue;
    l.signature[it->second] = t.list.signature;
    l.lists[it->second] = t.list.body;
    ByteSpan b = capture.subspan(t.at.offset, t.at.length);
    out.push_back(LearnedList{it->second, Buffer(b.begin(), b.end()), t.at.offset});
  }
  for (const LearnedList& list : out)
    l.cadence.emplace_back(list.name, cadence_of(ts, l, list.name, o, hdlc));
  return l;
}

// Each list at its cadence, slower lists last (they win a shared instant, as list 3 replaces
// list 2 on the hour); lists of the same cadence spread over it.
json schedule_json(const Lists& l, std::int64_t& step) {
  auto order = l.cadence;
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  json s = json::array();
  step = order.front().second;
  std::map<std::int64_t, std::int64_t> seen;
  for (const auto& [name, every] : order) {
    std::int64_t same =
        std::count_if(order.begin(), order.end(), [&](const auto& e) { return e.second == every; });
    std::int64_t at = every * seen[every]++ / same;
    json e{{"list", name}, {"every", std::to_string(every) + "ms"}};
    if (at > 0) e["at"] = std::to_string(at) + "ms";
    s.push_back(e);
  }
  return s;
}

json meter_json(const std::vector<Telegram>& ts) {
  std::string id, type;
  for (const Telegram& t : ts) {
    if (id.empty()) id = t.list.meter_id;
    if (type.empty()) type = t.list.meter_type;
  }
  return {{"id", id.empty() ? "learned" : id},
          {"type", type.empty() ? "learned" : type},
          {"zone", learn_detail::kZone}};
}

// Line settings: the flag's, else the family's (the first list of a known family), else the
// transport's usual ones.
std::string serial_of(const std::vector<Telegram>& ts, const LearnOptions& o, bool hdlc) {
  if (!o.serial.empty()) return o.serial;
  for (const Telegram& t : ts)
    if (const Family* f = family_of(t.list.signature)) return f->serial;
  return std::string(hdlc ? kHdlcSerial : kMbusSerial);
}

json profile_json(const std::vector<Telegram>& ts, const LearnOptions& o, Learned& out,
                  ByteSpan capture) {
  const LinkChoice link = link_of(ts, o);
  const bool hdlc = link.framing.at("kind") == "hdlc";
  out.link_from = link.from;
  Lists lists = group_lists(ts, o, hdlc, out.lists, capture);
  std::map<std::string, double> quantities;
  bool three_phase = false;
  for (const Telegram& t : ts) {
    quantities.insert(t.list.quantities.begin(), t.list.quantities.end());
    three_phase = three_phase || t.list.three_phase;
  }
  dlms::DateTimeForm form{};
  auto clock = first_clock(ts, form);
  std::int64_t step = 0;
  json schedule = schedule_json(lists, step);
  json p{{"name", o.name},
         {"description", "Learned from a capture of " + std::to_string(ts.size()) + " telegrams"},
         {"vectors", json::array()},
         {"meter", meter_json(ts)},
         {"serial", serial_of(ts, o, hdlc)},
         {"framing", link.framing},
         {"apdu", apdu_json(ts, form)},
         {"household", learn_detail::household_json(quantities, three_phase)},
         {"step", std::to_string(step) + "ms"},
         {"schedule", schedule},
         {"lists", lists.lists}};
  if (clock) p["clock"] = clock_json(*clock);
  if (json sec = security_json(ts, o); !sec.is_null()) p["security"] = sec;
  if (!link.from.empty()) p["link_from"] = link.from;
  return p;
}

}  // namespace

json learn_detail::household_json(const std::map<std::string, double>& q, bool three_phase) {
  json h{{"phases", three_phase ? 3 : 1}};
  auto wh = [&](const char* source, const char* key) {
    if (auto it = q.find(source); it != q.end() && it->second >= 0)
      h[key] = static_cast<std::int64_t>(it->second);
  };
  wh("energy_import", "start_import_wh");
  wh("energy_export", "start_export_wh");
  auto exp = q.find("energy_export");
  h["solar"] = exp != q.end() && exp->second > 0;
  return h;
}

namespace {

// The profile as used now (with the keys given) and as saved (without them).
void finish(json p, Learned& out) {
  const auto text = [](const json& j) {
    return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  };
  out.profile_json = text(p);
  if (p.contains("security")) {
    p["security"].erase("ek");
    p["security"].erase("ak");
  }
  out.saved_json = text(p);
}

// A P1 frame: its text as sent, or an encrypted frame opened by the engine's P1 security layer
// (its plaintext is a telegram, not an APDU).
Opened open_p1(const Buffer& wire, const dlms::KeyRing& keys, std::size_t where) {
  Opened o;
  if (wire.empty() || wire[0] != p1::kCiphered) {
    o.plain = wire;
    return o;
  }
  auto c = dlms::parsed(dlms::parse_ciphered, Bytes(wire.data(), wire.size()));
  std::vector<std::uint8_t> plain;
  auto opened = p1::open(Bytes(wire.data(), wire.size()), keys, plain);
  if (!c || !opened)
    throw LearnError("the encrypted P1 frame at " + at_byte(where) + " does not open: " +
                     std::string(message(opened ? c.error().code : opened.error().code)));
  o.plain.assign(opened->text.begin(), opened->text.end());
  o.ciphered = *c;
  return o;
}

// P1 telegrams (plain text, or encrypted frames whose plaintext is the text): one meter, one
// telegram form; learn_p1.cpp reads the lines.
Learned learn_p1_capture(ByteSpan capture, const std::vector<Captured>& found,
                         const dlms::KeyRing& keys, const LearnOptions& o) {
  std::vector<Telegram> ts;
  std::vector<learn_detail::P1Capture> texts;
  for (const Captured& c : found) {
    Telegram t{c, {}, {}, {}, nullptr};
    ByteSpan bytes = capture.subspan(c.offset, c.length);
    t.link.framing = {{"kind", "p1"}};
    t.link.wire.assign(bytes.begin(), bytes.end());
    t.opened = open_p1(t.link.wire, keys, c.offset);
    texts.push_back({c.offset, t.opened.plain, c.time_ms, c.meter_id});
    ts.push_back(std::move(t));
  }
  check_one_meter(ts);
  json p{
      {"name", o.name},
      {"description", "Learned from a capture of " + std::to_string(ts.size()) + " P1 telegrams"},
      {"vectors", json::array()}};
  p.update(learn_detail::learn_p1(texts, o));
  if (json sec = security_json(ts, o); !sec.is_null()) p["security"] = sec;
  Learned out;
  out.telegrams = ts.size();
  out.lists.push_back(LearnedList{"telegram", ts.front().link.wire, ts.front().at.offset});
  finish(std::move(p), out);
  return out;
}

}  // namespace

std::int64_t learn_detail::days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return std::int64_t{era} * 146097 + doe - 719468;
}

Learned learn_profile(ByteSpan capture, const LearnOptions& options) {
  dlms::KeyRing keys = keyring(options);
  std::vector<Captured> found = decode_capture(capture, options);
  if (found.front().transport == cosem::Transport::p1)
    return learn_p1_capture(capture, found, keys, options);
  std::vector<Telegram> ts;
  for (const Captured& c : found) ts.push_back(take_apart(capture, c, keys));
  check_one_meter(ts);
  Learned out;
  out.telegrams = ts.size();
  finish(profile_json(ts, options, out, capture), out);
  return out;
}

}  // namespace meterlab::sim
