// What the hdlc tests share (hdlc_framer_test, hdlc_reassembler_test): the vectors, an event
// record that owns its bytes, a run over a framer, a test encoder.
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
#include "meterlab/hdlc/framer.hpp"

namespace meterlab::hdlc::test {

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

inline std::vector<Vector> hdlc_vectors() {
  std::vector<fs::path> paths;
  for (const char* dir : {"hdlc-plain", "hdlc-encrypted"}) {
    for (const auto& e : fs::directory_iterator(kVectors / dir)) paths.push_back(e.path());
  }
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

// One event with everything it says, owning its bytes, so runs can be compared.
struct Rec {
  Event::Kind kind = Event::Kind::need_more;
  std::size_t offset = 0;
  std::size_t length = 0;
  Errc code = Errc::ok;
  std::size_t error_offset = 0;
  Address dst;
  Address src;
  std::uint8_t control = 0;
  bool segmented = false;
  Buf info;
  bool operator==(const Rec&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Rec& r) {
  if (r.kind == Event::Kind::frame) {
    return os << "frame@" << r.offset << "+" << r.length << " dst=" << std::hex << r.dst.value
              << " src=" << r.src.value << " ctl=" << int{r.control} << std::dec
              << " info=" << r.info.size() << (r.segmented ? " S" : "");
  }
  return os << "discard@" << r.offset << "+" << r.length << " " << name(r.code) << "@"
            << r.error_offset;
}

inline Rec record(const Event& e) {
  Rec r;
  r.kind = e.kind;
  if (e.kind == Event::Kind::frame) {
    const Frame& f = e.frame;
    r.offset = f.stream_offset;
    r.length = f.length;
    r.dst = f.dst;
    r.src = f.src;
    r.control = f.control;
    r.segmented = f.segmented;
    r.info.assign(f.info.begin(), f.info.end());
  } else {
    r.offset = e.discard.stream_offset;
    r.length = e.discard.length;
    r.code = e.discard.error.code;
    r.error_offset = e.discard.error.offset;
  }
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

inline Rec discard(std::size_t offset, std::size_t length, Errc code, std::size_t error_offset) {
  Rec r;
  r.kind = Event::Kind::discard;
  r.offset = offset;
  r.length = length;
  r.code = code;
  r.error_offset = error_offset;
  return r;
}

inline std::vector<Rec> only(const std::vector<Rec>& rs, Event::Kind kind) {
  std::vector<Rec> out;
  std::copy_if(rs.begin(), rs.end(), std::back_inserter(out),
               [kind](const Rec& r) { return r.kind == kind; });
  return out;
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
