// data-notification APDU (IEC 62056-5-3, xDLMS APDU tag 0x0F):
//   0F, long-invoke-id-and-priority (Unsigned32), date-time (OCTET STRING), notification-body.
#include "meterlab/core/bytes.hpp"
#include "meterlab/sim/encode.hpp"

namespace meterlab::sim {

namespace {

constexpr std::uint8_t kDataNotification = 0x0F;
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

}  // namespace meterlab::sim
