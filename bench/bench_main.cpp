// main() of meterlab_bench: Google Benchmark's flags, plus
//   --mlab_iterations=N   every benchmark runs exactly N iterations, once (ci/bench-gate counts
//                         the instructions of two such runs under callgrind).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench_registry.hpp"

namespace {

constexpr const char* kIterationsFlag = "--mlab_iterations=";

// Removes --mlab_iterations=N from argv; returns N (0 when absent).
benchmark::IterationCount take_iterations(int& argc, char** argv) {
  benchmark::IterationCount n = 0;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], kIterationsFlag, std::strlen(kIterationsFlag)) == 0) {
      n = std::strtoll(argv[i] + std::strlen(kIterationsFlag), nullptr, 10);
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  const benchmark::IterationCount iterations = take_iterations(argc, argv);
  auto entries = mlab_bench::registry();
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.group < b.group; });
  for (const auto& e : entries) {
    auto* b = benchmark::RegisterBenchmark(e.name, e.function);
    if (iterations > 0) b->Iterations(iterations);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
