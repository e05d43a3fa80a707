// Profiles: every built-in profile parses, bad profiles are refused with the JSON path, and each
// profile's telegrams have the structure of its real capture in vectors/ (link header, link frame
// lengths and APDU length, LLC, APDU form, SC byte and system-title form; with "full" also the
// A-XDR skeleton: types in order, container counts, string lengths, OBIS codes and the list id).
#include "meterlab/sim/profile.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "meterlab/axdr/axdr.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/dlms/security.hpp"
#include "meterlab/sim/meter.hpp"
#include "meterlab/testing/sim_test_util.hpp"

namespace meterlab::sim {
namespace {

using nlohmann::json;

// One telegram taken apart (test-side, on trusted input: the capture and our own writer).
struct Anatomy {
  std::vector<Buffer> headers;     // per link frame: the header without length and checksums
  std::vector<std::size_t> sizes;  // per link frame: its whole length on the line
  Buffer llc;
  Buffer apdu;   // as sent (ciphered or plain)
  Buffer plain;  // the data-notification
};

Anatomy split_hdlc(const Buffer& s) {
  Anatomy a;
  std::size_t i = 0;
  while (i + 2 < s.size() && s[i] == 0x7E) {
    std::size_t len = static_cast<std::size_t>(((s[i + 1] & 0x07) << 8) | s[i + 2]);
    Buffer f(s.begin() + static_cast<std::ptrdiff_t>(i + 1),
             s.begin() + static_cast<std::ptrdiff_t>(i + 1 + len));
    std::size_t p = 2;
    while ((f[p] & 1) == 0) ++p;  // destination address
    ++p;
    while ((f[p] & 1) == 0) ++p;  // source address
    ++p;                          // now at control
    Buffer h{static_cast<std::uint8_t>(f[0] & 0xF8)};
    h.insert(h.end(), f.begin() + 2, f.begin() + static_cast<std::ptrdiff_t>(p + 1));
    a.headers.push_back(h);
    a.sizes.push_back(len + 2);  // with both flags
    std::size_t info = p + 3;    // control, HCS
    if (a.headers.size() == 1 && f[info] == 0xE6) {
      a.llc.assign(f.begin() + static_cast<std::ptrdiff_t>(info),
                   f.begin() + static_cast<std::ptrdiff_t>(info + 3));
      info += 3;
    }
    a.apdu.insert(a.apdu.end(), f.begin() + static_cast<std::ptrdiff_t>(info), f.end() - 2);
    i += len + 2;
  }
  return a;
}

Anatomy split_mbus(const Buffer& s) {
  Anatomy a;
  std::size_t i = 0;
  while (i + 4 < s.size() && s[i] == 0x68) {
    std::size_t len = s[i + 1];
    a.sizes.push_back(len + 6);  // 68 L L 68 .. CS 16
    a.headers.push_back(Buffer(s.begin() + static_cast<std::ptrdiff_t>(i + 4),
                               s.begin() + static_cast<std::ptrdiff_t>(i + 9)));
    a.apdu.insert(a.apdu.end(), s.begin() + static_cast<std::ptrdiff_t>(i + 9),
                  s.begin() + static_cast<std::ptrdiff_t>(i + 4 + len));
    i += len + 6;
  }
  return a;
}

void decipher(Anatomy& a, const dlms::KeyRing& keys) {
  if (a.apdu.empty() || a.apdu[0] != 0xDB) {
    a.plain = a.apdu;
    return;
  }
  auto c = dlms::parsed(dlms::parse_ciphered, Bytes(a.apdu.data(), a.apdu.size()));
  ASSERT_TRUE(c);
  Buffer out;
  auto d = dlms::decrypt(*c, keys, out);
  ASSERT_TRUE(d) << "cannot decrypt";
  a.plain.assign(d->plaintext.begin(), d->plaintext.end());
}

// 0F, invoke id, date-time form; then the body's skeleton.
std::string skeleton(const Buffer& plain, bool full) {
  std::ostringstream out;
  if (plain.size() < 6 || plain[0] != 0x0F) return "not a data-notification";
  std::size_t body = 6;
  out << "0f dt:";
  if (plain[5] == 0x00)
    out << "absent";
  else if (plain[5] == 0x09)
    out << "octet-string", body = 6 + 2 + 12;
  else
    out << "bare", body = 6 + 1 + 12;
  if (!full) return out.str();
  axdr::Document doc;
  auto parsed = axdr::parse(Bytes(plain.data() + body, plain.size() - body), doc);
  if (!parsed) return "A-XDR error";
  bool first_string = true;
  for (const axdr::Node& n : doc.nodes()) {
    out << ' ' << axdr::tag_name(n.tag);
    if (n.is_container() || n.is_string()) out << '[' << n.count << ']';
    if (n.is_string()) {
      Bytes b = doc.bytes(n);
      bool obis = n.count == 6 && b[5] == 0xFF;
      if (obis || first_string) out << '=' << to_hex(b);  // OBIS codes and the list id
      first_string = false;
    }
  }
  return out.str();
}

json load_vector(const std::string& name) {
  std::ifstream in(std::string(MLAB_SOURCE_DIR) + "/vectors/" + name + ".json");
  return json::parse(in);
}

dlms::KeyRing vector_keys(const json& v) {
  dlms::KeyRing ring;
  for (const json& k : v.at("keys")) {
    auto ek = parse_hex(k.at("ek").get<std::string>());
    dlms::Key e{}, a{};
    std::copy(ek->begin(), ek->end(), e.begin());
    std::optional<dlms::Key> ak;
    if (k.contains("ak") && !k.at("ak").is_null()) {
      auto b = parse_hex(k.at("ak").get<std::string>());
      std::copy(b->begin(), b->end(), a.begin());
      ak = a;
    }
    ring.add(std::nullopt, e, ak);
  }
  return ring;
}

TEST(Profiles, AllParseAndEveryOneNamesRealCaptures) {
  const auto& all = builtin_profiles();
  EXPECT_GE(all.size(), 11u);
  for (const Profile& p : all) {
    EXPECT_FALSE(p.vectors.empty()) << p.name;
    EXPECT_FALSE(p.schedule.empty()) << p.name;
    EXPECT_EQ(find_profile(p.name), &p);
  }
  EXPECT_EQ(find_profile("no-such-meter"), nullptr);
}

std::string base_profile() {
  return R"({"name": "t", "vectors": [], "meter": {"id": "1", "type": "T", "zone": "Europe/Oslo"},
    "serial": "2400 8E1", "framing": {"kind": "hdlc", "dest": "01", "src": "0201"},
    "apdu": {"invoke_id": "40000000", "date_time": "absent"}, "step": "2s",
    "schedule": [{"list": "l", "every": "2s"}],
    "lists": {"l": {"struct": [{"u32": "$p_import", "obis": "1-0:1.7.0.255", "unit": "W"}]}}})";
}

