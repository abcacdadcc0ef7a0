// ATen kernels for torch-level elementwise ops, activations and dtype conversions, each one call of
// the ATen function torch itself calls. Arguments are passed as torch's Python binding passes them
// (Python numbers as wrapped 0-d tensors, weak in type promotion), so results are eager's.
#include "executors/torch/kernel.h"

namespace keraunos::aten {
namespace {

using K = AtenKernel;

// `x` names the op's tensor parameter (torch.relu's `input`, torch.square's `a`).
#define KERAUNOS_TORCH_UNARY(name, x, expr) \
  KERAUNOS_ATEN_KERNEL(t_##name, x) {       \
    const at::Tensor& a = k.T(f, Param::x); \
    k.out(f, 0, expr);                      \
  }
KERAUNOS_TORCH_UNARY(square, a, at::square(a))
KERAUNOS_TORCH_UNARY(frac, a, at::frac(a))
KERAUNOS_TORCH_UNARY(positive, a, at::positive(a))
KERAUNOS_TORCH_UNARY(sgn, a, at::sgn(a))
KERAUNOS_TORCH_UNARY(sigmoid, input, at::sigmoid(a))
KERAUNOS_TORCH_UNARY(relu, input, at::relu(a))
KERAUNOS_TORCH_UNARY(relu6, input, at::relu6(a))
KERAUNOS_TORCH_UNARY(silu, input, at::silu(a))
KERAUNOS_TORCH_UNARY(selu, input, at::selu(a))
KERAUNOS_TORCH_UNARY(mish, input, at::mish(a))
KERAUNOS_TORCH_UNARY(hardswish, input, at::hardswish(a))
KERAUNOS_TORCH_UNARY(hardsigmoid, input, at::hardsigmoid(a))
KERAUNOS_TORCH_UNARY(logsigmoid, input, at::log_sigmoid(a))
// Tensor.float(), .half(), ..., .type_as(other): the dtype is the trace's output dtype.
KERAUNOS_TORCH_UNARY(to_dtype, a, a.to(k.out_dtype(0)))
#undef KERAUNOS_TORCH_UNARY

// Binary ops whose operands may be Python numbers (wrapped, as torch's binding wraps them).
#define KERAUNOS_TORCH_BINARY(name, y, fn) \
  KERAUNOS_ATEN_KERNEL(t_##name, a, y) { k.out(f, 0, fn(k.TW(f, a), k.TW(f, Param::y))); }
KERAUNOS_TORCH_BINARY(true_divide, b, at::true_divide)
KERAUNOS_TORCH_BINARY(floor_divide, b, at::floor_divide)
KERAUNOS_TORCH_BINARY(hypot, b, at::hypot)
KERAUNOS_TORCH_BINARY(logaddexp, b, at::logaddexp)
KERAUNOS_TORCH_BINARY(heaviside, values, at::heaviside)
#undef KERAUNOS_TORCH_BINARY

// pow, xlogy and float_power have Scalar overloads (pow's has fast paths for exponents 2, 0.5, ...).
#define KERAUNOS_TORCH_BINARY_S(name, fn)                              \
  KERAUNOS_ATEN_KERNEL(t_##name, a, b) {                               \
    if (!k.is_tensor(b)) return k.out(f, 0, fn(k.T(f, a), k.S(f, b))); \
    if (!k.is_tensor(a)) return k.out(f, 0, fn(k.S(f, a), k.T(f, b))); \
    k.out(f, 0, fn(k.T(f, a), k.T(f, b)));                             \
  }
KERAUNOS_TORCH_BINARY_S(xlogy, at::xlogy)
KERAUNOS_TORCH_BINARY_S(float_power, at::float_power)
#undef KERAUNOS_TORCH_BINARY_S

KERAUNOS_ATEN_KERNEL(t_add, a, b, alpha) { k.out(f, 0, at::add(k.TW(f, a), k.TW(f, b), k.S(f, alpha))); }
KERAUNOS_ATEN_KERNEL(t_sub, a, b, alpha) { k.out(f, 0, at::sub(k.TW(f, a), k.TW(f, b), k.S(f, alpha))); }
KERAUNOS_ATEN_KERNEL(t_rsub, a, other, alpha) { k.out(f, 0, at::rsub(k.T(f, a), k.TW(f, other), k.S(f, alpha))); }
KERAUNOS_ATEN_KERNEL(t_div, a, b, rounding_mode) {
  if (k.is_none(rounding_mode)) return k.out(f, 0, at::div(k.TW(f, a), k.TW(f, b)));
  k.out(f, 0, at::div(k.TW(f, a), k.TW(f, b), k.Str(rounding_mode)));
}
KERAUNOS_ATEN_KERNEL(t_where, condition, input, other) {
  const at::Tensor& c = k.T(f, condition);
  if (k.is_tensor(input) && k.is_tensor(other)) return k.out(f, 0, at::where(c, k.T(f, input), k.T(f, other)));
  if (k.is_tensor(input)) return k.out(f, 0, at::where(c, k.T(f, input), k.S(f, other)));
  if (k.is_tensor(other)) return k.out(f, 0, at::where(c, k.S(f, input), k.T(f, other)));
  k.out(f, 0, at::where(c, k.S(f, input), k.S(f, other)));
}
KERAUNOS_ATEN_KERNEL(t_lerp, a, end, weight) {
  if (k.is_tensor(weight)) return k.out(f, 0, at::lerp(k.T(f, a), k.T(f, end), k.T(f, weight)));
  k.out(f, 0, at::lerp(k.T(f, a), k.T(f, end), k.S(f, weight)));
}
KERAUNOS_ATEN_KERNEL(t_addcmul, a, tensor1, tensor2, value) {
  k.out(f, 0, at::addcmul(k.T(f, a), k.T(f, tensor1), k.T(f, tensor2), k.S(f, value)));
}
KERAUNOS_ATEN_KERNEL(t_addcdiv, a, tensor1, tensor2, value) {
  k.out(f, 0, at::addcdiv(k.T(f, a), k.T(f, tensor1), k.T(f, tensor2), k.S(f, value)));
}
KERAUNOS_ATEN_KERNEL(t_clamp, a, min, max) {
  if (k.is_tensor(min) || k.is_tensor(max)) return k.out(f, 0, at::clamp(k.T(f, a), k.OptTensor(f, min), k.OptTensor(f, max)));
  k.out(f, 0, at::clamp(k.T(f, a), k.OptS(f, min), k.OptS(f, max)));
}
KERAUNOS_ATEN_KERNEL(t_clamp_min, a, min) {
  if (k.is_tensor(min)) return k.out(f, 0, at::clamp_min(k.T(f, a), k.T(f, min)));
  k.out(f, 0, at::clamp_min(k.T(f, a), k.S(f, min)));
}
KERAUNOS_ATEN_KERNEL(t_clamp_max, a, max) {
  if (k.is_tensor(max)) return k.out(f, 0, at::clamp_max(k.T(f, a), k.T(f, max)));
  k.out(f, 0, at::clamp_max(k.T(f, a), k.S(f, max)));
}
KERAUNOS_ATEN_KERNEL(t_nan_to_num, a, nan, posinf, neginf) {
  k.out(f, 0, at::nan_to_num(k.T(f, a), k.OptF(f, nan), k.OptF(f, posinf), k.OptF(f, neginf)));
}
KERAUNOS_ATEN_KERNEL(t_logit, a, eps) { k.out(f, 0, at::logit(k.T(f, a), k.OptF(f, eps))); }

KERAUNOS_ATEN_KERNEL(t_hardtanh, input, min_val, max_val) { k.out(f, 0, at::hardtanh(k.T(f, input), k.S(f, min_val), k.S(f, max_val))); }
KERAUNOS_ATEN_KERNEL(t_gelu, input, approximate) { k.out(f, 0, at::gelu(k.T(f, input), k.Str(approximate))); }
KERAUNOS_ATEN_KERNEL(t_softplus, input, beta, threshold) { k.out(f, 0, at::softplus(k.T(f, input), k.S(f, beta), k.S(f, threshold))); }
KERAUNOS_ATEN_KERNEL(t_leaky_relu, input, negative_slope) { k.out(f, 0, at::leaky_relu(k.T(f, input), k.S(f, negative_slope))); }
KERAUNOS_ATEN_KERNEL(t_elu, input, alpha) { k.out(f, 0, at::elu(k.T(f, input), k.S(f, alpha))); }
KERAUNOS_ATEN_KERNEL(t_celu, input, alpha) { k.out(f, 0, at::celu(k.T(f, input), k.S(f, alpha))); }
KERAUNOS_ATEN_KERNEL(t_glu, input, dim) { k.out(f, 0, at::glu(k.T(f, input), k.Int(f, dim))); }

// Tensor.to(device, dtype, non_blocking, copy): the target is the trace's output type.
KERAUNOS_ATEN_KERNEL(t_to, a, non_blocking, copy) {
  const bool nb = k.lit(non_blocking).is_bool() && k.lit(non_blocking).as_bool();
  const bool cp = k.lit(copy).is_bool() && k.lit(copy).as_bool();
  k.out(f, 0, k.T(f, a).to(k.out_options(0), nb, cp));
}

bool is_tensor_arg(const BoundSymbol& b, const Trace& t, std::string_view param) {
  const Value& v = b.arg(param);
  return v.is_proxy() && t.type(v.as_proxy()).is_tensor;
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
    const bool lo = is_tensor_arg(b, t, "min"), hi = is_tensor_arg(b, t, "max");
    if ((lo && !hi && !b.arg("max").is_none()) || (hi && !lo && !b.arg("min").is_none()))
      return Decision::no("one bound is a tensor and the other a number");
    return Decision::yes();
  };
  claim(ex, "torch.clamp", t_clamp, bounds_alike);
  claim(ex, "torch.clip", t_clamp, bounds_alike);
}

}  // namespace keraunos::aten
