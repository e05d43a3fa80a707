// The whole pipeline (meterlab::Decoder) fed arbitrary chunks. Input byte 0: bits 0-1 the
// transport (auto, hdlc, mbus, apdu), bit 2 whether the key ring has the AK; bytes 1..3 the
// chunk plan (see fuzz::Chunker); the rest is the stream. The same stream is decoded a second
// time in one push with the shape cache off (every body through the layout walk), and both runs
// must report the same events, to the last byte of their JSON lines.
// Invariants: bytes in frames + bytes discarded never exceed the bytes in, and equal them at the
// end once the link is known; no telegram is "authenticated" without an AK; every offset lies in
// the stream; the counters agree with the events; every telegram and rejection writes as JSON.
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/decoder/json.hpp"

namespace {

using namespace meterlab;

struct Seen {
  Decoder::Event kind;
  std::size_t offset;
  std::size_t length;
  Errc code;
  std::size_t readings;
  std::string json;  // the event's JSON line
  bool operator==(const Seen&) const = default;
};

struct Run {
  InputTransport transport;
  bool with_ak;
  std::size_t total;
};

void check_ref(const cosem::Telegram& t, cosem::TextRef r) {
  FUZZ_CHECK(r.offset <= t.text_storage.size() && r.length <= t.text_storage.size() - r.offset);
}

Seen check_telegram(const Decoder& dec, const Run& run) {
  const cosem::Telegram& t = dec.telegram();
  const auto state = static_cast<dlms::SecurityState>(t.security);
  FUZZ_CHECK(run.with_ak || state != dlms::SecurityState::authenticated);
  FUZZ_CHECK((state == dlms::SecurityState::plain) == !t.system_title.has_value());
  if (t.transport != cosem::Transport::apdu) FUZZ_CHECK(t.stream_offset + t.length <= run.total);
  check_ref(t, t.meter_id);
  check_ref(t, t.meter_type);
  check_ref(t, t.list_id);
  for (const cosem::Reading& r : t.readings) {
    if (r.has_text()) check_ref(t, r.text);
  }
  std::string json;
  append_json(t, json);
  FUZZ_CHECK(!json.empty());
  return {Decoder::Event::telegram, t.stream_offset, t.length, Errc::ok,
          t.readings.size(),        std::move(json)};
}

Seen check_rejection(const Decoder& dec, const Run& run) {
  const Rejection& r = dec.rejection();
  FUZZ_CHECK(r.error.code != Errc::ok);
  if (r.transport != cosem::Transport::apdu)
    FUZZ_CHECK(r.frame_offset + r.frame_length <= run.total);
  std::string json;
  append_json(r, json);
  FUZZ_CHECK(!json.empty());
  return {
      Decoder::Event::rejection, r.frame_offset, r.frame_length, r.error.code, 0, std::move(json)};
}

void drain(Decoder& dec, const Run& run, std::vector<Seen>& seen) {
  for (auto ev = dec.next(); ev != Decoder::Event::need_more; ev = dec.next()) {
    seen.push_back(ev == Decoder::Event::telegram ? check_telegram(dec, run)
                                                  : check_rejection(dec, run));
  }
  const DecoderStats& st = dec.stats();
  FUZZ_CHECK(st.bytes_in_frames + st.bytes_discarded <= st.bytes_in);
  FUZZ_CHECK(st.bytes_in <= run.total);
}

std::vector<Seen> decode(fuzz::Chunker chunks, const Run& run, bool shapes) {
  Decoder dec(run.transport, fuzz::fixed_keys(run.with_ak));
  dec.use_shape_cache(shapes);
  std::vector<Seen> seen;
  for (Bytes c = chunks.next(); !c.empty(); c = chunks.next()) {
    dec.push(c);
    drain(dec, run, seen);
  }
  dec.finish();
  drain(dec, run, seen);
  const DecoderStats& st = dec.stats();
  if (dec.transport() == InputTransport::hdlc || dec.transport() == InputTransport::mbus) {
    FUZZ_CHECK(st.bytes_in == run.total);
    FUZZ_CHECK(st.bytes_in_frames + st.bytes_discarded == st.bytes_in);
  }
  std::uint64_t telegrams = 0;
  for (const Seen& s : seen) telegrams += s.kind == Decoder::Event::telegram ? 1 : 0;
  FUZZ_CHECK(st.telegrams == telegrams);
  FUZZ_CHECK(st.rejections == seen.size() - telegrams);
  static std::string json;
  json.clear();
  append_json(st, json);
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr InputTransport kTransports[] = {InputTransport::auto_detect,
                                                   InputTransport::hdlc, InputTransport::mbus,
                                                   InputTransport::apdu};
  const Bytes rest(data + 1, size - 1);
  fuzz::Chunker chunked(rest, 3);
  const Run run{kTransports[data[0] & 3], (data[0] & 4) != 0, chunked.stream().size()};
  std::vector<Seen> a = decode(chunked, run, true);
  std::vector<Seen> b = decode(fuzz::Chunker(chunked.stream(), 0), run, false);
  FUZZ_CHECK(a == b);
  return 0;
}
