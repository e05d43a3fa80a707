#include "meterlab/dlms/apdu.hpp"

#include <gtest/gtest.h>

#include "meterlab/axdr/axdr.hpp"
#include "test_util.hpp"

namespace meterlab::dlms {
namespace {

using test::hex;
using test::load_vector;
using test::vector_hex;

void expect_error(const Result<DataNotification>& r, Errc code, std::size_t offset) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, code) << name(r.error().code);
  EXPECT_EQ(r.error().offset, offset);
}

// The body must be exactly one A-XDR value that ends where the APDU ends.
void expect_body_is_one_value(const DataNotification& n) {
  axdr::Document doc;
  auto r = axdr::parse(n.body, doc, n.body_offset);
  ASSERT_TRUE(r) << name(r.error().code) << " at " << r.error().offset;
  EXPECT_EQ(*r, n.body.size());
}

TEST(DataNotification, BareDateTimeFromEvnDocument) {
  auto v = load_vector("mbus-encrypted/evn-netznoe-kaifa-ma309-doc-example.json");
  auto apdu = hex(v["expected"]["source_stated"]["decrypted_apdu_hex"].get<std::string>());
  auto n = parsed(parse_data_notification, apdu);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->long_invoke_id_and_priority, 0x8006870Eu);
  EXPECT_EQ(n->date_time_form, DateTimeForm::bare);
  ASSERT_EQ(n->date_time.size(), 12u);
  EXPECT_EQ(n->date_time[0], 0x07);
  EXPECT_EQ(n->date_time[1], 0xE5);  // 2021
  EXPECT_EQ(n->body_offset, 18u);
  EXPECT_EQ(n->body.size(), apdu.size() - 18);
  EXPECT_EQ(n->body.data(), apdu.data() + 18);
  expect_body_is_one_value(*n);
}

TEST(DataNotification, AbsentDateTimeBehindLlc) {
  auto v = load_vector("apdu/kaifa-se-llc-pdu-amshan.json");
  auto bytes = vector_hex(v);
  Bytes apdu = Bytes(bytes).subspan(3);  // LLC E6 E7 00
  auto n = parsed(parse_data_notification, apdu);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->long_invoke_id_and_priority, 0x40000000u);
  EXPECT_EQ(n->date_time_form, DateTimeForm::absent);
  EXPECT_TRUE(n->date_time.empty());
  EXPECT_EQ(n->body_offset, 6u);
  expect_body_is_one_value(*n);
}

TEST(DataNotification, TaggedDateTime) {
  auto apdu = hex("0f 00000001 090c 07e60b0c0610360000ffc400 1105");
  auto n = parsed(parse_data_notification, apdu);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->date_time_form, DateTimeForm::tagged);
  EXPECT_EQ(n->date_time.size(), 12u);
  EXPECT_EQ(n->date_time[11], 0x00);
  EXPECT_EQ(n->body_offset, 19u);
  EXPECT_EQ(n->body.size(), 2u);
}

TEST(DataNotification, Rejections) {
  expect_error(parsed(parse_data_notification, hex("c0 00000001 00 1105")), Errc::dlms_unknown_apdu,
               0);
  expect_error(parsed(parse_data_notification, hex("0f 00000001 05 1105")),
               Errc::dlms_bad_date_time, 5);
  expect_error(parsed(parse_data_notification, hex("0f 00000001 090b 1105")),
               Errc::dlms_bad_date_time, 5);
  expect_error(parsed(parse_data_notification, hex("0f 00000001 0c 07e6")), Errc::truncated, 6);
  expect_error(parsed(parse_data_notification, hex("0f 000000")), Errc::truncated, 1);
  expect_error(parsed(parse_data_notification, hex("0f 00000001 00")), Errc::truncated,
               6);  // no body
  expect_error(parsed(parse_data_notification, {}), Errc::truncated, 0);
}

