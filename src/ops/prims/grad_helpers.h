// Helpers for the prims' gradient rules (GradFn, ir/symbol.h): recording arithmetic on gradients
// briefly, and which arguments take a gradient.
#pragma once

#include <vector>

#include "ops/prims/prims.h"
#include "ops/torch/op_helpers.h"

namespace keraunos::ops::grad {

using op_helpers::call;

// Whether an argument takes a gradient: a tensor of a floating dtype.
inline bool differentiable(Recorder& r, const Value& v) {
  if (!v.is_proxy() || !r.trace().type(v.as_proxy()).is_tensor) return false;
  return is_floating(r.trace().type(v.as_proxy()).tensor.dtype);
}

inline Value mul(Recorder& r, const Value& a, const Value& b) { return call(r, PrimId::mul, {a, b}); }
inline Value div(Recorder& r, const Value& a, const Value& b) { return call(r, PrimId::div, {a, b}); }
inline Value add(Recorder& r, const Value& a, const Value& b) { return call(r, PrimId::add, {a, b}); }
inline Value sub(Recorder& r, const Value& a, const Value& b) { return call(r, PrimId::sub, {a, b}); }
inline Value neg(Recorder& r, const Value& a) { return call(r, PrimId::neg, {a}); }
inline Value num(double v) { return Value::floating(v); }
// Zeros shaped like tensor `like`.
inline Value zeros_like(Recorder& r, const Value& like) {
  const TensorType& t = op_helpers::tt_of(r, like);
  return op_helpers::full(r, t.shape, Value::integer(0), t.dtype, t.device);
}

// `x` summed down to `shape` (the inverse of broadcasting it there: extra leading dims and dims where
// `shape` has 1 are summed), then reshaped to it.
inline Value sum_to(Recorder& r, const Value& x, const Shape& shape) {
  const TensorType xt = op_helpers::tt_of(r, x);
  const int64_t extra = xt.rank() - static_cast<int64_t>(shape.size());
  std::vector<Value> dims;
  for (int64_t d = 0; d < xt.rank(); ++d) {
    const bool lead = d < extra;
    if (lead || (shape[static_cast<size_t>(d - extra)].is_constant() && shape[static_cast<size_t>(d - extra)].size == 1 &&
                 !(xt.shape[static_cast<size_t>(d)].is_constant() && xt.shape[static_cast<size_t>(d)].size == 1)))
      dims.push_back(Value::integer(d));
  }
  const Value s = dims.empty() ? x : call(r, PrimId::sum, {x, Value::tuple(dims)});
  return call(r, PrimId::reshape, {s, op_helpers::shape_value(shape)});
}

// The rule's result: `grads` for the arguments that take one, none for the others.
inline std::vector<Value> only_differentiable(Recorder& r, const BoundSymbol& fwd, std::vector<Value> grads) {
  grads.resize(fwd.args.size(), Value::none());
  for (size_t i = 0; i < fwd.args.size(); ++i)
    if (!differentiable(r, fwd.args[i])) grads[i] = Value::none();
  return grads;
}

}  // namespace keraunos::ops::grad
