// P1 framer + encrypted frames + line parser. Input: 2 bytes of chunk plan, then the byte
// stream. Invariants as for the HDLC and M-Bus framers: the events tile the stream in order, the
// counters agree, the events do not depend on the chunking; frames within kMaxTelegram; a text
// frame's CRC (when it has one) matches; decode errors of the p1/security/dlms/core layers only;
// readings and their text inside the telegram; line problems inside the telegram. The line
// parser also reads the whole stream alone, as one telegram's text.
#include <algorithm>
#include <vector>

#include "fuzz_common.hpp"
#include "meterlab/core/crc.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/p1/framer.hpp"
#include "meterlab/p1/secure.hpp"
#include "meterlab/p1/telegram.hpp"

namespace {

using namespace meterlab;

constexpr std::size_t kLongestEndLine = 1 + p1::kCrcDigits + 2;  // ! CRC CR LF
constexpr std::size_t kLongestCipheredHeader = 2 + 8 + 3;        // DB 08 <title> 82 hi lo

struct Seen {
  p1::Event::Kind kind;
  std::size_t offset;
  std::size_t length;
  Errc code;
  std::size_t readings;
  bool operator==(const Seen&) const = default;
};

struct Decoding {
  dlms::KeyRing keys = fuzz::fixed_keys(true);
  std::vector<std::uint8_t> scratch;
  cosem::Telegram telegram;
  p1::Problems problems;
};

void check_telegram(const p1::Frame& f, const cosem::Telegram& t, const p1::Problems& problems) {
  FUZZ_CHECK(t.transport == cosem::Transport::p1);
  FUZZ_CHECK(t.stream_offset == f.stream_offset && t.length == f.length);
  FUZZ_CHECK(t.readings.size() <= f.length);
  for (const cosem::Reading& r : t.readings) {
    FUZZ_CHECK(std::size_t{r.text.offset} + r.text.length <= t.text_storage.size());
  }
  for (const Error& e : problems.kept()) {
    FUZZ_CHECK(layer_of(e.code) == Layer::p1);
    const bool in_text = e.offset >= f.stream_offset && e.offset < f.stream_offset + f.length;
    FUZZ_CHECK(f.kind == p1::Frame::Kind::ciphered || in_text);
  }
}

// A text frame that says crc16 carries, after its first '!', the CRC of '/'..'!'.
void check_crc(const p1::Frame& f) {
  const auto bang = std::find(f.bytes.begin(), f.bytes.end(), p1::kEnd);
  FUZZ_CHECK(bang != f.bytes.end());
  const auto covered = static_cast<std::size_t>(bang - f.bytes.begin()) + 1;
  if (f.check != p1::Check::crc16) return;
  FUZZ_CHECK(covered + p1::kCrcDigits <= f.bytes.size());
  std::uint16_t stated = 0;
  for (std::uint8_t c : f.bytes.subspan(covered, p1::kCrcDigits)) {
    const int v = hex_nibble(static_cast<char>(c));
    FUZZ_CHECK(v >= 0);
    stated = static_cast<std::uint16_t>((stated << 4) | v);
  }
  FUZZ_CHECK(stated == crc16_arc(f.bytes.first(covered)));
}

// The frame's own invariants, then its decode: the number of readings (0 on an error).
std::size_t check_frame(const p1::Frame& f, Decoding& d) {
  FUZZ_CHECK(f.bytes.size() == f.length);
  if (f.kind == p1::Frame::Kind::text) {
    FUZZ_CHECK(f.bytes.front() == p1::kStart);
    FUZZ_CHECK(f.length <= p1::kMaxTelegram + kLongestEndLine);
    check_crc(f);
  } else {
    FUZZ_CHECK(f.bytes.front() == p1::kCiphered);
    FUZZ_CHECK(f.length <= p1::kMaxTelegram + kLongestCipheredHeader);
  }
  const auto r = p1::decode_frame(f, d.keys, d.scratch, d.telegram, d.problems);
  if (!r) {
    const Layer l = layer_of(r.error().code);
    FUZZ_CHECK(l == Layer::p1 || l == Layer::security || l == Layer::dlms || l == Layer::core);
    FUZZ_CHECK(f.kind == p1::Frame::Kind::ciphered);
    return 0;
  }
  check_telegram(f, d.telegram, d.problems);
  return d.telegram.readings.size();
}

void drain(p1::Framer& fr, bool at_end, Decoding& d, std::vector<Seen>& seen, std::size_t& pos) {
  for (;;) {
    p1::Event ev = at_end ? fr.finish() : fr.next();
    if (ev.kind == p1::Event::Kind::need_more) return;
    Seen s{ev.kind, 0, 0, Errc::ok, 0};
    if (ev.kind == p1::Event::Kind::frame) {
      s.offset = ev.frame.stream_offset;
      s.length = ev.frame.length;
      s.readings = check_frame(ev.frame, d);
    } else {
      s.offset = ev.discard.stream_offset;
      s.length = ev.discard.length;
      s.code = ev.discard.error.code;
      FUZZ_CHECK(layer_of(s.code) == Layer::p1);
    }
    FUZZ_CHECK(s.length > 0);
    FUZZ_CHECK(s.offset == pos);
    pos += s.length;
    seen.push_back(s);
  }
}

std::vector<Seen> run(fuzz::Chunker chunks, std::size_t total) {
  p1::Framer fr;
  Decoding d;
  std::vector<Seen> seen;
  std::size_t pos = 0;
  for (Bytes c = chunks.next(); !c.empty(); c = chunks.next()) {
    fr.push(c);
    drain(fr, false, d, seen, pos);
  }
  drain(fr, true, d, seen, pos);
  const p1::FramerStats& st = fr.stats();
  FUZZ_CHECK(st.bytes_in == total);
  FUZZ_CHECK(pos == total);
  FUZZ_CHECK(st.bytes_in_frames + st.bytes_discarded == st.bytes_in);
  FUZZ_CHECK(fr.input().capacity() <= 4 * p1::kMaxTelegram + total);
  return seen;
}

}  // namespace

// The line parser alone over the whole stream, as if it were one telegram's text.
void parse_alone(Bytes text) {
  cosem::Telegram t;
  p1::Problems problems;
  p1::parse_telegram(text, 0, t, problems);
  for (const cosem::Reading& r : t.readings) {
    FUZZ_CHECK(std::size_t{r.text.offset} + r.text.length <= t.text_storage.size());
  }
  for (const Error& e : problems.kept()) FUZZ_CHECK(e.offset < text.size());
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes input(data, size);
  fuzz::Chunker chunked(input, 2);
  parse_alone(chunked.stream());
  std::vector<Seen> a = run(chunked, chunked.stream().size());
  std::vector<Seen> b = run(fuzz::Chunker(chunked.stream(), 0), chunked.stream().size());
  FUZZ_CHECK(a == b);
  return 0;
}
