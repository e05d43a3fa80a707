// The hot path: CRC, and a whole frame through the decoder. Inputs are prepared outside the timed
// loops; results are kept from the optimiser. Frames/s and bytes/s are reported.
#include <benchmark/benchmark.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "meterlab/core/crc.hpp"
#include "meterlab/core/hex.hpp"
#include "meterlab/decoder/decoder.hpp"

namespace {

std::vector<std::uint8_t> vector_input(const char* relative) {
  std::ifstream in(std::string(MLAB_SOURCE_DIR) + "/vectors/" + relative);
  auto doc = nlohmann::json::parse(in);
  return *meterlab::parse_hex(doc.at("input_hex").get<std::string>());
}

void set_counters(benchmark::State& state, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Crc16X25SliceBy8(benchmark::State& state) {
  std::vector<std::uint8_t> data(157, 0xA5);
  for (auto _ : state) benchmark::DoNotOptimize(meterlab::crc16_x25(data));
  set_counters(state, data.size());
}
BENCHMARK(BM_Crc16X25SliceBy8);

void BM_Crc16X25ByteTable(benchmark::State& state) {
  std::vector<std::uint8_t> data(157, 0xA5);
  for (auto _ : state) benchmark::DoNotOptimize(meterlab::crc16_x25_bytewise(data));
  set_counters(state, data.size());
}
BENCHMARK(BM_Crc16X25ByteTable);

// One HDLC frame through framer, APDU, A-XDR and layout to a Telegram, again and again through
// one long-lived decoder, as on a serial line.
void BM_DecodeKaifaList3Plain(benchmark::State& state) {
  auto frame = vector_input("hdlc-plain/kaifa-kfm001-ma304h3e-list3-a09b.json");
  meterlab::Decoder dec(meterlab::InputTransport::hdlc);
  std::size_t telegrams = 0;
  for (auto _ : state) {
    dec.push(frame);
    while (dec.next() == meterlab::Decoder::Event::telegram) ++telegrams;
  }
  benchmark::DoNotOptimize(telegrams);
  if (telegrams != state.iterations()) state.SkipWithError("a frame did not decode");
  set_counters(state, frame.size());
}
BENCHMARK(BM_DecodeKaifaList3Plain);

}  // namespace
