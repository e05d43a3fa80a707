// The generic mapping (issue 16) against a layout, on one 30-value positional list: a structure
// of 30 double-long-unsigned values. "Layout" maps it with a positional layout of 30 numbers
// loaded from JSON, "Generic" with the generic mapping (no layout identifies it). Targets: the
// shape-cached generic body <= 1.3x the shape-cached layout; the generic walk (first sight of a
// shape) <= 2x the layout walk. "GenericOnly" maps it with a set that holds no layout: the
// generic walk alone, without trying the built-in layouts first (how much of "Generic" is the
// matching).
#include <string>
#include <vector>

#include "bench_registry.hpp"
#include "meterlab/axdr/axdr.hpp"
#include "meterlab/cosem/layout.hpp"
#include "meterlab/cosem/shape_cache.hpp"

namespace {

namespace cosem = meterlab::cosem;
constexpr int kValues = 30;

// The body (offset 0 of its own buffer): structure{30 x double-long-unsigned}.
const std::vector<std::uint8_t>& body() {
  static const std::vector<std::uint8_t> b = [] {
    std::vector<std::uint8_t> v{0x02, kValues};
    for (int i = 0; i < kValues; ++i) {
      v.insert(v.end(), {0x06, 0x00, 0x01, static_cast<std::uint8_t>(i), 0x10});
    }
    return v;
  }();
  return b;
}

const cosem::LayoutSet& positional_layout() {
  static const cosem::LayoutSet set = [] {
    std::string json = R"({"name": "bench_positional30", "mode": "positional",
                           "match": {"root": "structure"}, "elements": [)";
    for (int i = 0; i < kValues; ++i) {
      json += std::string(i ? "," : "") + R"({"obis": "1-0:)" + std::to_string(i + 1) +
              R"(.7.0.255", "unit": "W", "type": "number"})";
    }
    cosem::LayoutSet s;
    s.load_json(json + "]}");
    return s;
  }();
  return set;
}

const meterlab::axdr::Document& document() {
  static const meterlab::axdr::Document doc = [] {
    meterlab::axdr::Document d;
    (void)meterlab::axdr::parse(body(), d, 0);
    return d;
  }();
  return doc;
}

void walk(benchmark::State& state, const cosem::LayoutSet& set) {
  cosem::Telegram t;
  for (auto _ : state) {
    t.clear();
    if (!set.map(cosem::LayoutContext{&document(), 0}, t)) state.SkipWithError("no map");
    benchmark::DoNotOptimize(t.readings.data());
  }
  if (t.readings.size() != kValues) state.SkipWithError("not 30 readings");
  mlab_bench::set_counters(state, body().size());
}

void cached(benchmark::State& state, const cosem::LayoutSet& set) {
  cosem::Telegram t;
  cosem::MapTrace trace;
  if (!set.map(cosem::LayoutContext{&document(), 0, &trace}, t)) state.SkipWithError("no map");
  cosem::ShapeCache shapes;
  shapes.learn(body(), t, trace);
  for (auto _ : state) {
    t.clear();
    if (!shapes.map(body(), 0, t)) state.SkipWithError("no shape hit");
    benchmark::DoNotOptimize(t.readings.data());
  }
  mlab_bench::set_counters(state, body().size());
}

void layout_walk(benchmark::State& s) { walk(s, positional_layout()); }
void generic_walk(benchmark::State& s) { walk(s, cosem::LayoutSet::builtin()); }
void layout_cached(benchmark::State& s) { cached(s, positional_layout()); }
void generic_cached(benchmark::State& s) { cached(s, cosem::LayoutSet::builtin()); }
void generic_only(benchmark::State& s) {
  static const cosem::LayoutSet no_layouts;
  walk(s, no_layouts);
}

MLAB_BENCHMARK(layer, "Layer/LayoutMap/Positional30_Layout", layout_walk);
MLAB_BENCHMARK(layer, "Layer/LayoutMap/Positional30_Generic", generic_walk);
MLAB_BENCHMARK(layer, "Layer/LayoutMap/Positional30_GenericOnly", generic_only);
MLAB_BENCHMARK(layer, "Layer/ShapeCacheMap/Positional30_Layout", layout_cached);
MLAB_BENCHMARK(layer, "Layer/ShapeCacheMap/Positional30_Generic", generic_cached);

}  // namespace
