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
int64_t reduction(const std::string& r) {
  return r == "none" ? at::Reduction::None : r == "sum" ? at::Reduction::Sum : at::Reduction::Mean;
}

// -- reductions ----------------------------------------------------------------------------------
void t_sum(const K& k, ExecFrame& f) {
  auto d = k.OptInts(f, 1);
  k.out(f, 0, at::sum(k.T(f, 0), opt_ref(d), k.B(2), k.OptDt(3)));
}
void t_mean(const K& k, ExecFrame& f) {
  auto d = k.OptInts(f, 1);
  k.out(f, 0, at::mean(k.T(f, 0), opt_ref(d), k.B(2), k.OptDt(3)));
}
void t_prod(const K& k, ExecFrame& f) {
  if (k.is_none(1)) return k.out(f, 0, at::prod(k.T(f, 0), k.OptDt(3)));
  k.out(f, 0, at::prod(k.T(f, 0), k.Int(f, 1), k.B(2), k.OptDt(3)));
}
// var/std(a, dim, unbiased, keepdim, *, correction): correction wins, then unbiased, then torch's default.
std::optional<c10::Scalar> correction(const K& k, ExecFrame& f) {
  if (!k.is_none(4)) return k.S(f, 4);
  if (!k.is_none(2)) return c10::Scalar(k.B(2) ? 1 : 0);
  return std::nullopt;
}
void t_var(const K& k, ExecFrame& f) {
  auto d = k.OptInts(f, 1);
  k.out(f, 0, at::var(k.T(f, 0), opt_ref(d), correction(k, f), k.B(3)));
}
void t_std(const K& k, ExecFrame& f) {
  auto d = k.OptInts(f, 1);
  k.out(f, 0, at::std(k.T(f, 0), opt_ref(d), correction(k, f), k.B(3)));
}
void t_var_mean(const K& k, ExecFrame& f) {
  auto d = k.OptInts(f, 1);
  out2(k, f, at::var_mean(k.T(f, 0), opt_ref(d), correction(k, f), k.B(3)));
}
void t_std_mean(const K& k, ExecFrame& f) {
  auto d = k.OptInts(f, 1);
  out2(k, f, at::std_mean(k.T(f, 0), opt_ref(d), correction(k, f), k.B(3)));
}
void t_amax(const K& k, ExecFrame& f) { k.out(f, 0, at::amax(k.T(f, 0), k.is_none(1) ? std::vector<int64_t>{} : k.Ints(f, 1), k.B(2))); }
void t_amin(const K& k, ExecFrame& f) { k.out(f, 0, at::amin(k.T(f, 0), k.is_none(1) ? std::vector<int64_t>{} : k.Ints(f, 1), k.B(2))); }
// max/min(a), max/min(a, dim) -> (values, indices), max/min(a, other) elementwise.
void t_max(const K& k, ExecFrame& f) {
  if (k.is_none(1)) return k.out(f, 0, at::max(k.T(f, 0)));
  if (k.is_tensor(1)) return k.out(f, 0, at::max(k.T(f, 0), k.T(f, 1)));
  out2(k, f, at::max(k.T(f, 0), k.Int(f, 1), k.B(2)));
}
void t_min(const K& k, ExecFrame& f) {
  if (k.is_none(1)) return k.out(f, 0, at::min(k.T(f, 0)));
  if (k.is_tensor(1)) return k.out(f, 0, at::min(k.T(f, 0), k.T(f, 1)));
  out2(k, f, at::min(k.T(f, 0), k.Int(f, 1), k.B(2)));
}
void t_argmax(const K& k, ExecFrame& f) { k.out(f, 0, at::argmax(k.T(f, 0), k.OptInt(f, 1), k.B(2))); }
void t_argmin(const K& k, ExecFrame& f) { k.out(f, 0, at::argmin(k.T(f, 0), k.OptInt(f, 1), k.B(2))); }
void t_logsumexp(const K& k, ExecFrame& f) { k.out(f, 0, at::logsumexp(k.T(f, 0), k.Ints(f, 1), k.B(2))); }
void t_cumsum(const K& k, ExecFrame& f) { k.out(f, 0, at::cumsum(k.T(f, 0), k.Int(f, 1), k.OptDt(2))); }
void t_cumprod(const K& k, ExecFrame& f) { k.out(f, 0, at::cumprod(k.T(f, 0), k.Int(f, 1), k.OptDt(2))); }
void t_all(const K& k, ExecFrame& f) {
  auto d = k.OptInts(f, 1);
  k.out(f, 0, at::all(k.T(f, 0), opt_ref(d), k.B(2)));
}
void t_any(const K& k, ExecFrame& f) {
  auto d = k.OptInts(f, 1);
  k.out(f, 0, at::any(k.T(f, 0), opt_ref(d), k.B(2)));
}
void t_count_nonzero(const K& k, ExecFrame& f) {
  if (k.is_none(1)) return k.out(f, 0, at::count_nonzero(k.T(f, 0), std::optional<int64_t>()));
  k.out(f, 0, at::count_nonzero(k.T(f, 0), at::IntArrayRef(k.Ints(f, 1))));
}
void t_vector_norm(const K& k, ExecFrame& f) {
  auto d = k.OptInts(f, 2);
  k.out(f, 0, at::linalg_vector_norm(k.T(f, 0), k.S(f, 1), opt_ref(d), k.B(3), k.OptDt(4)));
}
// torch.norm with p a number or "fro" (the 2-norm over the given dims), as torch.norm computes it.
void t_norm(const K& k, ExecFrame& f) {
  const c10::Scalar p = k.lit(1).is_str() ? c10::Scalar(2.0) : k.S(f, 1);
  auto d = k.OptInts(f, 2);
  k.out(f, 0, at::linalg_vector_norm(k.T(f, 0), p, opt_ref(d), k.B(3), k.OptDt(4)));
}
void t_topk(const K& k, ExecFrame& f) { out2(k, f, at::topk(k.T(f, 0), k.Int(f, 1), k.Int(f, 2), k.B(3), k.B(4))); }
void t_sort(const K& k, ExecFrame& f) {
  out2(k, f, at::sort(k.T(f, 0), k.is_none(3) ? std::nullopt : std::optional<bool>(k.B(3)), k.Int(f, 1), k.B(2)));
}
void t_argsort(const K& k, ExecFrame& f) { k.out(f, 0, at::argsort(k.T(f, 0), k.B(3), k.Int(f, 1), k.B(2))); }

