// Elementwise prims: unary, binary and ternary, driven by one table.
#include <algorithm>

#include "ops/meta_utils.h"
#include "ops/prims/prims.h"

namespace keraunos::ops {
namespace {

// Which dtypes an elementwise prim accepts.
enum class In { Any, NotBool, Real, RealNotBool, Float, FloatReal, IntOrBool, Int, Complex };
// Output dtype rule.
enum class Out { Same, Bool, ComplexToFloat };

struct EwSpec {
  const char* name;
  int arity;
  In in;
  Out out;
};

constexpr EwSpec kSpecs[] = {
    // unary
    {"abs", 1, In::NotBool, Out::ComplexToFloat},
    {"neg", 1, In::NotBool, Out::Same},
    {"exp", 1, In::Float, Out::Same},
    {"exp2", 1, In::Float, Out::Same},
    {"expm1", 1, In::Float, Out::Same},
    {"log", 1, In::Float, Out::Same},
    {"log1p", 1, In::Float, Out::Same},
    {"log2", 1, In::Float, Out::Same},
    {"log10", 1, In::Float, Out::Same},
    {"sqrt", 1, In::Float, Out::Same},
    {"rsqrt", 1, In::Float, Out::Same},
    {"reciprocal", 1, In::Float, Out::Same},
    {"sin", 1, In::Float, Out::Same},
    {"cos", 1, In::Float, Out::Same},
    {"tan", 1, In::Float, Out::Same},
    {"asin", 1, In::Float, Out::Same},
    {"acos", 1, In::Float, Out::Same},
    {"atan", 1, In::Float, Out::Same},
    {"sinh", 1, In::Float, Out::Same},
    {"cosh", 1, In::Float, Out::Same},
    {"tanh", 1, In::Float, Out::Same},
    {"asinh", 1, In::Float, Out::Same},
    {"acosh", 1, In::Float, Out::Same},
    {"atanh", 1, In::Float, Out::Same},
    {"erf", 1, In::FloatReal, Out::Same},
    {"erfc", 1, In::FloatReal, Out::Same},
    {"erfinv", 1, In::FloatReal, Out::Same},
    {"lgamma", 1, In::FloatReal, Out::Same},
    {"digamma", 1, In::FloatReal, Out::Same},
    {"sign", 1, In::Real, Out::Same},
    {"signbit", 1, In::Real, Out::Bool},
    {"floor", 1, In::RealNotBool, Out::Same},
    {"ceil", 1, In::RealNotBool, Out::Same},
    {"round", 1, In::RealNotBool, Out::Same},
    {"trunc", 1, In::RealNotBool, Out::Same},
    {"isfinite", 1, In::Any, Out::Bool},
    {"isnan", 1, In::Any, Out::Bool},
    {"isinf", 1, In::Any, Out::Bool},
    {"logical_not", 1, In::Any, Out::Bool},
    {"bitwise_not", 1, In::IntOrBool, Out::Same},
    {"real", 1, In::Any, Out::ComplexToFloat},
    {"imag", 1, In::Complex, Out::ComplexToFloat},
    // binary
    {"add", 2, In::Any, Out::Same},
    {"sub", 2, In::NotBool, Out::Same},
    {"mul", 2, In::Any, Out::Same},
    {"div", 2, In::NotBool, Out::Same},
    {"pow", 2, In::NotBool, Out::Same},
    {"fmod", 2, In::RealNotBool, Out::Same},
    {"remainder", 2, In::RealNotBool, Out::Same},
    {"maximum", 2, In::Real, Out::Same},
    {"minimum", 2, In::Real, Out::Same},
    {"eq", 2, In::Any, Out::Bool},
    {"ne", 2, In::Any, Out::Bool},
    {"lt", 2, In::Real, Out::Bool},
    {"le", 2, In::Real, Out::Bool},
    {"gt", 2, In::Real, Out::Bool},
    {"ge", 2, In::Real, Out::Bool},
    {"logical_and", 2, In::Any, Out::Bool},
    {"logical_or", 2, In::Any, Out::Bool},
    {"logical_xor", 2, In::Any, Out::Bool},
    {"bitwise_and", 2, In::IntOrBool, Out::Same},
    {"bitwise_or", 2, In::IntOrBool, Out::Same},
    {"bitwise_xor", 2, In::IntOrBool, Out::Same},
    {"shift_left", 2, In::Int, Out::Same},
    {"shift_right", 2, In::Int, Out::Same},
    {"atan2", 2, In::FloatReal, Out::Same},
    {"copysign", 2, In::FloatReal, Out::Same},
    {"nextafter", 2, In::FloatReal, Out::Same},
    // ternary (where is special: its first operand is the predicate)
    {"lerp", 3, In::Float, Out::Same},
};

const char* expected_str(In in) {
  switch (in) {
    case In::Any: return "any dtype";
    case In::NotBool: return "a numeric (non-bool) dtype";
    case In::Real: return "a real (non-complex) dtype";
    case In::RealNotBool: return "an integer or floating dtype";
    case In::Float: return "a floating or complex dtype";
    case In::FloatReal: return "a floating dtype";
    case In::IntOrBool: return "a bool or integer dtype";
    case In::Int: return "an integer dtype";
    case In::Complex: return "a complex dtype";
  }
  return "?";
}

bool accepts(In in, DType t) {
  switch (in) {
    case In::Any: return true;
    case In::NotBool: return !is_bool(t);
    case In::Real: return !is_complex(t);
    case In::RealNotBool: return !is_complex(t) && !is_bool(t);
    case In::Float: return is_floating(t) || is_complex(t);
    case In::FloatReal: return is_floating(t);
    case In::IntOrBool: return is_exact(t);
    case In::Int: return is_integer(t);
    case In::Complex: return is_complex(t);
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
std::vector<ProxyType> elementwise_meta(const MetaArgs& a, const EwSpec& spec, size_t first) {
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
                        ": prim operands must agree in shape, dtype and device; argument ", ref_i, " is ",
                        type_str(a.trace(), *ref), " but argument ", i, " is ", type_str(a.trace(), tt),
                        " (broadcasting and type promotion belong in torch-level ops)");
  }
  if (!ref) {
    // Numbers only: the result is a number of the widest kind.
    NumberKind k = NumberKind::Bool;
    for (size_t i = first; i < a.size(); ++i) k = std::max(k, number_kind(a.trace(), a[i]));
    if (spec.out == Out::Bool) k = NumberKind::Bool;
    if (std::string_view(spec.name) == "div" && k != NumberKind::Complex) k = NumberKind::Float;
    return {ProxyType::of(NumberType{k, {}, {}})};
  }
  KERAUNOS_TYPE_CHECK(accepts(spec.in, ref->dtype), a.op(), ": expected ", expected_str(spec.in), ", got a tensor ",
                      type_str(a.trace(), *ref));
  TensorType out = *ref;
  out.requires_grad = false;
  if (spec.out == Out::Bool) out.dtype = DType::Bool;
  if (spec.out == Out::ComplexToFloat) out.dtype = to_real(out.dtype);
  return one(std::move(out));
}

}  // namespace

void register_elementwise_prims(SymbolTable& table) {
  static const char* kNames[] = {"a", "b", "c"};
  for (const EwSpec& spec : kSpecs) {
    Symbol s;
    s.id = std::string("prims.") + spec.name;
    s.is_prim = true;
    s.tags = kTagElementwise;
    for (int i = 0; i < spec.arity; ++i) s.params.push_back(P(kNames[i], ParamKind::TensorOrNumber));
    const EwSpec* sp = &spec;
    s.meta = [sp](const MetaArgs& a) { return elementwise_meta(a, *sp, 0); };
    table.add(std::move(s));
  }
  // where(pred, a, b): pred is bool; a and b agree.
  Symbol w;
  w.id = "prims.where";
  w.is_prim = true;
  w.tags = kTagElementwise;
  w.params = {P("pred", ParamKind::TensorOrNumber), P("a", ParamKind::TensorOrNumber), P("b", ParamKind::TensorOrNumber)};
  w.meta = [](const MetaArgs& a) {
    static const EwSpec spec{"where", 3, In::Any, Out::Same};
    if (a.is_tensor(0)) {
      const TensorType& p = a.tensor(0);
      KERAUNOS_TYPE_CHECK(p.dtype == DType::Bool, a.op(), ": the predicate must be a bool tensor, got ",
                          type_str(a.trace(), p));
      for (size_t i = 1; i < 3; ++i)
        if (a.is_tensor(i))
          KERAUNOS_TYPE_CHECK(same_shape(a.tensor(i).shape, p.shape) && a.tensor(i).device == p.device, a.op(),
                              ": the predicate ", type_str(a.trace(), p), " and argument ", i, " ",
                              type_str(a.trace(), a.tensor(i)), " must agree in shape and device");
      if (!a.is_tensor(1) && !a.is_tensor(2)) {
        KERAUNOS_TYPE_CHECK(false, a.op(), ": needs a tensor among its value operands");
      }
    }
    return elementwise_meta(a, spec, 1);
  };
  table.add(std::move(w));
}

}  // namespace keraunos::ops
