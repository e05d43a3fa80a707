// Encrypted P1 frames (secure.hpp).
#include "meterlab/p1/secure.hpp"

#include "meterlab/dlms/apdu.hpp"

namespace meterlab::p1 {
namespace {

// A right key decrypts to a telegram: '/' then the identification's printable characters. A
// wrong one gives noise, which starts so with a chance of 1 in 256^4.
constexpr std::size_t kIdentificationProbe = 4;

bool looks_like_telegram(Bytes p) {
  if (p.size() <= kIdentificationProbe || p.front() != kStart) return false;
  for (std::uint8_t c : p.subspan(1, kIdentificationProbe)) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

}  // namespace

Result<Opened> open(Bytes frame, const dlms::KeyRing& keys, std::vector<std::uint8_t>& plaintext) {
  dlms::CipheredApdu c;
  MLAB_TRY(dlms::parse_ciphered(frame, c));
  MLAB_TRY(dlms::require_tag(c, keys));
  MLAB_ASSIGN(const dlms::Decrypted d, dlms::decrypt(c, keys, plaintext, looks_like_telegram));
  Opened o;
  o.state = d.state;
  o.system_title = c.system_title;
  o.invocation_counter = c.invocation_counter;
  // The plaintext may end in padding after the '!' line (Kaifa MA309M, Poland): not part of it.
  const TextEnd t = find_text_end(d.plaintext, 0, 0, true);
  if (t.kind != TextEnd::Kind::complete) return fail(t.error.code, t.error.offset);
  const bool verified = d.state == dlms::SecurityState::authenticated;
  if (t.error.code != Errc::ok && !verified) return fail(t.error.code, t.error.offset);
  if (t.error.code != Errc::ok) o.warning = t.error;
  o.text = d.plaintext.first(t.length);
  o.check = verified ? Check::gcm_tag : t.check;
  return o;
}

namespace {

// A text telegram parsed with `memory`, or with the thread's one when it is null.
void parse(Bytes text, std::size_t at, cosem::Telegram& out, Problems& problems,
           ParserMemory* memory, const Zone& zone) {
  if (memory != nullptr) return parse_telegram(text, at, out, problems, *memory, zone);
  parse_telegram(text, at, out, problems, zone);
}

Result<Decoded> decode(const Frame& f, const dlms::KeyRing& keys,
                       std::vector<std::uint8_t>& scratch, cosem::Telegram& out, Problems& problems,
                       ParserMemory* memory, const Zone& zone) {
  problems.clear();
  if (f.kind == Frame::Kind::text) {
    parse(f.bytes, f.stream_offset, out, problems, memory, zone);
    return Decoded{f.check, {}};
  }
  MLAB_ASSIGN(const Opened o, open(f.bytes, keys, scratch));
  parse(o.text, 0, out, problems, memory, zone);
  out.stream_offset = f.stream_offset;
  out.length = f.length;
  out.security = static_cast<std::uint8_t>(o.state);
  out.system_title = o.system_title;
  out.invocation_counter = o.invocation_counter;
  return Decoded{o.check, o.warning};
}

}  // namespace

Result<Decoded> decode_frame(const Frame& f, const dlms::KeyRing& keys,
                             std::vector<std::uint8_t>& scratch, cosem::Telegram& out,
                             Problems& problems, const Zone& zone) {
  return decode(f, keys, scratch, out, problems, nullptr, zone);
}

Result<Decoded> decode_frame(const Frame& f, const dlms::KeyRing& keys,
                             std::vector<std::uint8_t>& scratch, cosem::Telegram& out,
                             Problems& problems, ParserMemory& memory, const Zone& zone) {
  return decode(f, keys, scratch, out, problems, &memory, zone);
}

}  // namespace meterlab::p1