// -- softmax, normalizations -------------------------------------------------------------------
void t_softmax(const K& k, ExecFrame& f) { k.out(f, 0, at::softmax(k.T(f, 0), k.Int(f, 1), k.OptDt(2))); }
void t_log_softmax(const K& k, ExecFrame& f) { k.out(f, 0, at::log_softmax(k.T(f, 0), k.Int(f, 1), k.OptDt(2))); }
void t_softmin(const K& k, ExecFrame& f) { k.out(f, 0, at::softmax(at::neg(k.T(f, 0)), k.Int(f, 1), k.OptDt(3))); }
void t_layer_norm(const K& k, ExecFrame& f) {
  k.out(f, 0, at::layer_norm(k.T(f, 0), k.Ints(f, 1), k.OptTensor(f, 2), k.OptTensor(f, 3), k.F(f, 4)));
}
void t_rms_norm(const K& k, ExecFrame& f) { k.out(f, 0, at::rms_norm(k.T(f, 0), k.Ints(f, 1), k.OptTensor(f, 2), k.OptF(f, 3))); }
void t_group_norm(const K& k, ExecFrame& f) {
  k.out(f, 0, at::group_norm(k.T(f, 0), k.Int(f, 1), k.OptTensor(f, 2), k.OptTensor(f, 3), k.F(f, 4)));
}
void t_batch_norm(const K& k, ExecFrame& f) {
  k.out(f, 0,
        at::batch_norm(k.T(f, 0), k.OptTensor(f, 3), k.OptTensor(f, 4), k.OptTensor(f, 1), k.OptTensor(f, 2), k.B(5), k.F(f, 6), k.F(f, 7),
                       /*cudnn_enabled=*/true));
}
// F.normalize: x / max(||x||_p over dim, eps), as torch computes it.
void t_normalize(const K& k, ExecFrame& f) {
  const at::Tensor& x = k.T(f, 0);
  at::Tensor denom = at::linalg_vector_norm(x, k.S(f, 1), at::IntArrayRef{k.Int(f, 2)}, /*keepdim=*/true).clamp_min(k.S(f, 3));
  k.out(f, 0, at::div(x, denom.expand_as(x)));
}

