#include "meterlab/axdr/axdr.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "meterlab/core/hex.hpp"

namespace meterlab::axdr {
namespace {

std::vector<std::uint8_t> hex(std::string_view s) { return *parse_hex(s); }

nlohmann::json load_vector(const std::string& rel) {
  std::ifstream in(std::string(MLAB_SOURCE_DIR) + "/vectors/upstream/" + rel);
  EXPECT_TRUE(in.good()) << rel;
  return nlohmann::json::parse(in);
}

// Parses hex text and expects the whole input to be one value.
const Node& parse_one(std::string_view text, Document& doc, std::vector<std::uint8_t>& keep) {
  keep = hex(text);
  auto r = parse(keep, doc);
  EXPECT_TRUE(r) << text << ": " << name(r.error().code) << " at " << r.error().offset;
  if (r) {
    EXPECT_EQ(*r, keep.size()) << text;
  }
  return doc.root();
}

void expect_error(std::string_view text, Errc code, std::size_t offset, std::size_t base = 0) {
  auto bytes = hex(text);
  Document doc;
  auto r = parse(bytes, doc, base);
  ASSERT_FALSE(r) << text;
  EXPECT_EQ(r.error().code, code) << text << ": got " << name(r.error().code);
  EXPECT_EQ(r.error().offset, offset) << text;
}

TEST(Axdr, SignedIntegersAtTheirEdges) {
  Document doc;
  std::vector<std::uint8_t> b;
  EXPECT_EQ(parse_one("0f80", doc, b).i, -128);
  EXPECT_EQ(parse_one("0f7f", doc, b).i, 127);
  EXPECT_EQ(parse_one("108000", doc, b).i, -32768);
  EXPECT_EQ(parse_one("10ffff", doc, b).i, -1);
  EXPECT_EQ(parse_one("0580000000", doc, b).i, std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(parse_one("057fffffff", doc, b).i, std::numeric_limits<std::int32_t>::max());
  EXPECT_EQ(parse_one("148000000000000000", doc, b).i, std::numeric_limits<std::int64_t>::min());
  const Node& n = parse_one("14fffffffffffffffe", doc, b);
  EXPECT_EQ(n.i, -2);
  EXPECT_TRUE(n.is_signed());
  EXPECT_TRUE(n.is_integer());
  EXPECT_EQ(n.tag, Tag::long64);
}

TEST(Axdr, UnsignedIntegersEnumBooleanBcd) {
  Document doc;
  std::vector<std::uint8_t> b;
  EXPECT_EQ(parse_one("11ff", doc, b).u, 255u);
  EXPECT_EQ(parse_one("12ffff", doc, b).u, 65535u);
  EXPECT_EQ(parse_one("06ffffffff", doc, b).u, 0xFFFFFFFFu);
  EXPECT_EQ(parse_one("06000032 89", doc, b).u, 12937u);
  EXPECT_EQ(parse_one("15ffffffffffffffff", doc, b).u, std::numeric_limits<std::uint64_t>::max());
  const Node& e = parse_one("16ff", doc, b);
  EXPECT_EQ(e.tag, Tag::enum_);
  EXPECT_EQ(e.u, 255u);  // enum is unsigned
  EXPECT_FALSE(e.is_signed());
  EXPECT_EQ(parse_one("0300", doc, b).i, 0);
  EXPECT_EQ(parse_one("0301", doc, b).i, 1);
  EXPECT_EQ(parse_one("03ff", doc, b).i, 1);  // any non-zero octet is TRUE
  const Node& bcd = parse_one("0d42", doc, b);
  EXPECT_TRUE(bcd.is_string());
  EXPECT_EQ(bcd.u, 0x42u);
  EXPECT_EQ(doc.bytes(bcd).size(), 1u);
  EXPECT_EQ(doc.bytes(bcd)[0], 0x42);
}

TEST(Axdr, FloatsAreIeeeBigEndian) {
  Document doc;
  std::vector<std::uint8_t> b;
  EXPECT_EQ(parse_one("173fc00000", doc, b).f, 1.5);
  EXPECT_EQ(parse_one("17c2c80000", doc, b).f, -100.0);
  EXPECT_EQ(parse_one("18c004000000000000", doc, b).f, -2.5);
  EXPECT_EQ(parse_one("183ff0000000000000", doc, b).f, 1.0);
  EXPECT_EQ(parse_one("18c004000000000000", doc, b).tag, Tag::float64);
}

TEST(Axdr, StringsAndTheirLengthForms) {
  Document doc;
  std::vector<std::uint8_t> b;
  const Node& empty = parse_one("0900", doc, b);
  EXPECT_EQ(empty.count, 0u);
  EXPECT_TRUE(doc.bytes(empty).empty());
  // A 3-byte visible-string then one trailing byte: consumed length says 5, not 6.
  auto bytes = hex("0a0341424320");
  auto r = parse(bytes, doc);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 5u);
  EXPECT_EQ(doc.root().tag, Tag::visible_string);
  auto s = doc.bytes(doc.root());
  EXPECT_EQ(std::string(s.begin(), s.end()), "ABC");
  EXPECT_EQ(doc.root().data, 2u);

  const Node& utf8 = parse_one("0c02c3a4", doc, b);  // "ä"
  EXPECT_EQ(utf8.tag, Tag::utf8_string);
  EXPECT_EQ(doc.bytes(utf8).size(), 2u);

  // Long forms of the A-XDR length: 81 xx and 82 xx xx.
  std::string long_str = "0981c8" + std::string(200 * 2, 'a');
  EXPECT_EQ(parse_one(long_str, doc, b).count, 200u);
  std::string longer = "09820100" + std::string(256 * 2, 'b');
  const Node& l = parse_one(longer, doc, b);
  EXPECT_EQ(l.count, 256u);
  EXPECT_EQ(l.data, 4u);
}

TEST(Axdr, BitStringLengthIsInBits) {
  Document doc;
  std::vector<std::uint8_t> b;
  const Node& n = parse_one("040ac040", doc, b);  // 10 bits -> 2 bytes
  EXPECT_EQ(n.tag, Tag::bit_string);
  EXPECT_EQ(n.count, 10u);
  ASSERT_EQ(doc.bytes(n).size(), 2u);
  EXPECT_EQ(doc.bytes(n)[1], 0x40);
  EXPECT_EQ(parse_one("0408ff", doc, b).count, 8u);
  EXPECT_EQ(parse_one("0400", doc, b).count, 0u);
  expect_error("0409ff", Errc::truncated, 2);  // 9 bits need 2 bytes
}

TEST(Axdr, DateTimeDateTimeNull) {
  Document doc;
  std::vector<std::uint8_t> b;
  const Node& dt = parse_one("1907e5091b01092f0f00ff8880", doc, b);
  EXPECT_EQ(dt.tag, Tag::date_time);
  ASSERT_EQ(doc.bytes(dt).size(), 12u);
  EXPECT_EQ(doc.bytes(dt)[0], 0x07);
  EXPECT_EQ(doc.bytes(dt)[11], 0x80);
  const Node& d = parse_one("1a07e5091b01", doc, b);
  EXPECT_EQ(d.tag, Tag::date);
  EXPECT_EQ(doc.bytes(d).size(), 5u);
  const Node& t = parse_one("1b092f0f00", doc, b);
  EXPECT_EQ(t.tag, Tag::time);
  EXPECT_EQ(doc.bytes(t).size(), 4u);
  const Node& nul = parse_one("00", doc, b);
  EXPECT_EQ(nul.tag, Tag::null_data);
  EXPECT_EQ(doc.nodes().size(), 1u);
}

TEST(Axdr, NestedContainersAndSiblings) {
  Document doc;
  std::vector<std::uint8_t> b;
  // structure { array[2] { unsigned 1, unsigned 2 }, long-unsigned 0x0102, structure {} }
  parse_one("0203 0102 1101 1102 120102 0200", doc, b);
  const auto& n = doc.nodes();
  ASSERT_EQ(n.size(), 6u);
  EXPECT_EQ(n[0].count, 3u);
  EXPECT_EQ(n[0].subtree, 6u);
  EXPECT_EQ(n[1].tag, Tag::array);
  EXPECT_EQ(n[1].subtree, 3u);
  std::uint32_t second = doc.next_sibling(1);
  EXPECT_EQ(second, 4u);
  EXPECT_EQ(n[second].u, 0x0102u);
  EXPECT_EQ(n[second].offset, 8u);
  EXPECT_EQ(n[doc.next_sibling(second)].tag, Tag::structure);
  EXPECT_EQ(n[5].count, 0u);
  EXPECT_EQ(n[5].subtree, 1u);
}

TEST(Axdr, CompactArrayOfStructures) {
  Document doc;
  std::vector<std::uint8_t> b;
  // description structure{long-unsigned, unsigned}; contents 6 bytes: (1,5) (2,7)
  parse_one("13 020212 11 06 000105 000207", doc, b);
  const auto& n = doc.nodes();
  ASSERT_EQ(n.size(), 7u);
  EXPECT_EQ(n[0].tag, Tag::compact_array);
  EXPECT_EQ(n[0].count, 2u);
  EXPECT_EQ(n[0].subtree, 7u);
  EXPECT_EQ(n[1].tag, Tag::structure);
  EXPECT_EQ(n[1].count, 2u);
  EXPECT_EQ(n[1].subtree, 3u);
  EXPECT_EQ(n[1].offset, 6u);  // an element's offset is its content (no tag in a compact array)
  EXPECT_EQ(n[2].u, 1u);
  EXPECT_EQ(n[3].u, 5u);
  EXPECT_EQ(n[4].offset, 9u);
  EXPECT_EQ(n[5].u, 2u);
  EXPECT_EQ(n[5].tag, Tag::long_unsigned);
  EXPECT_EQ(n[6].u, 7u);
}

TEST(Axdr, CompactArrayNestedArrayAndStrings) {
  Document doc;
  std::vector<std::uint8_t> b;
  // description array[2] of long (signed); contents: one element (-1, 2)
  parse_one("13 01000210 04 ffff0002", doc, b);
  auto& n = doc.nodes();
  ASSERT_EQ(n.size(), 4u);
  EXPECT_EQ(n[0].count, 1u);
  EXPECT_EQ(n[1].tag, Tag::array);
  EXPECT_EQ(n[1].count, 2u);
  EXPECT_EQ(n[2].i, -1);
  EXPECT_EQ(n[3].i, 2);
  // description octet-string: elements carry their own length
  parse_one("13 09 05 024142 0143", doc, b);
  ASSERT_EQ(doc.nodes().size(), 3u);
  EXPECT_EQ(doc.root().count, 2u);
  EXPECT_EQ(doc.bytes(doc.nodes()[1]).size(), 2u);
  EXPECT_EQ(doc.bytes(doc.nodes()[2])[0], 0x43);
  // structure{ array[2]{unsigned}, date } nested description
  parse_one("13 0202 01000211 1a 07 0102 07e5091b01", doc, b);
  ASSERT_EQ(doc.nodes().size(), 6u);  // compact, structure, array, 2 x unsigned, date
  EXPECT_EQ(doc.nodes()[1].subtree, 5u);
  EXPECT_EQ(doc.nodes()[2].subtree, 3u);
  EXPECT_EQ(doc.nodes()[4].u, 2u);
  EXPECT_EQ(doc.nodes()[5].tag, Tag::date);
}

TEST(Axdr, CompactArrayErrors) {
  // contents end inside an element (3 bytes for long-unsigned pairs)
  expect_error("13 12 03 000100", Errc::truncated, 5);
  // contents length beyond the input
  expect_error("13 12 09 0001", Errc::truncated, 3);
  // unknown tag in the description
  expect_error("13 0202 12 08 00", Errc::axdr_unknown_type, 4);
  // a description of null-data only takes no bytes: would never end
  expect_error("13 00 01 00", Errc::axdr_bad_value, 2);
  // compact-array inside a description is not a type description
  expect_error("13 13 00", Errc::axdr_bad_value, 1);
}

TEST(Axdr, VariableLengthIntegerForms) {
  expect_error("0980", Errc::axdr_bad_value, 1);            // 0x80: no length bytes
  expect_error("09850000000001", Errc::axdr_bad_value, 1);  // more than 4 length bytes
  expect_error("0982", Errc::truncated, 2);
  Document doc;
  std::vector<std::uint8_t> b;
  EXPECT_EQ(parse_one("01840000000100", doc, b).count, 1u);  // 84 form with 4 bytes
}

TEST(Axdr, UnknownTagMidStructureHasItsExactOffset) {
  // structure of 3: unsigned 5, then tag 0x07 (not in the data set) at offset 4
  expect_error("0203 1105 07 00", Errc::axdr_unknown_type, 4);
  expect_error("0203 1105 07 00", Errc::axdr_unknown_type, 104, 100);  // offsets are base-relative
  for (int tag : {7, 8, 11, 14, 28, 0xFF}) {
    const auto t = static_cast<std::uint8_t>(tag);
    std::vector<std::uint8_t> bytes{0x01, 0x01, t, 0, 0};
    Document doc;
    auto r = parse(bytes, doc);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::axdr_unknown_type) << int{t};
    EXPECT_EQ(r.error().offset, 2u);
  }
}

TEST(Axdr, TruncationOffsets) {
  expect_error("", Errc::truncated, 0);
  expect_error("060000", Errc::truncated, 1);
  expect_error("0203 1105 12 00", Errc::truncated, 5);
  expect_error("0905 4142", Errc::truncated, 2, 0);
  expect_error("0905 4142", Errc::truncated, 52, 50);
  expect_error("0202 1105", Errc::truncated, 4);  // second member missing
}

std::string nested_arrays(std::size_t depth) {
  std::string s;
  for (std::size_t i = 0; i < depth; ++i) s += "0101";
  return s + "00";
}

TEST(Axdr, DepthLimit) {
  Document doc;
  std::vector<std::uint8_t> b;
  parse_one(nested_arrays(kMaxDepth), doc, b);
  EXPECT_EQ(doc.nodes().size(), kMaxDepth + 1);
  // The 17th container's tag is at offset 32.
  expect_error(nested_arrays(kMaxDepth + 1), Errc::axdr_too_deep, 2 * kMaxDepth);
  // A compact-array description counts toward the same depth.
  std::string desc = "13";
  for (std::size_t i = 0; i < kMaxDepth; ++i)
    desc +=
        "01"
        "0001";
  expect_error(desc + "11 01 05", Errc::axdr_too_deep, 1 + 3 * (kMaxDepth - 1));
}

TEST(Axdr, CountBeyondInputIsTooManyWithoutAllocation) {
  auto bytes = hex("0182ffff000000");  // array of 65535 with 3 bytes left
  Document doc;
  auto r = parse(bytes, doc);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::axdr_too_many);
  EXPECT_EQ(r.error().offset, 1u);
  EXPECT_LE(doc.nodes().capacity(), 8u);  // nothing sized by the wire count
}

