// P1 (DSMR / IEC 62056-21 text, and encrypted Smarty): bytes to a Telegram through one
// long-lived Decoder as on a serial line, the CRC-16/ARC of a telegram, and the P1 framer
// alone. Inputs: p1_samples.hpp. Botan's GCM call alone on the Smarty bytes is a reference
// point in bench_references.cpp.
#include <chrono>
#include <cstring>
#include <vector>

#include "bench_registry.hpp"
#include "botan_gcm_call.hpp"
#include "meterlab/p1/framer.hpp"
#include "meterlab/p1/telegram.hpp"
#include "p1_samples.hpp"
#include "pipeline_run.hpp"

namespace {

using meterlab::Bytes;
using meterlab::InputTransport;
using mlab_bench::Case;
using mlab_bench::run;
using mlab_bench::p1::Buf;
namespace p1s = mlab_bench::p1;

// Each benchmark cycles through this many telegrams (p1_samples.hpp variants).
constexpr std::size_t kVariants = 10;

const Case& dsmr5() {
  static const Case c{p1s::dsmr5_variants(kVariants), InputTransport::p1, 1, p1s::kDsmr5Readings};
  return c;
}
const Case& smarty() {
  static const Case c{p1s::smarty_variants(kVariants), InputTransport::p1, 1, p1s::kSmartyReadings};
  return c;
}

void dsmr5_whole(benchmark::State& s) { run(s, dsmr5(), {}); }
void dsmr5_bytes(benchmark::State& s) { run(s, dsmr5(), {}, 1); }
void smarty_whole(benchmark::State& s) { run(s, smarty(), meterlab::samples::sample_keys()); }
void smarty_bytes(benchmark::State& s) { run(s, smarty(), meterlab::samples::sample_keys(), 1); }
// The shape caches off (Decoder::use_shape_cache(false)): every P1 line the general way, as
// before the telegram shape memory (p1/parser_memory.hpp).
void dsmr5_general(benchmark::State& s) { run(s, dsmr5(), {}, 0, false); }
void smarty_general(benchmark::State& s) {
  run(s, smarty(), meterlab::samples::sample_keys(), 0, false);
}
MLAB_BENCHMARK(pipeline, "Pipeline/P1Dsmr5/P1_890B", dsmr5_whole);
MLAB_BENCHMARK(pipeline, "Pipeline/P1Dsmr5/P1_890B/ByteAtATime", dsmr5_bytes);
MLAB_BENCHMARK(pipeline, "Pipeline/P1SmartySc30/P1_711B", smarty_whole);
MLAB_BENCHMARK(pipeline, "Pipeline/P1SmartySc30/P1_711B/ByteAtATime", smarty_bytes);
MLAB_BENCHMARK(pipeline, "Pipeline/P1Dsmr5/P1_890B/NoShapeCache", dsmr5_general);
MLAB_BENCHMARK(pipeline, "Pipeline/P1SmartySc30/P1_711B/NoShapeCache", smarty_general);

// The Smarty decode and Botan's GCM call alone on the same frames, in turns of kTurn telegrams
// each, every turn timed: the two see the same moments of a shared host, where the rows above
// and Ref/BotanGcmDecrypt are timed seconds apart (on this project's machines the host's speed
// moves by a third within minutes). Counters: ns a telegram of each, and the issue 17 target's
// ratio (<= 2). Time per iteration: one turn of each.
void smarty_over_botan(benchmark::State& state) {
  constexpr std::size_t kTurn = 32;
  using Clock = std::chrono::steady_clock;
  const Case& c = smarty();
  meterlab::Decoder dec(c.transport, meterlab::samples::sample_keys());
  std::vector<mlab_bench::BotanGcmCall> calls(c.streams.begin(), c.streams.end());
  Clock::duration decoding{}, botan{};
  std::size_t telegrams = 0, readings = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    for (std::size_t k = 0; k < kTurn; ++k) {
      dec.push(Bytes(c.streams[k % c.streams.size()]));
      telegrams += mlab_bench::drain(dec, readings);
    }
    const auto t1 = Clock::now();
    for (std::size_t k = 0; k < kTurn; ++k) benchmark::DoNotOptimize(calls[k % calls.size()]());
    const auto t2 = Clock::now();
    decoding += t1 - t0;
    botan += t2 - t1;
  }
  if (telegrams != kTurn * static_cast<std::size_t>(state.iterations()) || readings != c.readings) {
    state.SkipWithError("a telegram did not decode as expected");
  }
  const double n = static_cast<double>(kTurn) * static_cast<double>(state.iterations());
  const auto ns = [n](Clock::duration d) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) / n;
  };
  state.counters["decode_ns"] = ns(decoding);
  state.counters["botan_ns"] = ns(botan);
  state.counters["ratio"] = ns(decoding) / ns(botan);
}
MLAB_BENCHMARK(pipeline, "Pipeline/P1SmartySc30/P1_711B/OverBotanGcm", smarty_over_botan);

