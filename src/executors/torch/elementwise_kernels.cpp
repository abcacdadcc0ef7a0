// ATen kernels for the elementwise prims. Numbers are weak: they take the tensor operand's dtype.
#include "executors/torch/kernel.h"

namespace keraunos::aten {
namespace {

using K = AtenKernel;

// Operand i as a tensor: a number takes the dtype of the first tensor operand (prims' weak
// numbers); with no tensor operand (symbolic-size arithmetic) it becomes a 0-d tensor.
at::Tensor arg(const K& k, ExecFrame& f, size_t i, size_t first = 0) {
  if (k.is_tensor(i)) return k.T(f, i);
  for (size_t j = first; j < k.num_args(); ++j)
    if (k.is_tensor(j)) return k.TorScalar(f, i, k.T(f, j));
  return at::scalar_tensor(k.S(f, i));
}

#define KERAUNOS_UNARY(name, expr)                        \
  void k_##name(const K& k, ExecFrame& f) {               \
    const at::Tensor a = arg(k, f, 0);                    \
    k.out(f, 0, expr);                                    \
  }
#define KERAUNOS_BINARY(name, expr)                       \
  void k_##name(const K& k, ExecFrame& f) {               \
    const at::Tensor a = arg(k, f, 0);                    \
    const at::Tensor b = arg(k, f, 1);                    \
    k.out(f, 0, expr);                                    \
  }
// With an ATen overload taking a Scalar second operand: no 0-d tensor for `tensor op number`.
#define KERAUNOS_BINARY_S(name, fn)                                          \
  void k_##name(const K& k, ExecFrame& f) {                                  \
    if (k.is_tensor(0) && !k.is_tensor(1)) {                                 \
      const at::Tensor& a = k.T(f, 0);                                       \
      k.out(f, 0, fn(a, k.weak(f, 1, a.scalar_type())));                     \
      return;                                                                \
    }                                                                        \
    const at::Tensor a = arg(k, f, 0);                                       \
    const at::Tensor b = arg(k, f, 1);                                       \
    k.out(f, 0, fn(a, b));                                                   \
  }

KERAUNOS_UNARY(abs, at::abs(a))
KERAUNOS_UNARY(neg, at::neg(a))
KERAUNOS_UNARY(exp, at::exp(a))
KERAUNOS_UNARY(exp2, at::exp2(a))
KERAUNOS_UNARY(expm1, at::expm1(a))
KERAUNOS_UNARY(log, at::log(a))
KERAUNOS_UNARY(log1p, at::log1p(a))
KERAUNOS_UNARY(log2, at::log2(a))
KERAUNOS_UNARY(log10, at::log10(a))
KERAUNOS_UNARY(sqrt, at::sqrt(a))
KERAUNOS_UNARY(rsqrt, at::rsqrt(a))
KERAUNOS_UNARY(reciprocal, at::reciprocal(a))
KERAUNOS_UNARY(sin, at::sin(a))
KERAUNOS_UNARY(cos, at::cos(a))
KERAUNOS_UNARY(tan, at::tan(a))
KERAUNOS_UNARY(asin, at::asin(a))
KERAUNOS_UNARY(acos, at::acos(a))
KERAUNOS_UNARY(atan, at::atan(a))
KERAUNOS_UNARY(sinh, at::sinh(a))
KERAUNOS_UNARY(cosh, at::cosh(a))
KERAUNOS_UNARY(tanh, at::tanh(a))
KERAUNOS_UNARY(asinh, at::asinh(a))
KERAUNOS_UNARY(acosh, at::acosh(a))
KERAUNOS_UNARY(atanh, at::atanh(a))
KERAUNOS_UNARY(erf, at::erf(a))
KERAUNOS_UNARY(erfc, at::erfc(a))
KERAUNOS_UNARY(erfinv, at::erfinv(a))
KERAUNOS_UNARY(lgamma, at::lgamma(a))
KERAUNOS_UNARY(digamma, at::digamma(a))
KERAUNOS_UNARY(sign, at::sign(a))
KERAUNOS_UNARY(signbit, at::signbit(a))
KERAUNOS_UNARY(floor, at::floor(a))
KERAUNOS_UNARY(ceil, at::ceil(a))
KERAUNOS_UNARY(round, at::round(a))
KERAUNOS_UNARY(trunc, at::trunc(a))
KERAUNOS_UNARY(isfinite, at::isfinite(a))
KERAUNOS_UNARY(isnan, at::isnan(a))
KERAUNOS_UNARY(isinf, at::isinf(a))
KERAUNOS_UNARY(logical_not, at::logical_not(a))
KERAUNOS_UNARY(bitwise_not, at::bitwise_not(a))
KERAUNOS_UNARY(real, a.is_complex() ? at::real(a) : a)
KERAUNOS_UNARY(imag, at::imag(a))

