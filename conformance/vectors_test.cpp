// Every golden vector: decoded whole, byte at a time and in odd chunks, the same; and all of one
// transport concatenated with random garbage between them still decode, every one.
#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <set>

#include "meterlab/core/hex.hpp"
#include "vector_check.hpp"

namespace meterlab::conformance {
namespace {

using nlohmann::json;

const std::filesystem::path kVectorDir = std::filesystem::path(MLAB_SOURCE_DIR) / "vectors";

std::vector<std::string> all_vector_paths() {
  std::vector<std::string> out;
  for (const auto& p : find_vectors(kVectorDir)) out.push_back(p.string());
  return out;
}

std::string test_name(const testing::TestParamInfo<std::string>& info) {
  std::string s = std::filesystem::path(info.param).parent_path().filename().string() + "_" +
                  std::filesystem::path(info.param).stem().string();
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

class VectorTest : public testing::TestWithParam<std::string> {};

TEST_P(VectorTest, DecodesAsExpected) {
  Vector v = load_vector(GetParam());
  Decoded d = decode(v);
  auto failures = compare(v, d);
  EXPECT_TRUE(failures.empty()) << v.name << ":\n" << join(failures);
}

TEST_P(VectorTest, ByteAtATimeEqualsWhole) {
  Vector v = load_vector(GetParam());
  Decoded whole = decode(v);
  for (std::size_t chunk : {1u, 7u, 64u}) {
    Decoded parts = decode(v, chunk);
    EXPECT_EQ(parts.telegrams, whole.telegrams) << "chunk " << chunk;
    EXPECT_EQ(parts.errors, whole.errors) << "chunk " << chunk;
  }
}

TEST_P(VectorTest, EveryByteIsAccountedFor) {
  Vector v = load_vector(GetParam());
  Decoded d = decode(v, 1);
  EXPECT_EQ(d.stats.bytes_in, v.input.size());
  EXPECT_EQ(d.stats.bytes_in_frames + d.stats.bytes_discarded, d.stats.bytes_in);
}

// Issue 16: a frame that passes its link and security checks gives a telegram with every value;
// layouts never decide whether the data comes out. A vector that gives no telegram may only have
// been stopped by a stated reason: a broken link frame (hdlc, mbus, p1: a P1 telegram's CRC and
// its end are its link checks), a key that is missing or
// wrong, a forged tag (security), an unsupported or malformed APDU or body (dlms, axdr). A
// cosem-layer error alone (no layout, a clock) is a lost telegram.
TEST_P(VectorTest, NoFrameThatPassesItsChecksGivesOnlyErrors) {
  Vector v = load_vector(GetParam());
  Decoded d = decode(v);
  if (!d.telegrams.empty()) return;
  static const std::set<std::string> kStatedReasons = {"hdlc",     "mbus", "p1",
                                                       "security", "dlms", "axdr"};
  for (const json& e : d.errors) {
    const std::string layer = e.at("error").at("layer");
    EXPECT_EQ(1u, kStatedReasons.count(layer))
        << v.name << ": only errors, one of layer " << layer << ": " << e.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, VectorTest, testing::ValuesIn(all_vector_paths()), test_name);

TEST(Vectors, TheSharedBinaryVectorsAreAllHere) {
  // Every published binary vector (kept as received in vectors/upstream) has a project vector of
  // the same name.
  const std::filesystem::path upstream = kVectorDir / "upstream";
  std::set<std::string> ours;
  for (const auto& p : find_vectors(kVectorDir)) ours.insert(p.stem().string());
  std::size_t published = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(upstream)) {
    const auto& p = entry.path();
    if (p.extension() != ".json") continue;
    if (p.parent_path().filename() == "dsmr") continue;  // DSMR text: a later issue
    ++published;
    EXPECT_TRUE(ours.count(p.stem().string())) << p.stem() << " not imported";
  }
  EXPECT_EQ(published, 40u);  // the 50 published vectors less the 10 DSMR ones
}

// Clean vectors (telegrams, no expected errors) of one transport, glued together with random
// garbage (0x7E and 0x68 included; for P1 its start character '/') between them.
struct Glued {
  std::vector<std::uint8_t> bytes;
  std::vector<const Vector*> order;
  dlms::KeyRing keys;
};

Glued glue(const std::vector<Vector>& vectors, InputTransport transport, std::mt19937& rng) {
  Glued g;
  for (const Vector& v : vectors) {
    const json& expect = v.doc.at("expect");
    if (v.transport != transport || !expect.value("errors", json::array()).empty() ||
        expect.value("telegrams", json::array()).empty()) {
      continue;
    }
    std::size_t garbage = rng() % 40;
    for (std::size_t i = 0; i < garbage; ++i) {
      std::uint8_t b = static_cast<std::uint8_t>(rng());
      if (i % 9 == 3) b = transport == InputTransport::hdlc ? 0x7E : 0x68;
      if (i % 9 == 3 && transport == InputTransport::p1) b = '/';
      g.bytes.push_back(b);
    }
    g.bytes.insert(g.bytes.end(), v.input.begin(), v.input.end());
    for (const json& k : v.doc.value("keys", json::array())) {
      std::string title = expect.at("telegrams")[0].at("system_title");
      auto st = *parse_hex(title);
      auto ek = *parse_hex(k.at("ek").get<std::string>());
      dlms::SystemTitle t{};
      dlms::Key e{};
      std::copy(st.begin(), st.end(), t.begin());
      std::copy(ek.begin(), ek.end(), e.begin());
      std::optional<dlms::Key> a;
      if (k.contains("ak") && !k["ak"].is_null()) {
        auto ak = *parse_hex(k["ak"].get<std::string>());
        a.emplace();
        std::copy(ak.begin(), ak.end(), a->begin());
      }
      g.keys.add(t, e, a);
    }
    g.order.push_back(&v);
  }
  return g;
}

void expect_all_decoded(InputTransport transport) {
  std::vector<Vector> vectors;
  for (const auto& p : find_vectors(kVectorDir)) vectors.push_back(load_vector(p));
  std::mt19937 rng(2024);
  for (int round = 0; round < 3; ++round) {
    Glued g = glue(vectors, transport, rng);
    ASSERT_FALSE(g.order.empty());
    Decoded d = decode_bytes(g.bytes, transport, std::move(g.keys), round == 0 ? 0 : 13);
    std::vector<json> expected;
    for (const Vector* v : g.order) {
      for (const json& t : v->doc.at("expect").at("telegrams")) expected.push_back(t);
    }
    ASSERT_EQ(d.telegrams.size(), expected.size()) << "round " << round;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      auto failures = compare_telegram(expected[i], d.telegrams[i], 1e-6);
      EXPECT_TRUE(failures.empty()) << "telegram " << i << ":\n" << join(failures);
    }
    EXPECT_EQ(d.stats.bytes_in_frames + d.stats.bytes_discarded, d.stats.bytes_in);
  }
}

TEST(Vectors, HdlcVectorsGluedWithGarbageAllDecode) { expect_all_decoded(InputTransport::hdlc); }
TEST(Vectors, MbusVectorsGluedWithGarbageAllDecode) { expect_all_decoded(InputTransport::mbus); }
TEST(Vectors, P1VectorsGluedWithGarbageAllDecode) { expect_all_decoded(InputTransport::p1); }

}  // namespace
}  // namespace meterlab::conformance
