// ATen kernels for torch-level elementwise ops, activations and dtype conversions, each one call of
// the ATen function torch itself calls. Arguments are passed as torch's Python binding passes them
// (Python numbers as wrapped 0-d tensors, weak in type promotion), so results are eager's.
#include "executors/torch/kernel.h"

namespace keraunos::aten {
namespace {

using K = AtenKernel;

#define KERAUNOS_TORCH_UNARY(name, expr)    \
  void t_##name(const K& k, ExecFrame& f) { \
    const at::Tensor& a = k.T(f, 0);        \
    k.out(f, 0, expr);                      \
  }
KERAUNOS_TORCH_UNARY(square, at::square(a))
KERAUNOS_TORCH_UNARY(frac, at::frac(a))
KERAUNOS_TORCH_UNARY(positive, at::positive(a))
KERAUNOS_TORCH_UNARY(sgn, at::sgn(a))
KERAUNOS_TORCH_UNARY(sigmoid, at::sigmoid(a))
KERAUNOS_TORCH_UNARY(relu, at::relu(a))
KERAUNOS_TORCH_UNARY(relu6, at::relu6(a))
KERAUNOS_TORCH_UNARY(silu, at::silu(a))
KERAUNOS_TORCH_UNARY(selu, at::selu(a))
KERAUNOS_TORCH_UNARY(mish, at::mish(a))
KERAUNOS_TORCH_UNARY(hardswish, at::hardswish(a))
KERAUNOS_TORCH_UNARY(hardsigmoid, at::hardsigmoid(a))
KERAUNOS_TORCH_UNARY(logsigmoid, at::log_sigmoid(a))
// Tensor.float(), .half(), ..., .type_as(other): the dtype is the trace's output dtype.
KERAUNOS_TORCH_UNARY(to_dtype, a.to(k.out_dtype(0)))
#undef KERAUNOS_TORCH_UNARY

// Binary ops whose operands may be Python numbers (wrapped, as torch's binding wraps them).
#define KERAUNOS_TORCH_BINARY(name, fn) \
  void t_##name(const K& k, ExecFrame& f) { k.out(f, 0, fn(k.TW(f, 0), k.TW(f, 1))); }
KERAUNOS_TORCH_BINARY(true_divide, at::true_divide)
KERAUNOS_TORCH_BINARY(floor_divide, at::floor_divide)
KERAUNOS_TORCH_BINARY(hypot, at::hypot)
KERAUNOS_TORCH_BINARY(logaddexp, at::logaddexp)
KERAUNOS_TORCH_BINARY(heaviside, at::heaviside)
#undef KERAUNOS_TORCH_BINARY

// pow, xlogy and float_power have Scalar overloads (pow's has fast paths for exponents 2, 0.5, ...).
#define KERAUNOS_TORCH_BINARY_S(name, fn)                              \
  void t_##name(const K& k, ExecFrame& f) {                            \
    if (!k.is_tensor(1)) return k.out(f, 0, fn(k.T(f, 0), k.S(f, 1))); \
    if (!k.is_tensor(0)) return k.out(f, 0, fn(k.S(f, 0), k.T(f, 1))); \
    k.out(f, 0, fn(k.T(f, 0), k.T(f, 1)));                             \
  }
KERAUNOS_TORCH_BINARY_S(xlogy, at::xlogy)
KERAUNOS_TORCH_BINARY_S(float_power, at::float_power)
#undef KERAUNOS_TORCH_BINARY_S

