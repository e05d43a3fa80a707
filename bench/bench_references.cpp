// Reference points in the same binary, so that ratios hold on a noisy machine: a memcpy of the
// frame, a byte-table CRC-16/X.25 over it, the bare loop of a byte-at-a-time reader, and Botan's
// AES-GCM / AES-CTR calls alone on the same ciphertext the pipeline decrypts (key set once, as the
// engine does).
#include <botan/aead.h>
#include <botan/stream_cipher.h>

#include <cstring>

#include "bench_registry.hpp"
#include "botan_gcm_call.hpp"
#include "meterlab/core/crc.hpp"
#include "meterlab/dlms/apdu.hpp"
#include "meterlab/testing/sample_frames.hpp"
#include "p1_samples.hpp"

namespace {

using meterlab::Bytes;
using meterlab::samples::Buf;

const Buf& kfm_plain() {
  static const Buf frame = meterlab::samples::kfm_list3_plain();
  return frame;
}

void memcpy_frame(benchmark::State& state) {
  const Buf& frame = kfm_plain();
  Buf copy(frame.size());
  for (auto _ : state) {
    benchmark::DoNotOptimize(frame.data());
    std::memcpy(copy.data(), frame.data(), frame.size());
    benchmark::ClobberMemory();
  }
  mlab_bench::set_counters(state, frame.size());
}
MLAB_BENCHMARK(reference, "Ref/Memcpy/KfmList3_157B", memcpy_frame);

void crc_byte_table(benchmark::State& state) {
  const Buf& frame = kfm_plain();
  for (auto _ : state) benchmark::DoNotOptimize(meterlab::crc16_x25_bytewise(frame));
  mlab_bench::set_counters(state, frame.size());
}
MLAB_BENCHMARK(reference, "Ref/Crc16X25ByteTable/KfmList3_157B", crc_byte_table);

// The least a decoder fed one byte at a time must do for each byte, whatever its design: store
// the byte behind the buffered ones, move the end, and compare the end with where the frame being
// received ends (`mark`, never reached here). The buffer, the end and the mark stay in registers,
// which no decoder keeps across calls can do, so the pipeline's byte-at-a-time figure can only be
// above whole buffer + this. The byte values do not matter; the count does (the samples' sizes).
void byte_loop(benchmark::State& state, const Buf& stream) {
  Buf buffer(stream.size());
  std::size_t mark = ~std::size_t{0};
  for (auto _ : state) {
    std::uint8_t* out = buffer.data();
    std::size_t end = 0;
    benchmark::DoNotOptimize(mark);  // unknown to the compiler: the test stays in the loop
    for (const std::uint8_t byte : stream) {
      out[end++] = byte;
      if (end == mark) benchmark::DoNotOptimize(end);
    }
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
  }
  mlab_bench::set_counters(state, stream.size());
}
// The same loop with the buffer, the end and the mark in an object the loop reaches through a
// pointer, and a call out of line where a frame ends: the least a decoder that keeps its state
// between calls must do a byte. The compiler cannot know what that call changes, so it loads the
// end and the mark from the object and stores the end back on every byte, as it must for a
// Decoder's push() and next(). (Octets are not a character type: the byte store alone would not
// force the reloads; StreamBuffer stores the same type.)
enum class Octet : std::uint8_t {};
struct Receiving {
  Octet* out;
  std::size_t end;
  std::size_t mark;
};
[[gnu::noinline]] void frame_ends(Receiving& r) { benchmark::DoNotOptimize(r); }
void byte_loop_object(benchmark::State& state, const Buf& stream) {
  std::vector<Octet> buffer(stream.size());
  Receiving receiving{buffer.data(), 0, ~std::size_t{0}};
  Receiving* r = &receiving;
  for (auto _ : state) {
    benchmark::DoNotOptimize(r);
    r->end = 0;
    for (const std::uint8_t byte : stream) {
      r->out[r->end++] = static_cast<Octet>(byte);
      if (r->end == r->mark) frame_ends(*r);
    }
    benchmark::ClobberMemory();
  }
  mlab_bench::set_counters(state, stream.size());
}

// The byte streams of the four byte-at-a-time pipeline benchmarks (one telegram each).
const Buf& kfm_sc30_stream() {
  static const Buf stream = meterlab::samples::kfm_list3_sc30();
  return stream;
}
const Buf& ma309_stream() {
  static const Buf stream = meterlab::samples::ma309_telegram();
  return stream;
}
const Buf& aidon_stream() {
  static const Buf stream = meterlab::samples::aidon_list3();
  return stream;
}

const Buf& dsmr5_stream() { return mlab_bench::p1::dsmr5_telegram(); }

void loop_kfm(benchmark::State& s) { byte_loop(s, kfm_plain()); }
void loop_kfm_sc30(benchmark::State& s) { byte_loop(s, kfm_sc30_stream()); }
void loop_ma309(benchmark::State& s) { byte_loop(s, ma309_stream()); }
void loop_aidon(benchmark::State& s) { byte_loop(s, aidon_stream()); }
void loop_dsmr5(benchmark::State& s) { byte_loop(s, dsmr5_stream()); }
void object_kfm(benchmark::State& s) { byte_loop_object(s, kfm_plain()); }
void object_kfm_sc30(benchmark::State& s) { byte_loop_object(s, kfm_sc30_stream()); }
void object_ma309(benchmark::State& s) { byte_loop_object(s, ma309_stream()); }
void object_aidon(benchmark::State& s) { byte_loop_object(s, aidon_stream()); }
MLAB_BENCHMARK(reference, "Ref/ByteLoop/KfmList3_157B", loop_kfm);
MLAB_BENCHMARK(reference, "Ref/ByteLoop/KfmList3Sc30_186B", loop_kfm_sc30);
MLAB_BENCHMARK(reference, "Ref/ByteLoop/Ma309Sc21_376B", loop_ma309);
MLAB_BENCHMARK(reference, "Ref/ByteLoop/AidonList3_377B", loop_aidon);
void object_dsmr5(benchmark::State& s) { byte_loop_object(s, dsmr5_stream()); }
MLAB_BENCHMARK(reference, "Ref/ByteLoop/P1Dsmr5_890B", loop_dsmr5);
MLAB_BENCHMARK(reference, "Ref/ByteLoopObject/KfmList3_157B", object_kfm);
MLAB_BENCHMARK(reference, "Ref/ByteLoopObject/KfmList3Sc30_186B", object_kfm_sc30);
MLAB_BENCHMARK(reference, "Ref/ByteLoopObject/Ma309Sc21_376B", object_ma309);
MLAB_BENCHMARK(reference, "Ref/ByteLoopObject/AidonList3_377B", object_aidon);
MLAB_BENCHMARK(reference, "Ref/ByteLoopObject/P1Dsmr5_890B", object_dsmr5);

// Botan's GCM decrypt+verify alone of the general-glo-ciphering APDU `apdu` (bench keys).
void botan_gcm(benchmark::State& state, const Buf& apdu) {
  mlab_bench::BotanGcmCall call(apdu);
  for (auto _ : state) benchmark::DoNotOptimize(call());
  mlab_bench::set_counters(state, call.ciphertext_size());
}
void botan_gcm_kfm(benchmark::State& s) { botan_gcm(s, meterlab::samples::kfm_list3_glo(0x30)); }
// The Smarty P1 frame of Pipeline/P1SmartySc30 (variant 0): 681 bytes of ciphertext.
void botan_gcm_smarty(benchmark::State& s) { botan_gcm(s, mlab_bench::p1::smarty_variants(1)[0]); }
MLAB_BENCHMARK(reference, "Ref/BotanGcmDecrypt/KfmList3Sc30_142B", botan_gcm_kfm);
MLAB_BENCHMARK(reference, "Ref/BotanGcmDecrypt/SmartySc30_681B", botan_gcm_smarty);

// AES-CTR from counter block IV || 00000002: the GCM keystream of an SC 0x21 APDU, no tag.
void botan_ctr(benchmark::State& state) {
  using namespace meterlab::samples;
  const Buf apdu = glo_ciphered(0x21, kMa309Title, kMa309Counter, ma309_notification());
  const auto c = *meterlab::dlms::parsed(meterlab::dlms::parse_ciphered, apdu);
  auto ctr = Botan::StreamCipher::create_or_throw("CTR-BE(AES-128)");
  ctr->set_key(kBenchEk.data(), kBenchEk.size());
  std::array<std::uint8_t, 16> counter{};
  const auto iv = mlab_bench::gcm_iv(c);
  std::copy(iv.begin(), iv.end(), counter.begin());
  counter[15] = 2;
  Buf out(c.ciphertext.size());
  for (auto _ : state) {
    ctr->set_iv(counter.data(), counter.size());
    ctr->cipher(c.ciphertext.data(), out.data(), c.ciphertext.size());
    benchmark::DoNotOptimize(out.data());
  }
  mlab_bench::set_counters(state, c.ciphertext.size());
}
MLAB_BENCHMARK(reference, "Ref/BotanCtrDecrypt/Ma309Sc21_336B", botan_ctr);

}  // namespace
