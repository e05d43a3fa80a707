// Learned profiles (issue 18). Every vector that decodes to a telegram is learned and simulated for
// an hour: each simulated telegram has its capture's skeleton byte for byte (every byte equal but
// the values the profile fills, the clock, the counters and the checks and ciphertext that depend
// on them), decodes with the same layout, and equals its truth log. The vectors that cannot be
// learned are listed with the reason (test output and learn_report.txt in the build tree).
#include "meterlab/sim/learn.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "meterlab/axdr/axdr.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/dlms/apdu.hpp"
#include "meterlab/hdlc/framer.hpp"
#include "meterlab/mbus/framer.hpp"
#include "meterlab/p1/secure.hpp"
#include "meterlab/sim/p1.hpp"
#include "meterlab/testing/sim_test_util.hpp"

namespace meterlab::sim {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

Key key_of(const json& hex) {
  auto b = parse_hex(hex.get<std::string>());
  Key k{};
  std::copy(b->begin(), b->end(), k.begin());
  return k;
}

struct Vector {
  std::string name;
  Buffer input;
  LearnOptions options;
};

Vector load(const fs::path& file) {
  json v = json::parse(std::ifstream(file));
  Vector out;
  out.name = file.parent_path().filename().string() + "/" + file.stem().string();
  auto bytes = parse_hex(v.at("input_hex").get<std::string>());
  out.input.assign(bytes->begin(), bytes->end());
  out.options.name = "learned-" + file.stem().string();
  if (v.contains("keys") && !v.at("keys").empty()) {
    const json& k = v.at("keys").front();
    out.options.ek = key_of(k.at("ek"));
    if (k.contains("ak") && !k.at("ak").is_null()) out.options.ak = key_of(k.at("ak"));
  }
  out.options.transport = v.value("transport", "auto");
  if (v.contains("serial") && v.at("serial").is_string())
    out.options.serial = v.at("serial").get<std::string>();
  return out;
}

std::vector<fs::path> vector_files() {
  std::vector<fs::path> out;
  for (const auto& dir : fs::directory_iterator(fs::path(MLAB_SOURCE_DIR) / "vectors")) {
    if (!dir.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(dir.path()))
      if (f.path().extension() == ".json") out.push_back(f.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One link frame's header without its length and checks, and its whole length.
struct Frame {
  Buffer header;
  std::size_t length = 0;
};

struct Taken {
  std::vector<Frame> frames;
  Buffer wire;                      // the APDU as sent
  std::vector<Buffer> fields;       // each frame's information / data field
  std::vector<Buffer> gbt_headers;  // general block transfer: each block's E0 .. length
};

// General block transfer, a block a frame: each block's header as sent, and the APDU the
// blocks make (the engine's GbtAssembler reassembles them).
void take_blocks(Taken& t) {
  if (t.wire.empty() || t.wire[0] != dlms::kGeneralBlockTransfer) return;
  dlms::GbtAssembler gbt;
  for (Buffer& f : t.fields) {
    if (llc_in_front(f)) f.erase(f.begin(), f.begin() + 3);
    ByteReader r(Bytes(f.data(), f.size()));
    if (!r.skip(6) || !dlms::read_ber_length(r) || !gbt.push(Bytes(f.data(), f.size()))) return;
    t.gbt_headers.emplace_back(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(r.offset()));
  }
  t.wire.assign(gbt.apdu().begin(), gbt.apdu().end());
}

Taken take(const Buffer& b, Framing framing) {
  Taken t;
  if (framing == Framing::hdlc) {
    hdlc::Framer f;
    f.push(Bytes(b.data(), b.size()));
    for (auto ev = f.next(); ev.kind != hdlc::Event::Kind::need_more; ev = f.next()) {
      if (ev.kind != hdlc::Event::Kind::frame) continue;
      Bytes whole(b.data() + ev.frame.stream_offset, ev.frame.length);
      // flag, format (its length bits are a length), addresses, control; the HCS is a check
      std::size_t header = std::size_t{3} + ev.frame.dst.size + ev.frame.src.size + 1;
      Buffer h(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(header));
      h[1] &= 0xF8, h[2] = 0;
      t.frames.push_back(Frame{h, whole.size()});
      t.wire.insert(t.wire.end(), ev.frame.info.begin(), ev.frame.info.end());
      t.fields.emplace_back(ev.frame.info.begin(), ev.frame.info.end());
    }
    if (!t.wire.empty() && llc_in_front(t.wire)) t.wire.erase(t.wire.begin(), t.wire.begin() + 3);
    take_blocks(t);
    return t;
  }
  mbus::Framer f;
  f.push(Bytes(b.data(), b.size()));
  for (auto ev = f.next(); ev.kind != mbus::Event::Kind::need_more; ev = f.next()) {
    if (ev.kind != mbus::Event::Kind::frame) continue;
    Bytes whole(b.data() + ev.frame.stream_offset, ev.frame.length);
    t.frames.push_back(Frame{Buffer(whole.begin(), whole.begin() + 9), whole.size()});  // 68 L L 68
    t.wire.insert(t.wire.end(), ev.frame.data.begin() + 2, ev.frame.data.end());  // C A CI ST DT
    t.fields.emplace_back(ev.frame.data.begin() + 2, ev.frame.data.end());
  }
  take_blocks(t);
  return t;
}

// Marks the bytes of every value the profile fills (not a constant) in a body.
void mark_values(const axdr::Document& doc, std::uint32_t index, const Node& n, std::size_t base,
                 std::vector<bool>& variable) {
  const axdr::Node& a = doc.nodes()[index];
  if (n.type == NodeType::structure || n.type == NodeType::array) {
    std::uint32_t child = axdr::Document::first_child(index);
    for (std::size_t i = 0; i < n.items.size() && i < a.count; ++i) {
      mark_values(doc, child, n.items[i], base, variable);
      child = doc.next_sibling(child);
    }
    return;
  }
  if (n.source == Source::constant) return;
  std::size_t end =
      index + 1 < doc.nodes().size() ? doc.nodes()[index + 1].offset : doc.source().size();
  for (std::size_t i = a.offset + 1; i < end; ++i) variable[base + i] = true;
}

Buffer plain_of(const Buffer& wire, const dlms::KeyRing& keys, std::string& why) {
  if (wire.empty() || wire[0] != dlms::kGeneralGloCiphering) return wire;
  auto c = dlms::parsed(dlms::parse_ciphered, Bytes(wire.data(), wire.size()));
  if (!c) {
    why += "bad ciphering header; ";
    return {};
  }
  Buffer out;
  auto d = dlms::decrypt(*c, keys, out);
  if (!d) {
    why += "does not decrypt; ";
    return {};
  }
  return Buffer(d->plaintext.begin(), d->plaintext.end());
}

// A capture of a bare APDU (a reader's log after the link layer): the APDU without its LLC.
Taken bare_apdu(const Buffer& b) {
  Taken t;
  t.wire = b;
  if (llc_in_front(t.wire)) t.wire.erase(t.wire.begin(), t.wire.begin() + 3);
  return t;
}

// "" when `ours` has the skeleton of `real` byte for byte, else what differs. A bare APDU
// capture has no link to compare: its APDU is compared.
std::string skeleton_difference(const Profile& p, const ListDef& list, const Buffer& real,
                                bool bare, const Buffer& ours, const dlms::KeyRing& real_keys) {
  std::string why;
  Taken a = bare ? bare_apdu(real) : take(real, p.framing), b = take(ours, p.framing);
  if (!bare && a.frames.size() != b.frames.size()) return "link frames per telegram differ";
  for (std::size_t i = 0; i < a.frames.size(); ++i) {
    if (a.frames[i].header != b.frames[i].header) why += "link header differs; ";
    if (a.frames[i].length != b.frames[i].length) why += "link frame length differs; ";
  }
  if (a.gbt_headers != b.gbt_headers) why += "general-block-transfer block headers differ; ";
  if (a.wire.size() != b.wire.size() || a.wire.empty()) return why + "APDU length differs";
  if (a.wire[0] == dlms::kGeneralGloCiphering) {
    // DB 08 system-title length SC | IC (a counter) | ciphertext and tag (follow the plaintext)
    std::size_t sc = 10 + (a.wire[10] & 0x80 ? (a.wire[10] & 0x7F) + 1 : 1);
    if (!std::equal(a.wire.begin(), a.wire.begin() + static_cast<std::ptrdiff_t>(sc + 1),
                    b.wire.begin()))
      why += "ciphering header differs; ";
  }
  Buffer pa = plain_of(a.wire, real_keys, why), pb = plain_of(b.wire, test::keys_of(p), why);
  if (pa.size() != pb.size() || pa.empty()) return why + "plaintext length differs";
  auto n = dlms::parsed(dlms::parse_data_notification, Bytes(pa.data(), pa.size()));
  axdr::Document doc;
  if (!n || !axdr::parse(n->body, doc)) return why + "capture not a data-notification";
  std::vector<bool> variable(pa.size(), false);
  for (std::size_t i = 0; i < n->body_offset; ++i)  // invoke id when it steps, the date-time
    variable[i] = i >= 6 || (i >= 1 && p.invoke_id_step != 0);
  if (n->date_time_form == dlms::DateTimeForm::absent) variable[5] = false;
  mark_values(doc, 0, list.body, n->body_offset, variable);
  for (std::size_t i = 0; i < pa.size(); ++i)
    if (!variable[i] && pa[i] != pb[i]) {
      why += "plaintext byte " + std::to_string(i) + " differs; ";
      break;
    }
  return why;
}

// P1: a telegram's text, the plaintext of an encrypted frame (empty when it does not open).
std::string p1_text(const Buffer& frame, const dlms::KeyRing& keys) {
  if (frame.empty() || frame[0] != p1::kCiphered) return std::string(frame.begin(), frame.end());
  std::vector<std::uint8_t> plain;
  auto o = p1::open(Bytes(frame.data(), frame.size()), keys, plain);
  return o ? std::string(o->text.begin(), o->text.end()) : std::string();
}

// The lines with their ends as sent (CR LF, or LF alone), so that the ends are compared too.
std::vector<std::string> p1_lines(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t b = 0, e; b < text.size(); b = e + 1) {
    e = std::min(text.find('\n', b), text.size());
    out.push_back(text.substr(b, e + 1 - b));
  }
  return out;
}

// Digits (hex digits: the CRC) as '#': what a filled value may change, with a timestamp's DST
// flag (YYMMDDhhmmssS or W), which follows the date.
std::string masked(std::string s, bool hex) {
  for (char& c : s)
    if (hex ? std::isxdigit(static_cast<unsigned char>(c)) : std::isdigit(c)) c = '#';
  const std::string stamp(12, '#');
  for (std::size_t at = s.find(stamp); !hex && at != std::string::npos; at = s.find(stamp, at + 1))
    if (at + 12 < s.size() && (s[at + 12] == 'S' || s[at + 12] == 'W')) s[at + 12] = '#';
  return s;
}

// "" when `ours` has the skeleton of the P1 capture `real`: the same lines, each equal byte for
// byte, except the digits of the lines the profile fills (values, the clock, capture times) and
// the CRC; an encrypted frame's ciphering header equal but its counter (and the tag).
std::string p1_skeleton_difference(const Profile& p, const Buffer& real, const Buffer& ours,
                                   const dlms::KeyRing& real_keys) {
  if (real.empty() || ours.empty() || real[0] != ours[0]) return "frame kind differs";
  if (real[0] == p1::kCiphered) {  // DB 08 system-title length SC | IC | ciphertext | tag
    std::size_t sc = 10 + (real[10] & 0x80 ? (real[10] & 0x7F) + 1 : 1);
    if (real.size() != ours.size() ||
        !std::equal(real.begin(), real.begin() + static_cast<std::ptrdiff_t>(sc + 1), ours.begin()))
      return "ciphering header or frame length differs";
  }
  std::vector<std::string> a = p1_lines(p1_text(real, real_keys)),
                           b = p1_lines(p1_text(ours, test::keys_of(p)));
  if (a.size() != b.size() || a.size() < 3) return "line count differs";
  std::vector<bool> filled(a.size(), false);
  std::size_t at = 2;  // after the identification line and the empty line
  for (const P1Line& l : p.p1->lines) {
    bool fills = l.kind == P1Kind::time || (l.kind != P1Kind::literal && l.kind != P1Kind::text &&
                                            l.kind != P1Kind::hex && l.from != P1Source::constant);
    for (int k = l.kind == P1Kind::gas22 ? 2 : 1; k > 0 && at < a.size(); --k) filled[at++] = fills;
  }
  if (at + 1 != a.size()) return "the profile's lines do not cover the telegram";
  for (std::size_t i = 0; i < a.size(); ++i) {
    const bool crc = i + 1 == a.size();
    bool same = filled[i] || crc ? masked(a[i], crc) == masked(b[i], crc) : a[i] == b[i];
    if (!same) return "line " + std::to_string(i) + " differs: \"" + a[i] + "\" / \"" + b[i] + "\"";
  }
  return {};
}

// The capture and a simulated telegram decode to the same readings (OBIS codes and units).
std::string p1_same_decoding(const Profile& p, const Buffer& capture, const json& ours) {
  test::Decoded d = test::decode(p, capture);
  if (d.telegrams.empty()) return "the capture does not decode with the learned keys";
  auto keys = [](const json& t) {
    std::vector<std::string> out;
    for (const json& r : t.at("readings"))
      out.push_back(r.at("obis").get<std::string>() + " " + r.at("unit").get<std::string>());
    return out;
  };
  return keys(d.telegrams.front()) == keys(ours) ? "" : "decodes to other readings";
}

// The capture and a simulated telegram decode with the same layout.
std::string same_layout(const Profile& p, const Buffer& capture, const json& ours) {
  test::Decoded d = test::decode(p, capture);
  if (d.telegrams.empty()) return "the capture does not decode with the learned keys";
  const json& layout = d.telegrams.front().at("layout");
  return layout == ours.at("layout") ? ""
                                     : "layout " + layout.dump() + " / " + ours.at("layout").dump();
}

// Learns one vector and simulates an hour; "" when every check holds, else what failed.
std::string fidelity(const Vector& v, const Learned& l) {
  const Profile p = parse_profile(l.profile_json);
  SimOptions o;
  o.seed = 1;
  o.start = *parse_iso("2026-01-15T12:00:00", p.zone);
  o.duration = 3600 * 1000;
  test::Run run = test::run(p, o);
  test::Decoded d = test::decode(p, run.bytes);
  if (!d.rejections.empty()) return "simulated telegram rejected: " + d.rejections[0].dump();
  if (d.telegrams.size() != run.telegrams.size() || run.telegrams.empty())
    return "decoded " + std::to_string(d.telegrams.size()) + " of " +
           std::to_string(run.telegrams.size());
  dlms::KeyRing keys;
  if (v.options.ek) keys.add(std::nullopt, *v.options.ek, v.options.ak);
  for (std::size_t i = 0; i < run.telegrams.size(); ++i) {
    const json& t = run.telegrams[i];
    if (std::string diff = test::compare(t, d.telegrams[i]); !diff.empty())
      return "telegram " + std::to_string(i) + " differs from its truth: " + diff;
    const std::string name = t.at("list").get<std::string>();
    auto sample = std::find_if(l.lists.begin(), l.lists.end(),
                               [&](const LearnedList& x) { return x.name == name; });
    std::size_t at = t.at("offset").get<std::size_t>(), len = t.at("length").get<std::size_t>();
    Buffer ours(run.bytes.begin() + static_cast<std::ptrdiff_t>(at),
                run.bytes.begin() + static_cast<std::ptrdiff_t>(at + len));
    std::string diff = p.framing == Framing::p1
                           ? p1_skeleton_difference(p, sample->capture, ours, keys) +
                                 p1_same_decoding(p, sample->capture, d.telegrams[i])
                           : skeleton_difference(p, p.lists.at(name), sample->capture,
                                                 !l.link_from.empty(), ours, keys) +
                                 same_layout(p, sample->capture, d.telegrams[i]);
    if (!diff.empty()) return "telegram " + std::to_string(i) + " skeleton: " + diff;
  }
  return {};
}

// A capture of bare APDUs with no family and no LLC is refused until the user says what link to
// send it in: the fidelity test then says --transport hdlc for it (the report names them).
Learned learn_apdu_too(Vector& v) {
  try {
    return learn_profile(Bytes(v.input.data(), v.input.size()), v.options);
  } catch (const LearnError& e) {
    if (std::string(e.what()).find("pass --transport") == std::string::npos) throw;
    v.options.transport = "hdlc";
    return learn_profile(Bytes(v.input.data(), v.input.size()), v.options);
  }
}

std::string link_note(const Vector& v, const Learned& l) {
  if (l.link_from.empty()) return "";
  const bool given = v.options.transport == "hdlc";
  return std::string("; APDU only; link from ") + l.link_from +
         (given ? ", --transport hdlc given by the test" : "");
}

TEST(Learn, EveryLearnableVectorIsSimulatedWithItsSkeletonAndItsTruth) {
  std::vector<std::string> learned, not_learned;
  for (const fs::path& file : vector_files()) {
    Vector v = load(file);
    try {
      Learned l = learn_apdu_too(v);
      std::string failed = fidelity(v, l);
      EXPECT_EQ(failed, "") << v.name;
      learned.push_back(v.name + " (" + std::to_string(l.telegrams) + " telegrams, " +
                        std::to_string(l.lists.size()) + " lists" + link_note(v, l) + ")" +
                        (failed.empty() ? "" : " FAILED: " + failed));
    } catch (const LearnError& e) {
      not_learned.push_back(v.name + ": " + e.what());
    }
  }
  std::ofstream report(MLAB_LEARN_REPORT);
  report << "learned " << learned.size() << ", not learned " << not_learned.size() << "\n";
  for (const auto& s : learned) report << "learned     " << s << "\n";
  for (const auto& s : not_learned) report << "not learned " << s << "\n";
  std::cout << "learned " << learned.size() << ", not learned " << not_learned.size()
            << " (report: " << MLAB_LEARN_REPORT << ")\n";
  for (const auto& s : not_learned) std::cout << "  not learned " << s << "\n";
  // 48 when this test was written, 67 once P1 captures were learned (19 of them), 84 once bare
  // APDUs (11), a clock only its position names and general block transfer were; a capture
  // refused because the learner could not map one of its readings to a value is a learner's
  // failure, not the capture's.
  EXPECT_GE(learned.size(), 84u);
  for (const auto& s : not_learned)
    EXPECT_EQ(s.find("comes from no single value"), std::string::npos) << s;
}

// A capture the simulator made of a built-in profile: what is learned from it is what the profile
// says (lists, cadences, link header, security and counters).
Buffer simulated_capture(const Profile& p, Duration duration) {
  SimOptions o;
  o.start = *parse_iso("2026-01-15T12:00:15", p.zone);  // list 3 comes at hh:00:10
  o.duration = duration;
  return test::run(p, o).bytes;
}

TEST(Learn, CadencesListsAndCountersOfASimulatedMeter) {
  const Profile& kaifa = *find_profile("kaifa-kfm001-3ph");
  Buffer capture = simulated_capture(kaifa, 30 * 1000);
  Profile l = parse_profile(learn_profile(capture, {}).profile_json);
  ASSERT_EQ(l.lists.size(), 2u);  // list 1 every 2 s, list 2 every 10 s (no hour in 30 s)
  ASSERT_EQ(l.schedule.size(), 2u);
  EXPECT_EQ(l.schedule[0].every, 2000);
  EXPECT_EQ(l.schedule[1].every, 10000);
  EXPECT_EQ(l.step, 2000);
  EXPECT_EQ(l.hdlc.dest, kaifa.hdlc.dest);
  EXPECT_EQ(l.hdlc.src, kaifa.hdlc.src);
  EXPECT_EQ(l.hdlc.control, kaifa.hdlc.control);
  EXPECT_EQ(l.meter_id, kaifa.meter_id);
  EXPECT_EQ(l.serial.to_string(), "2400 8E1");

  const Profile& evn = *find_profile("kaifa-ma309-evn");
  LearnOptions o;
  o.ek = evn.security->ek;
  Profile m = parse_profile(learn_profile(simulated_capture(evn, 60 * 1000), o).profile_json);
  ASSERT_TRUE(m.security);
  EXPECT_EQ(m.security->security_control, evn.security->security_control);
  EXPECT_EQ(m.security->system_title, evn.security->system_title);
  EXPECT_EQ(m.security->invocation_counter, evn.security->invocation_counter);
  EXPECT_EQ(m.security->invocation_step, evn.security->invocation_step);
  EXPECT_EQ(m.schedule.at(0).every, evn.schedule.at(0).every);
  EXPECT_EQ(m.framing, Framing::mbus);
  EXPECT_EQ(m.mbus.max_data, evn.mbus.max_data);
  EXPECT_EQ(m.serial.to_string(), "2400 8N1");
}

// Two profiles learned from one capture give the same bytes for the same seed, one profile the
// same bytes on every run, and another seed other bytes.
void expect_same_seed_same_bytes(const Profile& p, const Profile& q, Duration duration) {
  auto bytes = [&](const Profile& pr, std::uint64_t seed) {
    SimOptions o;
    o.seed = seed;
    o.start = *parse_iso("2026-01-15T12:00:00", pr.zone);
    o.duration = duration;
    return test::run(pr, o).bytes;
  };
  EXPECT_EQ(bytes(p, 5), bytes(q, 5));
  EXPECT_EQ(bytes(p, 5), bytes(p, 5));
  EXPECT_NE(bytes(p, 5), bytes(p, 6)) << "the seed drives the household";
}

TEST(Learn, SameSeedSameBytesAndNoKeyInTheSavedProfile) {
  Vector v = load(fs::path(MLAB_SOURCE_DIR) /
                  "vectors/mbus-encrypted/evn-netznoe-kaifa-ma309-doc-example.json");
  Learned a = learn_profile(v.input, v.options), b = learn_profile(v.input, v.options);
  EXPECT_EQ(a.profile_json, b.profile_json);
  const std::string ek = to_hex(*v.options.ek);
  EXPECT_NE(a.profile_json.find(ek), std::string::npos);
  EXPECT_EQ(a.saved_json.find(ek), std::string::npos) << "a key in the saved profile";
  expect_same_seed_same_bytes(parse_profile(a.profile_json), parse_profile(b.profile_json),
                              600 * 1000);
}

std::string refusal(const Buffer& capture, const LearnOptions& o = {}) {
  try {
    learn_profile(capture, o);
  } catch (const LearnError& e) {
    return e.what();
  }
  return "learned";
}

TEST(Learn, BadCapturesAreRefusedWithWhatAndWhere) {
  const std::string text = "no meter here";
  EXPECT_EQ(refusal(Buffer(text.begin(), text.end())),
            "no telegram found in 13 bytes; the first problem: link link_garbage at stream byte 0: "
            "bytes that start no frame of any transport discarded");
  Vector evn = load(fs::path(MLAB_SOURCE_DIR) /
                    "vectors/mbus-encrypted/evn-netznoe-kaifa-ma309-doc-example.json");
  EXPECT_EQ(refusal(evn.input),
            "the telegram at stream byte 0 is encrypted and no key was given for its system "
            "title (--key)");
  Vector aidon = load(fs::path(MLAB_SOURCE_DIR) / "vectors/hdlc-plain/aidon-6525-list2.json");
  Vector other = load(fs::path(MLAB_SOURCE_DIR) / "vectors/hdlc-plain/aidon-doc-list2-1phase.json");
  Buffer two = aidon.input;
  two.insert(two.end(), other.input.begin(), other.input.end());
  EXPECT_TRUE(
      refusal(two).starts_with("two meters in one capture: meter id 7359992899161110 at "
                               "stream byte 0, "))
      << refusal(two);
}

Vector vector_named(const std::string& name) {
  return load(fs::path(MLAB_SOURCE_DIR) / "vectors" / (name + ".json"));
}

const P1Line& p1_line(const Profile& p, const std::string& obis) {
  auto it = std::find_if(p.p1->lines.begin(), p.p1->lines.end(), [&](const P1Line& l) {
    return l.obis == obis || (l.kind == P1Kind::literal && l.text.starts_with(obis + "("));
  });
  EXPECT_NE(it, p.p1->lines.end()) << obis;
  return *it;
}

TEST(Learn, P1CaptureGivesItsLinesWidthsAndTheVersionsDefaults) {
  Vector v = vector_named("p1/dsmr5-iskra-am550-nl");
  Learned l = learn_profile(v.input, v.options);
  const Profile p = parse_profile(l.profile_json);
  ASSERT_EQ(p.framing, Framing::p1);
  EXPECT_EQ(p.p1->header, "ISk5\\2MT382-1000");
  EXPECT_TRUE(p.p1->crc);
  EXPECT_EQ(p.step, 1000) << "one telegram of DSMR 5: every second";
  EXPECT_EQ(p.serial.to_string(), "115200 8N1");
  EXPECT_EQ(p.meter_id, "K8EG004046395507");
  EXPECT_EQ(p.p1->lines.size(), 37u);
  EXPECT_EQ(p1_line(p, "0-0:1.0.0").kind, P1Kind::time);
  EXPECT_TRUE(p1_line(p, "0-0:96.1.1").meter_id);
  EXPECT_EQ(p1_line(p, "1-0:1.8.2").from, P1Source::by_tariff);
  EXPECT_EQ(p1_line(p, "1-0:1.8.2").tariff, 2);
  const P1Line& power = p1_line(p, "1-0:1.7.0");
  EXPECT_EQ(power.source, Source::p_import);
  EXPECT_EQ(power.int_digits * 10 + power.frac_digits, 23);
  EXPECT_EQ(power.unit, "kW");
  EXPECT_EQ(p1_line(p, "1-0:31.7.0").frac_digits, 2);  // 0.48*A
  EXPECT_EQ(p1_line(p, "0-0:96.14.0").from, P1Source::tariff);
  // The power failures are the meter's own count from the captured one on (issue 17).
  EXPECT_EQ(p1_line(p, "0-0:96.7.21").from, P1Source::power_failures);
  EXPECT_EQ(p.p1->power_failures.count, 13);
  EXPECT_EQ(p1_line(p, "1-0:99.97.0").kind, P1Kind::failure_log);
  EXPECT_EQ(p1_line(p, "1-3:0.2.8").kind, P1Kind::literal) << "a version: held";
  EXPECT_EQ(p1_line(p, "0-1:24.2.1").from, P1Source::gas);
  EXPECT_EQ(p.p1->gas_capture, 5 * kMinuteMs);

  Vector old = vector_named("p1/p1-dsmr22-gas");
  const Profile q = parse_profile(learn_profile(old.input, old.options).profile_json);
  EXPECT_FALSE(q.p1->crc);
  EXPECT_EQ(q.step, 10'000) << "DSMR 2.2: every ten seconds";
  EXPECT_EQ(q.serial.to_string(), "9600 7E1");
  EXPECT_EQ(p1_line(q, "0-1:24.3.0").kind, P1Kind::gas22);
  EXPECT_EQ(q.p1->gas_capture, 60 * kMinuteMs);

  LearnOptions given = old.options;
  given.cadence_ms = 7000;
  EXPECT_EQ(parse_profile(learn_profile(old.input, given).profile_json).step, 7000) << "--cadence";
}

// A list seen once: its period and line settings are its family's (the built-in profile that
// has a list of its skeleton), not the transport's; a list no family has gets the transport's.
TEST(Learn, AListSeenOnceGetsItsFamilysPeriodAndLine) {
  auto learned = [](const std::string& name) {
    Vector v = vector_named(name);
    return parse_profile(learn_profile(v.input, v.options).profile_json);
  };
  auto every = [&](const std::string& name) {
    const Profile p = learned(name);
    EXPECT_EQ(p.schedule.size(), 1u) << name;
    return p.schedule.empty() ? Duration{0} : p.schedule.front().every;
  };
  for (const char* profile : {"kamstrup-omnipower", "lg-e450-burgenland", "aidon-6525"}) {
    const Profile* b = find_profile(profile);
    ASSERT_NE(b, nullptr);
    const std::string capture = b->vectors.back().vector;
    EXPECT_EQ(learned(capture).serial.to_string(), b->serial.to_string()) << capture;
  }
  EXPECT_EQ(learned("generic/generic-proprietary-body").serial.to_string(), "2400 8E1");
  EXPECT_EQ(every("hdlc-plain/aidon-6525-list1"), 2500);
  EXPECT_EQ(every("hdlc-plain/kaifa-kfm001-ma304h3e-list1"), 2000);
  EXPECT_EQ(every("hdlc-plain/kaifa-kfm001-ma304h3e-list3-a09b"), 3'600'000);
  EXPECT_EQ(every("hdlc-plain/kamstrup-6841121-list2"), 3'600'000);
  EXPECT_EQ(every("hdlc-encrypted/lg-e450-burgenland-gh501-1"), 5000);
  EXPECT_EQ(every("generic/generic-proprietary-body"), 10'000) << "no family: the HDLC default";
}

// Each built-in P1 profile, learned from one telegram of it: the family's defaults are its own
// (cadence, line settings, CRC, channel capture period), and from a minute of it the same.
TEST(Learn, P1DefaultsOfEveryBuiltInFamily) {
  for (const Profile& b : builtin_profiles()) {
    if (b.framing != Framing::p1) continue;
    LearnOptions o;
    o.transport = "p1";
    if (b.security) o.ek = b.security->ek, o.ak = b.security->ak;
    for (Duration d : {b.step, Duration{60'000}}) {
      Learned l = learn_profile(simulated_capture(b, d), o);
      const Profile p = parse_profile(l.profile_json);
      EXPECT_EQ(l.telegrams == 1, d == b.step) << b.name << ": " << l.telegrams << " telegrams";
      EXPECT_EQ(p.step, b.step) << b.name << " from " << l.telegrams << " telegrams";
      EXPECT_EQ(p.serial.to_string(), b.serial.to_string()) << b.name;
      EXPECT_EQ(p.p1->crc, b.p1->crc) << b.name;
      EXPECT_EQ(p.p1->header, b.p1->header) << b.name;
      if (b.p1->gas_m3_per_day > 0) {
        EXPECT_EQ(p.p1->gas_capture, b.p1->gas_capture) << b.name;
      }
      ASSERT_EQ(p.security.has_value(), b.security.has_value()) << b.name;
      if (!b.security) continue;
      EXPECT_EQ(p.security->system_title, b.security->system_title) << b.name;
      EXPECT_EQ(p.security->security_control, b.security->security_control) << b.name;
      EXPECT_EQ(p.security->invocation_counter, b.security->invocation_counter) << b.name;
    }
  }
}

// The channel's capture period from consecutive capture times, not the version's default.
TEST(Learn, P1ChannelCapturePeriodFromConsecutiveCaptures) {
  Profile b = *find_profile("dsmr4-nl");
  auto spec = std::make_shared<P1Spec>(*b.p1);
  spec->gas_capture = 15 * kMinuteMs;  // DSMR 4 would say hourly
  b.p1 = spec;
  LearnOptions o;
  o.transport = "p1";
  const Profile p =
      parse_profile(learn_profile(simulated_capture(b, 31 * kMinuteMs), o).profile_json);
  EXPECT_EQ(p.p1->gas_capture, 15 * kMinuteMs);
  EXPECT_EQ(p.step, 10'000);
}

TEST(Learn, P1EncryptedWithItsKeysRefusedWithoutAndOneMeterOnly) {
  Vector smarty = vector_named("p1/smarty-lu-sagemcom-encrypted-openhab");
  Learned l = learn_profile(smarty.input, smarty.options);
  const Profile p = parse_profile(l.profile_json);
  ASSERT_TRUE(p.security);
  EXPECT_EQ(to_hex(p.security->system_title), "534147677001bd54");
  EXPECT_EQ(p.security->security_control, 0x30);
  EXPECT_EQ(p.step, 10'000) << "Smarty (DSMR 4.2 based): every ten seconds";
  const std::string ek = to_hex(*smarty.options.ek);
  EXPECT_EQ(l.saved_json.find(ek), std::string::npos) << "a key in the saved profile";

  LearnOptions no_key;
  no_key.transport = "p1";
  EXPECT_EQ(refusal(smarty.input, no_key),
            "the telegram at stream byte 0 is encrypted and no key was given for its system "
            "title (--key)");

  Vector a = vector_named("p1/dsmr5-iskra-am550-nl"), b = vector_named("p1/dsmr42-kaifa-nl");
  Buffer two = a.input;
  two.insert(two.end(), b.input.begin(), b.input.end());
  EXPECT_EQ(refusal(two, a.options),
            "two meters in one capture: meter id K8EG004046395507 at stream byte 0, "
            "3960221976967177082151037881335713 at stream byte 890");
}

TEST(Learn, P1LearnedProfileSameSeedSameBytes) {
  Vector v = vector_named("p1/p1-belgian-peak");
  expect_same_seed_same_bytes(parse_profile(learn_profile(v.input, v.options).profile_json),
                              parse_profile(learn_profile(v.input, v.options).profile_json),
                              60 * 1000);
}

TEST(Learn, HexCapturesWithWhiteSpaceAndBinaryCaptures) {
  EXPECT_EQ(capture_bytes("7e a0\n 0a\t7E\n"), (Buffer{0x7E, 0xA0, 0x0A, 0x7E}));
  const std::string binary("\x7e\xa0\x0a\x7e", 4);
  EXPECT_EQ(capture_bytes(binary), (Buffer{0x7E, 0xA0, 0x0A, 0x7E}));
}

// A P1 meter that ends its lines in LF alone (the Slovenian AM550 capture) is learned as it is:
// its profile says "eol": "lf" and sends LF alone, byte for byte; mixed ends are refused.
TEST(Learn, P1LinesEndingInLfAloneAreLearnedMixedEndsRefused) {
  Vector v = vector_named("p1/iskra-am550-si-gh1037-nocrc");
  Learned l = learn_profile(v.input, v.options);
  EXPECT_EQ(json::parse(l.profile_json).at("p1").at("eol"), "lf");
  const Profile p = parse_profile(l.profile_json);
  EXPECT_EQ(p.p1->eol, "\n");
  EXPECT_EQ(p.serial.to_string(), "115200 7E1");
  Meter m(p, 1, *parse_iso("2026-01-15T12:00:00", p.zone));
  const std::string sent = [&] {
    MeterTelegram t = m.build(*parse_iso("2026-01-15T12:00:01", p.zone), p.lists.at("telegram"));
    return std::string(t.apdu.begin(), t.apdu.end());
  }();
  EXPECT_EQ(sent.find('\r'), std::string::npos) << sent;
  EXPECT_TRUE(sent.ends_with("\n!\n")) << sent;

  std::string mixed(v.input.begin(), v.input.end());
  const std::size_t second = mixed.find('\n', mixed.find('\n', mixed.find('\n') + 1) + 1);
  mixed.insert(second, "\r");  // the third line ends in CR LF, the others in LF alone
  EXPECT_EQ(refusal(Buffer(mixed.begin(), mixed.end()), v.options),
            "the telegram at stream byte 0: its lines end in mixed ways: the first in LF alone, "
            "the one ending at byte " +
                std::to_string(second + 1) +
                " of the telegram in CR LF; a meter ends every line alike");
}

// The power-failure counts and log of a capture are the learned meter's start state, in the
// capture's order (DSMR's example: newest first); the meter then logs its own long failures.
TEST(Learn, P1PowerFailuresAreTheLearnedMetersStartState) {
  Vector v = vector_named("p1/p1-power-failure-log");
  const Profile p = parse_profile(learn_profile(v.input, v.options).profile_json);
  EXPECT_EQ(p.p1->power_failures.count, 4);
  EXPECT_EQ(p.p1->power_failures.long_count, 2);
  ASSERT_EQ(p.p1->power_failures.log.size(), 2u);
  EXPECT_TRUE(p.p1->power_failures.newest_first);
  SimOptions o;
  o.start = *parse_iso("2026-01-15T12:00:00", p.zone);
  o.duration = 20 * kMinuteMs;
  o.faults.push_back(parse_fault("restart:at=5m,for=3m"));
  test::Run run = test::run(p, o);
  const std::string& last = run.telegrams.back().dump();
  EXPECT_NE(last.find("{\"captured\":\"2026-01-15T12:08:00+01:00\",\"obis\":\"0-0:96.7.19.255\","
                      "\"unit\":\"s\",\"value\":180},{\"captured\":\"2010-12-08T15:24:15+01:00\""),
            std::string::npos)
      << last;
  test::Decoded d = test::decode(p, run.bytes);
  ASSERT_EQ(d.telegrams.size(), run.telegrams.size());
  EXPECT_EQ(test::compare(run.telegrams.back(), d.telegrams.back()), "");
}

}  // namespace
}  // namespace meterlab::sim

namespace meterlab::sim {
namespace {

// The leaves of a list in order (containers walked).
void leaves(const Node& n, std::vector<const Node*>& out) {
  if (n.type == NodeType::structure || n.type == NodeType::array) {
    for (const Node& i : n.items) leaves(i, out);
    return;
  }
  out.push_back(&n);
}

// Every telegram of a run decodes as its truth says.
void expect_decoded_as_the_truth(const Profile& p, const test::Run& run) {
  test::Decoded d = test::decode(p, run.bytes);
  ASSERT_EQ(d.telegrams.size(), run.telegrams.size());
  for (std::size_t i = 0; i < d.telegrams.size(); ++i)
    EXPECT_EQ(test::compare(run.telegrams[i], d.telegrams[i]), "") << i;
}

// A date-time at a position with no OBIS code (issue 18): kept as a clock that advances with the
// simulation, and the truth describes it as the decoder reports it, a reading named by its
// position that is also the telegram's clock.
TEST(Learn, AClockOnlyItsPositionNamesAdvancesAndIsTheTelegramsClock) {
  Vector v = vector_named("generic/generic-unknown-positional-list");
  const Profile p = parse_profile(learn_profile(v.input, v.options).profile_json);
  std::vector<const Node*> all;
  leaves(p.lists.begin()->second.body, all);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[4]->source, Source::clock);
  EXPECT_EQ(all[4]->position, "5");
  EXPECT_EQ(all[4]->obis, "");
  SimOptions o;
  o.start = *parse_iso("2026-01-15T12:00:00", p.zone);
  o.duration = 25 * 1000;
  test::Run run = test::run(p, o);
  ASSERT_GE(run.telegrams.size(), 2u);
  std::vector<std::string> clocks;
  for (const json& t : run.telegrams) {
    auto r = std::find_if(t.at("readings").begin(), t.at("readings").end(),
                          [](const json& x) { return x.value("position", "") == "5"; });
    ASSERT_NE(r, t.at("readings").end()) << t.dump();
    EXPECT_TRUE(r->at("obis").is_null());
    EXPECT_EQ(r->at("value"), t.at("timestamp"));
    clocks.push_back(t.at("timestamp").get<std::string>());
  }
  EXPECT_EQ(clocks[0], "2026-01-15T12:00:00");
  EXPECT_EQ(clocks[1], "2026-01-15T12:00:10") << "the clock advances (HDLC's 10 s, no family)";
  expect_decoded_as_the_truth(p, run);
}

// Captures of bare APDUs (a reader's log after the link layer, issue 18): the APDU is learned and
// put in a link that is not invented silently.
TEST(Learn, ABareApduTakesItsFamilysLinkAndLine) {
  Vector v = vector_named("apdu/aidon-no-list3-llc-pdu-amshan");
  Learned l = learn_profile(v.input, v.options);
  EXPECT_EQ(l.link_from, "aidon-6525");
  EXPECT_NE(l.saved_json.find("\"link_from\": \"aidon-6525\""), std::string::npos);
  const Profile p = parse_profile(l.profile_json);
  const Profile& aidon = *find_profile("aidon-6525");
  ASSERT_EQ(p.framing, Framing::hdlc);
  EXPECT_EQ(p.hdlc.dest, aidon.hdlc.dest);
  EXPECT_EQ(p.hdlc.src, aidon.hdlc.src);
  EXPECT_EQ(p.hdlc.control, aidon.hdlc.control);
  EXPECT_EQ(p.serial.to_string(), aidon.serial.to_string());
  EXPECT_EQ(p.schedule.at(0).every, 3'600'000) << "Aidon's list 3: hourly";
}

TEST(Learn, ABareApduWithoutFamilyTakesTheLlcsOrTheAskedTransportsLink) {
  Vector llc = vector_named("apdu/kaifa-se-llc-pdu-amshan");
  Learned a = learn_profile(llc.input, llc.options);
  EXPECT_EQ(a.link_from, "hdlc default (LLC E6 E7 00)");
  const Profile pa = parse_profile(a.profile_json);
  EXPECT_EQ(pa.framing, Framing::hdlc);
  EXPECT_TRUE(pa.hdlc.llc);
  EXPECT_EQ(pa.serial.to_string(), "2400 8E1");

  Vector bare = vector_named("apdu/salzburgnetz-doc-sample-single-frame-plaintext");
  ASSERT_EQ(bare.options.transport, "apdu");
  EXPECT_EQ(refusal(bare.input, bare.options),
            "a bare APDU with no link layer at stream byte 0, no LLC in front and no built-in "
            "family with its list: pass --transport hdlc or --transport mbus to say what link "
            "the simulator sends it in");
  bare.options.transport = "mbus";
  Learned m = learn_profile(bare.input, bare.options);
  EXPECT_EQ(m.link_from, "mbus default");
  const Profile pm = parse_profile(m.profile_json);
  EXPECT_EQ(pm.framing, Framing::mbus);
  EXPECT_EQ(pm.mbus.c, MbusParams{}.c);
  EXPECT_EQ(pm.serial.to_string(), "2400 8N1");
  bare.options.transport = "hdlc";
  EXPECT_EQ(learn_profile(bare.input, bare.options).link_from, "hdlc default");
}

TEST(Learn, AnEncryptedBareApduNeedsItsKey) {
  Vector v = vector_named("apdu/dlmscosem-genglo-datanotification-sc30");
  v.options.transport = "hdlc";
  LearnOptions no_key = v.options;
  no_key.ek.reset();
  no_key.ak.reset();
  EXPECT_EQ(refusal(v.input, no_key),
            "the telegram at stream byte 0 is encrypted and no key was given for its system "
            "title (--key)");
  const Profile p = parse_profile(learn_profile(v.input, v.options).profile_json);
  ASSERT_TRUE(p.security);
  EXPECT_EQ(p.security->security_control, 0x30);
}

TEST(Learn, ALearnedBareApduProfileSameSeedSameBytes) {
  Vector v = vector_named("apdu/kamstrup-omnipower-dk-gh111-decrypted-stripped");
  Learned a = learn_profile(v.input, v.options), b = learn_profile(v.input, v.options);
  EXPECT_EQ(a.profile_json, b.profile_json);
  expect_same_seed_same_bytes(parse_profile(a.profile_json), parse_profile(b.profile_json),
                              600 * 1000);
}

// General block transfer (issue 18): the L&G E450's list in three blocks of 112, 108 and 121
// bytes, each in its own HDLC frame, the LLC in the first; learned and sent so: every frame's
// length and every block's header as captured.
TEST(Learn, GeneralBlockTransferIsLearnedAndSentBlockByBlock) {
  Vector v = vector_named("hdlc-plain/lg-e450-ch-gh740-gbt-3frames");
  const Profile p = parse_profile(learn_profile(v.input, v.options).profile_json);
  ASSERT_TRUE(p.gbt);
  EXPECT_EQ(p.gbt->sizes, (std::vector<std::size_t>{112, 108}));
  EXPECT_EQ(p.gbt->control, 0x40);
  EXPECT_EQ(p.gbt->first_block, 1);
  EXPECT_EQ(p.gbt->ack, 0);
  SimOptions o;
  o.start = *parse_iso("2026-01-15T12:00:00", p.zone);
  o.duration = 30 * 1000;
  test::Run run = test::run(p, o);
  ASSERT_FALSE(run.telegrams.empty());
  const json& t = run.telegrams.front();
  ASSERT_EQ(t.at("frames").size(), 3u);
  const std::size_t at = t.at("offset").get<std::size_t>();
  Buffer ours(
      run.bytes.begin() + static_cast<std::ptrdiff_t>(at),
      run.bytes.begin() + static_cast<std::ptrdiff_t>(at + t.at("length").get<std::size_t>()));
  Taken real = take(v.input, Framing::hdlc), sim = take(ours, Framing::hdlc);
  ASSERT_EQ(sim.gbt_headers.size(), 3u);
  ASSERT_EQ(sim.frames.size(), real.frames.size());
  for (std::size_t i = 0; i < sim.frames.size(); ++i)
    EXPECT_EQ(sim.frames[i].length, real.frames[i].length) << "frame " << i;
  EXPECT_FALSE(p.gbt->llc_every_block) << "the E450 sends the LLC in the first frame only";
  EXPECT_EQ(sim.gbt_headers, real.gbt_headers);
  EXPECT_EQ(to_hex(sim.gbt_headers[2]), "e0c000030000" + to_hex(real.gbt_headers[2]).substr(12));
  expect_decoded_as_the_truth(p, run);
}

TEST(Learn, GeneralBlockTransferWriterCutsTheApduAsTold) {
  Buffer apdu(300);
  for (std::size_t i = 0; i < apdu.size(); ++i) apdu[i] = static_cast<std::uint8_t>(i);
  std::vector<Buffer> blocks = general_block_transfer(apdu, GbtParams{{100, 150}, 0x40, 1, 0});
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(to_hex(Bytes(blocks[0].data(), 7)), "e0400001000064");
  EXPECT_EQ(to_hex(Bytes(blocks[1].data(), 8)), "e040000200008196");
  EXPECT_EQ(to_hex(Bytes(blocks[2].data(), 7)), "e0c00003000032");
  dlms::GbtAssembler gbt;
  for (std::size_t i = 0; i < blocks.size(); ++i)
    EXPECT_EQ(*gbt.push(Bytes(blocks[i].data(), blocks[i].size())), i == 2) << i;
  EXPECT_EQ(Buffer(gbt.apdu().begin(), gbt.apdu().end()), apdu);
  EXPECT_EQ(general_block_transfer(Buffer(80, 0), GbtParams{{100, 150}, 0x40, 1, 0}).size(), 1u)
      << "a shorter APDU: fewer blocks";
}

}  // namespace
}  // namespace meterlab::sim
