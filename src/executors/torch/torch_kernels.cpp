// ATen kernels for torch-level reductions, softmax, normalizations, linear algebra, attention,
// embedding and losses: claimed whole, so each runs as the one ATen call eager makes instead of its
// decomposition, whenever no fusion or library executor takes the decomposition.
#include <ATen/ATen.h>

#include "executors/torch/kernel.h"

namespace keraunos::aten {
namespace {

using K = AtenKernel;

at::OptionalIntArrayRef opt_ref(const std::optional<std::vector<int64_t>>& v) {
  return v ? at::OptionalIntArrayRef(*v) : at::OptionalIntArrayRef(std::nullopt);
}
void out2(const K& k, ExecFrame& f, std::tuple<at::Tensor, at::Tensor> r) {
  k.out(f, 0, std::move(std::get<0>(r)));
  k.out(f, 1, std::move(std::get<1>(r)));
}
int64_t reduction_enum(const std::string& r) {
  return r == "none" ? at::Reduction::None : r == "sum" ? at::Reduction::Sum : at::Reduction::Mean;
}

// -- reductions ----------------------------------------------------------------------------------
KERAUNOS_ATEN_KERNEL(t_sum, a, dim, keepdim, dtype) {
  auto d = k.OptInts(f, dim);
  k.out(f, 0, at::sum(k.T(f, a), opt_ref(d), k.B(keepdim), k.OptDt(dtype)));
}
KERAUNOS_ATEN_KERNEL(t_mean, a, dim, keepdim, dtype) {
  auto d = k.OptInts(f, dim);
  k.out(f, 0, at::mean(k.T(f, a), opt_ref(d), k.B(keepdim), k.OptDt(dtype)));
}
KERAUNOS_ATEN_KERNEL(t_prod, a, dim, keepdim, dtype) {
  if (k.is_none(dim)) return k.out(f, 0, at::prod(k.T(f, a), k.OptDt(dtype)));
  k.out(f, 0, at::prod(k.T(f, a), k.Int(f, dim), k.B(keepdim), k.OptDt(dtype)));
}
// var/std(a, dim, unbiased, keepdim, *, correction): correction wins, then unbiased, then torch's default.
std::optional<c10::Scalar> correction_of(const K& k, ExecFrame& f, size_t unbiased, size_t correction) {
  if (!k.is_none(correction)) return k.S(f, correction);
  if (!k.is_none(unbiased)) return c10::Scalar(k.B(unbiased) ? 1 : 0);
  return std::nullopt;
}
KERAUNOS_ATEN_KERNEL(t_var, a, dim, unbiased, keepdim, correction) {
  auto d = k.OptInts(f, dim);
  k.out(f, 0, at::var(k.T(f, a), opt_ref(d), correction_of(k, f, unbiased, correction), k.B(keepdim)));
}
KERAUNOS_ATEN_KERNEL(t_std, a, dim, unbiased, keepdim, correction) {
  auto d = k.OptInts(f, dim);
  k.out(f, 0, at::std(k.T(f, a), opt_ref(d), correction_of(k, f, unbiased, correction), k.B(keepdim)));
}
KERAUNOS_ATEN_KERNEL(t_var_mean, a, dim, unbiased, keepdim, correction) {
  auto d = k.OptInts(f, dim);
  out2(k, f, at::var_mean(k.T(f, a), opt_ref(d), correction_of(k, f, unbiased, correction), k.B(keepdim)));
}
KERAUNOS_ATEN_KERNEL(t_std_mean, a, dim, unbiased, keepdim, correction) {
  auto d = k.OptInts(f, dim);
  out2(k, f, at::std_mean(k.T(f, a), opt_ref(d), correction_of(k, f, unbiased, correction), k.B(keepdim)));
}
KERAUNOS_ATEN_KERNEL(t_amax, a, dim, keepdim) {
  k.out(f, 0, at::amax(k.T(f, a), k.is_none(dim) ? std::vector<int64_t>{} : k.Ints(f, dim), k.B(keepdim)));
}
KERAUNOS_ATEN_KERNEL(t_amin, a, dim, keepdim) {
  k.out(f, 0, at::amin(k.T(f, a), k.is_none(dim) ? std::vector<int64_t>{} : k.Ints(f, dim), k.B(keepdim)));
}
// max/min(a), max/min(a, dim) -> (values, indices), max/min(a, other) elementwise.
KERAUNOS_ATEN_KERNEL(t_max, a, dim, keepdim) {
  if (k.is_none(dim)) return k.out(f, 0, at::max(k.T(f, a)));
  if (k.is_tensor(dim)) return k.out(f, 0, at::max(k.T(f, a), k.T(f, dim)));
  out2(k, f, at::max(k.T(f, a), k.Int(f, dim), k.B(keepdim)));
}
KERAUNOS_ATEN_KERNEL(t_min, a, dim, keepdim) {
  if (k.is_none(dim)) return k.out(f, 0, at::min(k.T(f, a)));
  if (k.is_tensor(dim)) return k.out(f, 0, at::min(k.T(f, a), k.T(f, dim)));
  out2(k, f, at::min(k.T(f, a), k.Int(f, dim), k.B(keepdim)));
}
KERAUNOS_ATEN_KERNEL(t_argmax, a, dim, keepdim) { k.out(f, 0, at::argmax(k.T(f, a), k.OptInt(f, dim), k.B(keepdim))); }
KERAUNOS_ATEN_KERNEL(t_argmin, a, dim, keepdim) { k.out(f, 0, at::argmin(k.T(f, a), k.OptInt(f, dim), k.B(keepdim))); }
KERAUNOS_ATEN_KERNEL(t_logsumexp, a, dim, keepdim) { k.out(f, 0, at::logsumexp(k.T(f, a), k.Ints(f, dim), k.B(keepdim))); }
KERAUNOS_ATEN_KERNEL(t_cumsum, a, dim, dtype) { k.out(f, 0, at::cumsum(k.T(f, a), k.Int(f, dim), k.OptDt(dtype))); }
KERAUNOS_ATEN_KERNEL(t_cumprod, a, dim, dtype) { k.out(f, 0, at::cumprod(k.T(f, a), k.Int(f, dim), k.OptDt(dtype))); }
KERAUNOS_ATEN_KERNEL(t_all, a, dim, keepdim) {
  auto d = k.OptInts(f, dim);
  k.out(f, 0, at::all(k.T(f, a), opt_ref(d), k.B(keepdim)));
}
KERAUNOS_ATEN_KERNEL(t_any, a, dim, keepdim) {
  auto d = k.OptInts(f, dim);
  k.out(f, 0, at::any(k.T(f, a), opt_ref(d), k.B(keepdim)));
}
KERAUNOS_ATEN_KERNEL(t_count_nonzero, a, dim) {
  if (k.is_none(dim)) return k.out(f, 0, at::count_nonzero(k.T(f, a), std::optional<int64_t>()));
  k.out(f, 0, at::count_nonzero(k.T(f, a), at::IntArrayRef(k.Ints(f, dim))));
}
KERAUNOS_ATEN_KERNEL(t_vector_norm, a, ord, dim, keepdim, dtype) {
  auto d = k.OptInts(f, dim);
  k.out(f, 0, at::linalg_vector_norm(k.T(f, a), k.S(f, ord), opt_ref(d), k.B(keepdim), k.OptDt(dtype)));
}
// torch.norm with p a number or "fro" (the 2-norm over the given dims), as torch.norm computes it.
KERAUNOS_ATEN_KERNEL(t_norm, a, p, dim, keepdim, dtype) {
  const c10::Scalar order = k.lit(p).is_str() ? c10::Scalar(2.0) : k.S(f, p);
  auto d = k.OptInts(f, dim);
  k.out(f, 0, at::linalg_vector_norm(k.T(f, a), order, opt_ref(d), k.B(keepdim), k.OptDt(dtype)));
}
// `k` is the kernel here; the op's parameter k is Param::k.
KERAUNOS_ATEN_KERNEL(t_topk, a, k, dim, largest, sorted) {
  out2(k, f, at::topk(k.T(f, a), k.Int(f, Param::k), k.Int(f, dim), k.B(largest), k.B(sorted)));
}
KERAUNOS_ATEN_KERNEL(t_sort, a, dim, descending, stable) {
  out2(k, f, at::sort(k.T(f, a), k.is_none(stable) ? std::nullopt : std::optional<bool>(k.B(stable)), k.Int(f, dim), k.B(descending)));
}
KERAUNOS_ATEN_KERNEL(t_argsort, a, dim, descending, stable) {
  k.out(f, 0, at::argsort(k.T(f, a), k.B(stable), k.Int(f, dim), k.B(descending)));
}

// -- softmax, normalizations -------------------------------------------------------------------
KERAUNOS_ATEN_KERNEL(t_softmax, input, dim, dtype) { k.out(f, 0, at::softmax(k.T(f, input), k.Int(f, dim), k.OptDt(dtype))); }
KERAUNOS_ATEN_KERNEL(t_log_softmax, input, dim, dtype) { k.out(f, 0, at::log_softmax(k.T(f, input), k.Int(f, dim), k.OptDt(dtype))); }
KERAUNOS_ATEN_KERNEL(t_softmin, input, dim, dtype) { k.out(f, 0, at::softmax(at::neg(k.T(f, input)), k.Int(f, dim), k.OptDt(dtype))); }
KERAUNOS_ATEN_KERNEL(t_layer_norm, input, normalized_shape, weight, bias, eps) {
  k.out(f, 0, at::layer_norm(k.T(f, input), k.Ints(f, normalized_shape), k.OptTensor(f, weight), k.OptTensor(f, bias), k.F(f, eps)));
}
KERAUNOS_ATEN_KERNEL(t_rms_norm, input, normalized_shape, weight, eps) {
  k.out(f, 0, at::rms_norm(k.T(f, input), k.Ints(f, normalized_shape), k.OptTensor(f, weight), k.OptF(f, eps)));
}
KERAUNOS_ATEN_KERNEL(t_group_norm, input, num_groups, weight, bias, eps) {
  k.out(f, 0, at::group_norm(k.T(f, input), k.Int(f, num_groups), k.OptTensor(f, weight), k.OptTensor(f, bias), k.F(f, eps)));
}
KERAUNOS_ATEN_KERNEL(t_batch_norm, input, running_mean, running_var, weight, bias, training, momentum, eps) {
  k.out(f, 0,
        at::batch_norm(k.T(f, input), k.OptTensor(f, weight), k.OptTensor(f, bias), k.OptTensor(f, running_mean),
                       k.OptTensor(f, running_var), k.B(training), k.F(f, momentum), k.F(f, eps), /*cudnn_enabled=*/true));
}
// F.normalize: x / max(||x||_p over dim, eps), as torch computes it.
KERAUNOS_ATEN_KERNEL(t_normalize, input, p, dim, eps) {
  const at::Tensor& x = k.T(f, input);
  at::Tensor denom = at::linalg_vector_norm(x, k.S(f, p), at::IntArrayRef{k.Int(f, dim)}, /*keepdim=*/true).clamp_min(k.S(f, eps));
  k.out(f, 0, at::div(x, denom.expand_as(x)));
}

// -- linear algebra, attention, embedding --------------------------------------------------------
KERAUNOS_ATEN_KERNEL(t_matmul, input, other) { k.out(f, 0, at::matmul(k.T(f, input), k.T(f, other))); }
KERAUNOS_ATEN_KERNEL(t_mm, input, mat2) { k.out(f, 0, at::mm(k.T(f, input), k.T(f, mat2))); }
KERAUNOS_ATEN_KERNEL(t_bmm, input, mat2) { k.out(f, 0, at::bmm(k.T(f, input), k.T(f, mat2))); }
KERAUNOS_ATEN_KERNEL(t_dot, input, tensor) { k.out(f, 0, at::dot(k.T(f, input), k.T(f, tensor))); }
KERAUNOS_ATEN_KERNEL(t_outer, input, vec2) { k.out(f, 0, at::outer(k.T(f, input), k.T(f, vec2))); }
KERAUNOS_ATEN_KERNEL(t_addmm, input, mat1, mat2, beta, alpha) {
  k.out(f, 0, at::addmm(k.T(f, input), k.T(f, mat1), k.T(f, mat2), k.S(f, beta), k.S(f, alpha)));
}
KERAUNOS_ATEN_KERNEL(t_baddbmm, input, batch1, batch2, beta, alpha) {
  k.out(f, 0, at::baddbmm(k.T(f, input), k.T(f, batch1), k.T(f, batch2), k.S(f, beta), k.S(f, alpha)));
}
KERAUNOS_ATEN_KERNEL(t_linear, input, weight, bias) { k.out(f, 0, at::linear(k.T(f, input), k.T(f, weight), k.OptTensor(f, bias))); }
KERAUNOS_ATEN_KERNEL(t_einsum, equation, operands) { k.out(f, 0, at::einsum(k.Str(equation), k.Ts(f, operands))); }
KERAUNOS_ATEN_KERNEL(t_sdpa, query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa) {
  k.out(f, 0,
        at::scaled_dot_product_attention(k.T(f, query), k.T(f, key), k.T(f, value), k.OptTensor(f, attn_mask), k.F(f, dropout_p),
                                         k.B(is_causal), k.OptF(f, scale), k.B(enable_gqa)));
}
KERAUNOS_ATEN_KERNEL(t_embedding, input, weight, padding_idx, scale_grad_by_freq, sparse) {
  k.out(f, 0,
        at::embedding(k.T(f, weight), k.T(f, input), k.is_none(padding_idx) ? -1 : k.Int(f, padding_idx), k.B(scale_grad_by_freq),
                      k.B(sparse)));
}

// -- losses (reduction names as torch's enum) ----------------------------------------------------
KERAUNOS_ATEN_KERNEL(t_nll_loss, input, target, weight, ignore_index, reduction) {
  k.out(f, 0,
        at::nll_loss_nd(k.T(f, input), k.T(f, target), k.OptTensor(f, weight), reduction_enum(k.Str(reduction)), k.Int(f, ignore_index)));
}
KERAUNOS_ATEN_KERNEL(t_cross_entropy, input, target, weight, ignore_index, reduction, label_smoothing) {
  k.out(f, 0,
        at::cross_entropy_loss(k.T(f, input), k.T(f, target), k.OptTensor(f, weight), reduction_enum(k.Str(reduction)),
                               k.Int(f, ignore_index), k.F(f, label_smoothing)));
}
KERAUNOS_ATEN_KERNEL(t_mse_loss, input, target, reduction) {
  k.out(f, 0, at::mse_loss(k.T(f, input), k.T(f, target), reduction_enum(k.Str(reduction))));
}
KERAUNOS_ATEN_KERNEL(t_l1_loss, input, target, reduction) {
  k.out(f, 0, at::l1_loss(k.T(f, input), k.T(f, target), reduction_enum(k.Str(reduction))));
}
KERAUNOS_ATEN_KERNEL(t_smooth_l1_loss, input, target, reduction, beta) {
  const double b = k.F(f, beta);  // torch takes beta = 0 as the L1 loss
  if (b == 0.0) return k.out(f, 0, at::l1_loss(k.T(f, input), k.T(f, target), reduction_enum(k.Str(reduction))));
  k.out(f, 0, at::smooth_l1_loss(k.T(f, input), k.T(f, target), reduction_enum(k.Str(reduction)), b));
}
KERAUNOS_ATEN_KERNEL(t_huber_loss, input, target, reduction, delta) {
  k.out(f, 0, at::huber_loss(k.T(f, input), k.T(f, target), reduction_enum(k.Str(reduction)), k.F(f, delta)));
}
KERAUNOS_ATEN_KERNEL(t_bce, input, target, weight, reduction) {
  const at::Tensor& x = k.T(f, input);
  std::optional<at::Tensor> w = k.is_none(weight) ? std::nullopt : std::optional(k.T(f, weight).expand(x.sizes()));
  k.out(f, 0, at::binary_cross_entropy(x, k.T(f, target), w, reduction_enum(k.Str(reduction))));
}
KERAUNOS_ATEN_KERNEL(t_bce_with_logits, input, target, weight, reduction, pos_weight) {
  k.out(f, 0,
        at::binary_cross_entropy_with_logits(k.T(f, input), k.T(f, target), k.OptTensor(f, weight), k.OptTensor(f, pos_weight),
                                             reduction_enum(k.Str(reduction))));
}
KERAUNOS_ATEN_KERNEL(t_kl_div, input, target, reduction, log_target) {
  const at::Tensor& x = k.T(f, input);
  if (k.Str(reduction) == "batchmean")
    return k.out(f, 0, at::div(at::kl_div(x, k.T(f, target), at::Reduction::Sum, k.B(log_target)), x.dim() ? x.size(0) : 1));
  k.out(f, 0, at::kl_div(x, k.T(f, target), reduction_enum(k.Str(reduction)), k.B(log_target)));
}

// -- checkers ------------------------------------------------------------------------------------
// (They run when a plan is built, so they look arguments up by name.)
const TensorType& first_tensor(const BoundSymbol& b, const Trace& t) { return t.type(b.args[0].as_proxy()).tensor; }

Decision floating_input(const BoundSymbol& b, const Trace& t) {
  const auto& ty = first_tensor(b, t);
  return is_floating(ty.dtype) && !is_float8(ty.dtype) ? Decision::yes()
                                                       : Decision::no("ATen's kernel needs a float16/bfloat16/float32/float64 input");
}

Decision same_input_output_dtype(const BoundSymbol& b, const Trace& t) {
  Decision d = floating_input(b, t);
  if (!d) return d;
  for (const auto& a : b.args)
    if (a.is_proxy() && t.type(a.as_proxy()).is_tensor && t.type(a.as_proxy()).tensor.dtype != first_tensor(b, t).dtype)
      return Decision::no("operands of different dtypes (ATen would promote differently than the decomposition)");
  return Decision::yes();
}

// These arguments are torch's deprecated size_average/reduce, or a per-element weight some losses
// grew: ATen's loss kernels take neither.
Checker none_at(std::vector<std::string> params, const char* what) {
  return [params = std::move(params), what](const BoundSymbol& b, const Trace&) {
    for (const auto& p : params)
      if (!b.arg(p).is_none()) return Decision::no(what);
    return Decision::yes();
  };
}

}  // namespace

void register_torch_kernels(OperatorExecutor& ex) {
  claim_all(ex, {
                    {"torch.sum", t_sum},
                    {"torch.mean", t_mean},
                    {"torch.prod", t_prod},
                    {"torch.var", t_var},
                    {"torch.std", t_std},
                    {"torch.var_mean", t_var_mean},
                    {"torch.std_mean", t_std_mean},
                    {"torch.amax", t_amax},
                    {"torch.amin", t_amin},
                    {"torch.max", t_max},
                    {"torch.min", t_min},
                    {"torch.argmax", t_argmax},
                    {"torch.argmin", t_argmin},
                    {"torch.logsumexp", t_logsumexp},
                    {"torch.cumsum", t_cumsum},
                    {"torch.cumprod", t_cumprod},
                    {"torch.all", t_all},
                    {"torch.any", t_any},
                    {"torch.count_nonzero", t_count_nonzero},
                    {"torch.linalg.vector_norm", t_vector_norm},
                    {"torch.topk", t_topk},
                    {"torch.sort", t_sort},
                    {"torch.argsort", t_argsort},
                    {"torch.nn.functional.group_norm", t_group_norm},
                    {"torch.einsum", t_einsum},
                });

  claim(ex, "torch.norm", t_norm, [](const BoundSymbol& b, const Trace&) {
    const Value& p = b.arg("p");
    return p.is_number_literal() || (p.is_str() && p.as_str() == "fro") ? Decision::yes() : Decision::no("p is not a number or 'fro'");
  });
  claim(ex, "torch.softmax", t_softmax, floating_input);
  claim(ex, "torch.log_softmax", t_log_softmax, floating_input);
  claim(ex, "torch.nn.functional.softmin", t_softmin, [](const BoundSymbol& b, const Trace&) {
    return b.arg("dim").is_none() ? Decision::no("dim=None (torch's implicit-dim rule)") : Decision::yes();
  });
  claim(ex, "torch.nn.functional.layer_norm", t_layer_norm, same_input_output_dtype);
  claim(ex, "torch.nn.functional.rms_norm", t_rms_norm, same_input_output_dtype);
  claim(ex, "torch.nn.functional.batch_norm", t_batch_norm, [](const BoundSymbol& b, const Trace&) {
    if (b.arg("training").as_bool() && !(b.arg("running_mean").is_none() && b.arg("running_var").is_none()))
      return Decision::no("training mode updates the running statistics in place");
    return Decision::yes();
  });
  claim(ex, "torch.nn.functional.normalize", t_normalize, none_at({"out"}, "out= is given"));
  const KernelEntry matmuls[] = {{"torch.nn.functional.linear", t_linear},
                                 {"torch.matmul", t_matmul},
                                 {"torch.mm", t_mm},
                                 {"torch.bmm", t_bmm},
                                 {"torch.dot", t_dot},
                                 {"torch.outer", t_outer},
                                 {"torch.addmm", t_addmm},
                                 {"torch.baddbmm", t_baddbmm}};
  for (const auto& e : matmuls) claim(ex, e.id, e.kernel, same_input_output_dtype);
  claim(ex, "torch.nn.functional.scaled_dot_product_attention", t_sdpa, [](const BoundSymbol& b, const Trace& t) {
    const Value& dropout = b.arg("dropout_p");
    if (!(dropout.is_number_literal() && dropout.as_float() == 0.0))
      return Decision::no("attention dropout draws from keraunos' Philox stream, not torch's generator");
    Decision d = floating_input(b, t);
    if (!d) return d;
    for (const char* p : {"key", "value"})  // the mask may be bool or another float dtype, as torch allows
      if (t.type(b.arg(p).as_proxy()).tensor.dtype != first_tensor(b, t).dtype)
        return Decision::no("query, key and value of different dtypes");
    return Decision::yes();
  });
  claim(ex, "torch.nn.functional.embedding", t_embedding, [](const BoundSymbol& b, const Trace&) {
    return b.arg("max_norm").is_none() ? Decision::yes() : Decision::no("max_norm renormalizes the weight in place");
  });
  const char* legacy = "the deprecated size_average/reduce arguments";
  claim(ex, "torch.nn.functional.cross_entropy", t_cross_entropy, [legacy](const BoundSymbol& b, const Trace& t) {
    if (!b.arg("size_average").is_none() || !b.arg("reduce").is_none()) return Decision::no(legacy);
    return floating_input(b, t);
  });
  claim(ex, "torch.nn.functional.nll_loss", t_nll_loss, none_at({"size_average", "reduce"}, legacy));
  claim(ex, "torch.nn.functional.mse_loss", t_mse_loss,
        none_at({"size_average", "reduce", "weight"}, "legacy size_average/reduce, or a weight"));
  claim(ex, "torch.nn.functional.l1_loss", t_l1_loss,
        none_at({"size_average", "reduce", "weight"}, "legacy size_average/reduce, or a weight"));
  claim(ex, "torch.nn.functional.smooth_l1_loss", t_smooth_l1_loss, none_at({"size_average", "reduce"}, legacy));
  claim(ex, "torch.nn.functional.huber_loss", t_huber_loss, none_at({"weight"}, "a weight"));
  claim(ex, "torch.nn.functional.binary_cross_entropy", t_bce, none_at({"size_average", "reduce"}, legacy));
  claim(ex, "torch.nn.functional.binary_cross_entropy_with_logits", t_bce_with_logits, none_at({"size_average", "reduce"}, legacy));
  claim(ex, "torch.nn.functional.kl_div", t_kl_div, none_at({"size_average", "reduce"}, legacy));
}

}  // namespace keraunos::aten