TEST(Axdr, NodeCountLimit) {
  // An array of kMaxNodes null-data: the root makes kMaxNodes + 1 nodes.
  std::vector<std::uint8_t> bytes{0x01, 0x82, 0x20, 0x00};
  bytes.resize(bytes.size() + kMaxNodes, 0x00);
  Document doc;
  auto r = parse(bytes, doc);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::axdr_too_many);
  EXPECT_EQ(r.error().offset, 1u);
  bytes[2] = 0x1F;  // 0x1FFF elements: fits exactly
  bytes[3] = 0xFF;
  bytes.resize(4 + 0x1FFF);
  ASSERT_TRUE(parse(bytes, doc));
  EXPECT_EQ(doc.nodes().size(), kMaxNodes);
}

TEST(Axdr, DocumentStorageIsReused) {
  auto big = hex("0203 0102 1101 1102 120102 0200");
  auto small = hex("1101");
  Document doc;
  ASSERT_TRUE(parse(big, doc));
  const Node* data = doc.nodes().data();
  const std::size_t cap = doc.nodes().capacity();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(parse(small, doc));
    ASSERT_TRUE(parse(big, doc));
  }
  EXPECT_EQ(doc.nodes().data(), data);
  EXPECT_EQ(doc.nodes().capacity(), cap);
}

