// ATen kernels for shape prims, reductions, scans and sorting.
#include "executors/torch/kernel.h"
#include "ops/prims/prims.h"

namespace keraunos::aten {
namespace {

using K = AtenKernel;

KERAUNOS_ATEN_KERNEL(k_broadcast_in_dim, a, shape, broadcast_dimensions) {
  const at::Tensor& x = k.T(f, a);
  auto sizes = k.Ints(f, shape);
  auto bdims = k.Ints(f, broadcast_dimensions);
  std::vector<int64_t> view(sizes.size(), 1);
  for (size_t i = 0; i < bdims.size(); ++i) view[static_cast<size_t>(bdims[i])] = x.size(static_cast<int64_t>(i));
  k.out(f, 0, x.reshape(view).expand(sizes));
}

KERAUNOS_ATEN_KERNEL(k_reshape, a, shape) { k.out(f, 0, k.T(f, a).reshape(k.Ints(f, shape))); }
KERAUNOS_ATEN_KERNEL(k_transpose, a, permutation) { k.out(f, 0, k.T(f, a).permute(k.Ints(f, permutation))); }

KERAUNOS_ATEN_KERNEL(k_slice, a, start_indices, end_indices, strides) {
  at::Tensor x = k.T(f, a);
  auto start = k.Ints(f, start_indices), end = k.Ints(f, end_indices);
  std::vector<int64_t> step = k.is_none(strides) ? std::vector<int64_t>(start.size(), 1) : k.Ints(f, strides);
  for (size_t d = 0; d < start.size(); ++d)
    if (start[d] != 0 || end[d] != x.size(static_cast<int64_t>(d)) || step[d] != 1)
      x = x.slice(static_cast<int64_t>(d), start[d], end[d], step[d]);
  k.out(f, 0, x);
}

KERAUNOS_ATEN_KERNEL(k_squeeze, a, dims) {
  auto d = k.Ints(f, dims);
  k.out(f, 0, d.empty() ? k.T(f, a) : k.T(f, a).squeeze(d));
}

KERAUNOS_ATEN_KERNEL(k_cat, tensors, dim) { k.out(f, 0, at::cat(k.Ts(f, tensors), k.Int(f, dim))); }

KERAUNOS_ATEN_KERNEL(k_pad, a, padding_value, padding_config) {
  const at::Tensor& x = k.T(f, a);
  const auto& cfg = k.lit(padding_config).as_tuple();
  bool interior = false;
  std::vector<int64_t> lo, hi, it;
  for (const auto& c : cfg) {
    auto v = c.as_ints();
    lo.push_back(v[0]);
    hi.push_back(v[1]);
    it.push_back(v[2]);
    interior |= v[2] != 0;
  }
  c10::Scalar value = k.weak(f, padding_value, x.scalar_type());
  if (!interior) {
    std::vector<int64_t> pads;  // constant_pad_nd wants (last_lo, last_hi, ...)
    for (size_t d = lo.size(); d-- > 0;) {
      pads.push_back(lo[d]);
      pads.push_back(hi[d]);
    }
    k.out(f, 0, at::constant_pad_nd(x, pads, value));
    return;
  }
  // Interior padding: spread the input over a larger buffer, then apply the edge padding.
  std::vector<int64_t> spread_shape;
  for (int64_t d = 0; d < x.dim(); ++d)
    spread_shape.push_back(x.size(d) == 0 ? 0 : x.size(d) + (x.size(d) - 1) * it[static_cast<size_t>(d)]);
  at::Tensor spread = at::full(spread_shape, value, x.options());
  at::Tensor view = spread;
  for (int64_t d = 0; d < x.dim(); ++d) view = view.slice(d, 0, spread_shape[static_cast<size_t>(d)], it[static_cast<size_t>(d)] + 1);
  view.copy_(x);
  std::vector<int64_t> pads;
  for (size_t d = lo.size(); d-- > 0;) {
    pads.push_back(lo[d]);
    pads.push_back(hi[d]);
  }
  k.out(f, 0, at::constant_pad_nd(spread, pads, value));
}

KERAUNOS_ATEN_KERNEL(k_flip, a, dims) { k.out(f, 0, at::flip(k.T(f, a), k.Ints(f, dims))); }
KERAUNOS_ATEN_KERNEL(k_shallow_copy, a) { k.out(f, 0, k.T(f, a)); }

// Reductions over explicit dims; no dims is the identity (ATen would reduce everything).
#define KERAUNOS_REDUCE(name, expr)         \
  KERAUNOS_ATEN_KERNEL(k_##name, a, dims) { \
    const at::Tensor& x = k.T(f, a);        \
    auto d = k.Ints(f, dims);               \
    if (d.empty()) {                        \
      k.out(f, 0, x);                       \
      return;                               \
    }                                       \
    k.out(f, 0, expr);                      \
  }
KERAUNOS_REDUCE(sum, at::sum(x, d))
KERAUNOS_REDUCE(amax, at::amax(x, d))
KERAUNOS_REDUCE(amin, at::amin(x, d))

KERAUNOS_ATEN_KERNEL(k_prod, a, dims) {
  at::Tensor x = k.T(f, a);
  auto ds = k.Ints(f, dims);
  std::sort(ds.begin(), ds.end(), std::greater<int64_t>());
  for (int64_t d : ds) x = at::prod(x, d);
  k.out(f, 0, x);
}

KERAUNOS_ATEN_KERNEL(k_var, a, dims, correction) {
  const at::Tensor& x = k.T(f, a);
  auto d = k.Ints(f, dims);
  if (d.empty()) {  // the variance of single elements
    k.out(f, 0, at::var(x.unsqueeze(0), std::vector<int64_t>{0}, k.S(f, correction), false));
    return;
  }
  k.out(f, 0, at::var(x, d, k.S(f, correction), false));
}

KERAUNOS_ATEN_KERNEL(k_var_mean, a, dims, correction) {
  const at::Tensor& x = k.T(f, a);
  auto d = k.Ints(f, dims);
  if (d.empty()) {
    auto [v, m] = at::var_mean(x.unsqueeze(0), std::vector<int64_t>{0}, k.S(f, correction), false);
    k.out(f, 0, v);
    k.out(f, 1, x);
    return;
  }
  auto [v, m] = at::var_mean(x, d, k.S(f, correction), false);
  k.out(f, 0, v);
  k.out(f, 1, m);
}

KERAUNOS_ATEN_KERNEL(k_argmax, a, dim) { k.out(f, 0, at::argmax(k.T(f, a), k.OptInt(f, dim))); }
KERAUNOS_ATEN_KERNEL(k_argmin, a, dim) { k.out(f, 0, at::argmin(k.T(f, a), k.OptInt(f, dim))); }
KERAUNOS_ATEN_KERNEL(k_cumsum, a, dim) { k.out(f, 0, at::cumsum(k.T(f, a), k.Int(f, dim), k.out_dtype(0))); }
KERAUNOS_ATEN_KERNEL(k_cumprod, a, dim) { k.out(f, 0, at::cumprod(k.T(f, a), k.Int(f, dim), k.out_dtype(0))); }

// `k` is the kernel here; the prim's parameter k is Param::k.
KERAUNOS_ATEN_KERNEL(k_topk, a, k, dim, largest, sorted) {
  auto [v, i] = at::topk(k.T(f, a), k.Int(f, Param::k), k.Int(f, dim), k.B(largest), k.B(sorted));
  k.out(f, 0, v);
  k.out(f, 1, i);
}

KERAUNOS_ATEN_KERNEL(k_sort, a, dim, descending, stable) {
  auto [v, i] = at::sort(k.T(f, a), std::optional<bool>(k.B(stable)), k.Int(f, dim), k.B(descending));
  k.out(f, 0, v);
  k.out(f, 1, i);
}

}  // namespace

void register_shape_kernels(OperatorExecutor& ex) {
#define E(name) claim(ex, ops::prim_symbol(ops::PrimId::name).id, k_##name)
  E(broadcast_in_dim);
  E(reshape);
  E(transpose);
  E(slice);
  E(squeeze);
  E(cat);
  E(pad);
  E(flip);
  E(shallow_copy);
  E(sum);
  E(prod);
  E(amax);
  E(amin);
  E(var);
  E(var_mean);
  E(argmax);
  E(argmin);
  E(cumsum);
  E(cumprod);
  E(topk);
  E(sort);
#undef E
}

}  // namespace keraunos::aten