KERAUNOS_BINARY_S(add, at::add)
KERAUNOS_BINARY_S(sub, at::sub)
KERAUNOS_BINARY_S(mul, at::mul)
// Integer division truncates, as in C.
void k_div(const K& k, ExecFrame& f) {
  if (k.is_tensor(0) && !k.is_tensor(1) && at::isFloatingType(k.T(f, 0).scalar_type())) {
    k.out(f, 0, at::div(k.T(f, 0), k.weak(f, 1, k.T(f, 0).scalar_type())));
    return;
  }
  const at::Tensor a = arg(k, f, 0);
  const at::Tensor b = arg(k, f, 1);
  k.out(f, 0, at::isIntegralType(a.scalar_type(), true) ? at::div(a, b, "trunc") : at::div(a, b));
}
KERAUNOS_BINARY_S(pow, at::pow)
KERAUNOS_BINARY_S(fmod, at::fmod)
KERAUNOS_BINARY_S(remainder, at::remainder)
KERAUNOS_BINARY(maximum, at::maximum(a, b))
KERAUNOS_BINARY(minimum, at::minimum(a, b))
KERAUNOS_BINARY_S(eq, at::eq)
KERAUNOS_BINARY_S(ne, at::ne)
KERAUNOS_BINARY_S(lt, at::lt)
KERAUNOS_BINARY_S(le, at::le)
KERAUNOS_BINARY_S(gt, at::gt)
KERAUNOS_BINARY_S(ge, at::ge)
KERAUNOS_BINARY(logical_and, at::logical_and(a, b))
KERAUNOS_BINARY(logical_or, at::logical_or(a, b))
KERAUNOS_BINARY(logical_xor, at::logical_xor(a, b))
KERAUNOS_BINARY_S(bitwise_and, at::bitwise_and)
KERAUNOS_BINARY_S(bitwise_or, at::bitwise_or)
KERAUNOS_BINARY_S(bitwise_xor, at::bitwise_xor)
KERAUNOS_BINARY(shift_left, at::bitwise_left_shift(a, b))
KERAUNOS_BINARY(shift_right, at::bitwise_right_shift(a, b))
KERAUNOS_BINARY(atan2, at::atan2(a, b))
KERAUNOS_BINARY(copysign, at::copysign(a, b))
KERAUNOS_BINARY(nextafter, at::nextafter(a, b))

void k_lerp(const K& k, ExecFrame& f) { k.out(f, 0, at::lerp(arg(k, f, 0), arg(k, f, 1), arg(k, f, 2))); }

void k_where(const K& k, ExecFrame& f) {
  at::Tensor c = k.is_tensor(0) ? k.T(f, 0) : at::scalar_tensor(k.S(f, 0).toBool(), at::kBool);
  k.out(f, 0, at::where(c, arg(k, f, 1, 1), arg(k, f, 2, 1)));
}

void k_convert_element_type(const K& k, ExecFrame& f) {
  at::ScalarType dt = k.Dt(1);
  if (!k.is_tensor(0)) {
    k.out_number(f, 0, k.S(f, 0));
    return;
  }
  const at::Tensor& a = k.T(f, 0);
  if (a.is_complex() && dt == at::kBool) {
    k.out(f, 0, at::ne(a, 0));  // nonzero, as torch converts complex to bool
    return;
  }
  k.out(f, 0, a.is_complex() && !at::isComplexType(dt) ? at::real(a).to(dt) : a.to(dt));
}

}  // namespace

void register_elementwise_kernels(OperatorExecutor& ex) {
#define E(name) {"prims." #name, k_##name}
  claim_all(ex, {
      E(abs), E(neg), E(exp), E(exp2), E(expm1), E(log), E(log1p), E(log2), E(log10), E(sqrt), E(rsqrt), E(reciprocal),
      E(sin), E(cos), E(tan), E(asin), E(acos), E(atan), E(sinh), E(cosh), E(tanh), E(asinh), E(acosh), E(atanh),
      E(erf), E(erfc), E(erfinv), E(lgamma), E(digamma), E(sign), E(signbit), E(floor), E(ceil), E(round), E(trunc),
      E(isfinite), E(isnan), E(isinf), E(logical_not), E(bitwise_not), E(real), E(imag),
      E(add), E(sub), E(mul), E(div), E(pow), E(fmod), E(remainder), E(maximum), E(minimum), E(eq), E(ne), E(lt), E(le),
      E(gt), E(ge), E(logical_and), E(logical_or), E(logical_xor), E(bitwise_and), E(bitwise_or), E(bitwise_xor),
      E(shift_left), E(shift_right), E(atan2), E(copysign), E(nextafter), E(lerp), E(where), E(convert_element_type),
  });
#undef E
}

}  // namespace keraunos::aten