TEST(Axdr, EvnKaifaMa309BodyFromTheDocument) {
  auto v = load_vector("mbus-encrypted/evn-netznoe-kaifa-ma309-doc-example.json");
  auto apdu = hex(v["expected"]["source_stated"]["decrypted_apdu_hex"].get<std::string>());
  // 0F + long-invoke-id (4) + 0C + date-time (12): the body starts at 18.
  constexpr std::size_t kBody = 18;
  Bytes body = Bytes(apdu).subspan(kBody);
  Document doc;
  auto r = parse(body, doc, kBody);
  ASSERT_TRUE(r) << name(r.error().code) << " at " << r.error().offset;
  EXPECT_EQ(*r, body.size());
  const auto& n = doc.nodes();
  EXPECT_EQ(doc.root().tag, Tag::structure);
  EXPECT_EQ(doc.root().count, 35u);  // stated: 0x23 elements
  // Walk the top-level siblings: OBIS, value, {scaler, unit} ...
  std::vector<std::uint32_t> top;
  for (std::uint32_t i = Document::first_child(0); i < n.size(); i = doc.next_sibling(i)) {
    top.push_back(i);
  }
  ASSERT_EQ(top.size(), 35u);
  // The clock comes first as a bare 12-byte octet-string, then (OBIS, value, {scaler, unit}).
  EXPECT_EQ(n[top[0]].tag, Tag::octet_string);
  EXPECT_EQ(doc.bytes(n[top[0]]).size(), 12u);
  EXPECT_EQ(doc.bytes(n[top[1]]).size(), 6u);  // OBIS 1-0:1.8.0.255
  EXPECT_EQ(n[top[2]].tag, Tag::double_long_unsigned);
  EXPECT_EQ(n[top[2]].u, 12937u);  // 1-0:1.8.0 = 12937 Wh (stated)
  const Node& scaler_unit = n[top[3]];
  EXPECT_EQ(scaler_unit.tag, Tag::structure);
  EXPECT_EQ(n[top[3] + 1].i, 0);      // scaler 0
  EXPECT_EQ(n[top[3] + 2].u, 0x1Eu);  // unit 30 = Wh
  EXPECT_EQ(n[top[14]].u, 2337u);     // 1-0:32.7.0 = 2337 x10^-1 V (stated)
  EXPECT_EQ(n[top[15] + 1].i, -1);
  const Node& meter = n[top[34]];
  auto id = doc.bytes(meter);
  EXPECT_EQ(std::string(id.begin(), id.end()), "181220000009");
  EXPECT_EQ(meter.offset + kBody, apdu.size() - 14);
}

