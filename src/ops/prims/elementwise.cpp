// Elementwise prims: unary, binary and ternary, registered from the op table (ops/prim_table.h).
#include <algorithm>

#include "ops/meta_utils.h"
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
    table.add(make_prim(spec.id, std::move(params), std::move(meta), kTagElementwise));
  }
}

}  // namespace keraunos::ops
