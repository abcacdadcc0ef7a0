// Per-call host overhead of a compiled function next to calling the same ATen ops directly, on
// small CPU tensors (so the ATen work is tiny and the difference is keraunos' overhead).
//   build/benchmarks/bench_overhead
// Target (issue #4): at most 2 us + 0.1 us per op above the direct calls.
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

#include <cstdio>

#include "keraunos/keraunos.h"
#include "summary.h"

namespace {

constexpr int kSmall = 4;

// n ops alternating mul/add/sub over two same-shaped tensors: each becomes exactly one ATen call.
std::vector<keraunos::Tensor> chain(const std::vector<keraunos::Tensor>& in, int n) {
  keraunos::Tensor x = in[0];
  for (int i = 0; i < n; ++i) {
    switch (i % 3) {
      case 0:
        x = keraunos::ops::mul(x, in[1]);
        break;
      case 1:
        x = keraunos::ops::add(x, in[1]);
        break;
      default:
        x = keraunos::ops::sub(x, in[1]);
        break;
    }
  }
  return {x};
}

at::Tensor direct(at::Tensor x, const at::Tensor& y, int n) {
  for (int i = 0; i < n; ++i) {
    switch (i % 3) {
      case 0:
        x = at::mul(x, y);
        break;
      case 1:
        x = at::add(x, y);
        break;
      default:
        x = at::sub(x, y);
        break;
    }
  }
  return x;
}

void BM_Eager(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  at::Tensor x = at::randn({kSmall}), y = at::randn({kSmall});
  for (auto _ : state) benchmark::DoNotOptimize(direct(x, y, n));
  state.counters["ops"] = n;
}

void BM_Keraunos(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  keraunos::JitOptions o;
  o.keep_traces = false;
  auto f = keraunos::jit([n](const std::vector<keraunos::Tensor>& in) { return chain(in, n); }, o);
  at::Tensor x = at::randn({kSmall}), y = at::randn({kSmall});
  std::vector<at::Tensor> inputs{x, y};
  auto first = f(inputs);
  if (!at::allclose(first[0], direct(x, y, n), 1e-5, 1e-6)) state.SkipWithError("result differs from ATen");
  for (auto _ : state) benchmark::DoNotOptimize(f(inputs));
  state.counters["ops"] = n;
}

BENCHMARK(BM_Eager)->Arg(1)->Arg(40)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Keraunos)->Arg(1)->Arg(40)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  keraunos::bench::SummaryReporter rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  std::printf("\nper-call host overhead (CPU time, keraunos minus direct ATen calls, same run):\n");
  for (int n : {1, 40}) {
    std::string e = "BM_Eager/" + std::to_string(n), k = "BM_Keraunos/" + std::to_string(n);
    if (!rep.cpu_us.count(e) || !rep.cpu_us.count(k)) continue;
    double over = rep.cpu_us[k] - rep.cpu_us[e];
    double target = 2.0 + 0.1 * n;
    std::printf("  %2d op(s): eager %.3f us, keraunos %.3f us, ratio %.2fx, overhead %.3f us (target <= %.1f us: %s)\n", n, rep.cpu_us[e],
                rep.cpu_us[k], rep.cpu_us[k] / rep.cpu_us[e], over, target, over <= target ? "met" : "MISSED");
  }
  benchmark::Shutdown();
  return 0;
}