// -- linear algebra, attention, embedding --------------------------------------------------------
void t_matmul(const K& k, ExecFrame& f) { k.out(f, 0, at::matmul(k.T(f, 0), k.T(f, 1))); }
void t_mm(const K& k, ExecFrame& f) { k.out(f, 0, at::mm(k.T(f, 0), k.T(f, 1))); }
void t_bmm(const K& k, ExecFrame& f) { k.out(f, 0, at::bmm(k.T(f, 0), k.T(f, 1))); }
void t_dot(const K& k, ExecFrame& f) { k.out(f, 0, at::dot(k.T(f, 0), k.T(f, 1))); }
void t_outer(const K& k, ExecFrame& f) { k.out(f, 0, at::outer(k.T(f, 0), k.T(f, 1))); }
void t_addmm(const K& k, ExecFrame& f) { k.out(f, 0, at::addmm(k.T(f, 0), k.T(f, 1), k.T(f, 2), k.S(f, 3), k.S(f, 4))); }
void t_baddbmm(const K& k, ExecFrame& f) { k.out(f, 0, at::baddbmm(k.T(f, 0), k.T(f, 1), k.T(f, 2), k.S(f, 3), k.S(f, 4))); }
void t_linear(const K& k, ExecFrame& f) { k.out(f, 0, at::linear(k.T(f, 0), k.T(f, 1), k.OptTensor(f, 2))); }
void t_einsum(const K& k, ExecFrame& f) { k.out(f, 0, at::einsum(k.Str(0), k.Ts(f, 1))); }
void t_sdpa(const K& k, ExecFrame& f) {
  k.out(f, 0,
        at::scaled_dot_product_attention(k.T(f, 0), k.T(f, 1), k.T(f, 2), k.OptTensor(f, 3), k.F(f, 4), k.B(5), k.OptF(f, 6), k.B(7)));
}
void t_embedding(const K& k, ExecFrame& f) {
  k.out(f, 0, at::embedding(k.T(f, 1), k.T(f, 0), k.is_none(2) ? -1 : k.Int(f, 2), k.B(5), k.B(6)));
}

// -- losses (reduction names as torch's enum) ----------------------------------------------------
void t_nll_loss(const K& k, ExecFrame& f) {
  k.out(f, 0, at::nll_loss_nd(k.T(f, 0), k.T(f, 1), k.OptTensor(f, 2), reduction(k.Str(6)), k.Int(f, 4)));
}
void t_cross_entropy(const K& k, ExecFrame& f) {
  k.out(f, 0, at::cross_entropy_loss(k.T(f, 0), k.T(f, 1), k.OptTensor(f, 2), reduction(k.Str(6)), k.Int(f, 4), k.F(f, 7)));
}
void t_mse_loss(const K& k, ExecFrame& f) { k.out(f, 0, at::mse_loss(k.T(f, 0), k.T(f, 1), reduction(k.Str(4)))); }
void t_l1_loss(const K& k, ExecFrame& f) { k.out(f, 0, at::l1_loss(k.T(f, 0), k.T(f, 1), reduction(k.Str(4)))); }
void t_smooth_l1_loss(const K& k, ExecFrame& f) {
  const double beta = k.F(f, 5);  // torch takes beta = 0 as the L1 loss
  if (beta == 0.0) return k.out(f, 0, at::l1_loss(k.T(f, 0), k.T(f, 1), reduction(k.Str(4))));
  k.out(f, 0, at::smooth_l1_loss(k.T(f, 0), k.T(f, 1), reduction(k.Str(4)), beta));
}
void t_huber_loss(const K& k, ExecFrame& f) { k.out(f, 0, at::huber_loss(k.T(f, 0), k.T(f, 1), reduction(k.Str(2)), k.F(f, 3))); }
void t_bce(const K& k, ExecFrame& f) {
  const at::Tensor& x = k.T(f, 0);
  std::optional<at::Tensor> w = k.is_none(2) ? std::nullopt : std::optional(k.T(f, 2).expand(x.sizes()));
  k.out(f, 0, at::binary_cross_entropy(x, k.T(f, 1), w, reduction(k.Str(5))));
}
void t_bce_with_logits(const K& k, ExecFrame& f) {
  k.out(f, 0, at::binary_cross_entropy_with_logits(k.T(f, 0), k.T(f, 1), k.OptTensor(f, 2), k.OptTensor(f, 6), reduction(k.Str(5))));
}
void t_kl_div(const K& k, ExecFrame& f) {
  const at::Tensor& x = k.T(f, 0);
  if (k.Str(4) == "batchmean") return k.out(f, 0, at::div(at::kl_div(x, k.T(f, 1), at::Reduction::Sum, k.B(5)), x.dim() ? x.size(0) : 1));
  k.out(f, 0, at::kl_div(x, k.T(f, 1), reduction(k.Str(4)), k.B(5)));
}

// -- checkers ------------------------------------------------------------------------------------
Decision floating_input(const BoundSymbol& b, const Trace& t) {
  const auto& ty = t.type(b.args[0].as_proxy()).tensor;
  return is_floating(ty.dtype) && !is_float8(ty.dtype) ? Decision::yes()
                                                       : Decision::no("ATen's kernel needs a float16/bfloat16/float32/float64 input");
}

Decision same_input_output_dtype(const BoundSymbol& b, const Trace& t) {
  Decision d = floating_input(b, t);
  if (!d) return d;
  for (const auto& a : b.args)
    if (a.is_proxy() && t.type(a.as_proxy()).is_tensor && t.type(a.as_proxy()).tensor.dtype != t.type(b.args[0].as_proxy()).tensor.dtype)
      return Decision::no("operands of different dtypes (ATen would promote differently than the decomposition)");
  return Decision::yes();
}

