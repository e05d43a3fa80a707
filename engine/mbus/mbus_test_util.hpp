// What the mbus tests share (mbus_framer_test, mbus_reassembler_test): the vectors, an event
// record that owns its bytes, a run over a framer, a test encoder, a reassembly run.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <list>
#include <nlohmann/json.hpp>
#include <ostream>
#include <random>
#include <string>

#include "meterlab/core/crc.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/mbus/framer.hpp"

namespace meterlab::mbus::test {

namespace fs = std::filesystem;
using Buf = std::vector<std::uint8_t>;

inline const fs::path kVectors = fs::path(MLAB_SOURCE_DIR) / "vectors" / "upstream";

struct Vector {
  std::string name;
  Buf bytes;
  nlohmann::json json;
};

inline Vector load(const fs::path& path) {
  std::ifstream in(path);
  Vector v{path.filename().string(), {}, nlohmann::json::parse(in)};
  v.bytes = *parse_hex(v.json.at("hex").get<std::string>());
  return v;
}

inline std::vector<Vector> wire_vectors() {
  std::vector<fs::path> paths;
  for (const auto& e : fs::directory_iterator(kVectors / "mbus-encrypted"))
    paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  std::vector<Vector> out;
  for (const auto& p : paths) out.push_back(load(p));
  return out;
}

inline Vector vector_named(const std::string& rel) { return load(kVectors / rel); }

inline Buf hex(std::string_view s) { return *parse_hex(s); }

inline Buf cat(std::initializer_list<Buf> parts) {
  Buf out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

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

struct Rec {
  Event::Kind kind = Event::Kind::need_more;
  std::size_t offset = 0;
  std::size_t length = 0;
  Errc code = Errc::ok;
  std::size_t error_offset = 0;
  std::uint8_t c = 0, a = 0, ci = 0;
  Buf data;
  bool operator==(const Rec&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Rec& r) {
  if (r.kind == Event::Kind::frame) {
    return os << "frame@" << r.offset << "+" << r.length << " ci=" << std::hex << int{r.ci}
              << std::dec << " data=" << r.data.size();
  }
  return os << "discard@" << r.offset << "+" << r.length << " " << name(r.code) << "@"
            << r.error_offset;
}

inline Rec record(const Event& e) {
  Rec r;
  r.kind = e.kind;
  if (e.kind == Event::Kind::frame) {
    r.offset = e.frame.stream_offset;
    r.length = e.frame.length;
    r.c = e.frame.c;
    r.a = e.frame.a;
    r.ci = e.frame.ci;
    r.data.assign(e.frame.data.begin(), e.frame.data.end());
  } else {
    r.offset = e.discard.stream_offset;
    r.length = e.discard.length;
    r.code = e.discard.error.code;
    r.error_offset = e.discard.error.offset;
  }
  return r;
}

inline Rec discard(std::size_t offset, std::size_t length, Errc code, std::size_t error_offset) {
  Rec r;
  r.kind = Event::Kind::discard;
  r.offset = offset;
  r.length = length;
  r.code = code;
  r.error_offset = error_offset;
  return r;
}

// Pushes `in` in pieces of `chunk` bytes (0: all at once), drains after each, then finishes.
inline std::vector<Rec> run(Framer& f, const Buf& in, std::size_t chunk = 0) {
  std::vector<Rec> out;
  const std::size_t step = chunk == 0 ? std::max<std::size_t>(in.size(), 1) : chunk;
  for (std::size_t i = 0; i < in.size(); i += step) {
    f.push(Bytes(in).subspan(i, std::min(step, in.size() - i)));
    for (Event e = f.next(); e.kind != Event::Kind::need_more; e = f.next()) {
      out.push_back(record(e));
    }
  }
  for (Event e = f.finish(); e.kind != Event::Kind::need_more; e = f.finish()) {
    out.push_back(record(e));
  }
  return out;
}

inline std::vector<Rec> run(const Buf& in, std::size_t chunk = 0) {
  Framer f;
  auto out = run(f, in, chunk);
  EXPECT_EQ(f.stats().bytes_in, in.size());
  EXPECT_EQ(f.stats().bytes_in, f.stats().bytes_in_frames + f.stats().bytes_discarded)
      << "every byte is in a frame or a discard";
  return out;
}

inline std::vector<Rec> only(const std::vector<Rec>& rs, Event::Kind kind) {
  std::vector<Rec> out;
  std::copy_if(rs.begin(), rs.end(), std::back_inserter(out),
               [kind](const Rec& r) { return r.kind == kind; });
  return out;
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
