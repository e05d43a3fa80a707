// The whole pipeline, bytes to a Telegram with mapped readings, through one long-lived Decoder
// as on a serial line: framer, reassembly, security, APDU, A-XDR, layout. Inputs are prepared
// before the timed loop; every telegram is counted and checked after it.
#include "bench_registry.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/testing/sample_frames.hpp"

namespace {

using meterlab::Bytes;
using meterlab::Decoder;
using meterlab::InputTransport;
using meterlab::samples::Buf;
namespace samples = meterlab::samples;

struct Case {
  std::vector<Buf> streams;  // telegrams of one meter, one after another (their values differ)
  InputTransport transport;
  std::size_t frames;    // link frames in each
  std::size_t readings;  // readings each telegram must have
};

// Each benchmark cycles through this many telegrams of its meter (sample_frames.hpp variants:
// numbers and clock changed, CRCs and ciphertexts made again), as a serial line brings them.
constexpr std::size_t kVariants = 16;

// Pulls every event the decoder has; returns the telegrams among them.
std::size_t drain(Decoder& dec, std::size_t& readings) {
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
void run(benchmark::State& state, const Case& c, meterlab::dlms::KeyRing keys,
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

const Case& kfm_plain() {
  static const Case c{samples::hdlc_plain_variants(samples::kfm_list3_plain(), kVariants),
                      InputTransport::hdlc, 1, 18};
  return c;
}
const Case& kfm_sc30() {
  static const Case c{samples::kfm_list3_ciphered_variants(0x30, kVariants), InputTransport::hdlc,
                      1, 18};
  return c;
}
const Case& ma309() {
  static const Case c{samples::ma309_variants(kVariants), InputTransport::mbus, 2, 15};
  return c;
}
const Case& aidon() {
  static const Case c{samples::hdlc_plain_variants(samples::aidon_list3(), kVariants),
                      InputTransport::hdlc, 1, 17};
  return c;
}

void kfm_list3_plain(benchmark::State& s) { run(s, kfm_plain(), {}); }
void kfm_list3_sc30(benchmark::State& s) { run(s, kfm_sc30(), samples::sample_keys()); }
void ma309_sc21(benchmark::State& s) { run(s, ma309(), samples::sample_keys()); }
void aidon_list3(benchmark::State& s) { run(s, aidon(), {}); }
void kfm_list3_plain_bytes(benchmark::State& s) { run(s, kfm_plain(), {}, 1); }
void kfm_list3_sc30_bytes(benchmark::State& s) { run(s, kfm_sc30(), samples::sample_keys(), 1); }
void ma309_sc21_bytes(benchmark::State& s) { run(s, ma309(), samples::sample_keys(), 1); }
void aidon_list3_bytes(benchmark::State& s) { run(s, aidon(), {}, 1); }
void kfm_list3_plain_walk(benchmark::State& s) { run(s, kfm_plain(), {}, 0, false); }
void kfm_list3_sc30_walk(benchmark::State& s) {
  run(s, kfm_sc30(), samples::sample_keys(), 0, false);
}
void ma309_sc21_walk(benchmark::State& s) { run(s, ma309(), samples::sample_keys(), 0, false); }
void aidon_list3_walk(benchmark::State& s) { run(s, aidon(), {}, 0, false); }

MLAB_BENCHMARK(pipeline, "Pipeline/KfmList3Plain/Hdlc_157B", kfm_list3_plain);
MLAB_BENCHMARK(pipeline, "Pipeline/KfmList3Sc30/Hdlc_186B", kfm_list3_sc30);
MLAB_BENCHMARK(pipeline, "Pipeline/Ma309Sc21/Mbus_376B_2seg", ma309_sc21);
MLAB_BENCHMARK(pipeline, "Pipeline/AidonList3Plain/Hdlc_377B", aidon_list3);
MLAB_BENCHMARK(pipeline, "Pipeline/KfmList3Plain/Hdlc_157B/ByteAtATime", kfm_list3_plain_bytes);
MLAB_BENCHMARK(pipeline, "Pipeline/KfmList3Sc30/Hdlc_186B/ByteAtATime", kfm_list3_sc30_bytes);
MLAB_BENCHMARK(pipeline, "Pipeline/Ma309Sc21/Mbus_376B_2seg/ByteAtATime", ma309_sc21_bytes);
MLAB_BENCHMARK(pipeline, "Pipeline/AidonList3Plain/Hdlc_377B/ByteAtATime", aidon_list3_bytes);
MLAB_BENCHMARK(pipeline, "Pipeline/KfmList3Plain/Hdlc_157B/NoShapeCache", kfm_list3_plain_walk);
MLAB_BENCHMARK(pipeline, "Pipeline/KfmList3Sc30/Hdlc_186B/NoShapeCache", kfm_list3_sc30_walk);
MLAB_BENCHMARK(pipeline, "Pipeline/Ma309Sc21/Mbus_376B_2seg/NoShapeCache", ma309_sc21_walk);
MLAB_BENCHMARK(pipeline, "Pipeline/AidonList3Plain/Hdlc_377B/NoShapeCache", aidon_list3_walk);

}  // namespace
