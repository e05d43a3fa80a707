// The decoder tests' one way of running a Decoder over a stream: pushes of `chunk` bytes, every
// event drained after each push and after finish(), each as its JSON line.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "meterlab/decoder/decoder.hpp"
#include "meterlab/decoder/json.hpp"

namespace meterlab::testing {

inline void drain_lines(Decoder& dec, std::vector<std::string>& out) {
  for (auto ev = dec.next(); ev != Decoder::Event::need_more; ev = dec.next()) {
    std::string line;
    if (ev == Decoder::Event::telegram) {
      append_json(dec.telegram(), line);
    } else {
      append_json(dec.rejection(), line);
    }
    out.push_back(std::move(line));
  }
}

inline std::vector<std::string> decode_lines(Decoder& dec, Bytes stream, std::size_t chunk) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    dec.push(stream.subspan(at, std::min(chunk, stream.size() - at)));
    drain_lines(dec, out);
  }
  dec.finish();
  drain_lines(dec, out);
  return out;
}

}  // namespace meterlab::testing
