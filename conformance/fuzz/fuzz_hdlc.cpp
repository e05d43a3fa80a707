// HDLC framer + segment reassembler. Input: 2 bytes of chunk plan, then the byte stream.
// Invariants: events tile the stream in order (every byte is in exactly one frame or discard
// run; two frames may share a flag, ISO/IEC 13239, which is counted once), the counters agree
// with the events, and the events do not depend on the chunking.
#include <vector>

#include "fuzz_common.hpp"
#include "meterlab/hdlc/framer.hpp"

namespace {

using namespace meterlab;

struct Seen {
  hdlc::Event::Kind kind;
  std::size_t offset;
  std::size_t length;
  Errc code;
  bool operator==(const Seen&) const = default;
};

void check_frame(const hdlc::Frame& f, hdlc::Reassembler& segments) {
  FUZZ_CHECK(f.length <= hdlc::kMaxFrameLength + 2);
  FUZZ_CHECK(f.info.size() + 9 <= f.length);  // flags, format, control, HCS, FCS at least
  auto r = segments.push(f);
  if (r && *r) {
    const hdlc::Message& m = segments.message();
    FUZZ_CHECK(m.apdu.size() <= hdlc::kMaxMessage);
    FUZZ_CHECK(m.segments >= 1);
    FUZZ_CHECK(m.stream_offset + m.length == f.stream_offset + f.length);
  }
}

// Where the events so far end, and how many bytes the frames among them hold.
struct Tally {
  std::size_t pos = 0;
  std::uint64_t framed = 0;
  bool after_frame = false;
};

// Draws every event, checks it follows the previous one, and records it.
void drain(hdlc::Framer& fr, bool at_end, hdlc::Reassembler& segments, std::vector<Seen>& seen,
           Tally& tally) {
  for (;;) {
    hdlc::Event ev = at_end ? fr.finish() : fr.next();
    if (ev.kind == hdlc::Event::Kind::need_more) return;
    Seen s{ev.kind, 0, 0, Errc::ok};
    if (ev.kind == hdlc::Event::Kind::frame) {
      s.offset = ev.frame.stream_offset;
      s.length = ev.frame.length;
      check_frame(ev.frame, segments);
    } else {
      s.offset = ev.discard.stream_offset;
      s.length = ev.discard.length;
      s.code = ev.discard.error.code;
      FUZZ_CHECK(layer_of(s.code) == Layer::hdlc);
    }
    FUZZ_CHECK(s.length > 0);
    const bool frame = ev.kind == hdlc::Event::Kind::frame;
    const bool shared_flag = frame && tally.after_frame && s.offset + 1 == tally.pos;
    FUZZ_CHECK(s.offset == tally.pos || shared_flag);
    if (frame) tally.framed += shared_flag ? s.length - 1 : s.length;
    tally.pos = s.offset + s.length;
    tally.after_frame = frame;
    seen.push_back(s);
  }
}

std::vector<Seen> run(fuzz::Chunker chunks, std::size_t total) {
  hdlc::Framer fr;
  hdlc::Reassembler segments;
  std::vector<Seen> seen;
  Tally tally;
  for (Bytes c = chunks.next(); !c.empty(); c = chunks.next()) {
    fr.push(c);
    drain(fr, false, segments, seen, tally);
  }
  drain(fr, true, segments, seen, tally);
  const hdlc::FramerStats& st = fr.stats();
  FUZZ_CHECK(st.bytes_in == total);
  FUZZ_CHECK(tally.pos == total);
  FUZZ_CHECK(st.bytes_in_frames + st.bytes_discarded == st.bytes_in);
  FUZZ_CHECK(tally.framed == st.bytes_in_frames);
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes input(data, size);
  fuzz::Chunker chunked(input, 2);
  std::vector<Seen> a = run(chunked, chunked.stream().size());
  std::vector<Seen> b = run(fuzz::Chunker(chunked.stream(), 0), chunked.stream().size());
  FUZZ_CHECK(a == b);
  return 0;
}