TEST(BerLength, ShortAndLongForms) {
  auto bytes = hex("05 81f8 820109 8180");
  ByteReader r(bytes);
  EXPECT_EQ(*read_ber_length(r), 5u);
  EXPECT_EQ(*read_ber_length(r), 0xF8u);
  EXPECT_EQ(*read_ber_length(r), 265u);
  EXPECT_EQ(*read_ber_length(r), 0x80u);
  EXPECT_TRUE(r.empty());
  for (std::string_view bad : {"80", "83010000", "84", "ff"}) {
    auto b = hex(bad);
    ByteReader br(b, 40);
    auto len = read_ber_length(br);
    ASSERT_FALSE(len) << bad;
    EXPECT_EQ(len.error().code, Errc::dlms_bad_length) << bad;
    EXPECT_EQ(len.error().offset, 40u) << bad;
  }
  auto cut = hex("8201");
  ByteReader cr(cut);
  auto len = read_ber_length(cr);
  ASSERT_FALSE(len);
  EXPECT_EQ(len.error().code, Errc::truncated);
  EXPECT_EQ(len.error().offset, 1u);
}

TEST(Ciphered, GloCipheringWithTag) {
  auto apdu = vector_hex(load_vector("apdu/dlmscosem-genglo-datanotification-sc30.json"));
  auto c = parsed(parse_ciphered, apdu);
  ASSERT_TRUE(c) << name(c.error().code);
  EXPECT_EQ(c->tag, kGeneralGloCiphering);
  EXPECT_EQ(c->system_title,
            (std::array<std::uint8_t, 8>{0x2f, 0x19, 0x22, 0x91, 0x99, 0x16, 0x41, 0x03}));
  EXPECT_EQ(c->security_control, 0x30);
  EXPECT_EQ(c->invocation_counter, 0x1E5u);
  EXPECT_EQ(c->ciphertext_offset, 16u);  // DB 08 ST(8) 3B SC IC(4)
  EXPECT_EQ(c->ciphertext.size(), 59u - 5 - 12);
  ASSERT_EQ(c->tag_bytes.size(), 12u);
  EXPECT_EQ(c->tag_bytes.data() + 12, apdu.data() + apdu.size());
}

TEST(Ciphered, LongLengthFormsWithoutTag) {
  auto evn = load_vector("mbus-encrypted/evn-netznoe-kaifa-ma309-doc-example.json");
  auto apdu = test::mbus_payload(vector_hex(evn));
  auto c = parsed(parse_ciphered, apdu);  // 81 f8
  ASSERT_TRUE(c) << name(c.error().code) << " at " << c.error().offset;
  EXPECT_EQ(c->security_control, 0x20);
  EXPECT_EQ(c->invocation_counter, 0x23u);
  EXPECT_EQ(c->ciphertext_offset, 17u);
  EXPECT_EQ(c->ciphertext.size(), 243u);
  EXPECT_TRUE(c->tag_bytes.empty());

  auto tinetz = load_vector("mbus-encrypted/tinetz-kaifa-ma309-walkthrough.json");
  auto apdu2 = test::mbus_payload(vector_hex(tinetz));
  auto c2 = parsed(parse_ciphered, apdu2);  // 82 01 09
  ASSERT_TRUE(c2) << name(c2.error().code) << " at " << c2.error().offset;
  EXPECT_EQ(c2->security_control, 0x21);
  EXPECT_EQ(c2->ciphertext_offset, 18u);
  EXPECT_EQ(c2->ciphertext.size(), 260u);
}

void expect_ciphered_error(std::string_view text, Errc code, std::size_t offset) {
  auto bytes = hex(text);
  auto c = parsed(parse_ciphered, bytes);
  ASSERT_FALSE(c) << text;
  EXPECT_EQ(c.error().code, code) << text << ": " << name(c.error().code);
  EXPECT_EQ(c.error().offset, offset) << text;
}

