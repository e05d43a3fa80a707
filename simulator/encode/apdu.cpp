// data-notification APDU (IEC 62056-5-3, xDLMS APDU tag 0x0F):
//   0F, long-invoke-id-and-priority (Unsigned32), date-time (OCTET STRING), notification-body;
// and general-block-transfer (0xE0) blocks of an APDU.
#include "meterlab/core/bytes.hpp"
#include "meterlab/sim/encode.hpp"

namespace meterlab::sim {

namespace {

constexpr std::uint8_t kDataNotification = 0x0F;
constexpr std::uint8_t kGeneralBlockTransfer = 0xE0;
constexpr std::uint8_t kAbsent = 0x00;          // an empty date-time octet string
constexpr std::uint8_t kOctetStringTag = 0x09;  // Kaifa KFM_001 / Kamstrup: 09 0C + 12
constexpr std::uint8_t kDateTimeLength = 0x0C;  // 12 bytes (Blue Book 4.1.6.1)

void put_date_time(ByteWriter& w, DateTimeForm form, const CosemDateTime* time) {
  if (form == DateTimeForm::absent || time == nullptr) {
    w.put_u8(kAbsent);
    return;
  }
  // A-XDR OCTET STRING is its length then its bytes (0C + 12, the bare form); some meters put
  // the Data tag of an octet-string (09) in front as if it were a Data value.
  if (form == DateTimeForm::octet_string) w.put_u8(kOctetStringTag);
  w.put_u8(kDateTimeLength);
  const auto bytes = time->bytes();
  w.put_bytes(bytes);
}

}  // namespace

Buffer data_notification(std::uint32_t invoke_id, DateTimeForm form, const CosemDateTime* time,
                         ByteSpan body) {
  Buffer out;
  out.reserve(1 + 4 + 14 + body.size());
  ByteWriter w(out);
  w.put_u8(kDataNotification);
  w.put_u32be(invoke_id);
  put_date_time(w, form, time);
  w.put_bytes(body);
  return out;
}

namespace {

Buffer gbt_block(ByteSpan data, std::uint8_t control, std::uint16_t number, std::uint16_t ack) {
  Buffer out;
  ByteWriter w(out);
  w.put_u8(kGeneralBlockTransfer);
  w.put_u8(control);
  w.put_u16be(number);
  w.put_u16be(ack);
  w.put_ber_length_prefixed([&](ByteWriter& d) { d.put_bytes(data); });
  return out;
}

}  // namespace

std::vector<Buffer> general_block_transfer(ByteSpan apdu, const GbtParams& p) {
  std::vector<Buffer> out;
  std::uint16_t number = p.first_block;
  const auto control = static_cast<std::uint8_t>(p.control & ~kGbtLastBlock);
  for (std::size_t size : p.sizes) {
    if (size >= apdu.size()) break;  // a shorter APDU than the meter's: fewer blocks
    out.push_back(gbt_block(apdu.first(size), control, number++, p.ack));
    apdu = apdu.subspan(size);
  }
  out.push_back(gbt_block(apdu, static_cast<std::uint8_t>(control | kGbtLastBlock), number, p.ack));
  return out;
}

}  // namespace meterlab::sim
