// Time to partition a 10,000-op trace in dataflow and consecutive modes (target: under 100 ms).
//   build/benchmarks/bench_partition
#include <benchmark/benchmark.h>

#include <random>

#include "ir/recorder.h"
#include "ops/builtins.h"
#include "passes/partition.h"
#include "summary.h"

#include <cstdio>

namespace {

using namespace keraunos;

// A transformer-like trace: runs of fusible elementwise ops between unfusible ones (prims.matmul),
// with skip connections, 10,000 bound symbols in all.
Trace make_trace(int n) {
  ops::register_builtins();
  Trace t;
  Recorder r(t);
  TensorType tt{{Dim::constant(8), Dim::constant(8)}, DType::Float32, Device::cpu(), false};
  Value x = Value::proxy(t.new_tensor(tt, "x"));
  t.inputs = {x.as_proxy()};
  std::mt19937 rng(7);
  std::vector<Value> recent{x};
  for (int i = 0; i < n; ++i) {
    Value a = recent[recent.size() - 1 - rng() % std::min<size_t>(recent.size(), 4)];
    Value out;
    switch (rng() % 10) {
      case 0:
        out = r.call1("prims.matmul", {a, recent.back()});
        break;
      case 1:
      case 2:
      case 3:
        out = r.call1("prims.add", {a, recent.back()});
        break;
      case 4:
      case 5:
        out = r.call1("prims.exp", {a});
        break;
      default:
        out = r.call1("prims.mul", {a, Value::floating(0.5)});
        break;
    }
    recent.push_back(out);
  }
  t.outputs = {recent.back()};
  return t;
}

bool fusible(const BoundSymbol& b) { return b.sym->id != "prims.matmul"; }

void BM_Partition(benchmark::State& state, PartitionMode mode) {
  Trace t = make_trace(static_cast<int>(state.range(0)));
  size_t groups = 0;
  for (auto _ : state) {
    auto g = partition(t, fusible, mode);
    groups = g.size();
    benchmark::DoNotOptimize(g);
  }
  state.counters["bsyms"] = static_cast<double>(t.bsyms.size());
  state.counters["groups"] = static_cast<double>(groups);
}

BENCHMARK_CAPTURE(BM_Partition, dataflow, PartitionMode::Dataflow)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Partition, consecutive, PartitionMode::Consecutive)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  keraunos::bench::SummaryReporter rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  for (const auto& [name, us] : rep.cpu_us)
    std::printf("%s: %.2f ms for 10,000 bound symbols (target < 100 ms: %s)\n", name.c_str(), us / 1000.0, us < 100000 ? "met" : "MISSED");
  benchmark::Shutdown();
  return 0;
}