std::string refusal(const std::string& from, const std::string& to) {
  std::string text = base_profile();
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  try {
    parse_profile(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

TEST(Profiles, RefusedWithTheJsonPathAndTheReason) {
  EXPECT_NO_THROW(parse_profile(base_profile()));
  EXPECT_EQ(refusal("$p_import", "$p_imprt"), "t: lists.l.struct[0]: unknown source \"$p_imprt\"");
  EXPECT_EQ(refusal("\"u32\"", "\"u33\""),
            "t: lists.l.struct[0]: no type key (u32, os, vs, struct, register, ...)");
  EXPECT_EQ(refusal("1-0:1.7.0.255", "1-0:1.7.0"),
            "t: lists.l.struct[0].obis: not an OBIS code \"A-B:C.D.E.F\": \"1-0:1.7.0\"");
  EXPECT_EQ(refusal("\"list\": \"l\"", "\"list\": \"m\""), "t: schedule[0].list: no list \"m\"");
  EXPECT_EQ(refusal("\"step\": \"2s\"", "\"step\": \"2x\""),
            "t: step: not a duration (\"2s\", \"10s\", \"1h\", \"2500ms\")");
  EXPECT_EQ(refusal("\"vectors\": []",
                    "\"vectors\": [{\"list\": \"l\", \"vector\": \"v\", \"match\": \"ful\"}]"),
            "t: vectors[0].match: expected \"full\", \"header\" or \"framing\"");
  EXPECT_EQ(refusal("2400 8E1", "2400 9Q1"), "t: serial: expected e.g. \"2400 8E1\"");
  EXPECT_EQ(refusal("\"kind\": \"hdlc\"", "\"kind\": \"wmbus\""),
            "t: framing.kind: expected \"hdlc\", \"mbus\" or \"p1\"");
  EXPECT_EQ(
      refusal(
          "\"apdu\":",
          "\"security\": {\"sc\": \"30\", \"system_title\": \"4b464d1010000023\", "
          "\"invocation_counter\": 1, \"ek\": \"000102030405060708090a0b0c0d0e0f\"}, \"apdu\":"),
      "t: security.ak: SC with authentication needs an \"ak\"");
}

class ProfileStructure : public ::testing::TestWithParam<std::string> {};

TEST_P(ProfileStructure, TelegramsHaveTheStructureOfTheRealCaptures) {
  const Profile& p = *find_profile(GetParam());
  dlms::KeyRing keys;
  if (p.security) keys.add(p.security->system_title, p.security->ek, p.security->ak);
  SimTime t = *parse_iso("2026-01-15T12:00:00", p.zone);
  for (const VectorRef& ref : p.vectors) {
    SCOPED_TRACE(ref.vector);
    json v = load_vector(ref.vector);
    auto real_bytes = parse_hex(v.at("input_hex").get<std::string>());
    Buffer real(real_bytes->begin(), real_bytes->end());
    Meter meter(p, 1, t);  // a fresh meter: its first telegram, invoke id as configured
    MeterTelegram m = meter.build(t += 3600 * 1000, p.lists.at(ref.list));
    Buffer ours;
    for (const Buffer& f : m.frames) ours.insert(ours.end(), f.begin(), f.end());
    bool hdlc = p.framing == Framing::hdlc;
    bool bare_apdu = v.at("transport") == "apdu";  // a document's plaintext: no link layer
    Anatomy a = bare_apdu ? Anatomy{{}, {}, {}, real, {}}
                : hdlc    ? split_hdlc(real)
                          : split_mbus(real);
    Anatomy b = hdlc ? split_hdlc(ours) : split_mbus(ours);
    if (!bare_apdu) {
      ASSERT_EQ(a.headers.size(), b.headers.size()) << "link frames per telegram";
      for (std::size_t i = 0; i < a.headers.size(); ++i)
        EXPECT_EQ(to_hex(a.headers[i]), to_hex(b.headers[i])) << "link header of frame " << i;
      EXPECT_EQ(to_hex(a.llc), to_hex(b.llc));
      // True to the capture in size too: the same segment split and APDU length, so a reader
      // written for the real meter (fixed lengths, offsets) reads the profile (issue 18).
      if (ref.sizes) {
        EXPECT_EQ(a.sizes, b.sizes) << "link frame lengths";
        EXPECT_EQ(a.apdu.size(), b.apdu.size()) << "APDU length";
      }
    } else {
      b.apdu = m.apdu;  // compare plaintext with plaintext
    }
    ASSERT_FALSE(a.apdu.empty() || b.apdu.empty());
    ASSERT_EQ(a.apdu[0], b.apdu[0]) << "APDU tag";
    if (a.apdu[0] == 0xDB) {
      EXPECT_EQ(to_hex(Bytes(a.apdu.data() + 2, 3)), to_hex(Bytes(b.apdu.data() + 2, 3)))
          << "system title maker";
      auto ca = dlms::parsed(dlms::parse_ciphered, Bytes(a.apdu.data(), a.apdu.size()));
      auto cb = dlms::parsed(dlms::parse_ciphered, Bytes(b.apdu.data(), b.apdu.size()));
      ASSERT_TRUE(ca && cb);
      EXPECT_EQ(ca->security_control, cb->security_control) << "SC byte";
    }
    if (a.apdu[0] == 0xDB && v.at("keys").empty()) {
      // A capture whose key was never published: only the framing and the ciphering header can
      // be compared; its plaintext layout comes from another vector of the profile.
      EXPECT_FALSE(ref.full) << "a key-less capture can only be matched on its header";
      continue;
    }
    decipher(a, vector_keys(v));
    decipher(b, keys);
    EXPECT_EQ(skeleton(a.plain, ref.full), skeleton(b.plain, ref.full));
    EXPECT_EQ(to_hex(Bytes(a.plain.data() + 1, 4)), to_hex(Bytes(b.plain.data() + 1, 4)))
        << "invoke id";
  }
}

// The DLMS profiles (HDLC, M-Bus): p1_test.cpp compares the P1 profiles' lines with theirs.
std::vector<std::string> dlms_profile_names() {
  std::vector<std::string> out;
  for (const std::string& name : test::profile_names()) {
    if (find_profile(name)->framing != Framing::p1) out.push_back(name);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Profiles, ProfileStructure, ::testing::ValuesIn(dlms_profile_names()),
                         test::param_name);

}  // namespace
}  // namespace meterlab::sim
