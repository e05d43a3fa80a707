// The telegram's UTC time (issue 16): from the meter's deviation where its family sends a right
// one, from the meter's time zone where it sends none (0x8000) or a wrong one (Aidon NO, Kaifa
// SE), never from a field known to be wrong; and an impossible clock makes a null reading with a
// warning, not a lost telegram.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "decoder_test_util.hpp"
#include "meterlab/core/crc.hpp"
#include "meterlab/cosem/time_zone.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/decoder/json.hpp"
#include "meterlab/dlms/security.hpp"
#include "meterlab/testing/sample_frames.hpp"

namespace meterlab {
namespace {

using nlohmann::json;
using samples::Buf;

// How a family's meter fills the clock's deviation and status in summer and in winter, as its
// vectors show (the layouts' "clock" rules cite them).
struct Season {
  std::uint8_t month;
  std::uint16_t deviation;  // as sent (two's complement; 0x8000 = not specified)
  std::uint8_t status;
  const char* utc;  // 12:00 local in a CET/CEST zone
};
constexpr Season kNotSpecified[] = {{7, 0x8000, 0x00, "2024-07-01T10:00:00Z"},
                                    {1, 0x8000, 0x00, "2024-01-01T11:00:00Z"}};
constexpr Season kRight[] = {{7, 0xFF88, 0x80, "2024-07-01T10:00:00Z"},  // -120, DST
                             {1, 0xFFC4, 0x00, "2024-01-01T11:00:00Z"}};
constexpr Season kAidon[] = {{7, 0x003C, 0x00, "2024-07-01T10:00:00Z"},  // +60, no DST bit
                             {1, 0x0000, 0x00, "2024-01-01T11:00:00Z"}};
constexpr Season kStandardOnly[] = {{7, 0xFFC4, 0x00, "2024-07-01T10:00:00Z"},  // -60 all year
                                    {1, 0xFFC4, 0x00, "2024-01-01T11:00:00Z"}};

// Every COSEM date-time of the APDU (0C 07 Ex + 11 bytes: the APDU's own and the list's) set to
// 12:00:00 on the 1st of `s.month` 2024, with the season's deviation and status.
Buf with_clock(Buf apdu, const Season& s) {
  int found = 0;
  for (std::size_t i = 0; i + 13 <= apdu.size(); ++i) {
    if (apdu[i] != 0x0C || apdu[i + 1] != 0x07 || (apdu[i + 2] & 0xF0) != 0xE0) continue;
    const std::uint8_t dt[12] = {0x07,
                                 0xE8,
                                 s.month,
                                 1,
                                 0xFF,
                                 12,
                                 0,
                                 0,
                                 0xFF,
                                 static_cast<std::uint8_t>(s.deviation >> 8),
                                 static_cast<std::uint8_t>(s.deviation & 0xFF),
                                 s.status};
    std::copy(std::begin(dt), std::end(dt), apdu.begin() + static_cast<std::ptrdiff_t>(i + 1));
    ++found;
  }
  EXPECT_GT(found, 0);
  return apdu;
}

json decode_apdu(const Buf& apdu, const cosem::TimeZone* zone = nullptr) {
  Decoder dec(InputTransport::apdu);
  dec.set_time_zone(zone);
  json out = json::array();
  for (const std::string& line : testing::decode_lines(dec, apdu, apdu.size())) {
    out.push_back(json::parse(line));
  }
  return out;
}

struct Family {
  const char* name;
  Buf apdu;
  const Season* seasons;
  const char* source;  // "meter" or "zone"
};

Buf vector_apdu(const std::string& relative) {
  const Buf bytes = samples::vector_bytes(relative);
  return relative.rfind("hdlc", 0) == 0 ? samples::hdlc_apdu(bytes) : bytes;
}

std::vector<Family> families() {
  return {
      {"Aidon NO", vector_apdu("hdlc-plain/aidon-6525-list3.json"), kAidon, "zone"},
      {"Kaifa KFM_001 NO", vector_apdu("hdlc-plain/kaifa-kfm001-ma304h3e-list3-a09b.json"),
       kNotSpecified, "zone"},
      {"Kaifa KFM_001 SE", vector_apdu("apdu/kaifa-se-llc-pdu-amshan.json"), kStandardOnly, "zone"},
      {"Kamstrup NO", vector_apdu("hdlc-plain/kamstrup-6841121-list2.json"), kNotSpecified, "zone"},
      {"Kaifa MA309 AT", vector_apdu("apdu/salzburgnetz-kaifa-ma309-plain-apdu.json"), kRight,
       "meter"},
      {"Iskra AM550 SI", vector_apdu("hdlc-plain/iskra-am550-si-gh615-1.json"), kRight, "meter"},
      {"Iskra IE.5 HR", vector_apdu("apdu/iskra-ie5-hr-gh1072-3.json"), kRight, "meter"},
      {"L&G E450 CH", vector_apdu("apdu/lg-e450-ch-gh934-reassembled.json"), kNotSpecified, "zone"},
  };
}

TEST(TelegramUtc, EveryFamilyInSummerAndWinter) {
  for (const Family& f : families()) {
    for (int i = 0; i < 2; ++i) {
      const Season& s = f.seasons[i];
      const json events = decode_apdu(with_clock(f.apdu, s));
      ASSERT_EQ(events.size(), 1u) << f.name << ": " << events.dump();
      const json& t = events[0];
      ASSERT_FALSE(t.contains("error")) << f.name << ": " << t.dump();
      EXPECT_EQ(t["timestamp_utc"], s.utc) << f.name << " month " << int{s.month};
      EXPECT_EQ(t["timestamp_source"], f.source) << f.name;
    }
  }
}

// ---- the encrypted Austrian lists -------------------------------------------------------------
// Their vectors are HDLC frames ciphered under keys the sources publish. A summer and a winter
// frame of each are made from the capture: opened with its key (dlms::decrypt), its clocks set
// (with_clock, and the list's separate time and date octet-strings where it sends them), sealed
// again under the same key, system title and invocation counter (dlms::encrypt, Botan), and the
// frame's FCS computed again.

json vector_json(const std::string& relative) {
  std::ifstream in(std::string(MLAB_SOURCE_DIR) + "/vectors/" + relative);
  if (!in) throw std::runtime_error("cannot open " + relative);
  return json::parse(in);
}

dlms::Key key_of(const json& text) {
  const Buf b = samples::hex(text.get<std::string>());
  dlms::Key k{};
  if (b.size() != k.size()) throw std::runtime_error("a key is not 16 bytes");
  std::copy(b.begin(), b.end(), k.begin());
  return k;
}

struct SealedCapture {
  Buf frame;  // the HDLC frame (and what the capture has after it)
  dlms::Key ek{};
  std::optional<dlms::Key> ak;
};

SealedCapture sealed_capture(const std::string& relative) {
  const json v = vector_json(relative);
  const json& k = v.at("keys").at(0);
  SealedCapture c{samples::hex(v.at("input_hex").get<std::string>()), key_of(k.at("ek")), {}};
  if (!k.at("ak").is_null()) c.ak = key_of(k.at("ak"));
  return c;
}

// The time (09 04 hh mm ss hs) and date (09 05 yy yy mm dd wd) octet-strings that the Iskra and
// Siemens AT push lists send one after the other: 12:00:00 on the 1st of the season's month
// 2024, a Monday. False when the list has none.
bool set_time_and_date(Buf& apdu, const Season& s) {
  for (std::size_t i = 6; i + 7 <= apdu.size(); ++i) {
    if (apdu[i] != 0x09 || apdu[i + 1] != 0x05 || apdu[i + 2] != 0x07) continue;
    if (apdu[i - 6] != 0x09 || apdu[i - 5] != 0x04) continue;
    const std::uint8_t time[] = {12, 0, 0, 0};
    const std::uint8_t date[] = {0x07, 0xE8, s.month, 1, 1};
    std::copy(std::begin(time), std::end(time), apdu.begin() + static_cast<std::ptrdiff_t>(i - 4));
    std::copy(std::begin(date), std::end(date), apdu.begin() + static_cast<std::ptrdiff_t>(i + 2));
    return true;
  }
  return false;
}

// The capture with its clocks set to season `s`, sealed again.
Buf resealed(const SealedCapture& capture, const Season& s, bool time_and_date) {
  Buf frame = capture.frame;
  const Buf apdu = samples::hdlc_apdu(frame);
  const auto apdu_at = std::search(frame.begin(), frame.end(), apdu.begin(), apdu.end());
  if (apdu_at == frame.end()) throw std::runtime_error("the APDU is not in the frame");
  dlms::CipheredApdu c;
  if (!dlms::parse_ciphered(apdu, c)) throw std::runtime_error("not a ciphered APDU");
  dlms::KeyRing ring;
  ring.add(c.system_title, capture.ek, capture.ak);
  std::vector<std::uint8_t> opened;
  const auto plain = dlms::decrypt(c, ring, opened);
  if (!plain) throw std::runtime_error("the capture does not decrypt");
  Buf p = with_clock(Buf(plain->plaintext.begin(), plain->plaintext.end()), s);
  EXPECT_EQ(set_time_and_date(p, s), time_and_date);
  Buf sealed;
  if (!dlms::encrypt(capture.ek, capture.ak, c.security_control, c.system_title,
                     c.invocation_counter, p, sealed) ||
      sealed.size() != c.ciphertext.size() + c.tag_bytes.size()) {
    throw std::runtime_error("cannot seal the frame again");
  }
  std::copy(sealed.begin(), sealed.end(),
            apdu_at + static_cast<std::ptrdiff_t>(c.ciphertext_offset));
  // IEC 62056-46 frame format type 3: the FCS covers format to information field; the frame
  // is the format field's length long between its flags.
  const std::size_t length = ((frame[1] & 0x07u) << 8) | frame[2];
  const auto fcs = samples::le16(crc16_x25(Bytes(frame).subspan(1, length - 2)));
  std::copy(fcs.begin(), fcs.end(), frame.begin() + static_cast<std::ptrdiff_t>(length - 1));
  return frame;
}

std::vector<json> decoded_telegrams(const Buf& frame, const SealedCapture& capture) {
  const Buf apdu = samples::hdlc_apdu(frame);
  dlms::CipheredApdu c;
  if (!dlms::parse_ciphered(apdu, c)) throw std::runtime_error("not a ciphered APDU");
  dlms::KeyRing ring;
  ring.add(c.system_title, capture.ek, capture.ak);
  Decoder dec(InputTransport::hdlc, std::move(ring));
  std::vector<json> out;
  for (const std::string& line : testing::decode_lines(dec, frame, frame.size())) {
    json t = json::parse(line);
    if (t.contains("readings")) out.push_back(std::move(t));
  }
  return out;
}

// The value of the telegram's clock reading (0-0:1.0.0.255).
json list_clock(const json& telegram) {
  for (const json& r : telegram.at("readings")) {
    if (r.at("obis") == "0-0:1.0.0.255") return r.at("value");
  }
  return nullptr;
}

struct EncryptedFamily {
  const char* name;
  const char* vector;
  const Season* seasons;
  const char* source;
  bool time_and_date;  // the list sends its clock as separate time and date octet-strings
  const char* layout;
};

// The layouts' clock rules (layouts/README.md): the AM550 / IM350 push lists send a right
// deviation; the Burgenland E450 sends none (0x8000), and its family zone is Europe/Vienna.
constexpr EncryptedFamily kEncryptedFamilies[] = {
    {"Iskra AM550 Kaernten Netz", "hdlc-encrypted/iskra-am550-kaerntennetz-gh787-1.json", kRight,
     "meter", true, "at_iskra_siemens_push"},
    {"Iskra AM550 Wiener Netze", "hdlc-encrypted/wienernetze-iskra-am550-shrdzm.json", kRight,
     "meter", true, "at_iskra_siemens_push"},
    {"Siemens IM350 Wiener Netze", "hdlc-encrypted/wienernetze-siemens-im350-shrdzm-1.json", kRight,
     "meter", true, "at_iskra_siemens_push"},
    {"L&G E450 Burgenland", "hdlc-encrypted/lg-e450-burgenland-gh501-1.json", kNotSpecified, "zone",
     false, "lg_e450_burgenland"},
};

TEST(TelegramUtc, EncryptedAustrianFamiliesInSummerAndWinter) {
  for (const EncryptedFamily& f : kEncryptedFamilies) {
    const SealedCapture capture = sealed_capture(f.vector);
    for (int i = 0; i < 2; ++i) {
      const Season& s = f.seasons[i];
      const Buf frame = resealed(capture, s, f.time_and_date);
      ASSERT_NE(frame, capture.frame) << f.name;
      const std::vector<json> telegrams = decoded_telegrams(frame, capture);
      ASSERT_EQ(telegrams.size(), 1u) << f.name;
      const json& t = telegrams[0];
      EXPECT_EQ(t["layout"], f.layout) << f.name;
      EXPECT_EQ(t["timestamp_utc"], s.utc) << f.name << " month " << int{s.month};
      EXPECT_EQ(t["timestamp_source"], f.source) << f.name;
      if (f.time_and_date) {  // the list's own clock, from the time and date set above
        EXPECT_EQ(list_clock(t), std::string(s.utc).substr(0, 11) + "12:00:00") << f.name;
      }
    }
  }
}

// The Aidon list-3 capture: 18:00 local on 2019-06-12 in Norway, sent as deviation +60 without
// the DST bit; by the letter of the standard that is 19:00Z.
TEST(TelegramUtc, AidonDeviationIsNotRead) {
  const json events = decode_apdu(vector_apdu("hdlc-plain/aidon-6525-list3.json"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["timestamp"], "2019-06-12T18:00:00-01:00");  // as the meter sent it
  EXPECT_EQ(events[0]["timestamp_utc"], "2019-06-12T16:00:00Z");
  EXPECT_EQ(events[0]["timestamp_source"], "zone");
}

// A list no layout knows has no family zone: no UTC time without a zone, the given zone's with.
TEST(TelegramUtc, GivenZoneForAListWithoutFamily) {
  const Buf frame = samples::vector_bytes("generic/generic-unknown-positional-list.json");
  const Buf apdu = samples::hdlc_apdu(frame);
  const json bare = decode_apdu(apdu);
  ASSERT_EQ(bare.size(), 1u);
  EXPECT_EQ(bare[0]["timestamp"], "2024-06-09T12:00:00");
  EXPECT_TRUE(bare[0]["timestamp_utc"].is_null());
  EXPECT_TRUE(bare[0]["timestamp_source"].is_null());
  const json oslo = decode_apdu(apdu, cosem::find_time_zone("Europe/Oslo"));
  EXPECT_EQ(oslo[0]["timestamp_utc"], "2024-06-09T10:00:00Z");
  EXPECT_EQ(oslo[0]["timestamp_source"], "zone");
  const json london = decode_apdu(apdu, cosem::find_time_zone("Europe/London"));
  EXPECT_EQ(london[0]["timestamp_utc"], "2024-06-09T11:00:00Z");
}

// A meter that sends a right deviation keeps it, whatever zone is given.
TEST(TelegramUtc, RightDeviationWinsOverAGivenZone) {
  const Buf apdu =
      with_clock(vector_apdu("apdu/salzburgnetz-kaifa-ma309-plain-apdu.json"), kRight[0]);
  const json t = decode_apdu(apdu, cosem::find_time_zone("Europe/London"))[0];
  EXPECT_EQ(t["timestamp_utc"], "2024-07-01T10:00:00Z");
  EXPECT_EQ(t["timestamp_source"], "meter");
}

// Month 13 in the Aidon list's clock: the telegram comes out with every other reading, the clock
// reading null, and a warning at the month's byte; the stats count it.
TEST(ImpossibleClock, NullReadingAndWarning) {
  Buf apdu = vector_apdu("hdlc-plain/aidon-6525-list3.json");
  const json good = decode_apdu(apdu)[0];
  std::size_t month_at = 0;
  for (std::size_t i = 0; i + 4 < apdu.size(); ++i) {
    if (apdu[i] == 0x09 && apdu[i + 1] == 0x0C && apdu[i + 2] == 0x07) month_at = i + 4;
  }
  ASSERT_NE(month_at, 0u);
  apdu[month_at] = 13;
  Decoder dec(InputTransport::apdu);
  const std::vector<std::string> lines = testing::decode_lines(dec, apdu, apdu.size());
  ASSERT_EQ(lines.size(), 1u);
  const json t = json::parse(lines[0]);
  ASSERT_FALSE(t.contains("error")) << lines[0];
  EXPECT_EQ(dec.stats().clock_warnings, 1u);
  ASSERT_EQ(t["clock_warnings"].size(), 1u);
  EXPECT_EQ(t["clock_warnings"][0]["code"], "cosem_bad_date_time");
  EXPECT_EQ(t["clock_warnings"][0]["offset"], month_at);
  ASSERT_EQ(t["readings"].size(), good["readings"].size());
  for (std::size_t i = 0; i < t["readings"].size(); ++i) {
    const json& r = t["readings"][i];
    if (r["obis"] == "0-0:1.0.0.255") {
      EXPECT_TRUE(r["value"].is_null());
    } else {
      EXPECT_EQ(r, good["readings"][i]);
    }
  }
  EXPECT_TRUE(t["timestamp"].is_null());
  EXPECT_TRUE(t["timestamp_utc"].is_null());
}

// An impossible date-time in the APDU header: the list's clock is the timestamp instead.
TEST(ImpossibleClock, ApduDateTimeGivesWayToTheList) {
  Buf apdu = vector_apdu("apdu/salzburgnetz-kaifa-ma309-plain-apdu.json");
  ASSERT_EQ(apdu[5], 0x0C);  // 0F, invoke id (4), 0C + the APDU's date-time
  const json good = decode_apdu(apdu)[0];
  apdu[6 + 3] = 32;  // day 32 (year 2, month, day)
  const json t = decode_apdu(apdu)[0];
  ASSERT_EQ(t["clock_warnings"].size(), 1u);
  EXPECT_EQ(t["clock_warnings"][0]["offset"], 6 + 3);
  EXPECT_EQ(t["readings"], good["readings"]);
  EXPECT_FALSE(t["timestamp"].is_null());
}

}  // namespace
}  // namespace meterlab
