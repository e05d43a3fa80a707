// Shared by the fuzz targets: invariant checks that abort (so libFuzzer and the replay program
// both report them as crashes), the fixed keys, and the chunking of an input into pushes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>

#include "meterlab/core/bytes.hpp"
#include "meterlab/dlms/security.hpp"

// An invariant that must hold for every input. Not assert(): it stays on in release builds.
#define FUZZ_CHECK(cond)                                                                      \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (false)

namespace meterlab::fuzz {

// Fixed keys of the fuzz targets (not secrets: the seed corpora are encrypted with them, and
// the simulator output in the corpus was made with --key/--auth-key set to these).
// EK 000102030405060708090a0b0c0d0e0f, AK 101112131415161718191a1b1c1d1e1f.
inline dlms::Key fixed_ek() {
  dlms::Key k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i);
  return k;
}
inline dlms::Key fixed_ak() {
  dlms::Key k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(0x10 + i);
  return k;
}

// A KeyRing with the fixed EK for every system title, with or without the AK.
inline dlms::KeyRing fixed_keys(bool with_ak) {
  dlms::KeyRing keys;
  keys.add(std::nullopt, fixed_ek(), with_ak ? std::optional<dlms::Key>(fixed_ak()) : std::nullopt);
  return keys;
}

// Splits the input into pushes: the first `n` bytes of the input (the "plan") give chunk sizes
// 1..64 in turn (0 in the plan means "the whole rest"), the remaining bytes are the stream.
class Chunker {
 public:
  Chunker(Bytes input, std::size_t plan_bytes) {
    std::size_t n = input.size() < plan_bytes ? input.size() : plan_bytes;
    plan_ = input.first(n);
    stream_ = input.subspan(n);
  }
  Bytes stream() const noexcept { return stream_; }
  // The next chunk of the stream, empty at the end.
  Bytes next() noexcept {
    Bytes rest = stream_.subspan(pos_);
    if (rest.empty()) return rest;
    std::size_t size = rest.size();
    if (!plan_.empty()) {
      std::uint8_t p = plan_[step_++ % plan_.size()];
      if (p != 0) size = static_cast<std::size_t>(p % 64) + 1;
    }
    if (size > rest.size()) size = rest.size();
    pos_ += size;
    return rest.first(size);
  }

 private:
  Bytes plan_;
  Bytes stream_;
  std::size_t pos_ = 0;
  std::size_t step_ = 0;
};

}  // namespace meterlab::fuzz