TEST(Ciphered, HeaderFaults) {
  // system title length 07
  expect_ciphered_error("db07 01020304050607 06 20 00000001 aa", Errc::security_bad_header, 1);
  // length 07 but 6 bytes left / 05 but 6 left
  expect_ciphered_error("db08 0102030405060708 07 20 00000001 aa", Errc::security_bad_header, 10);
  expect_ciphered_error("db08 0102030405060708 05 20 00000001 aa", Errc::security_bad_header, 10);
  // length shorter than SC + IC
  expect_ciphered_error("db08 0102030405060708 03 20 0000", Errc::security_bad_header, 10);
  // malformed BER length form
  expect_ciphered_error("db08 0102030405060708 83000006 20 00000001 aa", Errc::security_bad_header,
                        10);
  // SC with the authentication bit but no room for a 12-byte tag
  expect_ciphered_error("db08 0102030405060708 08 30 00000001 aabbcc", Errc::security_bad_header,
                        10);
  // input ends inside the system title
  expect_ciphered_error("db08 010203", Errc::truncated, 2);
  expect_ciphered_error("0f08 0102030405060708 06 20 00000001 aa", Errc::dlms_unknown_apdu, 0);
  // general-ded-ciphering has the same shape
  auto ded = hex("dc08 0102030405060708 06 20 00000001 aa");
  auto c = parsed(parse_ciphered, ded);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->tag, kGeneralDedCiphering);
  EXPECT_EQ(c->ciphertext.size(), 1u);
}

// The three E0 blocks of the L&G E450 capture, cut out of their HDLC frames (2-byte dst CEFF).
std::vector<Bytes> gbt_blocks(const std::vector<std::uint8_t>& stream) {
  auto blocks = test::hdlc_apdus(stream, 2);
  EXPECT_EQ(blocks.size(), 3u);
  return blocks;
}

TEST(Gbt, ReassemblesLgE450ThreeFrames) {
  auto v = load_vector("hdlc-plain/lg-e450-ch-gh740-gbt-3frames.json");
  auto stream = vector_hex(v);
  auto blocks = gbt_blocks(stream);
  ASSERT_EQ(blocks.size(), 3u);
  GbtAssembler gbt;
  EXPECT_FALSE(*gbt.push(blocks[0]));
  EXPECT_FALSE(*gbt.push(blocks[1]));
  auto done = gbt.push(blocks[2]);
  ASSERT_TRUE(done) << name(done.error().code);
  EXPECT_TRUE(*done);
  EXPECT_EQ(gbt.blocks(), 3u);
  EXPECT_EQ(gbt.apdu().size(), 112u + 108u + 121u);  // stated block lengths
  auto expected = hex(v["verification"]["gbt_reassembled_apdu_hex"].get<std::string>());
  EXPECT_TRUE(std::equal(gbt.apdu().begin(), gbt.apdu().end(), expected.begin(), expected.end()));
  auto n = parsed(parse_data_notification, gbt.apdu());
  ASSERT_TRUE(n);
  EXPECT_EQ(n->long_invoke_id_and_priority, 0x0021A433u);
  EXPECT_EQ(n->date_time_form, DateTimeForm::bare);
  expect_body_is_one_value(*n);
}

TEST(Gbt, ReassembledLgE450Gh934IsADataNotification) {
  auto apdu = vector_hex(load_vector("apdu/lg-e450-ch-gh934-reassembled.json"));
  auto n = parsed(parse_data_notification, apdu);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->long_invoke_id_and_priority, 0x003F7AA6u);
  expect_body_is_one_value(*n);
}