// Arguments at these positions are torch's deprecated size_average/reduce, or a per-element weight
// some losses grew: ATen's loss kernels take neither.
Checker none_at(std::vector<size_t> positions, const char* what) {
  return [positions = std::move(positions), what](const BoundSymbol& b, const Trace&) {
    for (size_t i : positions)
      if (!b.args[i].is_none()) return Decision::no(what);
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
    const Value& p = b.args[1];
    return p.is_number_literal() || (p.is_str() && p.as_str() == "fro") ? Decision::yes() : Decision::no("p is not a number or 'fro'");
  });
  claim(ex, "torch.softmax", t_softmax, floating_input);
  claim(ex, "torch.log_softmax", t_log_softmax, floating_input);
  claim(ex, "torch.nn.functional.softmin", t_softmin, [](const BoundSymbol& b, const Trace&) {
    return b.args[1].is_none() ? Decision::no("dim=None (torch's implicit-dim rule)") : Decision::yes();
  });
  claim(ex, "torch.nn.functional.layer_norm", t_layer_norm, same_input_output_dtype);
  claim(ex, "torch.nn.functional.rms_norm", t_rms_norm, same_input_output_dtype);
  claim(ex, "torch.nn.functional.batch_norm", t_batch_norm, [](const BoundSymbol& b, const Trace&) {
    if (b.args[5].as_bool() && !(b.args[1].is_none() && b.args[2].is_none()))
      return Decision::no("training mode updates the running statistics in place");
    return Decision::yes();
  });
  claim(ex, "torch.nn.functional.normalize", t_normalize, none_at({4}, "out= is given"));
  const KernelEntry matmuls[] = {{"torch.nn.functional.linear", t_linear},
                                 {"torch.matmul", t_matmul},
                                 {"torch.mm", t_mm},
                                 {"torch.bmm", t_bmm},
                                 {"torch.dot", t_dot},
                                 {"torch.outer", t_outer},
                                 {"torch.addmm", t_addmm},
                                 {"torch.baddbmm", t_baddbmm}};
  for (const auto& e : matmuls) claim(ex, e.id, e.fn, same_input_output_dtype);
  claim(ex, "torch.nn.functional.scaled_dot_product_attention", t_sdpa, [](const BoundSymbol& b, const Trace& t) {
    if (!(b.args[4].is_number_literal() && b.args[4].as_float() == 0.0))
      return Decision::no("attention dropout draws from keraunos' Philox stream, not torch's generator");
    Decision d = floating_input(b, t);
    if (!d) return d;
    for (size_t i = 1; i < 3; ++i)  // the mask may be bool or another float dtype, as torch allows
      if (t.type(b.args[i].as_proxy()).tensor.dtype != t.type(b.args[0].as_proxy()).tensor.dtype)
        return Decision::no("query, key and value of different dtypes");
    return Decision::yes();
  });
  claim(ex, "torch.nn.functional.embedding", t_embedding, [](const BoundSymbol& b, const Trace&) {
    return b.args[3].is_none() ? Decision::yes() : Decision::no("max_norm renormalizes the weight in place");
  });
  const char* legacy = "the deprecated size_average/reduce arguments";
  claim(ex, "torch.nn.functional.cross_entropy", t_cross_entropy, [legacy](const BoundSymbol& b, const Trace& t) {
    if (!b.args[3].is_none() || !b.args[5].is_none()) return Decision::no(legacy);
    return floating_input(b, t);
  });
  claim(ex, "torch.nn.functional.nll_loss", t_nll_loss, none_at({3, 5}, legacy));
  claim(ex, "torch.nn.functional.mse_loss", t_mse_loss, none_at({2, 3, 5}, "legacy size_average/reduce, or a weight"));
  claim(ex, "torch.nn.functional.l1_loss", t_l1_loss, none_at({2, 3, 5}, "legacy size_average/reduce, or a weight"));
  claim(ex, "torch.nn.functional.smooth_l1_loss", t_smooth_l1_loss, none_at({2, 3}, legacy));
  claim(ex, "torch.nn.functional.huber_loss", t_huber_loss, none_at({4}, "a weight"));
  claim(ex, "torch.nn.functional.binary_cross_entropy", t_bce, none_at({3, 4}, legacy));
  claim(ex, "torch.nn.functional.binary_cross_entropy_with_logits", t_bce_with_logits, none_at({3, 4}, legacy));
  claim(ex, "torch.nn.functional.kl_div", t_kl_div, none_at({2, 3}, legacy));
}

}  // namespace keraunos::aten
