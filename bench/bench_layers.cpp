// One layer at a time, on the bytes that layer sees when the KFM_001 list-3 frame (or the
// 376-byte MA309 telegram) goes through the pipeline.
#include <string>

#include "bench_registry.hpp"
#include "meterlab/axdr/axdr.hpp"
#include "meterlab/core/crc.hpp"
#include "meterlab/decoder/decoder.hpp"
#include "meterlab/decoder/json.hpp"
#include "meterlab/dlms/apdu.hpp"
#include "meterlab/mbus/framer.hpp"
#include "meterlab/testing/sample_frames.hpp"

namespace {

using meterlab::Bytes;
using meterlab::samples::Buf;
namespace samples = meterlab::samples;

const Buf& kfm_plain() {
  static const Buf frame = samples::kfm_list3_plain();
  return frame;
}

// The engine's CRC: carry-less multiplication folding where the CPU has it, else slice-by-8.
void crc_engine(benchmark::State& state) {
  const Buf& frame = kfm_plain();
  for (auto _ : state) benchmark::DoNotOptimize(meterlab::crc16_x25(frame));
  mlab_bench::set_counters(state, frame.size());
}
MLAB_BENCHMARK(layer, "Layer/Crc16X25/KfmList3_157B", crc_engine);

// Framer: flag hunt, header, HCS, closing flag and FCS; the frame is handed out in place.
void hdlc_framer(benchmark::State& state) {
  const Buf& frame = kfm_plain();
  meterlab::hdlc::Framer framer;
  std::size_t info = 0;
  for (auto _ : state) {
    framer.push(frame);
    for (auto ev = framer.next(); ev.kind != meterlab::hdlc::Event::Kind::need_more;
         ev = framer.next()) {
      info += ev.frame.info.size();
    }
  }
  benchmark::DoNotOptimize(info);
  if (framer.stats().frames_ok != static_cast<std::uint64_t>(state.iterations())) {
    state.SkipWithError("a frame was rejected");
  }
  mlab_bench::set_counters(state, frame.size());
}
MLAB_BENCHMARK(layer, "Layer/HdlcFramer/KfmList3_157B", hdlc_framer);

// Framer (checksum, stop byte) and the DLMS transport reassembly of two segments.
void mbus_framer(benchmark::State& state) {
  static const Buf telegram = samples::ma309_telegram();
  meterlab::mbus::Framer framer;
  meterlab::mbus::Reassembler segments;
  std::size_t messages = 0;
  for (auto _ : state) {
    framer.push(telegram);
    for (auto ev = framer.next(); ev.kind != meterlab::mbus::Event::Kind::need_more;
         ev = framer.next()) {
      auto done = segments.push(ev.frame);
      if (done && *done && !segments.message().apdu.empty()) ++messages;
    }
  }
  if (messages != static_cast<std::size_t>(state.iterations())) {
    state.SkipWithError("a message was not reassembled");
  }
  mlab_bench::set_counters(state, telegram.size(), 2);
}
MLAB_BENCHMARK(layer, "Layer/MbusFramerReassembly/Ma309_376B_2seg", mbus_framer);

// dlms::decrypt on the KFM_001 notification sent ciphered with security control `sc`.
void gcm_decrypt(benchmark::State& state, std::uint8_t sc) {
  const Buf apdu = samples::kfm_list3_glo(sc);
  const auto c = *meterlab::dlms::parsed(meterlab::dlms::parse_ciphered, apdu);
  const meterlab::dlms::KeyRing keys = samples::sample_keys();
  std::vector<std::uint8_t> out;
  for (auto _ : state) {
    auto d = meterlab::dlms::decrypt(c, keys, out);
    if (!d) state.SkipWithError("decryption failed");
    benchmark::DoNotOptimize(out.data());
  }
  mlab_bench::set_counters(state, c.ciphertext.size());
}
void gcm_tagged(benchmark::State& state) { gcm_decrypt(state, 0x30); }
void gcm_untagged(benchmark::State& state) { gcm_decrypt(state, 0x20); }
MLAB_BENCHMARK(layer, "Layer/GcmDecryptWithTag/KfmList3Sc30_142B", gcm_tagged);
MLAB_BENCHMARK(layer, "Layer/GcmDecryptNoTag/KfmList3Sc20_142B", gcm_untagged);

struct Body {
  Buf apdu;
  meterlab::dlms::DataNotification dn;
};

const Body& kfm_body() {
  static const Body body = [] {
    Body b{samples::kfm_list3_apdu(), {}};
    b.dn = *meterlab::dlms::parsed(meterlab::dlms::parse_data_notification, b.apdu);
    return b;
  }();
  return body;
}

void axdr_parse(benchmark::State& state) {
  const Body& b = kfm_body();
  meterlab::axdr::Document doc;
  for (auto _ : state) {
    auto used = meterlab::axdr::parse(b.dn.body, doc, b.dn.body_offset);
    benchmark::DoNotOptimize(used);
  }
  mlab_bench::set_counters(state, b.dn.body.size());
}
MLAB_BENCHMARK(layer, "Layer/AxdrParse/KfmList3_123B", axdr_parse);

void layout_map(benchmark::State& state) {
  const Body& b = kfm_body();
  meterlab::axdr::Document doc;
  (void)meterlab::axdr::parse(b.dn.body, doc, b.dn.body_offset);
  const auto& layouts = meterlab::cosem::LayoutSet::builtin();
  meterlab::cosem::Telegram t;
  for (auto _ : state) {
    t.clear();
    auto r = layouts.map(meterlab::cosem::LayoutContext{&doc, b.dn.body_offset}, t);
    if (!r) state.SkipWithError("the body did not map");
    benchmark::DoNotOptimize(t.readings.data());
  }
  mlab_bench::set_counters(state, b.dn.body.size());
}
MLAB_BENCHMARK(layer, "Layer/LayoutMap/KfmList3_18readings", layout_map);

// The same body through a shape cache that learned its shape from the walk above: the masked
// compare and the values read in place (what Decoder does from the second telegram of a list).
void shape_cache_map(benchmark::State& state) {
  const Body& b = kfm_body();
  meterlab::axdr::Document doc;
  (void)meterlab::axdr::parse(b.dn.body, doc, b.dn.body_offset);
  meterlab::cosem::Telegram t;
  meterlab::cosem::MapTrace trace;
  auto r = meterlab::cosem::LayoutSet::builtin().map(
      meterlab::cosem::LayoutContext{&doc, b.dn.body_offset, &trace}, t);
  if (!r) state.SkipWithError("the body did not map");
  meterlab::cosem::ShapeCache shapes;
  shapes.learn(b.dn.body, t, trace);
  for (auto _ : state) {
    t.clear();
    if (!shapes.map(b.dn.body, b.dn.body_offset, t)) state.SkipWithError("no shape hit");
    benchmark::DoNotOptimize(t.readings.data());
  }
  mlab_bench::set_counters(state, b.dn.body.size());
}
MLAB_BENCHMARK(layer, "Layer/ShapeCacheMap/KfmList3_18readings", shape_cache_map);

// One JSON line for the decoded KFM_001 list-3 telegram, into a reused string.
void json_line(benchmark::State& state) {
  meterlab::Decoder dec(meterlab::InputTransport::hdlc);
  dec.push(kfm_plain());
  if (dec.next() != meterlab::Decoder::Event::telegram) {
    state.SkipWithError("the frame did not decode");
    return;
  }
  const meterlab::cosem::Telegram& t = dec.telegram();
  std::string line;
  for (auto _ : state) {
    line.clear();
    meterlab::append_json(t, line);
    benchmark::DoNotOptimize(line.data());
  }
  mlab_bench::set_counters(state, line.size());
}
MLAB_BENCHMARK(layer, "Layer/JsonLine/KfmList3_18readings", json_line);

}  // namespace
