// The benchmarks register here rather than with BENCHMARK(), so that main() can give every one of
// them a fixed iteration count (--mlab_iterations=N) for the instruction-count gate.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace mlab_bench {

using Function = void (*)(benchmark::State&);

// Reported in this order: the reference points, the layers, the whole pipeline.
enum class Group : std::uint8_t { reference, layer, pipeline };

struct Entry {
  Group group;
  const char* name;
  Function function;
};

inline std::vector<Entry>& registry() {
  static std::vector<Entry> entries;
  return entries;
}

struct Registrar {
  Registrar(Group group, const char* name, Function function) {
    registry().push_back(Entry{group, name, function});
  }
};

// Frames/s and bytes/s, from the iterations run and the bytes (and frames) one iteration handles.
inline void set_counters(benchmark::State& state, std::size_t bytes, std::size_t frames = 1) {
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["bytes/s"] =
      benchmark::Counter(iterations * static_cast<double>(bytes), benchmark::Counter::kIsRate);
  state.counters["frames/s"] =
      benchmark::Counter(iterations * static_cast<double>(frames), benchmark::Counter::kIsRate);
}

}  // namespace mlab_bench

#define MLAB_BENCH_CONCAT_INNER(a, b) a##b
#define MLAB_BENCH_CONCAT(a, b) MLAB_BENCH_CONCAT_INNER(a, b)
#define MLAB_BENCHMARK(group, name, function)                                        \
  static const ::mlab_bench::Registrar MLAB_BENCH_CONCAT(mlab_registrar_, __LINE__)( \
      ::mlab_bench::Group::group, name, function)
