// The whole pipeline, bytes to a Telegram with mapped readings, through one long-lived Decoder
// as on a serial line: framer, reassembly, security, APDU, A-XDR, layout. Inputs are prepared
// before the timed loop; every telegram is counted and checked after it.
#include "bench_registry.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/testing/sample_frames.hpp"
#include "pipeline_run.hpp"

namespace {

using meterlab::InputTransport;
namespace samples = meterlab::samples;

using mlab_bench::Case;
using mlab_bench::run;

// Each benchmark cycles through this many telegrams of its meter (sample_frames.hpp variants:
// numbers and clock changed, CRCs and ciphertexts made again), as a serial line brings them.
constexpr std::size_t kVariants = 16;

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
