// Torch-level elementwise ops: the ones built one-to-one on an elementwise prim (from the op table),
// then clamp (clip, clamp_min, clamp_max), lerp, addcmul, addcdiv, square, rsub, true_divide,
// floor_divide, nan_to_num, logit, frac, positive, sgn, xlogy, hypot, logaddexp, float_power,
// heaviside.
#include <cmath>

#include "ir/printer.h"
#include "ops/meta_utils.h"
#include "ops/prims/prims.h"
#include "ops/torch/op_helpers.h"
#include "ops/torch/promotion.h"
#include "ops/torch/torch_ops.h"

namespace keraunos::ops {
namespace {

using namespace op_helpers;
using Args = std::vector<Value>;

constexpr Composites composite{kTagElementwise};

bool has_tensor(const Trace& t, const std::vector<Value>& vs) {
  for (const auto& v : vs)
    if (is_tensor(t, v)) return true;
  return false;
}

// ---- elementwise extras -------------------------------------------------------------------------

void check_bound(std::string_view op, const Trace& t, const Value& v, const char* name) {
  KERAUNOS_TYPE_CHECK(v.is_none() || is_tensor(t, v) || v.is_number_literal() || (v.is_proxy() && !t.type(v.as_proxy()).is_tensor), op,
                      ": ", name, " must be a tensor, a number or None, got ", describe_value(t, v));
}

// clamp(a, min, max) = minimum(maximum(a, min), max), in the promoted dtype of all three.
Value clamp_impl(std::string_view op, Recorder& r, const Value& a, const Value& lo, const Value& hi) {
  const Trace& t = r.trace();
  check_bound(op, t, lo, "min");
  check_bound(op, t, hi, "max");
  KERAUNOS_TYPE_CHECK(!lo.is_none() || !hi.is_none(), op, ": at least one of 'min' or 'max' must not be None");
  std::vector<Value> ops{a};
  if (!lo.is_none()) ops.push_back(lo);
  if (!hi.is_none()) ops.push_back(hi);
  DType rt = result_type(t, ops);
  KERAUNOS_TYPE_CHECK(!is_complex(rt), op, ": clamp is not supported for complex types, got ", ts(r, a));
  // torch's bool kernels exist only for the one-tensor-bound forms (maximum/minimum).
  if (is_bool(rt)) {
    bool number_bound = (!lo.is_none() && !is_tensor(t, lo)) || (!hi.is_none() && !is_tensor(t, hi));
    KERAUNOS_TYPE_CHECK(!number_bound && (lo.is_none() || hi.is_none()), op,
                        ": bool tensors are supported only with a single tensor bound, got ", ts(r, a));
  }
  auto types = prepare_operands(r, op, ops, Promotion::Default);
  Value y = ops[0];
  size_t k = 1;
  if (!lo.is_none()) y = call(r, PrimId::maximum, {y, ops[k++]});
  if (!hi.is_none()) y = call(r, PrimId::minimum, {y, ops[k++]});
  return to_dtype(r, y, types.result);
}

// Numbers in an elementwise op become tensors of the broadcast shape (for prims whose operands
// must all be tensors, e.g. where's value operands alongside comparisons on them).
Value as_tensor(Recorder& r, const Value& v, const TensorType& like) {
  if (is_tensor(r.trace(), v)) return v;
  return full(r, like.shape, v, like.dtype, like.device);
}

Value first_tensor(const Trace& t, const Args& ops) {
  for (const auto& v : ops)
    if (is_tensor(t, v)) return v;
  return Value::none();
}

void add_elementwise_extras(SymbolTable& table) {
  const uint32_t E = kTagElementwise;
  for (const char* id : {"torch.clamp", "torch.clip"}) {
    std::string sid = id;
    table.add(composite(
        sid, {P("a", ParamKind::Tensor), P("min", ParamKind::Any, Value::none()), P("max", ParamKind::Any, Value::none())},
        [sid](Recorder& r, const Args& a) { return Args{clamp_impl(sid, r, a[0], a[1], a[2])}; }, E));
  }
  table.add(composite(
      "torch.clamp_min", {P("a", ParamKind::Tensor), P("min", ParamKind::TensorOrNumber)},
      [](Recorder& r, const Args& a) { return Args{clamp_impl("torch.clamp_min", r, a[0], a[1], Value::none())}; }, E));
  table.add(composite(
      "torch.clamp_max", {P("a", ParamKind::Tensor), P("max", ParamKind::TensorOrNumber)},
      [](Recorder& r, const Args& a) { return Args{clamp_impl("torch.clamp_max", r, a[0], Value::none(), a[1])}; }, E));

  // lerp: input + weight * (end - input). input and end must share a dtype. A number weight is
  // converted to the input's (floating or complex) dtype; a tensor weight must have the input's
  // dtype too unless it is 0-d, in which case it takes part in type promotion like any 0-d operand.
  table.add(composite(
      "torch.lerp", {P("a", ParamKind::Tensor), P("end", ParamKind::Tensor), P("weight", ParamKind::TensorOrNumber)},
      [](Recorder& r, const Args& a) {
        const char* id = "torch.lerp";
        const Trace& t = r.trace();
        DType dt = tt_of(r, a[0]).dtype;
        KERAUNOS_TYPE_CHECK(tt_of(r, a[1]).dtype == dt, id, ": expected dtype ", torch_name(dt), " for `end` but got ", ts(r, a[1]));
        if (is_tensor(t, a[2])) {
          const auto& wt = tt_of(r, a[2]);
          KERAUNOS_TYPE_CHECK(wt.rank() == 0 || wt.dtype == dt, id, ": expected dtype ", torch_name(dt), " for `weight` but got ",
                              ts(r, a[2]));
        } else {
          KERAUNOS_TYPE_CHECK(is_floating(dt) || is_complex(dt), id, ": expected floating point or complex tensors, got ", ts(r, a[0]));
          KERAUNOS_TYPE_CHECK(number_kind(t, a[2]) != NumberKind::Complex || is_complex(dt), id,
                              ": a complex weight cannot be converted to ", torch_name(dt));
        }
        std::vector<Value> ops{a[0], a[1], a[2]};
        auto types = prepare_operands(r, id, ops, Promotion::Default);
        KERAUNOS_TYPE_CHECK(is_floating(types.result) || is_complex(types.result), id,
                            ": expected floating point or complex operands, got ", ts(r, a[0]), " (result dtype ", torch_name(types.result),
                            ")");
        return Args{to_dtype(r, call(r, PrimId::lerp, {ops[0], ops[1], ops[2]}), types.result)};
      },
      E));

  // addcmul: input + value * t1 * t2; addcdiv: input + value * t1 / t2.
  for (bool div : {false, true}) {
    std::string id = div ? "torch.addcdiv" : "torch.addcmul";
    table.add(composite(
        id,
        {P("a", ParamKind::Tensor), P("tensor1", ParamKind::Tensor), P("tensor2", ParamKind::Tensor),
         KW("value", ParamKind::Number, Value::integer(1))},
        [id, div](Recorder& r, const Args& a) {
          if (div)
            KERAUNOS_TYPE_CHECK(!(is_exact(tt_of(r, a[1]).dtype) && is_exact(tt_of(r, a[2]).dtype)), id,
                                ": integer division with addcdiv is not supported (tensor1 ", ts(r, a[1]), ", tensor2 ", ts(r, a[2]),
                                "); use torch.div(tensor1, tensor2, rounding_mode=...) explicitly");
          std::vector<Value> ops{a[0], a[1], a[2]};
          auto types = prepare_operands(r, id, ops, Promotion::Default);
          KERAUNOS_TYPE_CHECK(!is_bool(types.result), id, ": bool tensors are not supported, got ", ts(r, a[0]));
          Value value = a[3];
          check_fill(id, value, types.result);  // torch converts value to the result dtype
          if (is_exact(types.result)) {
            // torch converts value to the (integer) dtype: truncation.
            KERAUNOS_TYPE_CHECK(value.is_number_literal(), id, ": value must be a constant for integer tensors");
            value = Value::integer(value.is_float() ? static_cast<int64_t>(value.as_float()) : value.as_int());
          }
          Value prod = call(r, PrimId::mul, {ops[1], value});
          prod = call(r, div ? PrimId::div : PrimId::mul, {prod, ops[2]});
          return Args{to_dtype(r, call(r, PrimId::add, {ops[0], prod}), types.result)};
        },
        E));
  }

  // square = pow(a, 2): bool promotes to int64.
  table.add(composite(
      "torch.square", {P("a", ParamKind::Tensor)},
      [](Recorder& r, const Args& a) {
        DType dt = tt_of(r, a[0]).dtype;
        DType out = is_bool(dt) ? DType::Int64 : dt;
        Value x = cvt(r, a[0], compute_dtype(out));
        return Args{cvt(r, call(r, PrimId::mul, {x, x}), out)};
      },
      E));
  table.add(composite(
      "torch.rsub", {P("a", ParamKind::Tensor), P("other", ParamKind::TensorOrNumber), KW("alpha", ParamKind::Number, Value::integer(1))},
      [](Recorder& r, const Args& a) {
        return r.call("torch.sub", {a[1], a[0]}, {{"alpha", a[2]}});
      },
      E));
  table.add(composite(
      "torch.true_divide", {P("a", ParamKind::TensorOrNumber), P("b", ParamKind::TensorOrNumber)},
      [](Recorder& r, const Args& a) {
        return r.call("torch.div", {a[0], a[1]});
      },
      E));
  table.add(python_facts(composite(
                             "torch.floor_divide", {P("a", ParamKind::TensorOrNumber), P("b", ParamKind::TensorOrNumber)},
                             [](Recorder& r, const Args& a) {
                               return r.call("torch.div", {a[0], a[1]}, {{"rounding_mode", Value::string("floor")}});
                             },
                             E),
                         "__floordiv__ r:__rfloordiv__"));

  // nan_to_num: NaN -> nan, +inf -> posinf (default: the dtype's largest finite value), -inf ->
  // neginf (default: the lowest). Integer and bool tensors are returned unchanged.
  table.add(composite(
      "torch.nan_to_num",
      {P("a", ParamKind::Tensor), P("nan", ParamKind::OptFloat, Value::none()), P("posinf", ParamKind::OptFloat, Value::none()),
       P("neginf", ParamKind::OptFloat, Value::none())},
      [](Recorder& r, const Args& a) {
        DType dt = tt_of(r, a[0]).dtype;
        if (is_exact(dt)) return Args{a[0]};
        DType real = to_real(dt);
        Value nan = a[1].is_none() ? Value::floating(0.0) : a[1];
        Value pos = a[2].is_none() ? Value::floating(max_finite(real)) : a[2];
        Value neg = a[3].is_none() ? Value::floating(-max_finite(real)) : a[3];
        auto fix = [&](const Value& x) {
          Value y = call(r, PrimId::where, {call(r, PrimId::isnan, {x}), nan, x});
          Value inf = call(r, PrimId::isinf, {x});
          y = call(r, PrimId::where, {call(r, PrimId::logical_and, {inf, call(r, PrimId::gt, {x, Value::integer(0)})}), pos, y});
          return call(r, PrimId::where, {call(r, PrimId::logical_and, {inf, call(r, PrimId::lt, {x, Value::integer(0)})}), neg, y});
        };
        if (!is_complex(dt)) return Args{cvt(r, fix(cvt(r, a[0], compute_dtype(dt))), dt)};
        // Complex: each part separately.
        return Args{make_complex(r, fix(call(r, PrimId::real, {a[0]})), fix(call(r, PrimId::imag, {a[0]})), dt)};
      },
      E));

  table.add(composite(
      "torch.logit", {P("a", ParamKind::Tensor), P("eps", ParamKind::OptFloat, Value::none())},
      [](Recorder& r, const Args& a) {
        const TensorType t = tt_of(r, a[0]);
        KERAUNOS_TYPE_CHECK(!is_complex(t.dtype), "torch.logit: complex tensors are not supported, got ", ts(r, a[0]));
        DType out = is_exact(t.dtype) ? default_float_dtype() : t.dtype;
        Value x = cvt(r, a[0], compute_dtype(out));
        // torch clamps to [eps, 1 - eps] only for eps >= 0.
        if (!a[1].is_none() && !(a[1].is_number_literal() && a[1].as_float() < 0)) {
          KERAUNOS_TYPE_CHECK(a[1].is_number_literal(), "torch.logit: eps must be a constant");
          double eps = a[1].as_float();
          x = call(r, PrimId::minimum, {call(r, PrimId::maximum, {x, Value::floating(eps)}), Value::floating(1.0 - eps)});
        }
        Value y = call(r, PrimId::log, {call(r, PrimId::div, {x, call(r, PrimId::sub, {Value::floating(1.0), x})})});
        return Args{cvt(r, y, out)};
      },
      E));
  table.add(composite(
      "torch.frac", {P("a", ParamKind::Tensor)},
      [](Recorder& r, const Args& a) {
        DType dt = tt_of(r, a[0]).dtype;
        KERAUNOS_TYPE_CHECK(is_floating(dt), "torch.frac: expected a floating point tensor, got ", ts(r, a[0]));
        Value x = cvt(r, a[0], compute_dtype(dt));
        return Args{cvt(r, call(r, PrimId::sub, {x, call(r, PrimId::trunc, {x})}), dt)};
      },
      E));
  table.add(python_facts(composite(
                             "torch.positive", {P("a", ParamKind::Tensor)},
                             [](Recorder& r, const Args& a) {
                               KERAUNOS_TYPE_CHECK(!is_bool(tt_of(r, a[0]).dtype),
                                                   "torch.positive: the `+` operator on a bool tensor is not supported, got ", ts(r, a[0]));
                               return Args{a[0]};
                             },
                             E),
                         "__pos__"));
  // sgn: sign for real tensors; z / |z| (0 at 0) for complex ones.
  table.add(composite(
      "torch.sgn", {P("a", ParamKind::Tensor)},
      [](Recorder& r, const Args& a) {
        DType dt = tt_of(r, a[0]).dtype;
        if (!is_complex(dt)) return Args{call(r, PrimId::sign, {a[0]})};
        Value mag = call(r, PrimId::abs, {a[0]});
        Value q = call(r, PrimId::div, {a[0], cvt(r, mag, dt)});
        return Args{call(r, PrimId::where, {call(r, PrimId::eq, {mag, Value::integer(0)}), Value::integer(0), q})};
      },
      E));
  // xlogy: 0 where x == 0 (unless y is NaN), x * log(y) elsewhere.
  table.add(composite(
      "torch.xlogy", {P("a", ParamKind::TensorOrNumber), P("b", ParamKind::TensorOrNumber)},
      [](Recorder& r, const Args& a) {
        const char* id = "torch.xlogy";
        KERAUNOS_TYPE_CHECK(has_tensor(r.trace(), a), id, ": expected at least one tensor operand");
        std::vector<Value> ops{a[0], a[1]};
        auto types = prepare_operands(r, id, ops, Promotion::IntToFloat);
        KERAUNOS_TYPE_CHECK(!is_complex(types.result), id, ": complex tensors are not supported");
        const TensorType like = tt_of(r, first_tensor(r.trace(), ops));
        Value x = as_tensor(r, ops[0], like), y = as_tensor(r, ops[1], like);
        Value v = call(r, PrimId::mul, {x, call(r, PrimId::log, {y})});
        v = call(r, PrimId::where, {call(r, PrimId::eq, {x, Value::integer(0)}), Value::integer(0), v});
        v = call(r, PrimId::where, {call(r, PrimId::isnan, {y}), y, v});
        return Args{to_dtype(r, v, types.result)};
      },
      E));
  table.add(composite(
      "torch.hypot", {P("a", ParamKind::Tensor), P("b", ParamKind::Tensor)},
      [](Recorder& r, const Args& a) {
        const char* id = "torch.hypot";
        std::vector<Value> ops{a[0], a[1]};
        auto types = prepare_operands(r, id, ops, Promotion::Default);
        KERAUNOS_TYPE_CHECK(is_floating(types.result), id, ": expected floating point tensors, got ", ts(r, a[0]), " and ", ts(r, a[1]));
        Value x = ops[0], y = ops[1];
        Value v = call(r, PrimId::sqrt, {call(r, PrimId::add, {call(r, PrimId::mul, {x, x}), call(r, PrimId::mul, {y, y})})});
        // hypot(inf, nan) is inf.
        Value inf = call(r, PrimId::abs, {call(r, PrimId::where, {call(r, PrimId::isinf, {x}), x, y})});
        v = call(r, PrimId::where, {call(r, PrimId::logical_or, {call(r, PrimId::isinf, {x}), call(r, PrimId::isinf, {y})}), inf, v});
        return Args{to_dtype(r, v, types.result)};
      },
      E));
  table.add(composite(
      "torch.logaddexp", {P("a", ParamKind::Tensor), P("b", ParamKind::Tensor)},
      [](Recorder& r, const Args& a) {
        const char* id = "torch.logaddexp";
        std::vector<Value> ops{a[0], a[1]};
        auto types = prepare_operands(r, id, ops, Promotion::Default);
        KERAUNOS_TYPE_CHECK(is_floating(types.result) || is_complex(types.result), id, ": expected floating point or complex tensors, got ",
                            ts(r, a[0]), " and ", ts(r, a[1]));
        Value x = ops[0], y = ops[1];
        Value v;
        if (!is_complex(types.computation)) {
          // max + log1p(exp(-|x - y|)); equal infinities give themselves.
          Value m = call(r, PrimId::maximum, {x, y});
          v = call(r, PrimId::add,
                   {m, call(r, PrimId::log1p,
                            {call(r, PrimId::exp, {call(r, PrimId::neg, {call(r, PrimId::abs, {call(r, PrimId::sub, {x, y})})})})})});
          Value same_inf = call(r, PrimId::logical_and, {call(r, PrimId::isinf, {x}), call(r, PrimId::eq, {x, y})});
          v = call(r, PrimId::where, {same_inf, x, v});
        } else {
          // As torch's complex kernel: order by real part, log1p(exp(min - max)) + max; NaN in
          // either operand gives NaN; equal -inf real parts give the smaller operand; equal +inf
          // real parts give log(exp(min) + exp(max)).
          Value xr = call(r, PrimId::real, {x}), yr = call(r, PrimId::real, {y});
          Value x_small = call(r, PrimId::lt, {xr, yr});
          Value mn = call(r, PrimId::where, {x_small, x, y});
          Value mx = call(r, PrimId::where, {x_small, y, x});
          v = call(r, PrimId::add, {call(r, PrimId::log1p, {call(r, PrimId::exp, {call(r, PrimId::sub, {mn, mx})})}), mx});
          Value mnr = call(r, PrimId::real, {mn}), mxr = call(r, PrimId::real, {mx});
          Value both_inf = call(r, PrimId::logical_and, {call(r, PrimId::isinf, {mnr}), call(r, PrimId::eq, {mnr, mxr})});
          Value at_pos = call(r, PrimId::log, {call(r, PrimId::add, {call(r, PrimId::exp, {mn}), call(r, PrimId::exp, {mx})})});
          Value inf_v = call(r, PrimId::where, {call(r, PrimId::lt, {mnr, Value::integer(0)}), mn, at_pos});
          v = call(r, PrimId::where, {both_inf, inf_v, v});
          Value nan_any = call(r, PrimId::logical_or, {call(r, PrimId::isnan, {x}), call(r, PrimId::isnan, {y})});
          Value nan = call(r, PrimId::div,
                           {full(r, tt_of(r, x).shape, Value::integer(0), types.computation, tt_of(r, x).device), Value::integer(0)});
          v = call(r, PrimId::where, {nan_any, nan, v});
        }
        return Args{to_dtype(r, v, types.result)};
      },
      E));
  // float_power: pow in float64 (complex128 when anything is complex).
  table.add(composite(
      "torch.float_power", {P("a", ParamKind::TensorOrNumber), P("b", ParamKind::TensorOrNumber)},
      [](Recorder& r, const Args& a) {
        const char* id = "torch.float_power";
        const Trace& t = r.trace();
        KERAUNOS_TYPE_CHECK(has_tensor(t, a), id, ": expected at least one tensor operand");
        bool cplx = false;
        for (const auto& v : a) cplx = cplx || (is_tensor(t, v) ? is_complex(tt_of(r, v).dtype) : number_kind(t, v) == NumberKind::Complex);
        DType dt = cplx ? DType::Complex128 : DType::Float64;
        std::vector<Value> ops{cvt(r, a[0], dt), cvt(r, a[1], dt)};
        std::vector<Shape> shapes;
        for (const auto& v : ops)
          if (is_tensor(t, v)) shapes.push_back(tt_of(r, v).shape);
        Shape s = broadcast_shapes(t, id, shapes);
        for (auto& v : ops) v = broadcast_to(r, v, s);
        return Args{call(r, PrimId::pow, {ops[0], ops[1]})};
      },
      E));
  // heaviside: values where input == 0, else (input > 0); both tensors share a dtype.
  table.add(composite(
      "torch.heaviside", {P("a", ParamKind::Tensor), P("values", ParamKind::Tensor)},
      [](Recorder& r, const Args& a) {
        const char* id = "torch.heaviside";
        DType dt = tt_of(r, a[0]).dtype;
        KERAUNOS_TYPE_CHECK(tt_of(r, a[1]).dtype == dt, id, ": input ", ts(r, a[0]), " and values ", ts(r, a[1]),
                            " must have the same dtype");
        KERAUNOS_TYPE_CHECK(!is_complex(dt), id, ": complex tensors are not supported, got ", ts(r, a[0]));
        std::vector<Value> ops{a[0], a[1]};
        prepare_operands(r, id, ops, Promotion::NoOpmath);
        Value pos = cvt(r, call(r, PrimId::gt, {ops[0], Value::integer(0)}), dt);
        return Args{call(r, PrimId::where, {call(r, PrimId::eq, {ops[0], Value::integer(0)}), ops[1], pos})};
      },
      E));
}

}  // namespace

void register_torch_elementwise(SymbolTable& table) {
  // The torch-level ops built one-to-one on an elementwise prim (the op table's `torch` column).
  for (const ElementwiseInfo& e : kElementwisePrims) {
    if (e.torch.empty()) continue;
    const ElementwiseInfo* ep = &e;
    if (e.arity == 1) {
      table.add(python_facts(composite(std::string(e.torch), {P("a", ParamKind::Tensor)},
                                       [ep](Recorder& r, const std::vector<Value>& a) {
                                         return std::vector<Value>{elementwise(r, ep->id, {a[0]}, ep->promotion)};
                                       }),
                             e.python));
      continue;
    }
    ParamKind k = e.operands == TorchOperands::Tensors ? ParamKind::Tensor : ParamKind::TensorOrNumber;
    table.add(python_facts(composite(std::string(e.torch), {P("a", k), P("b", k)},
                                     [ep](Recorder& r, const std::vector<Value>& a) {
                                       KERAUNOS_TYPE_CHECK(has_tensor(r.trace(), a), ep->torch, ": expected at least one tensor operand");
                                       return std::vector<Value>{elementwise(r, ep->id, {a[0], a[1]}, ep->promotion)};
                                     }),
                           e.python));
  }
  // add/sub take alpha: a + alpha * b. The result dtype is that of (a, b); alpha is applied in the
  // computation dtype.
  for (PrimId prim : {PrimId::add, PrimId::sub}) {
    std::string id = "torch." + std::string(prim_name(prim));
    table.add(python_facts(
        composite(id,
                  {P("a", ParamKind::TensorOrNumber), P("b", ParamKind::TensorOrNumber), KW("alpha", ParamKind::Number, Value::integer(1))},
                  [prim, id](Recorder& r, const std::vector<Value>& a) {
                    KERAUNOS_TYPE_CHECK(has_tensor(r.trace(), a), id, ": expected at least one tensor operand");
                    if (prim == PrimId::sub)
                      for (int i = 0; i < 2; ++i)
                        KERAUNOS_TYPE_CHECK(!(is_tensor(r.trace(), a[i]) && is_bool(tensor_type(r.trace(), a[i]).dtype)), id,
                                            ": subtraction with a bool tensor is not supported (use ~ or logical_not to invert a mask)");
                    std::vector<Value> ops{a[0], a[1]};
                    auto types = prepare_operands(r, id, ops, Promotion::Default);
                    if (!(a[2] == Value::integer(1))) {
                      KERAUNOS_TYPE_CHECK(!(a[2].is_float() && is_exact(types.result)), id,
                                          ": for integral input tensors, alpha must not be a float");
                      ops[1] = prims::call(r, PrimId::mul, {ops[1], a[2]});
                    }
                    Value out = prims::call(r, prim, std::move(ops));
                    return std::vector<Value>{to_dtype(r, out, types.result)};
                  }),
        prim == PrimId::add ? "__add__ r:__radd__ i:__iadd__" : "__sub__ r:__rsub__ i:__isub__ torch.subtract"));
  }
  // div with rounding_mode: None (true division), "trunc", "floor"; rounding happens in the
  // computation dtype, before the one conversion to the result dtype.
  table.add(python_facts(composite("torch.div",
                                   {P("a", ParamKind::TensorOrNumber), P("b", ParamKind::TensorOrNumber),
                                    KW("rounding_mode", ParamKind::OptStr, Value::none())},
                                   [](Recorder& r, const std::vector<Value>& a) {
                                     KERAUNOS_TYPE_CHECK(has_tensor(r.trace(), a), "torch.div: expected at least one tensor operand");
                                     if (a[2].is_none())
                                       return std::vector<Value>{elementwise(r, PrimId::div, {a[0], a[1]}, Promotion::IntToFloat)};
                                     const std::string& mode = a[2].as_str();
                                     KERAUNOS_TYPE_CHECK(mode == "trunc" || mode == "floor",
                                                         "torch.div: rounding_mode must be None, 'trunc' or 'floor', got '", mode, "'");
                                     std::vector<Value> ops{a[0], a[1]};
                                     auto types = prepare_operands(r, "torch.div", ops, Promotion::Default);
                                     const Trace& t = r.trace();
                                     if (mode == "floor" && types.common != types.computation && is_tensor(t, a[1]) &&
                                         tensor_type(t, a[1]).shape.empty() && tensor_type(t, a[1]).dtype != types.common)
                                     // ATen's floor division reads a 0-d divisor of another dtype at its own precision
                                     // in the computation dtype, not rounded to a float16/bfloat16 common dtype first.
                                     {
                                       Shape shape = tensor_type(t, ops[0]).shape;
                                       ops[1] = to_dtype(r, broadcast_to(r, a[1], shape), types.computation);
                                     }
                                     Value q = prims::call(r, PrimId::div, ops);
                                     if (!is_exact(types.computation)) {
                                       // torch's kernels round a float16/bfloat16 quotient to its dtype before truncating.
                                       if (mode == "trunc") q = to_dtype(r, q, types.result);
                                       q = prims::call(r, mode == "trunc" ? PrimId::trunc : PrimId::floor, {q});
                                     } else if (mode == "floor") {
                                       // Integer floor division: truncating division, minus one where a remainder exists and the signs
                                       // differ.
                                       Value rem = prims::call(r, PrimId::fmod, ops);
                                       Value nz = prims::call(r, PrimId::ne, {rem, Value::integer(0)});
                                       Value rneg = prims::call(r, PrimId::lt, {rem, Value::integer(0)});
                                       Value bneg = prims::call(r, PrimId::lt, {ops[1], Value::integer(0)});
                                       Value fix = prims::call(r, PrimId::logical_and, {nz, prims::call(r, PrimId::ne, {rneg, bneg})});
                                       q = prims::call(r, PrimId::where, {fix, prims::call(r, PrimId::sub, {q, Value::integer(1)}), q});
                                     }
                                     return std::vector<Value>{to_dtype(r, q, types.result)};
                                   }),
                         "__truediv__ r:__rtruediv__ i:__itruediv__ torch.divide"));
  table.add(composite("torch.where",
                      {P("condition", ParamKind::Tensor), P("input", ParamKind::TensorOrNumber), P("other", ParamKind::TensorOrNumber)},
                      [](Recorder& r, const std::vector<Value>& a) {
                        const Trace& t = r.trace();
                        KERAUNOS_TYPE_CHECK(tensor_type(t, a[0]).dtype == DType::Bool, "torch.where: condition must be a bool tensor, got ",
                                            type_str(t, tensor_type(t, a[0])));
                        DType rt = result_type(t, {a[1], a[2]});
                        std::vector<Shape> shapes;
                        for (const auto& v : a)
                          if (is_tensor(t, v)) shapes.push_back(tensor_type(t, v).shape);
                        Shape shape = broadcast_shapes(t, "torch.where", shapes);
                        Value c = broadcast_to(r, a[0], shape);
                        Value x = to_dtype(r, broadcast_to(r, a[1], shape), rt);
                        Value y = to_dtype(r, broadcast_to(r, a[2], shape), rt);
                        if (!is_tensor(r.trace(), x) && !is_tensor(r.trace(), y)) {
                          const auto& ct = tensor_type(r.trace(), c);
                          x = prims::call(r, PrimId::full,
                                          {Value::tuple([&] {
                                             std::vector<Value> d;
                                             for (auto& s : shape)
                                               d.push_back(s.is_symbolic() ? Value::proxy(s.sym) : Value::integer(s.size));
                                             return d;
                                           }()),
                                           x},
                                          {{"device", Value::device(ct.device)}, {"dtype", Value::dtype(rt)}});
                        }
                        return std::vector<Value>{prims::call(r, PrimId::where, {c, x, y})};
                      }));
  add_elementwise_extras(table);
}

}  // namespace keraunos::ops
