// M-Bus long-frame framer + transport-layer reassembler. Input: 2 bytes of chunk plan, then the
// byte stream. Invariants as for HDLC: the events tile the stream in order, the counters agree,
// the events do not depend on the chunking, messages stay within their limits.
#include <vector>

#include "fuzz_common.hpp"
#include "meterlab/mbus/framer.hpp"

namespace {

using namespace meterlab;

struct Seen {
  mbus::Event::Kind kind;
  std::size_t offset;
  std::size_t length;
  Errc code;
  bool operator==(const Seen&) const = default;
};

void check_frame(const mbus::Frame& f, mbus::Reassembler& segments) {
  FUZZ_CHECK(f.data.size() + 9 <= f.length);  // 68 L L 68 C A CI ... CS 16
  auto r = segments.push(f);
  if (r && *r) {
    const mbus::Message& m = segments.message();
    FUZZ_CHECK(m.apdu.size() <= mbus::kMaxMessage);
    FUZZ_CHECK(m.segments >= 1);
    FUZZ_CHECK(m.stream_offset + m.length == f.stream_offset + f.length);
  }
  if (!r) FUZZ_CHECK(layer_of(r.error().code) == Layer::mbus);
}

void drain(mbus::Framer& fr, bool at_end, mbus::Reassembler& segments, std::vector<Seen>& seen,
           std::size_t& pos) {
  for (;;) {
    mbus::Event ev = at_end ? fr.finish() : fr.next();
    if (ev.kind == mbus::Event::Kind::need_more) return;
    Seen s{ev.kind, 0, 0, Errc::ok};
    if (ev.kind == mbus::Event::Kind::frame) {
      s.offset = ev.frame.stream_offset;
      s.length = ev.frame.length;
      check_frame(ev.frame, segments);
    } else {
      s.offset = ev.discard.stream_offset;
      s.length = ev.discard.length;
      s.code = ev.discard.error.code;
      FUZZ_CHECK(layer_of(s.code) == Layer::mbus);
    }
    FUZZ_CHECK(s.length > 0);
    FUZZ_CHECK(s.offset == pos);
    pos += s.length;
    seen.push_back(s);
  }
}

std::vector<Seen> run(fuzz::Chunker chunks, std::size_t total) {
  mbus::Framer fr;
  mbus::Reassembler segments;
  std::vector<Seen> seen;
  std::size_t pos = 0;
  for (Bytes c = chunks.next(); !c.empty(); c = chunks.next()) {
    fr.push(c);
    drain(fr, false, segments, seen, pos);
  }
  drain(fr, true, segments, seen, pos);
  const mbus::FramerStats& st = fr.stats();
  FUZZ_CHECK(st.bytes_in == total);
  FUZZ_CHECK(pos == total);
  FUZZ_CHECK(st.bytes_in_frames + st.bytes_discarded == st.bytes_in);
  std::uint64_t framed = 0;
  for (const Seen& s : seen) framed += s.kind == mbus::Event::Kind::frame ? s.length : 0;
  FUZZ_CHECK(framed == st.bytes_in_frames);
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
