// Every vector of vectors/p1 through the P1 framer, open() and the line parser: the expected
// telegrams (check, security, header fields, every reading) and errors, whole, byte at a time,
// in odd chunks, and glued with garbage and an HDLC frame between two copies. (The conformance
// harness reads these through the Decoder once P1 is integrated there.)
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "meterlab/core/hex.hpp"
#include "test_util.hpp"

namespace meterlab::p1 {
namespace {

using nlohmann::json;

struct Vector {
  std::string name;
  std::vector<std::uint8_t> input;
  json keys;
  json expect;
};

std::vector<Vector> load_vectors() {
  std::vector<Vector> out;
  const std::filesystem::path dir = std::filesystem::path(MLAB_SOURCE_DIR) / "vectors" / "p1";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    const json v = json::parse(in);
    out.push_back(
        Vector{v["name"], *parse_hex(v["input_hex"].get<std::string>()), v["keys"], v["expect"]});
  }
  std::sort(out.begin(), out.end(),
            [](const Vector& a, const Vector& b) { return a.name < b.name; });
  return out;
}

dlms::Key key_of(const json& hex) {
  const auto bytes = *parse_hex(hex.get<std::string>());
  dlms::Key k{};
  std::copy(bytes.begin(), bytes.end(), k.begin());
  return k;
}

dlms::KeyRing key_ring(const json& keys) {
  dlms::KeyRing ring;
  for (const json& k : keys) {
    const std::optional<dlms::Key> ak =
        k["ak"].is_null() ? std::nullopt : std::optional<dlms::Key>(key_of(k["ak"]));
    ring.add(std::nullopt, key_of(k["ek"]), ak);
  }
  return ring;
}

void check_value(const cosem::Telegram& t, const cosem::Reading& r, const json& want) {
  const json& v = want["value"];
  if (v.is_null()) {
    EXPECT_EQ(r.kind, cosem::ValueKind::none);
  } else if (v.is_number()) {
    ASSERT_EQ(r.kind, cosem::ValueKind::integer);
    const double x = v.get<double>();
    EXPECT_LE(std::fabs(r.number() - x), 1e-12 * std::max(1.0, std::fabs(x))) << r.raw;
  } else if (r.kind == cosem::ValueKind::date_time) {
    EXPECT_EQ(r.date_time.to_iso8601(), v.get<std::string>());
  } else {
    ASSERT_EQ(r.kind, cosem::ValueKind::text);
    EXPECT_EQ(t.text(r.text), v.get<std::string>());
  }
  EXPECT_EQ(r.unit, want.value("unit", ""));
  if (r.kind == cosem::ValueKind::date_time) return;
  if (want.contains("capture_time")) {
    EXPECT_EQ(r.date_time.to_iso8601(), want["capture_time"].get<std::string>());
  } else {
    EXPECT_FALSE(r.date_time.has_date());
  }
}

void check_text_field(const cosem::Telegram& t, cosem::TextRef ref, const json& want,
                      const char* field) {
  if (want.contains(field)) {
    EXPECT_EQ(t.text(ref), want[field].get<std::string>()) << field;
  } else {
    EXPECT_TRUE(ref.empty()) << field;
  }
}

void check_telegram(const test::Decoded1& got, const json& want) {
  const cosem::Telegram& t = got.telegram;
  EXPECT_EQ(check_name(got.decoded.check), want["check"].get<std::string>());
  EXPECT_EQ(dlms::state_name(static_cast<dlms::SecurityState>(t.security)),
            want["security"].get<std::string>());
  check_text_field(t, t.meter_type, want, "meter_type");
  check_text_field(t, t.meter_id, want, "meter_id");
  check_text_field(t, t.list_id, want, "list_id");
  EXPECT_EQ(t.timestamp.has_value(), want.contains("timestamp"));
  if (t.timestamp && want.contains("timestamp")) {
    EXPECT_EQ(t.timestamp->to_iso8601(), want["timestamp"].get<std::string>());
  }
  if (want.contains("invocation_counter")) {
    EXPECT_EQ(t.invocation_counter, want["invocation_counter"].get<std::uint32_t>());
    EXPECT_EQ(to_hex(*t.system_title), want["system_title"].get<std::string>());
  }
  const json& readings = want["readings"];
  ASSERT_EQ(t.readings.size(), readings.size());
  for (std::size_t i = 0; i < readings.size(); ++i) {
    SCOPED_TRACE(readings[i].dump());
    EXPECT_EQ(t.readings[i].obis.to_string(), readings[i]["obis"].get<std::string>());
    check_value(t, t.readings[i], readings[i]);
  }
}

void check_errors(const std::vector<Error>& got, const json& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(name(got[i].code), want[i]["code"].get<std::string>());
    EXPECT_EQ(name(layer_of(got[i].code)), want[i]["layer"].get<std::string>());
    const char* key = want[i].contains("frame_offset") ? "frame_offset" : "offset";
    if (want[i].contains(key)) {
      EXPECT_EQ(got[i].offset, want[i][key].get<std::size_t>()) << name(got[i].code);
    }
  }
}