struct BodyCase {
  const char* file;
  std::size_t body_offset;
  Tag root;
  std::uint32_t count;
};

class AxdrVectorBodies : public ::testing::TestWithParam<BodyCase> {};

TEST_P(AxdrVectorBodies, WholeBodyIsOneValue) {
  const BodyCase& c = GetParam();
  auto v = load_vector(c.file);
  auto apdu = hex(v["hex"].get<std::string>());
  Bytes body = Bytes(apdu).subspan(c.body_offset);
  Document doc;
  auto r = parse(body, doc, c.body_offset);
  ASSERT_TRUE(r) << name(r.error().code) << " at " << r.error().offset;
  EXPECT_EQ(*r, body.size());
  EXPECT_EQ(doc.root().tag, c.root);
  EXPECT_EQ(doc.root().count, c.count);
  EXPECT_EQ(doc.root().subtree, doc.nodes().size());
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, AxdrVectorBodies,
    ::testing::Values(BodyCase{"apdu/lg-e450-ch-gh934-reassembled.json", 18, Tag::structure, 14},
                      BodyCase{"apdu/iskra-ie5-hr-gh1072-3.json", 18, Tag::structure, 33},
                      BodyCase{"apdu/salzburgnetz-kaifa-ma309-plain-apdu.json", 18, Tag::structure,
                               16},
                      // E6 E7 00 LLC + 0F + invoke id + 00 (no date-time)
                      BodyCase{"apdu/kaifa-se-llc-pdu-amshan.json", 9, Tag::structure, 36}));

TEST(Axdr, TagNames) {
  EXPECT_STREQ(tag_name(Tag::double_long_unsigned), "double-long-unsigned");
  EXPECT_STREQ(tag_name(Tag::compact_array), "compact-array");
  EXPECT_STREQ(tag_name(Tag::null_data), "null-data");
}

}  // namespace
}  // namespace meterlab::axdr
