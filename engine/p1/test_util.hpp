// Helpers of the p1 tests: telegrams with their CRC, and a run of the framer and the decoder
// over a stream pushed in chunks of a given size.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "meterlab/core/crc.hpp"
#include "meterlab/p1/framer.hpp"
#include "meterlab/p1/secure.hpp"
#include "meterlab/p1/telegram.hpp"

namespace meterlab::p1::test {

inline Bytes as_bytes(std::string_view s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// `body` from '/' up to the '!' (exclusive), closed with "!" + CRC-16/ARC + CRLF (DSMR 4/5), or
// with "!" + CRLF when `with_crc` is false (DSMR 2.2).
inline std::string telegram(std::string body, bool with_crc = true) {
  body += '!';
  if (with_crc) {
    const std::array<char, 4> crc = crc16_arc_text(crc16_arc(as_bytes(body)));
    body.append(crc.data(), crc.size());
  }
  return body + "\r\n";
}

struct Decoded1 {
  cosem::Telegram telegram;
  Decoded decoded;
};

// Everything a stream gave: telegrams, and the errors in stream order (discards with the first
// discarded byte as offset, decode errors, then each telegram's line problems), warnings apart.
struct Run {
  std::vector<Decoded1> telegrams;
  std::vector<Error> errors;
  std::vector<Error> warnings;
  std::vector<Error> decode_errors;  // errors that are not framer discards
  FramerStats stats;
  std::size_t capacity = 0;  // of the framer's buffer at the end
};

inline void on_event(const Event& ev, const dlms::KeyRing& keys, Run& run,
                     std::vector<std::uint8_t>& scratch) {
  if (ev.kind == Event::Kind::discard) {
    run.errors.push_back(Error{ev.discard.error.code, ev.discard.stream_offset});
    return;
  }
  cosem::Telegram t;
  Problems problems;
  const Result<Decoded> d = decode_frame(ev.frame, keys, scratch, t, problems);
  if (!d) {
    run.errors.push_back(d.error());
    run.decode_errors.push_back(d.error());
    return;
  }
  for (const Error& e : problems.kept()) {
    run.errors.push_back(e);
    run.decode_errors.push_back(e);
  }
  if (d->warning.code != Errc::ok) run.warnings.push_back(d->warning);
  run.telegrams.push_back(Decoded1{std::move(t), *d});
}

// Pushes `stream` in chunks of `chunk` bytes (0: whole), draining after each, then finishes.
inline Run run_stream(Bytes stream, std::size_t chunk, const dlms::KeyRing& keys = {}) {
  Framer fr;
  Run run;
  std::vector<std::uint8_t> scratch;
  const std::size_t step = chunk == 0 ? stream.size() : chunk;
  for (std::size_t at = 0; at < stream.size(); at += step) {
    fr.push(stream.subspan(at, std::min(step, stream.size() - at)));
    for (Event ev = fr.next(); ev.kind != Event::Kind::need_more; ev = fr.next()) {
      on_event(ev, keys, run, scratch);
    }
  }
  for (Event ev = fr.finish(); ev.kind != Event::Kind::need_more; ev = fr.finish()) {
    on_event(ev, keys, run, scratch);
  }
  run.stats = fr.stats();
  run.capacity = fr.input().capacity();
  EXPECT_EQ(run.stats.bytes_in, stream.size());
  EXPECT_EQ(run.stats.bytes_in_frames + run.stats.bytes_discarded, run.stats.bytes_in);
  return run;
}

inline Run run_text(std::string_view s, std::size_t chunk = 0) {
  return run_stream(as_bytes(s), chunk);
}

}  // namespace meterlab::p1::test
