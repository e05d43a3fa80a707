// What the tests of the streaming framers share (hdlc, mbus): the upstream vectors, byte helpers,
// and a run over a framer recorded event by event, each layer's record adding its frame fields.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "meterlab/core/hex.hpp"
#include "meterlab/core/stream_buffer.hpp"

namespace meterlab::test {

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

// Every vector in these folders of vectors/upstream, in the order of their paths.
inline std::vector<Vector> vectors_in(std::initializer_list<const char*> dirs) {
  std::vector<fs::path> paths;
  for (const char* dir : dirs) {
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

// What every recorded event says (each layer's Rec adds its frame's fields), owning its bytes so
// that runs can be compared.
template <class Kind>
struct EventRecord {
  Kind kind = Kind::need_more;
  std::size_t offset = 0;
  std::size_t length = 0;
  Errc code = Errc::ok;
  std::size_t error_offset = 0;
  bool operator==(const EventRecord&) const = default;
};

template <class Rec>
Rec discard_record(std::size_t offset, std::size_t length, Errc code, std::size_t error_offset) {
  Rec r;
  r.kind = decltype(r.kind)::discard;
  r.offset = offset;
  r.length = length;
  r.code = code;
  r.error_offset = error_offset;
  return r;
}

template <class Rec>
Rec discard_record(const Discard& d) {
  return discard_record<Rec>(d.stream_offset, d.length, d.error.code, d.error.offset);
}

template <class Kind>
std::ostream& print_discard(std::ostream& os, const EventRecord<Kind>& r) {
  return os << "discard@" << r.offset << "+" << r.length << " " << name(r.code) << "@"
            << r.error_offset;
}

// An event as a record: a discard's fields, or a frame's (each Rec reads its own with set_frame).
template <class Rec, class Event>
Rec record_event(const Event& e) {
  if (e.kind != Event::Kind::frame) return discard_record<Rec>(e.discard);
  Rec r;
  r.kind = e.kind;
  r.offset = e.frame.stream_offset;
  r.length = e.frame.length;
  r.set_frame(e.frame);
  return r;
}

// Pushes `in` in pieces of `chunk` bytes (0: all at once), drains after each, then finishes;
// each event as `record` gives it.
template <class Framer, class Record>
auto run_events(Framer& f, const Buf& in, std::size_t chunk, Record record) {
  std::vector<decltype(record(f.next()))> out;
  const std::size_t step = chunk == 0 ? std::max<std::size_t>(in.size(), 1) : chunk;
  for (std::size_t i = 0; i < in.size(); i += step) {
    f.push(Bytes(in).subspan(i, std::min(step, in.size() - i)));
    for (auto e = f.next(); e.kind != decltype(e.kind)::need_more; e = f.next()) {
      out.push_back(record(e));
    }
  }
  for (auto e = f.finish(); e.kind != decltype(e.kind)::need_more; e = f.finish()) {
    out.push_back(record(e));
  }
  return out;
}

// run_events() on a new framer, which must account for every byte.
template <class Framer, class Record>
auto run_counted(const Buf& in, std::size_t chunk, Record record) {
  Framer f;
  auto out = run_events(f, in, chunk, record);
  EXPECT_EQ(f.stats().bytes_in, in.size());
  EXPECT_EQ(f.stats().bytes_in, f.stats().bytes_in_frames + f.stats().bytes_discarded)
      << "every byte is in a frame or a discard";
  return out;
}

template <class Rec>
std::vector<Rec> only(const std::vector<Rec>& rs, decltype(Rec::kind) kind) {
  std::vector<Rec> out;
  std::copy_if(rs.begin(), rs.end(), std::back_inserter(out),
               [kind](const Rec& r) { return r.kind == kind; });
  return out;
}

}  // namespace meterlab::test
