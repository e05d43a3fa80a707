// The pipeline benchmarks' loop (bench_pipeline.cpp, bench_p1.cpp): bytes to a Telegram through
// one long-lived Decoder, as on a serial line; every telegram counted and checked after the loop.
#pragma once

#include <vector>

#include "bench_registry.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/testing/sample_frames.hpp"

namespace mlab_bench {

using meterlab::Bytes;
using meterlab::Decoder;
using meterlab::InputTransport;
using meterlab::samples::Buf;

struct Case {
  std::vector<Buf> streams;  // telegrams of one meter, one after another (their values differ)
  InputTransport transport;
  std::size_t frames;    // link frames in each
  std::size_t readings;  // readings each telegram must have
};

// Pulls every event the decoder has; returns the telegrams among them.
inline std::size_t drain(Decoder& dec, std::size_t& readings) {
  std::size_t telegrams = 0;
  for (auto ev = dec.next(); ev != Decoder::Event::need_more; ev = dec.next()) {
    if (ev == Decoder::Event::telegram) {
      ++telegrams;
      readings = dec.telegram().readings.size();
    }
  }
  return telegrams;
}

// `chunk` 0: the telegram in one push; else pushed `chunk` bytes at a time, each push drained
// (a serial reader's loop).
// `shapes` false: the shape cache off, every body through the layout walk (the first telegram
// of each list a meter sends, or a decoder that keeps no state).
inline void run(benchmark::State& state, const Case& c, meterlab::dlms::KeyRing keys,
                std::size_t chunk = 0, bool shapes = true) {
  Decoder dec(c.transport, std::move(keys));
  dec.use_shape_cache(shapes);
  std::size_t telegrams = 0;
  std::size_t readings = 0;
  std::size_t next = 0;
  for (auto _ : state) {
    const Bytes all(c.streams[next]);
    next = (next + 1) % c.streams.size();
    if (chunk == 0) {
      dec.push(all);
      telegrams += drain(dec, readings);
      continue;
    }
    for (std::size_t at = 0; at < all.size(); at += chunk) {
      dec.push(all.subspan(at, std::min(chunk, all.size() - at)));
      telegrams += drain(dec, readings);
    }
  }
  benchmark::DoNotOptimize(telegrams);
  if (telegrams != static_cast<std::size_t>(state.iterations()) || readings != c.readings) {
    state.SkipWithError("a telegram did not decode as expected");
  }
  mlab_bench::set_counters(state, c.streams.front().size(), c.frames);
}

}  // namespace mlab_bench
