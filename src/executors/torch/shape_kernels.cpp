// ATen kernels for shape prims, reductions, scans and sorting.
#include "executors/torch/kernel.h"

namespace keraunos::aten {
namespace {

using K = AtenKernel;

void k_broadcast_in_dim(const K& k, ExecFrame& f) {
  const at::Tensor& a = k.T(f, 0);
  auto shape = k.Ints(f, 1);
  auto bdims = k.Ints(f, 2);
  std::vector<int64_t> view(shape.size(), 1);
  for (size_t i = 0; i < bdims.size(); ++i) view[static_cast<size_t>(bdims[i])] = a.size(static_cast<int64_t>(i));
  k.out(f, 0, a.reshape(view).expand(shape));
}

void k_reshape(const K& k, ExecFrame& f) { k.out(f, 0, k.T(f, 0).reshape(k.Ints(f, 1))); }
void k_transpose(const K& k, ExecFrame& f) { k.out(f, 0, k.T(f, 0).permute(k.Ints(f, 1))); }

void k_slice(const K& k, ExecFrame& f) {
  at::Tensor a = k.T(f, 0);
  auto start = k.Ints(f, 1), end = k.Ints(f, 2);
  std::vector<int64_t> step = k.is_none(3) ? std::vector<int64_t>(start.size(), 1) : k.Ints(f, 3);
  for (size_t d = 0; d < start.size(); ++d)
    if (start[d] != 0 || end[d] != a.size(static_cast<int64_t>(d)) || step[d] != 1)
      a = a.slice(static_cast<int64_t>(d), start[d], end[d], step[d]);
  k.out(f, 0, a);
}

void k_squeeze(const K& k, ExecFrame& f) {
  auto dims = k.Ints(f, 1);
  k.out(f, 0, dims.empty() ? k.T(f, 0) : k.T(f, 0).squeeze(dims));
}

void k_cat(const K& k, ExecFrame& f) { k.out(f, 0, at::cat(k.Ts(f, 0), k.Int(f, 1))); }

void k_pad(const K& k, ExecFrame& f) {
  const at::Tensor& a = k.T(f, 0);
  const auto& cfg = k.lit(2).as_tuple();
  bool interior = false;
  std::vector<int64_t> lo, hi, it;
  for (const auto& c : cfg) {
    auto v = c.as_ints();
    lo.push_back(v[0]);
    hi.push_back(v[1]);
    it.push_back(v[2]);
    interior |= v[2] != 0;
  }
  c10::Scalar value = k.weak(f, 1, a.scalar_type());
  if (!interior) {
    std::vector<int64_t> pads;  // constant_pad_nd wants (last_lo, last_hi, ...)
    for (size_t d = lo.size(); d-- > 0;) {
      pads.push_back(lo[d]);
      pads.push_back(hi[d]);
    }
    k.out(f, 0, at::constant_pad_nd(a, pads, value));
    return;
  }
  // Interior padding: spread the input over a larger buffer, then apply the edge padding.
  std::vector<int64_t> spread_shape;
  for (int64_t d = 0; d < a.dim(); ++d)
    spread_shape.push_back(a.size(d) == 0 ? 0 : a.size(d) + (a.size(d) - 1) * it[static_cast<size_t>(d)]);
  at::Tensor spread = at::full(spread_shape, value, a.options());
  at::Tensor view = spread;
  for (int64_t d = 0; d < a.dim(); ++d) view = view.slice(d, 0, spread_shape[static_cast<size_t>(d)], it[static_cast<size_t>(d)] + 1);
  view.copy_(a);
  std::vector<int64_t> pads;
  for (size_t d = lo.size(); d-- > 0;) {
    pads.push_back(lo[d]);
    pads.push_back(hi[d]);
  }
  k.out(f, 0, at::constant_pad_nd(spread, pads, value));
}

void k_flip(const K& k, ExecFrame& f) { k.out(f, 0, at::flip(k.T(f, 0), k.Ints(f, 1))); }
void k_shallow_copy(const K& k, ExecFrame& f) { k.out(f, 0, k.T(f, 0)); }

// Reductions over explicit dims; no dims is the identity (ATen would reduce everything).
#define KERAUNOS_REDUCE(name, expr)         \
  void k_##name(const K& k, ExecFrame& f) { \
    const at::Tensor& a = k.T(f, 0);        \
    auto dims = k.Ints(f, 1);               \
    if (dims.empty()) {                     \
      k.out(f, 0, a);                       \
      return;                               \
    }                                       \
    k.out(f, 0, expr);                      \
  }
KERAUNOS_REDUCE(sum, at::sum(a, dims))
KERAUNOS_REDUCE(amax, at::amax(a, dims))
KERAUNOS_REDUCE(amin, at::amin(a, dims))

void k_prod(const K& k, ExecFrame& f) {
  at::Tensor a = k.T(f, 0);
  auto dims = k.Ints(f, 1);
  std::sort(dims.begin(), dims.end(), std::greater<int64_t>());
  for (int64_t d : dims) a = at::prod(a, d);
  k.out(f, 0, a);
}

void k_var(const K& k, ExecFrame& f) {
  const at::Tensor& a = k.T(f, 0);
  auto dims = k.Ints(f, 1);
  if (dims.empty()) {  // the variance of single elements
    k.out(f, 0, at::var(a.unsqueeze(0), std::vector<int64_t>{0}, k.S(f, 2), false));
    return;
  }
  k.out(f, 0, at::var(a, dims, k.S(f, 2), false));
}

void k_var_mean(const K& k, ExecFrame& f) {
  const at::Tensor& a = k.T(f, 0);
  auto dims = k.Ints(f, 1);
  if (dims.empty()) {
    auto [v, m] = at::var_mean(a.unsqueeze(0), std::vector<int64_t>{0}, k.S(f, 2), false);
    k.out(f, 0, v);
    k.out(f, 1, a);
    return;
  }
  auto [v, m] = at::var_mean(a, dims, k.S(f, 2), false);
  k.out(f, 0, v);
  k.out(f, 1, m);
}

void k_argmax(const K& k, ExecFrame& f) {
  k.out(f, 0, at::argmax(k.T(f, 0), k.is_none(1) ? std::optional<int64_t>() : std::optional<int64_t>(k.Int(f, 1))));
}
void k_argmin(const K& k, ExecFrame& f) {
  k.out(f, 0, at::argmin(k.T(f, 0), k.is_none(1) ? std::optional<int64_t>() : std::optional<int64_t>(k.Int(f, 1))));
}
void k_cumsum(const K& k, ExecFrame& f) { k.out(f, 0, at::cumsum(k.T(f, 0), k.Int(f, 1), k.out_dtype(0))); }
void k_cumprod(const K& k, ExecFrame& f) { k.out(f, 0, at::cumprod(k.T(f, 0), k.Int(f, 1), k.out_dtype(0))); }

void k_topk(const K& k, ExecFrame& f) {
  auto [v, i] = at::topk(k.T(f, 0), k.Int(f, 1), k.Int(f, 2), k.B(3), k.B(4));
  k.out(f, 0, v);
  k.out(f, 1, i);
}

void k_sort(const K& k, ExecFrame& f) {
  auto [v, i] = at::sort(k.T(f, 0), std::optional<bool>(k.B(3)), k.Int(f, 1), k.B(2));
  k.out(f, 0, v);
  k.out(f, 1, i);
}

}  // namespace

void register_shape_kernels(OperatorExecutor& ex) {
#define E(name) claim(ex, "prims." #name, k_##name)
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
