// ATen kernels for creation, random, matrix, indexing and miscellaneous prims.
#include <atomic>
#include <iostream>
#include <mutex>

#include <ATen/CPUGeneratorImpl.h>

#include "executors/torch/kernel.h"
#include "ops/prims/prims.h"
#include "support/philox.h"

namespace keraunos::aten {
namespace {

using K = AtenKernel;

at::TensorOptions opts(const K& k, size_t device, size_t dtype) { return at::TensorOptions().dtype(k.Dt(dtype)).device(k.Dev(device)); }

KERAUNOS_ATEN_KERNEL(k_full, shape, fill_value, device, dtype) {
  k.out(f, 0, at::full(k.Ints(f, shape), k.S(f, fill_value), opts(k, device, dtype)));
}
KERAUNOS_ATEN_KERNEL(k_empty, shape, device, dtype) { k.out(f, 0, at::empty(k.Ints(f, shape), opts(k, device, dtype))); }

KERAUNOS_ATEN_KERNEL(k_iota, length, start, step, device, dtype) {
  int64_t n = k.Int(f, length);
  c10::Scalar first = k.S(f, start), delta = k.S(f, step);
  auto o = opts(k, device, dtype);
  if (first.isIntegral(false) && delta.isIntegral(false) && at::isIntegralType(k.Dt(dtype), false)) {
    k.out(f, 0, at::arange(first.toLong(), first.toLong() + n * delta.toLong(), delta.toLong(), o).narrow(0, 0, n));
    return;
  }
  k.out(f, 0, (at::arange(n, o.dtype(at::kDouble)) * delta.toDouble() + first.toDouble()).to(k.Dt(dtype)));
}

// Philox draws on the host (also for CUDA tensors: the fuser generates the same stream on device).
KERAUNOS_ATEN_KERNEL(k_uniform_philox, shape, seed, offset, minval, maxval, device, dtype) {
  auto sizes = k.Ints(f, shape);
  uint64_t key = static_cast<uint64_t>(k.Int(f, seed)), counter = static_cast<uint64_t>(k.Int(f, offset));
  double lo = k.F(f, minval), hi = k.F(f, maxval);
  at::ScalarType dt = k.Dt(dtype);
  bool dbl = dt == at::kDouble;
  at::Tensor out = at::empty(sizes, at::TensorOptions().dtype(dbl ? at::kDouble : at::kFloat));
  int64_t n = out.numel();
  if (dbl) {
    double* p = out.data_ptr<double>();
    for (int64_t i = 0; i < n; ++i) {
      uint64_t j = static_cast<uint64_t>(i);
      p[i] = lo + (hi - lo) * philox::to_unit_double(philox::bits(key, counter, 2 * j), philox::bits(key, counter, 2 * j + 1));
    }
  } else {
    float* p = out.data_ptr<float>();
    auto flo = static_cast<float>(lo), fspan = static_cast<float>(hi - lo);
    // float16/bfloat16 sample on their own grid (11 / 8 bits), so rounding never reaches maxval.
    int bits = dt == at::kHalf ? 11 : dt == at::kBFloat16 ? 8 : 24;
    float scale = 1.0f / static_cast<float>(1u << bits);
    for (int64_t i = 0; i < n; ++i)
      p[i] = flo + fspan * static_cast<float>(philox::bits(key, counter, static_cast<uint64_t>(i)) >> (32 - bits)) * scale;
  }
  k.out(f, 0, out.to(at::TensorOptions().dtype(dt).device(k.Dev(device))));
}

// The generator state: torch's seed (so torch.manual_seed makes keraunos' draws reproducible) and
// an offset that advances by every draw, reset when the seed changes.
KERAUNOS_ATEN_KERNEL(k_rng_seed_offset, numel) {
  static std::mutex mu;
  static uint64_t last_seed = 0, next_offset = 0;
  uint64_t seed = at::detail::getDefaultCPUGenerator().current_seed();
  uint64_t n = static_cast<uint64_t>(k.Int(f, numel));
  uint64_t my_offset;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (seed != last_seed) {
      last_seed = seed;
      next_offset = 0;
    }
    my_offset = next_offset;
    next_offset += (2 * n + 3) / 4 * 4;  // room for double draws (two words each), block aligned
  }
  k.out_number(f, 0, c10::Scalar(static_cast<int64_t>(seed & 0x7fffffffffffffffULL)));
  k.out_number(f, 1, c10::Scalar(static_cast<int64_t>(my_offset)));
}

KERAUNOS_ATEN_KERNEL(k_item, a) { k.out_number(f, 0, k.T(f, a).item()); }
KERAUNOS_ATEN_KERNEL(k_print, a) {
  if (k.is_tensor(a))
    std::cout << k.T(f, a) << std::endl;
  else
    std::cout << k.S(f, a) << std::endl;
}
KERAUNOS_ATEN_KERNEL(k_device_put, a, device) { k.out(f, 0, k.T(f, a).to(k.Dev(device))); }

KERAUNOS_ATEN_KERNEL(k_matmul, a, b) { k.out(f, 0, at::matmul(k.T(f, a), k.T(f, b))); }
KERAUNOS_ATEN_KERNEL(k_linear, a, w, bias) { k.out(f, 0, at::linear(k.T(f, a), k.T(f, w), k.OptTensor(f, bias))); }
KERAUNOS_ATEN_KERNEL(k_embedding, indices, weight) { k.out(f, 0, at::embedding(k.T(f, weight), k.T(f, indices))); }
KERAUNOS_ATEN_KERNEL(k_embedding_backward, grad, indices, num_weights, padding_idx, scale_grad_by_freq) {
  k.out(f, 0,
        at::embedding_backward(k.T(f, grad), k.T(f, indices), k.Int(f, num_weights), k.Int(f, padding_idx), k.B(scale_grad_by_freq),
                               /*sparse=*/false));
}

KERAUNOS_ATEN_KERNEL(k_take, a, index, dim) {
  const at::Tensor& x = k.T(f, a);
  if (x.dim() == 0) {
    k.out(f, 0, x);
    return;
  }
  k.out(f, 0, at::index_select(x, k.Int(f, dim), k.T(f, index).reshape({-1})));
}
// ATen's gather/scatter family wants int64 indices; the prims also take int32.
at::Tensor long_index(const at::Tensor& i) { return i.scalar_type() == at::kLong ? i : i.to(at::kLong); }

KERAUNOS_ATEN_KERNEL(k_gather, a, dim, index) { k.out(f, 0, at::gather(k.T(f, a), k.Int(f, dim), long_index(k.T(f, index)))); }
KERAUNOS_ATEN_KERNEL(k_take_along_axis, a, index, dim) {
  k.out(f, 0, at::take_along_dim(k.T(f, a), long_index(k.T(f, index)), k.Int(f, dim)));
}
KERAUNOS_ATEN_KERNEL(k_scatter, a, dim, index, src) {
  const at::Tensor& x = k.T(f, a);
  if (k.is_tensor(src))
    k.out(f, 0, at::scatter(x, k.Int(f, dim), long_index(k.T(f, index)), k.T(f, src)));
  else
    k.out(f, 0, at::scatter(x, k.Int(f, dim), long_index(k.T(f, index)), k.weak(f, src, x.scalar_type())));
}
KERAUNOS_ATEN_KERNEL(k_scatter_add, a, dim, index, src) {
  k.out(f, 0, at::scatter_add(k.T(f, a), k.Int(f, dim), long_index(k.T(f, index)), k.T(f, src)));
}
KERAUNOS_ATEN_KERNEL(k_index_add, a, dim, index, source) {
  k.out(f, 0, at::index_add(k.T(f, a), k.Int(f, dim), k.T(f, index).reshape({-1}), k.T(f, source)));
}
KERAUNOS_ATEN_KERNEL(k_index_copy, a, dim, index, source) {
  k.out(f, 0, at::index_copy(k.T(f, a), k.Int(f, dim), k.T(f, index).reshape({-1}), k.T(f, source)));
}
KERAUNOS_ATEN_KERNEL(k_index_put, a, indices, values, accumulate) {
  c10::List<std::optional<at::Tensor>> idx;
  for (const auto& t : k.Ts(f, indices)) idx.push_back(long_index(t));
  k.out(f, 0, at::index_put(k.T(f, a), idx, k.T(f, values), k.B(accumulate)));
}

}  // namespace

void register_other_kernels(OperatorExecutor& ex) {
#define E(name) claim(ex, ops::prim_symbol(ops::PrimId::name).id, k_##name)
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
