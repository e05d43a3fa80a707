// General block transfer reassembly (dlms::GbtAssembler). Input: a sequence of blocks, each
// a 2-byte big-endian length then that many bytes (a short last block takes what is left).
// Invariants: a finished APDU is within kMaxMessage and no longer than the bytes pushed since
// the transfer began; errors are dlms (or core: truncated) errors.
#include "fuzz_common.hpp"
#include "meterlab/dlms/apdu.hpp"

using namespace meterlab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteReader r(Bytes(data, size));
  dlms::GbtAssembler gbt;
  std::size_t since_start = 0;  // bytes pushed since the last finished or failed transfer
  while (r.remaining() > 0) {
    std::size_t n = r.remaining();
    if (n >= 2) {
      auto len = r.read_u16be();
      n = len ? std::min<std::size_t>(*len, r.remaining()) : 0;
    }
    auto block = r.read_bytes(n);
    if (!block) break;
    since_start += block->size();
    auto done = gbt.push(*block);
    if (!done) {
      // A malformed block leaves a pending transfer as it was, so since_start stays an upper bound.
      Layer l = layer_of(done.error().code);
      FUZZ_CHECK(l == Layer::dlms || l == Layer::core);
      continue;
    }
    if (*done) {
      FUZZ_CHECK(gbt.apdu().size() <= dlms::kMaxMessage);
      FUZZ_CHECK(gbt.apdu().size() <= since_start);
      FUZZ_CHECK(gbt.blocks() >= 1);
      since_start = 0;
    }
  }
  return 0;
}
