// Compiles and runs a small MLP and a causal attention block through keraunos' C++ API, checks them
// against ATen, and prints the execution trace and the placement report.
//   build/examples/mlp_attention
#include <ATen/ATen.h>

#include <cstdio>
#include <iostream>

#include "keraunos/keraunos.h"

using keraunos::Tensor;
namespace kops = keraunos::ops;

int main() {
  // MLP: linear -> gelu(tanh) -> linear
  auto mlp = keraunos::jit([](const std::vector<Tensor>& in) {
    Tensor h = kops::gelu(kops::linear(in[0], in[1], in[2]), "tanh");
    return std::vector<Tensor>{kops::linear(h, in[3], in[4])};
  });
  at::Tensor x = at::randn({8, 64}), w1 = at::randn({256, 64}) * 0.1, b1 = at::randn({256}), w2 = at::randn({64, 256}) * 0.1,
             b2 = at::randn({64});
  at::Tensor y = mlp({x, w1, b1, w2, b2})[0];
  at::Tensor y_ref = at::linear(at::gelu(at::linear(x, w1, b1), "tanh"), w2, b2);
  std::printf("MLP: max |keraunos - aten| = %.3g\n", (y - y_ref).abs().max().item<double>());

  // Attention block: pre-norm, q/k/v projections, causal SDPA, output projection, residual.
  const int64_t B = 2, T = 16, C = 64, H = 4;
  auto block = keraunos::jit([=](const std::vector<Tensor>& in) {
    Tensor xn = kops::layer_norm(in[0], {C}, in[1], in[2]);
    Tensor qkv = kops::linear(xn, in[3]);  // [B, T, 3C]
    std::vector<Tensor> parts = keraunos::call("torch.split", {qkv, int64_t{C}, int64_t{2}});
    auto heads = [&](const Tensor& t) { return kops::transpose(kops::reshape(t, {B, T, H, C / H}), 1, 2); };
    Tensor att = kops::scaled_dot_product_attention(heads(parts[0]), heads(parts[1]), heads(parts[2]), /*is_causal=*/true);
    Tensor merged = kops::reshape(kops::transpose(att, 1, 2), {B, T, C});
    return std::vector<Tensor>{kops::add(in[0], kops::linear(merged, in[4]))};
  });
  at::Tensor xb = at::randn({B, T, C}), g = at::randn({C}), bb = at::randn({C}), wqkv = at::randn({3 * C, C}) * 0.1,
             wo = at::randn({C, C}) * 0.1;
  at::Tensor out = block({xb, g, bb, wqkv, wo})[0];
  auto ref = [&] {
    at::Tensor xn = at::layer_norm(xb, {C}, g, bb);
    auto qkv = at::linear(xn, wqkv).split(C, 2);
    auto heads = [&](const at::Tensor& t) { return t.reshape({B, T, H, C / H}).transpose(1, 2); };
    at::Tensor att = at::scaled_dot_product_attention(heads(qkv[0]), heads(qkv[1]), heads(qkv[2]), {}, 0.0, true);
    return xb + at::linear(att.transpose(1, 2).reshape({B, T, C}), wo);
  }();
  std::printf("attention block: max |keraunos - aten| = %.3g\n", (out - ref).abs().max().item<double>());

  auto traces = block.last_traces();
  std::cout << "\nexecution trace of the attention block:\n" << traces.back().second;
  std::cout << "\nplacement: " << block.placement_summary() << "\n";
  auto info = block.cache_info();
  std::printf("cache: %llu miss, trace %.2f ms, passes %.2f ms, plan %.2f ms\n", static_cast<unsigned long long>(info.misses),
              info.trace_ms, info.passes_ms, info.plan_ms);
  bool ok = (y - y_ref).abs().max().item<double>() < 1e-4 && (out - ref).abs().max().item<double>() < 1e-4;
  return ok ? 0 : 1;
}