void t_add(const K& k, ExecFrame& f) { k.out(f, 0, at::add(k.TW(f, 0), k.TW(f, 1), k.S(f, 2))); }
void t_sub(const K& k, ExecFrame& f) { k.out(f, 0, at::sub(k.TW(f, 0), k.TW(f, 1), k.S(f, 2))); }
void t_rsub(const K& k, ExecFrame& f) { k.out(f, 0, at::rsub(k.T(f, 0), k.TW(f, 1), k.S(f, 2))); }
void t_div(const K& k, ExecFrame& f) {
  if (k.is_none(2)) return k.out(f, 0, at::div(k.TW(f, 0), k.TW(f, 1)));
  k.out(f, 0, at::div(k.TW(f, 0), k.TW(f, 1), k.Str(2)));
}
void t_where(const K& k, ExecFrame& f) {
  const at::Tensor& c = k.T(f, 0);
  if (k.is_tensor(1) && k.is_tensor(2)) return k.out(f, 0, at::where(c, k.T(f, 1), k.T(f, 2)));
  if (k.is_tensor(1)) return k.out(f, 0, at::where(c, k.T(f, 1), k.S(f, 2)));
  if (k.is_tensor(2)) return k.out(f, 0, at::where(c, k.S(f, 1), k.T(f, 2)));
  k.out(f, 0, at::where(c, k.S(f, 1), k.S(f, 2)));
}
void t_lerp(const K& k, ExecFrame& f) {
  if (k.is_tensor(2)) return k.out(f, 0, at::lerp(k.T(f, 0), k.T(f, 1), k.T(f, 2)));
  k.out(f, 0, at::lerp(k.T(f, 0), k.T(f, 1), k.S(f, 2)));
}
void t_addcmul(const K& k, ExecFrame& f) { k.out(f, 0, at::addcmul(k.T(f, 0), k.T(f, 1), k.T(f, 2), k.S(f, 3))); }
void t_addcdiv(const K& k, ExecFrame& f) { k.out(f, 0, at::addcdiv(k.T(f, 0), k.T(f, 1), k.T(f, 2), k.S(f, 3))); }
void t_clamp(const K& k, ExecFrame& f) {
  if (k.is_tensor(1) || k.is_tensor(2)) {
    return k.out(f, 0,
                 at::clamp(k.T(f, 0), k.is_none(1) ? std::nullopt : std::optional(k.T(f, 1)),
                           k.is_none(2) ? std::nullopt : std::optional(k.T(f, 2))));
  }
  k.out(f, 0, at::clamp(k.T(f, 0), k.OptS(f, 1), k.OptS(f, 2)));
}
void t_clamp_min(const K& k, ExecFrame& f) {
  if (k.is_tensor(1)) return k.out(f, 0, at::clamp_min(k.T(f, 0), k.T(f, 1)));
  k.out(f, 0, at::clamp_min(k.T(f, 0), k.S(f, 1)));
}
void t_clamp_max(const K& k, ExecFrame& f) {
  if (k.is_tensor(1)) return k.out(f, 0, at::clamp_max(k.T(f, 0), k.T(f, 1)));
  k.out(f, 0, at::clamp_max(k.T(f, 0), k.S(f, 1)));
}
void t_nan_to_num(const K& k, ExecFrame& f) { k.out(f, 0, at::nan_to_num(k.T(f, 0), k.OptF(f, 1), k.OptF(f, 2), k.OptF(f, 3))); }
void t_logit(const K& k, ExecFrame& f) { k.out(f, 0, at::logit(k.T(f, 0), k.OptF(f, 1))); }

void t_hardtanh(const K& k, ExecFrame& f) { k.out(f, 0, at::hardtanh(k.T(f, 0), k.S(f, 1), k.S(f, 2))); }
void t_gelu(const K& k, ExecFrame& f) { k.out(f, 0, at::gelu(k.T(f, 0), k.Str(1))); }
void t_softplus(const K& k, ExecFrame& f) { k.out(f, 0, at::softplus(k.T(f, 0), k.S(f, 1), k.S(f, 2))); }
void t_leaky_relu(const K& k, ExecFrame& f) { k.out(f, 0, at::leaky_relu(k.T(f, 0), k.S(f, 1))); }
void t_elu(const K& k, ExecFrame& f) { k.out(f, 0, at::elu(k.T(f, 0), k.S(f, 1))); }
void t_celu(const K& k, ExecFrame& f) { k.out(f, 0, at::celu(k.T(f, 0), k.S(f, 1))); }
void t_glu(const K& k, ExecFrame& f) { k.out(f, 0, at::glu(k.T(f, 0), k.Int(f, 1))); }