void check_run(const test::Run& run, const Vector& v) {
  const json& telegrams = v.expect["telegrams"];
  ASSERT_EQ(run.telegrams.size(), telegrams.size());
  for (std::size_t i = 0; i < telegrams.size(); ++i) check_telegram(run.telegrams[i], telegrams[i]);
  check_errors(run.errors, v.expect["errors"]);
  check_errors(run.warnings, v.expect.value("warnings", json::array()));
}

class P1Vectors : public ::testing::Test {
 protected:
  static const std::vector<Vector>& vectors() {
    static const std::vector<Vector> all = load_vectors();
    return all;
  }
};

TEST_F(P1Vectors, ThereAreVectorsOfEveryKind) { EXPECT_GE(vectors().size(), 23u); }

TEST_F(P1Vectors, WholeByteAtATimeAndInOddChunks) {
  for (const Vector& v : vectors()) {
    const dlms::KeyRing keys = key_ring(v.keys);
    for (std::size_t chunk : {0u, 1u, 7u, 13u, 500u}) {
      SCOPED_TRACE(v.name + " chunk " + std::to_string(chunk));
      check_run(test::run_stream(v.input, chunk, keys), v);
    }
  }
}

// Garbage, the vector, an HDLC frame, the vector again: the same telegrams twice, and the same
// decode errors (bad lines, timestamps, security) twice; the discards around may merge.
TEST_F(P1Vectors, GluedWithGarbageAndAnHdlcFrame) {
  const auto noise = *parse_hex("6e6f69736520 00ff 0d0a");  // "noise " 00 FF CR LF
  // kaifa-kfm001-ma304h3e-list1: an HDLC frame with no '/', '!' or 0xDB in it.
  const auto hdlc = *parse_hex(
      "7ea027010201105a87e6e7000f40000000090c07e10203050f2e0eff800000020106000000e51e0e7e");
  for (const Vector& v : vectors()) {
    SCOPED_TRACE(v.name);
    std::vector<std::uint8_t> s(noise.begin(), noise.end());
    s.insert(s.end(), v.input.begin(), v.input.end());
    s.insert(s.end(), hdlc.begin(), hdlc.end());
    s.insert(s.end(), v.input.begin(), v.input.end());
    const test::Run run = test::run_stream(s, 7, key_ring(v.keys));
    const json& telegrams = v.expect["telegrams"];
    ASSERT_EQ(run.telegrams.size(), 2 * telegrams.size());
    for (std::size_t i = 0; i < run.telegrams.size(); ++i) {
      check_telegram(run.telegrams[i], telegrams[i % telegrams.size()]);
    }
    std::vector<std::string> want;
    for (int copy = 0; copy < 2; ++copy) {
      for (const json& e : v.expect["errors"]) {
        if (!e.contains("frame_offset")) want.push_back(e["code"]);
      }
    }
    std::vector<std::string> got;
    for (const Error& e : run.decode_errors) got.emplace_back(name(e.code));
    EXPECT_EQ(got, want);
  }
}

}  // namespace
}  // namespace meterlab::p1