// CRC-16/ARC over a DSMR 5 telegram's '/' through '!' (what the framer checks).
void crc16_arc(benchmark::State& state) {
  const Buf& t = p1s::dsmr5_telegram();
  const Bytes covered = Bytes(t).first(t.size() - 6);  // without the CRC digits and CR LF
  for (auto _ : state) benchmark::DoNotOptimize(meterlab::crc16_arc(covered));
  mlab_bench::set_counters(state, covered.size());
}
MLAB_BENCHMARK(layer, "Layer/Crc16Arc/Dsmr5_884B", crc16_arc);

// The same by the 128-bit fold (PCLMULQDQ) alone, what a machine without VPCLMULQDQ runs; the
// label names the path that ran.
void crc16_arc_clmul(benchmark::State& state) {
  const Buf& t = p1s::dsmr5_telegram();
  const Bytes covered = Bytes(t).first(t.size() - 6);
  const auto path = meterlab::CrcPath::clmul;
  for (auto _ : state) benchmark::DoNotOptimize(meterlab::crc16_arc_by(path, covered));
  state.SetLabel(meterlab::crc_path_available(path) ? "clmul" : "table (no PCLMULQDQ here)");
  mlab_bench::set_counters(state, covered.size());
}
MLAB_BENCHMARK(layer, "Layer/Crc16Arc/Dsmr5_884B/Clmul128", crc16_arc_clmul);

// The P1 framer alone: the '!' search, the CRC, the telegram handed out in place.
void p1_framer(benchmark::State& state) {
  const Buf& t = p1s::dsmr5_telegram();
  meterlab::p1::Framer framer;
  std::size_t frames = 0;
  for (auto _ : state) {
    framer.push(t);
    for (auto ev = framer.next(); ev.kind != meterlab::p1::Event::Kind::need_more;
         ev = framer.next()) {
      frames += ev.kind == meterlab::p1::Event::Kind::frame ? 1 : 0;
    }
  }
  if (frames != static_cast<std::size_t>(state.iterations())) {
    state.SkipWithError("a telegram was rejected");
  }
  mlab_bench::set_counters(state, t.size());
}
MLAB_BENCHMARK(layer, "Layer/P1Framer/Dsmr5_890B", p1_framer);

// The floor under a decode of the DSMR 5 telegram to a Telegram, with no parsing at all: the
// CRC-16/ARC the framer checks, the text copied once (as a reader's buffer takes it), and its
// 37 readings stored into a cleared Telegram from readings decoded before the loop. What a
// 1.0 us full decode leaves for reading the lines is 1.0 us less this.
void p1_floor(benchmark::State& state) {
  const Buf& t = p1s::dsmr5_telegram();
  const Bytes covered = Bytes(t).first(t.size() - 6);  // without the CRC digits and CR LF
  meterlab::cosem::Telegram decoded;
  meterlab::p1::Problems problems;
  meterlab::p1::parse_telegram(t, 0, decoded, problems);
  Buf copy(t.size());
  meterlab::cosem::Telegram out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(meterlab::crc16_arc(covered));
    std::memcpy(copy.data(), t.data(), t.size());
    benchmark::DoNotOptimize(copy.data());
    out.clear();
    for (const meterlab::cosem::Reading& r : decoded.readings) out.readings.push_back(r);
    benchmark::DoNotOptimize(out.readings.data());
  }
  if (out.readings.size() != p1s::kDsmr5Readings) state.SkipWithError("not the 37 readings");
  mlab_bench::set_counters(state, t.size());
}
MLAB_BENCHMARK(reference, "Ref/P1Floor/Dsmr5_890B", p1_floor);

}  // namespace
