// ATen kernels for creation, random, matrix, indexing and miscellaneous prims.
#include <atomic>
#include <iostream>
#include <mutex>

#include <ATen/CPUGeneratorImpl.h>

#include "executors/torch/kernel.h"
#include "support/philox.h"

namespace keraunos::aten {
namespace {

using K = AtenKernel;

at::TensorOptions opts(const K& k, size_t device_arg, size_t dtype_arg) {
  return at::TensorOptions().dtype(k.Dt(dtype_arg)).device(k.Dev(device_arg));
}

void k_full(const K& k, ExecFrame& f) { k.out(f, 0, at::full(k.Ints(f, 0), k.S(f, 1), opts(k, 2, 3))); }
void k_empty(const K& k, ExecFrame& f) { k.out(f, 0, at::empty(k.Ints(f, 0), opts(k, 1, 2))); }

void k_iota(const K& k, ExecFrame& f) {
  int64_t n = k.Int(f, 0);
  c10::Scalar start = k.S(f, 1), step = k.S(f, 2);
  auto o = opts(k, 3, 4);
  if (start.isIntegral(false) && step.isIntegral(false) && at::isIntegralType(k.Dt(4), false)) {
    k.out(f, 0, at::arange(start.toLong(), start.toLong() + n * step.toLong(), step.toLong(), o).narrow(0, 0, n));
    return;
  }
  k.out(f, 0, (at::arange(n, o.dtype(at::kDouble)) * step.toDouble() + start.toDouble()).to(k.Dt(4)));
}

// Philox draws on the host (also for CUDA tensors: the fuser generates the same stream on device).
void k_uniform_philox(const K& k, ExecFrame& f) {
  auto shape = k.Ints(f, 0);
  uint64_t seed = static_cast<uint64_t>(k.Int(f, 1)), offset = static_cast<uint64_t>(k.Int(f, 2));
  double lo = k.F(f, 3), hi = k.F(f, 4);
  at::ScalarType dt = k.Dt(6);
  bool dbl = dt == at::kDouble;
  at::Tensor out = at::empty(shape, at::TensorOptions().dtype(dbl ? at::kDouble : at::kFloat));
  int64_t n = out.numel();
  if (dbl) {
    double* p = out.data_ptr<double>();
    for (int64_t i = 0; i < n; ++i) {
      uint64_t j = static_cast<uint64_t>(i);
      p[i] = lo + (hi - lo) * philox::to_unit_double(philox::bits(seed, offset, 2 * j), philox::bits(seed, offset, 2 * j + 1));
    }
  } else {
    float* p = out.data_ptr<float>();
    auto flo = static_cast<float>(lo), fspan = static_cast<float>(hi - lo);
    // float16/bfloat16 sample on their own grid (11 / 8 bits), so rounding never reaches maxval.
    int bits = dt == at::kHalf ? 11 : dt == at::kBFloat16 ? 8 : 24;
    float scale = 1.0f / static_cast<float>(1u << bits);
    for (int64_t i = 0; i < n; ++i)
      p[i] = flo + fspan * static_cast<float>(philox::bits(seed, offset, static_cast<uint64_t>(i)) >> (32 - bits)) * scale;
  }
  k.out(f, 0, out.to(at::TensorOptions().dtype(dt).device(k.Dev(5))));
}

// The generator state: torch's seed (so torch.manual_seed makes keraunos' draws reproducible) and
// an offset that advances by every draw, reset when the seed changes.
void k_rng_seed_offset(const K& k, ExecFrame& f) {
  static std::mutex mu;
  static uint64_t last_seed = 0, offset = 0;
  uint64_t seed = at::detail::getDefaultCPUGenerator().current_seed();
  uint64_t n = static_cast<uint64_t>(k.Int(f, 0));
  uint64_t my_offset;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (seed != last_seed) {
      last_seed = seed;
      offset = 0;
    }
    my_offset = offset;
    offset += (2 * n + 3) / 4 * 4;  // room for double draws (two words each), block aligned
  }
  k.out_number(f, 0, c10::Scalar(static_cast<int64_t>(seed & 0x7fffffffffffffffULL)));
  k.out_number(f, 1, c10::Scalar(static_cast<int64_t>(my_offset)));
}

void k_item(const K& k, ExecFrame& f) { k.out_number(f, 0, k.T(f, 0).item()); }
void k_print(const K& k, ExecFrame& f) {
  if (k.is_tensor(0))
    std::cout << k.T(f, 0) << std::endl;
  else
    std::cout << k.S(f, 0) << std::endl;
}
void k_device_put(const K& k, ExecFrame& f) { k.out(f, 0, k.T(f, 0).to(k.Dev(1))); }

void k_matmul(const K& k, ExecFrame& f) { k.out(f, 0, at::matmul(k.T(f, 0), k.T(f, 1))); }
void k_linear(const K& k, ExecFrame& f) {
  k.out(f, 0, at::linear(k.T(f, 0), k.T(f, 1), k.is_none(2) ? std::nullopt : std::optional<at::Tensor>(k.T(f, 2))));
}
void k_embedding(const K& k, ExecFrame& f) { k.out(f, 0, at::embedding(k.T(f, 1), k.T(f, 0))); }
void k_embedding_backward(const K& k, ExecFrame& f) {
  k.out(f, 0, at::embedding_backward(k.T(f, 0), k.T(f, 1), k.Int(f, 2), k.Int(f, 3), k.B(4), false));
}

void k_take(const K& k, ExecFrame& f) {
  const at::Tensor& a = k.T(f, 0);
  const at::Tensor& idx = k.T(f, 1);
  if (a.dim() == 0) {
    k.out(f, 0, a);
    return;
  }
  k.out(f, 0, at::index_select(a, k.Int(f, 2), idx.reshape({-1})));
}
// ATen's gather/scatter family wants int64 indices; the prims also take int32.
at::Tensor long_index(const at::Tensor& i) { return i.scalar_type() == at::kLong ? i : i.to(at::kLong); }

void k_gather(const K& k, ExecFrame& f) { k.out(f, 0, at::gather(k.T(f, 0), k.Int(f, 1), long_index(k.T(f, 2)))); }
void k_take_along_axis(const K& k, ExecFrame& f) { k.out(f, 0, at::take_along_dim(k.T(f, 0), long_index(k.T(f, 1)), k.Int(f, 2))); }
void k_scatter(const K& k, ExecFrame& f) {
  const at::Tensor& a = k.T(f, 0);
  if (k.is_tensor(3))
    k.out(f, 0, at::scatter(a, k.Int(f, 1), long_index(k.T(f, 2)), k.T(f, 3)));
  else
    k.out(f, 0, at::scatter(a, k.Int(f, 1), long_index(k.T(f, 2)), k.weak(f, 3, a.scalar_type())));
}
void k_scatter_add(const K& k, ExecFrame& f) { k.out(f, 0, at::scatter_add(k.T(f, 0), k.Int(f, 1), long_index(k.T(f, 2)), k.T(f, 3))); }
void k_index_add(const K& k, ExecFrame& f) { k.out(f, 0, at::index_add(k.T(f, 0), k.Int(f, 1), k.T(f, 2).reshape({-1}), k.T(f, 3))); }
void k_index_copy(const K& k, ExecFrame& f) { k.out(f, 0, at::index_copy(k.T(f, 0), k.Int(f, 1), k.T(f, 2).reshape({-1}), k.T(f, 3))); }
void k_index_put(const K& k, ExecFrame& f) {
  c10::List<std::optional<at::Tensor>> idx;
  for (const auto& t : k.Ts(f, 1)) idx.push_back(long_index(t));
  k.out(f, 0, at::index_put(k.T(f, 0), idx, k.T(f, 2), k.B(3)));
}

}  // namespace

void register_other_kernels(OperatorExecutor& ex) {
#define E(name) claim(ex, "prims." #name, k_##name)
  E(full);
  E(empty);
  E(iota);
  E(uniform_philox);
  E(rng_seed_offset);
  E(item);
  E(print);
  E(device_put);
  E(matmul);
  E(linear);
  E(embedding);
  E(embedding_backward);
  E(take);
  E(gather);
  E(take_along_axis);
  E(scatter);
  E(scatter_add);
  E(index_add);
  E(index_copy);
  E(index_put);
#undef E
}

}  // namespace keraunos::aten
