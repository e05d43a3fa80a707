// What the hdlc tests share (hdlc_framer_test, hdlc_reassembler_test): the HDLC vectors, the
// event record, a run over the framer, a test encoder.
#pragma once

#include <gtest/gtest.h>

#include <list>
#include <ostream>
#include <random>
#include <string>

#include "framer_test_util.hpp"
#include "meterlab/core/crc.hpp"
#include "meterlab/hdlc/framer.hpp"

namespace meterlab::hdlc::test {

using namespace meterlab::test;  // NOLINT: the shared helpers, as if written here

inline std::vector<Vector> hdlc_vectors() { return vectors_in({"hdlc-plain", "hdlc-encrypted"}); }

// One event with everything it says, owning its bytes, so runs can be compared.
struct Rec : EventRecord<Event::Kind> {
  Address dst;
  Address src;
  std::uint8_t control = 0;
  bool segmented = false;
  Buf info;
  bool operator==(const Rec&) const = default;
  void set_frame(const Frame& f) {
    dst = f.dst;
    src = f.src;
    control = f.control;
    segmented = f.segmented;
    info.assign(f.info.begin(), f.info.end());
  }
};

inline std::ostream& operator<<(std::ostream& os, const Rec& r) {
  if (r.kind == Event::Kind::frame) {
    return os << "frame@" << r.offset << "+" << r.length << " dst=" << std::hex << r.dst.value
              << " src=" << r.src.value << " ctl=" << int{r.control} << std::dec
              << " info=" << r.info.size() << (r.segmented ? " S" : "");
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

inline Address address_of(const std::string& hex_text) {
  Address a;
  for (std::uint8_t b : hex(hex_text)) a.value = (a.value << 8) | b;
  a.size = static_cast<std::uint8_t>(hex_text.size() / 2);
  return a;
}

// An encoder for the tests: frame format type 3 with HCS (when there is info) and FCS.
inline Buf build_frame(const Buf& dst, const Buf& src, std::uint8_t control, const Buf& info,
                       bool segmented = false) {
  const std::size_t length =
      2 + dst.size() + src.size() + 1 + (info.empty() ? 0 : 2 + info.size()) + 2;
  Buf body;
  ByteWriter w(body);
  w.put_u16be(static_cast<std::uint16_t>(0xA000 | (segmented ? 0x0800 : 0) | length));
  w.put_bytes(dst);
  w.put_bytes(src);
  w.put_u8(control);
  auto put_crc = [&w](std::uint16_t crc) {
    w.put_u8(static_cast<std::uint8_t>(crc & 0xFF));
    w.put_u8(static_cast<std::uint8_t>(crc >> 8));
  };
  if (!info.empty()) {
    put_crc(crc16_x25(body));
    w.put_bytes(info);
  }
  put_crc(crc16_x25(body));
  return cat({Buf{kFlag}, body, Buf{kFlag}});
}

}  // namespace meterlab::hdlc::test
