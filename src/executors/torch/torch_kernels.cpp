// ATen kernels for torch-level ops that ATen implements directly: claimed whole, so they run as one
// ATen call instead of their decomposition when no higher-priority executor takes them.
#include <ATen/ATen.h>

#include "executors/torch/kernel.h"

namespace keraunos::aten {
namespace {

using K = AtenKernel;

std::optional<at::ScalarType> opt_dtype(const K& k, size_t i) { return k.is_none(i) ? std::nullopt : std::optional(k.Dt(i)); }
std::optional<at::Tensor> opt_tensor(const K& k, ExecFrame& f, size_t i) { return k.is_none(i) ? std::nullopt : std::optional(k.T(f, i)); }
std::optional<double> opt_float(const K& k, ExecFrame& f, size_t i) { return k.is_none(i) ? std::nullopt : std::optional(k.F(f, i)); }

void k_softmax(const K& k, ExecFrame& f) { k.out(f, 0, at::softmax(k.T(f, 0), k.Int(f, 1), opt_dtype(k, 2))); }
void k_log_softmax(const K& k, ExecFrame& f) { k.out(f, 0, at::log_softmax(k.T(f, 0), k.Int(f, 1), opt_dtype(k, 2))); }
void k_layer_norm(const K& k, ExecFrame& f) {
  k.out(f, 0, at::layer_norm(k.T(f, 0), k.Ints(f, 1), opt_tensor(k, f, 2), opt_tensor(k, f, 3), k.F(f, 4)));
}
void k_rms_norm(const K& k, ExecFrame& f) { k.out(f, 0, at::rms_norm(k.T(f, 0), k.Ints(f, 1), opt_tensor(k, f, 2), opt_float(k, f, 3))); }
void k_linear(const K& k, ExecFrame& f) { k.out(f, 0, at::linear(k.T(f, 0), k.T(f, 1), opt_tensor(k, f, 2))); }
void k_matmul(const K& k, ExecFrame& f) { k.out(f, 0, at::matmul(k.T(f, 0), k.T(f, 1))); }
void k_sdpa(const K& k, ExecFrame& f) {
  k.out(f, 0, at::scaled_dot_product_attention(k.T(f, 0), k.T(f, 1), k.T(f, 2), opt_tensor(k, f, 3),
                                               k.F(f, 4), k.B(5), opt_float(k, f, 6), k.B(7)));
}
int64_t reduction(const std::string& r) { return r == "none" ? at::Reduction::None : r == "sum" ? at::Reduction::Sum : at::Reduction::Mean; }
void k_cross_entropy(const K& k, ExecFrame& f) {
  k.out(f, 0, at::cross_entropy_loss(k.T(f, 0), k.T(f, 1), opt_tensor(k, f, 2), reduction(k.Str(6)), k.Int(f, 4), k.F(f, 7)));
}
void k_gelu(const K& k, ExecFrame& f) { k.out(f, 0, at::gelu(k.T(f, 0), k.Str(1))); }
void k_silu(const K& k, ExecFrame& f) { k.out(f, 0, at::silu(k.T(f, 0))); }
void k_relu(const K& k, ExecFrame& f) { k.out(f, 0, at::relu(k.T(f, 0))); }
void k_embedding(const K& k, ExecFrame& f) {
  k.out(f, 0, at::embedding(k.T(f, 1), k.T(f, 0), k.is_none(2) ? -1 : k.Int(f, 2), k.B(5), k.B(6)));
}

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

}  // namespace

void register_torch_kernels(OperatorExecutor& ex) {
  claim(ex, "torch.softmax", k_softmax, floating_input);
  claim(ex, "torch.log_softmax", k_log_softmax, floating_input);
  claim(ex, "torch.nn.functional.layer_norm", k_layer_norm, same_input_output_dtype);
  claim(ex, "torch.nn.functional.rms_norm", k_rms_norm, same_input_output_dtype);
  claim(ex, "torch.nn.functional.linear", k_linear, same_input_output_dtype);
  claim(ex, "torch.matmul", k_matmul, same_input_output_dtype);
  claim(ex, "torch.nn.functional.scaled_dot_product_attention", k_sdpa, [](const BoundSymbol& b, const Trace& t) {
    if (!(b.args[4].is_number_literal() && b.args[4].as_float() == 0.0))
      return Decision::no("attention dropout draws from keraunos' Philox stream, not torch's generator");
    return same_input_output_dtype(b, t);
  });
  claim(ex, "torch.nn.functional.cross_entropy", k_cross_entropy, [](const BoundSymbol& b, const Trace& t) {
    if (!b.args[3].is_none() || !b.args[5].is_none()) return Decision::no("legacy size_average/reduce arguments");
    return floating_input(b, t);
  });
  claim(ex, "torch.nn.functional.gelu", k_gelu, floating_input);
  claim(ex, "torch.nn.functional.silu", k_silu, floating_input);
  claim(ex, "torch.relu", k_relu, [](const BoundSymbol& b, const Trace& t) {
    const auto& ty = t.type(b.args[0].as_proxy()).tensor;
    return is_bool(ty.dtype) || is_complex(ty.dtype) ? Decision::no("ATen's relu needs a real numeric input") : Decision::yes();
  });
  claim(ex, "torch.nn.functional.embedding", k_embedding, [](const BoundSymbol& b, const Trace&) {
    return b.args[3].is_none() ? Decision::yes() : Decision::no("max_norm renormalizes the weight in place");
  });
}

}  // namespace keraunos::aten