// The header the assembler and the simulator's learner read: each field of the E450's blocks.
TEST(Gbt, BlockHeaderFields) {
  const auto stream = vector_hex(load_vector("hdlc-plain/lg-e450-ch-gh740-gbt-3frames.json"));
  auto blocks = gbt_blocks(stream);
  ASSERT_EQ(blocks.size(), 3u);
  const std::size_t sizes[] = {112, 108, 121};
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    auto b = read_gbt_block(blocks[i]);
    ASSERT_TRUE(b) << name(b.error().code);
    EXPECT_EQ(b->number, i + 1);
    EXPECT_EQ(b->ack, 0u);
    EXPECT_EQ(b->control, i + 1 == blocks.size() ? 0xC0 : 0x40);
    EXPECT_EQ(b->last(), i + 1 == blocks.size());
    EXPECT_EQ(b->data.size(), sizes[i]);
    EXPECT_EQ(b->data.data(), blocks[i].data() + blocks[i].size() - sizes[i]);
  }
  auto ack = read_gbt_block(hex("e0 81 0102 0304 01 aa"));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->number, 0x0102u);
  EXPECT_EQ(ack->ack, 0x0304u);
  EXPECT_EQ(read_gbt_block(hex("e0 80 0001 0000 02 aa")).error().offset, kGbtLengthAt);
}

TEST(Gbt, OrderIsEnforced) {
  auto stream = vector_hex(load_vector("hdlc-plain/lg-e450-ch-gh740-gbt-3frames.json"));
  auto blocks = gbt_blocks(stream);
  ASSERT_EQ(blocks.size(), 3u);
  GbtAssembler gbt;
  auto orphan = gbt.push(blocks[1]);  // block 2 with no block 1
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code, Errc::dlms_gbt_orphan);
  EXPECT_EQ(orphan.error().offset, 2u);  // the block-number field

  ASSERT_TRUE(gbt.push(blocks[0]));
  auto skipped = gbt.push(blocks[2]);  // block 3 after block 1
  ASSERT_FALSE(skipped);
  EXPECT_EQ(skipped.error().code, Errc::dlms_gbt_out_of_order);
  EXPECT_EQ(skipped.error().offset, 2u);
  // The transfer was dropped: block 2 now has nothing to continue.
  EXPECT_EQ(gbt.push(blocks[1]).error().code, Errc::dlms_gbt_orphan);

  // Block 1 again starts afresh, also in the middle of a transfer.
  ASSERT_TRUE(gbt.push(blocks[0]));
  ASSERT_TRUE(gbt.push(blocks[0]));
  ASSERT_TRUE(gbt.push(blocks[1]));
  EXPECT_TRUE(*gbt.push(blocks[2]));
  EXPECT_EQ(gbt.apdu().size(), 341u);
  // After completion, a stray block 3 is an orphan.
  EXPECT_EQ(gbt.push(blocks[2]).error().code, Errc::dlms_gbt_orphan);
}

TEST(Gbt, SingleLastBlockAndFaults) {
  GbtAssembler gbt;
  auto one = hex("e0 80 0001 0000 03 0f0102");
  EXPECT_TRUE(*gbt.push(one));
  EXPECT_EQ(gbt.apdu().size(), 3u);
  auto bad_len = gbt.push(hex("e0 80 0001 0000 04 0f0102"));
  ASSERT_FALSE(bad_len);
  EXPECT_EQ(bad_len.error().code, Errc::dlms_bad_length);
  EXPECT_EQ(bad_len.error().offset, 6u);
  EXPECT_EQ(gbt.push(hex("0f 80 0001 0000 00")).error().code, Errc::dlms_unknown_apdu);
  EXPECT_EQ(gbt.push(hex("e0 80 00")).error().code, Errc::truncated);

  // Two 10000-byte blocks exceed kMaxMessage.
  std::vector<std::uint8_t> big = hex("e0 00 0001 0000 822710");
  big.resize(big.size() + 10000, 0xAA);
  ASSERT_TRUE(gbt.push(big));
  big[2] = 0x00;
  big[3] = 0x02;
  auto too_long = gbt.push(big);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, Errc::dlms_gbt_too_long);
  EXPECT_EQ(too_long.error().offset, 6u);
}

}  // namespace
}  // namespace meterlab::dlms
