// What the mbus tests share (mbus_framer_test, mbus_reassembler_test): the M-Bus vectors, the
// event record, a run over the framer, a test encoder, a reassembly run.
#pragma once

#include <gtest/gtest.h>

#include <list>
#include <ostream>
#include <random>
#include <string>

#include "framer_test_util.hpp"
#include "meterlab/core/crc.hpp"
#include "meterlab/mbus/framer.hpp"

namespace meterlab::mbus::test {

using namespace meterlab::test;  // NOLINT: the shared helpers, as if written here

inline std::vector<Vector> wire_vectors() { return vectors_in({"mbus-encrypted"}); }

// A test encoder: 68 L L 68 C A CI data CS 16 (EN 13757-2), L written modulo 256 as meters do.
inline Buf build_long(std::uint8_t ci, const Buf& data, std::uint8_t c = 0x53,
                      std::uint8_t a = 0xFF) {
  Buf body;
  ByteWriter b(body);
  b.put_u8(c);
  b.put_u8(a);
  b.put_u8(ci);
  b.put_bytes(data);
  const auto l = static_cast<std::uint8_t>(body.size() & 0xFF);
  Buf out;
  ByteWriter w(out);
  w.put_u8(kStart);
  w.put_u8(l);
  w.put_u8(l);
  w.put_u8(kStart);
  w.put_bytes(body);
  w.put_u8(mbus_checksum(body));
  w.put_u8(kStop);
  return out;
}

// A DLMS transport segment: STSAP DTSAP 01 67, then a piece of the APDU.
inline Buf segment(std::uint8_t ci, const Buf& apdu_part) {
  return build_long(ci, cat({hex("0167"), apdu_part}));
}

// One event with everything it says, owning its bytes, so runs can be compared.
struct Rec : EventRecord<Event::Kind> {
  std::uint8_t c = 0, a = 0, ci = 0;
  Buf data;
  bool operator==(const Rec&) const = default;
  void set_frame(const Frame& f) {
    c = f.c;
    a = f.a;
    ci = f.ci;
    data.assign(f.data.begin(), f.data.end());
  }
};

inline std::ostream& operator<<(std::ostream& os, const Rec& r) {
  if (r.kind == Event::Kind::frame) {
    return os << "frame@" << r.offset << "+" << r.length << " ci=" << std::hex << int{r.ci}
              << std::dec << " data=" << r.data.size();
  }
  return print_discard(os, r);
}

inline Rec record(const Event& e) { return record_event<Rec>(e); }

inline Rec discard(std::size_t offset, std::size_t length, Errc code, std::size_t error_offset) {
  return discard_record<Rec>(offset, length, code, error_offset);
}

// Pushes `in` in pieces of `chunk` bytes (0: all at once), drains after each, then finishes.
inline std::vector<Rec> run(Framer& f, const Buf& in, std::size_t chunk = 0) {
  return run_events(f, in, chunk, record);
}

inline std::vector<Rec> run(const Buf& in, std::size_t chunk = 0) {
  return run_counted<Framer>(in, chunk, record);
}

// Frames `in` and feeds every frame to a reassembler: the results in order, and the last APDU.
struct Reassembled {
  std::vector<Errc> results;  // ok for "stored" or "done", else the error
  std::vector<bool> done;
  std::vector<Buf> apdus;
  std::vector<Message> messages;
};

inline Reassembled reassemble(const Buf& in) {
  Framer f;
  f.push(in);
  Reassembler r;
  Reassembled out;
  for (Event e = f.finish(); e.kind != Event::Kind::need_more; e = f.finish()) {
    if (e.kind != Event::Kind::frame) continue;
    const Result<bool> res = r.push(e.frame);
    out.results.push_back(res ? Errc::ok : res.error().code);
    out.done.push_back(res && *res);
    if (r.ready()) {
      out.apdus.emplace_back(r.message().apdu.begin(), r.message().apdu.end());
      out.messages.push_back(r.message());
    }
  }
  return out;
}

// Bytes of the BER length after DB 08 <system title>: the APDU must hold exactly that much.
inline std::size_t ciphered_apdu_size(const Buf& apdu) {
  ByteReader r(apdu);
  (void)r.skip(10);
  const std::uint8_t first = *r.read_u8();
  if (first == 0x81) return 12 + *r.read_u8();
  if (first == 0x82) return 13 + *r.read_u16be();
  return 11 + first;
}

}  // namespace meterlab::mbus::test
