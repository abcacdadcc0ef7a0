// Elementwise prims: unary, binary and ternary, registered from the op table (ops/prim_table.h).
#include <algorithm>
#include <cmath>

#include "ops/meta_utils.h"
#include "ops/prims/grad_helpers.h"
#include "ops/prims/prims.h"

namespace keraunos::ops {
namespace {

const char* expected_str(PrimIn in) {
  switch (in) {
    case PrimIn::Any:
      return "any dtype";
    case PrimIn::NotBool:
      return "a numeric (non-bool) dtype";
    case PrimIn::Real:
      return "a real (non-complex) dtype";
    case PrimIn::RealNotBool:
      return "an integer or floating dtype";
    case PrimIn::Float:
      return "a floating or complex dtype";
    case PrimIn::FloatReal:
      return "a floating dtype";
    case PrimIn::IntOrBool:
      return "a bool or integer dtype";
    case PrimIn::Int:
      return "an integer dtype";
    case PrimIn::Complex:
      return "a complex dtype";
  }
  return "?";
}

bool accepts(PrimIn in, DType t) {
  switch (in) {
    case PrimIn::Any:
      return true;
    case PrimIn::NotBool:
      return !is_bool(t);
    case PrimIn::Real:
      return !is_complex(t);
    case PrimIn::RealNotBool:
      return !is_complex(t) && !is_bool(t);
    case PrimIn::Float:
      return is_floating(t) || is_complex(t);
    case PrimIn::FloatReal:
      return is_floating(t);
    case PrimIn::IntOrBool:
      return is_exact(t);
    case PrimIn::Int:
      return is_integer(t);
    case PrimIn::Complex:
      return is_complex(t);
  }
  return false;
}

NumberKind number_kind(const Trace& t, const Value& v) {
  if (v.is_bool()) return NumberKind::Bool;
  if (v.is_int()) return NumberKind::Int;
  if (v.is_float()) return NumberKind::Float;
  return t.type(v.as_proxy()).number.kind;
}

// Tensor operands must agree exactly; numbers are weak and take the tensors' dtype.
std::vector<ProxyType> elementwise_meta(const MetaArgs& a, const ElementwiseInfo& spec, size_t first) {
  const TensorType* ref = nullptr;
  size_t ref_i = 0;
  for (size_t i = first; i < a.size(); ++i) {
    if (!a.is_tensor(i)) continue;
    const TensorType& tt = a.tensor(i);
    if (!ref) {
      ref = &tt;
      ref_i = i;
      continue;
    }
    KERAUNOS_TYPE_CHECK(same_shape(tt.shape, ref->shape) && tt.dtype == ref->dtype && tt.device == ref->device, a.op(),
                        ": prim operands must agree in shape, dtype and device; argument ", ref_i, " is ", type_str(a.trace(), *ref),
                        " but argument ", i, " is ", type_str(a.trace(), tt),
                        " (broadcasting and type promotion belong in torch-level ops)");
  }
  if (!ref) {
    // Numbers only: the result is a number of the widest kind.
    NumberKind k = NumberKind::Bool;
    for (size_t i = first; i < a.size(); ++i) k = std::max(k, number_kind(a.trace(), a[i]));
    if (spec.out == PrimOut::Bool) k = NumberKind::Bool;
    if (spec.id == PrimId::div && k != NumberKind::Complex) k = NumberKind::Float;
    return {ProxyType::of(NumberType{k, {}, {}})};
  }
  KERAUNOS_TYPE_CHECK(accepts(spec.in, ref->dtype), a.op(), ": expected ", expected_str(spec.in), ", got a tensor ",
                      type_str(a.trace(), *ref));
  TensorType out = *ref;
  out.requires_grad = false;
  if (spec.out == PrimOut::Bool) out.dtype = DType::Bool;
  if (spec.out == PrimOut::ComplexToFloat) out.dtype = to_real(out.dtype);
  return one(std::move(out));
}

// where(pred, a, b): pred is bool; a and b agree.
std::vector<ProxyType> where_meta(const MetaArgs& a) {
  if (a.is_tensor(0)) {
    const TensorType& p = a.tensor(0);
    KERAUNOS_TYPE_CHECK(p.dtype == DType::Bool, a.op(), ": the predicate must be a bool tensor, got ", type_str(a.trace(), p));
    for (size_t i = 1; i < 3; ++i)
      if (a.is_tensor(i))
        KERAUNOS_TYPE_CHECK(same_shape(a.tensor(i).shape, p.shape) && a.tensor(i).device == p.device, a.op(), ": the predicate ",
                            type_str(a.trace(), p), " and argument ", i, " ", type_str(a.trace(), a.tensor(i)),
                            " must agree in shape and device");
    KERAUNOS_TYPE_CHECK(a.is_tensor(1) || a.is_tensor(2), a.op(), ": needs a tensor among its value operands");
  }
  return elementwise_meta(a, elementwise_info(PrimId::where), 1);
}

// The gradient rules of the elementwise prims: a = args[0], b = args[1], out = the result, g its
// gradient. Ops whose result is piecewise constant (sign, floor, ...) pass a zero gradient; ops
// with bool or integer results have none. Ties of maximum/minimum split the gradient in half, as
// torch does.
GradFn elementwise_grad(PrimId id) {
  using namespace grad;
  using P = PrimId;
  auto unary = [](auto f) -> GradFn {
    return [f](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
      if (gs[0].is_none()) return std::vector<Value>(fwd.args.size(), Value::none());
      return only_differentiable(r, fwd, {f(r, fwd.args[0], Value::proxy(fwd.outputs[0]), gs[0])});
    };
  };
  auto binary = [](auto f) -> GradFn {
    return [f](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
      if (gs[0].is_none()) return std::vector<Value>(fwd.args.size(), Value::none());
      std::pair<Value, Value> ab = f(r, fwd.args[0], fwd.args[1], Value::proxy(fwd.outputs[0]), gs[0]);
      return only_differentiable(r, fwd, {ab.first, ab.second});
    };
  };
  switch (id) {
    case P::neg:
      return unary([](Recorder& r, const Value&, const Value&, const Value& g) { return neg(r, g); });
    case P::abs:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) { return mul(r, g, call(r, P::sign, {a})); });
    case P::exp:
      return unary([](Recorder& r, const Value&, const Value& out, const Value& g) { return mul(r, g, out); });
    case P::exp2:
      return unary([](Recorder& r, const Value&, const Value& out, const Value& g) { return mul(r, mul(r, g, out), num(M_LN2)); });
    case P::expm1:
      return unary([](Recorder& r, const Value&, const Value& out, const Value& g) { return mul(r, g, add(r, out, num(1))); });
    case P::log:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) { return div(r, g, a); });
    case P::log1p:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) { return div(r, g, add(r, a, num(1))); });
    case P::log2:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) { return div(r, g, mul(r, a, num(M_LN2))); });
    case P::log10:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) { return div(r, g, mul(r, a, num(M_LN10))); });
    case P::sqrt:
      return unary([](Recorder& r, const Value&, const Value& out, const Value& g) { return div(r, g, mul(r, out, num(2))); });
    case P::rsqrt:  // d/da a^-1/2 = -out^3 / 2
      return unary([](Recorder& r, const Value&, const Value& out, const Value& g) {
        return mul(r, g, mul(r, mul(r, out, mul(r, out, out)), num(-0.5)));
      });
    case P::reciprocal:
      return unary([](Recorder& r, const Value&, const Value& out, const Value& g) { return neg(r, mul(r, g, mul(r, out, out))); });
    case P::sin:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) { return mul(r, g, call(r, P::cos, {a})); });
    case P::cos:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) { return neg(r, mul(r, g, call(r, P::sin, {a}))); });
    case P::tan:
      return unary([](Recorder& r, const Value&, const Value& out, const Value& g) { return mul(r, g, add(r, mul(r, out, out), num(1))); });
    case P::tanh:
      return unary([](Recorder& r, const Value&, const Value& out, const Value& g) { return mul(r, g, sub(r, num(1), mul(r, out, out))); });
    case P::sinh:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) { return mul(r, g, call(r, P::cosh, {a})); });
    case P::cosh:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) { return mul(r, g, call(r, P::sinh, {a})); });
    case P::asin:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) {
        return mul(r, g, call(r, P::rsqrt, {sub(r, num(1), mul(r, a, a))}));
      });
    case P::acos:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) {
        return neg(r, mul(r, g, call(r, P::rsqrt, {sub(r, num(1), mul(r, a, a))})));
      });
    case P::atan:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) { return div(r, g, add(r, mul(r, a, a), num(1))); });
    case P::asinh:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) {
        return mul(r, g, call(r, P::rsqrt, {add(r, mul(r, a, a), num(1))}));
      });
    case P::acosh:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) {
        return mul(r, g, call(r, P::rsqrt, {sub(r, mul(r, a, a), num(1))}));
      });
    case P::atanh:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) { return div(r, g, sub(r, num(1), mul(r, a, a))); });
    case P::erf:  // 2/sqrt(pi) exp(-a^2)
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) {
        return mul(r, g, mul(r, call(r, P::exp, {neg(r, mul(r, a, a))}), num(M_2_SQRTPI)));
      });
    case P::erfc:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) {
        return mul(r, g, mul(r, call(r, P::exp, {neg(r, mul(r, a, a))}), num(-M_2_SQRTPI)));
      });
    case P::rad2deg:
      return unary([](Recorder& r, const Value&, const Value&, const Value& g) { return mul(r, g, num(180.0 / M_PI)); });
    case P::deg2rad:
      return unary([](Recorder& r, const Value&, const Value&, const Value& g) { return mul(r, g, num(M_PI / 180.0)); });
    case P::erfinv:  // sqrt(pi)/2 exp(out^2)
      return unary([](Recorder& r, const Value&, const Value& out, const Value& g) {
        return mul(r, g, mul(r, call(r, P::exp, {mul(r, out, out)}), num(std::sqrt(M_PI) / 2)));
      });
    case P::lgamma:
      return unary([](Recorder& r, const Value& a, const Value&, const Value& g) { return mul(r, g, call(r, P::digamma, {a})); });
    case P::sign:
    case P::floor:
    case P::ceil:
    case P::round:
    case P::trunc:
      return unary([](Recorder& r, const Value&, const Value&, const Value& g) { return zeros_like(r, g); });
    case P::add:
      return binary([](Recorder&, const Value&, const Value&, const Value&, const Value& g) { return std::pair{g, g}; });
    case P::sub:
      return binary([](Recorder& r, const Value&, const Value&, const Value&, const Value& g) { return std::pair{g, neg(r, g)}; });
    case P::mul:
      return binary([](Recorder& r, const Value& a, const Value& b, const Value&, const Value& g) {
        return std::pair{mul(r, g, b), mul(r, g, a)};
      });
    case P::div:
      return binary([](Recorder& r, const Value&, const Value& b, const Value& out, const Value& g) {
        const Value ga = div(r, g, b);
        return std::pair{ga, neg(r, mul(r, ga, out))};
      });
    case P::pow:  // b a^(b-1), and out log(a)
      return binary([](Recorder& r, const Value& a, const Value& b, const Value& out, const Value& g) {
        const Value b1 = b.is_int() || b.is_float() ? num(b.as_float() - 1) : sub(r, b, num(1));
        const Value ga = mul(r, g, mul(r, b, call(r, P::pow, {a, b1})));
        const Value gb = differentiable(r, b) ? mul(r, g, mul(r, out, call(r, P::log, {a}))) : Value::none();
        return std::pair{ga, gb};
      });
    case P::atan2:  // d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2)
      return binary([](Recorder& r, const Value& a, const Value& b, const Value&, const Value& g) {
        const Value s = div(r, g, add(r, mul(r, a, a), mul(r, b, b)));
        return std::pair{mul(r, s, b), neg(r, mul(r, s, a))};
      });
    case P::fmod:  // a - trunc(a/b) b
      return binary([](Recorder& r, const Value& a, const Value& b, const Value&, const Value& g) {
        return std::pair{g, differentiable(r, b) ? neg(r, mul(r, g, call(r, P::trunc, {div(r, a, b)}))) : Value::none()};
      });
    case P::remainder:  // a - floor(a/b) b
      return binary([](Recorder& r, const Value& a, const Value& b, const Value&, const Value& g) {
        return std::pair{g, differentiable(r, b) ? neg(r, mul(r, g, call(r, P::floor, {div(r, a, b)}))) : Value::none()};
      });
    case P::maximum:
    case P::minimum: {
      const P wins = id == P::maximum ? P::gt : P::lt;
      return binary([wins](Recorder& r, const Value& a, const Value& b, const Value&, const Value& g) {
        const Value half = mul(r, g, num(0.5));
        const Value tie = call(r, P::eq, {a, b});
        const Value ga = call(r, P::where, {call(r, wins, {a, b}), g, call(r, P::where, {tie, half, num(0)})});
        const Value gb = call(r, P::where, {call(r, wins, {b, a}), g, call(r, P::where, {tie, half, num(0)})});
        return std::pair{ga, gb};
      });
    }
    case P::where:
      return [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
        if (gs[0].is_none()) return std::vector<Value>(3, Value::none());
        return only_differentiable(
            r, fwd, {Value::none(), call(r, P::where, {fwd.args[0], gs[0], num(0)}), call(r, P::where, {fwd.args[0], num(0), gs[0]})});
      };
    case P::lerp:  // a + w (b - a)
      return [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
        if (gs[0].is_none()) return std::vector<Value>(3, Value::none());
        const Value &a = fwd.args[0], &b = fwd.args[1], &w = fwd.args[2], &g = gs[0];
        const Value gb = mul(r, g, w);
        return only_differentiable(r, fwd, {sub(r, g, gb), gb, mul(r, g, sub(r, b, a))});
      };
    default:
      return {};  // no gradient (bool/integer results) or no rule yet (digamma, copysign, nextafter, complex parts)
  }
}

}  // namespace

void register_elementwise_prims(SymbolTable& table) {
  static const char* kNames[] = {"a", "b", "c"};
  static const char* kWhereNames[] = {"pred", "a", "b"};
  for (const ElementwiseInfo& spec : kElementwisePrims) {
    const char* const* names = spec.id == PrimId::where ? kWhereNames : kNames;
    std::vector<Param> params;
    for (int i = 0; i < spec.arity; ++i) params.push_back(P(names[i], ParamKind::TensorOrNumber));
    const ElementwiseInfo* sp = &spec;
    MetaFn meta = [sp](const MetaArgs& a) { return elementwise_meta(a, *sp, 0); };
    if (spec.id == PrimId::where) meta = where_meta;
    Symbol sym = make_prim(spec.id, std::move(params), std::move(meta), kTagElementwise);
    sym.grad = elementwise_grad(spec.id);
    table.add(std::move(sym));
  }
}

}  // namespace keraunos::ops