// Tensor.to(device, dtype, non_blocking, copy): the target is the trace's output type.
void t_to(const K& k, ExecFrame& f) {
  const bool non_blocking = k.lit(3).is_bool() && k.lit(3).as_bool();
  const bool copy = k.lit(4).is_bool() && k.lit(4).as_bool();
  k.out(f, 0, k.T(f, 0).to(k.out_options(0), non_blocking, copy));
}

bool is_tensor_arg(const BoundSymbol& b, const Trace& t, size_t i) {
  return b.args[i].is_proxy() && t.type(b.args[i].as_proxy()).is_tensor;
}

}  // namespace

void register_torch_elementwise_kernels(OperatorExecutor& ex) {
  claim_all(ex, {
                    {"torch.square", t_square},
                    {"torch.frac", t_frac},
                    {"torch.positive", t_positive},
                    {"torch.sgn", t_sgn},
                    {"torch.sigmoid", t_sigmoid},
                    {"torch.relu", t_relu},
                    {"torch.nn.functional.relu6", t_relu6},
                    {"torch.nn.functional.silu", t_silu},
                    {"torch.nn.functional.selu", t_selu},
                    {"torch.nn.functional.mish", t_mish},
                    {"torch.nn.functional.hardswish", t_hardswish},
                    {"torch.nn.functional.hardsigmoid", t_hardsigmoid},
                    {"torch.nn.functional.logsigmoid", t_logsigmoid},
                    {"torch.nn.functional.hardtanh", t_hardtanh},
                    {"torch.nn.functional.gelu", t_gelu},
                    {"torch.nn.functional.softplus", t_softplus},
                    {"torch.nn.functional.leaky_relu", t_leaky_relu},
                    {"torch.nn.functional.elu", t_elu},
                    {"torch.nn.functional.celu", t_celu},
                    {"torch.nn.functional.glu", t_glu},
                    {"torch.true_divide", t_true_divide},
                    {"torch.floor_divide", t_floor_divide},
                    {"torch.hypot", t_hypot},
                    {"torch.logaddexp", t_logaddexp},
                    {"torch.heaviside", t_heaviside},
                    {"torch.xlogy", t_xlogy},
                    {"torch.float_power", t_float_power},
                    {"torch.add", t_add},
                    {"torch.sub", t_sub},
                    {"torch.rsub", t_rsub},
                    {"torch.div", t_div},
                    {"torch.where", t_where},
                    {"torch.lerp", t_lerp},
                    {"torch.addcmul", t_addcmul},
                    {"torch.addcdiv", t_addcdiv},
                    {"torch.clamp_min", t_clamp_min},
                    {"torch.clamp_max", t_clamp_max},
                    {"torch.nan_to_num", t_nan_to_num},
                    {"torch.logit", t_logit},
                    {"torch.Tensor.to", t_to},
                    {"torch.Tensor.type_as", t_to_dtype},
                    {"torch.Tensor.float", t_to_dtype},
                    {"torch.Tensor.double", t_to_dtype},
                    {"torch.Tensor.half", t_to_dtype},
                    {"torch.Tensor.bfloat16", t_to_dtype},
                    {"torch.Tensor.int", t_to_dtype},
                    {"torch.Tensor.long", t_to_dtype},
                    {"torch.Tensor.bool", t_to_dtype},
                    {"torch.Tensor.short", t_to_dtype},
                    {"torch.Tensor.byte", t_to_dtype},
                    {"torch.Tensor.char", t_to_dtype},
                });
  // clamp with one tensor bound and one number bound: ATen's clamp takes both as tensors or both as numbers.
  Checker bounds_alike = [](const BoundSymbol& b, const Trace& t) {
    const bool lo = is_tensor_arg(b, t, 1), hi = is_tensor_arg(b, t, 2);
    if ((lo && !hi && !b.args[2].is_none()) || (hi && !lo && !b.args[1].is_none()))
      return Decision::no("one bound is a tensor and the other a number");
    return Decision::yes();
  };
  claim(ex, "torch.clamp", t_clamp, bounds_alike);
  claim(ex, "torch.clip", t_clamp, bounds_alike);
}

}  // namespace keraunos::aten
