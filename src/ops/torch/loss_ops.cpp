// Torch-level losses: cross_entropy, nll_loss, mse_loss, l1_loss, smooth_l1_loss, huber_loss,
// binary_cross_entropy, binary_cross_entropy_with_logits, kl_div. Each follows torch's own
// composition (aten/src/ATen/native/Loss*.cpp and torch/nn/functional.py) so that result dtypes,
// broadcasting and the accepted arguments match; values compute in float32 for float16/bfloat16
// and round once. reduction is 'none', 'mean' or 'sum' (the legacy size_average/reduce flags map
// onto it as in torch).
#include <cmath>
#include <optional>

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

constexpr Composites composite{kTagReduction};

Value expand_back(Recorder& r, const Value& v, const Shape& shape, const std::vector<int64_t>& kept) {
  return call(r, PrimId::broadcast_in_dim, {v, shape_value(shape), Value::ints(kept)});
}
std::vector<int64_t> all_dims(int64_t rank) {
  std::vector<int64_t> d;
  for (int64_t i = 0; i < rank; ++i) d.push_back(i);
  return d;
}
std::vector<int64_t> all_but(int64_t rank, int64_t skip) {
  std::vector<int64_t> d;
  for (int64_t i = 0; i < rank; ++i)
    if (i != skip) d.push_back(i);
  return d;
}

// The number of elements as an int literal, or a number proxy for symbolic sizes.

enum class Red { None, Mean, Sum, BatchMean };

// torch.nn._reduction: the legacy flags override `reduction` when either is given.
Red reduction_of(std::string_view op, const Value& size_average, const Value& reduce, const Value& reduction, bool batchmean = false) {
  if (!size_average.is_none() || !reduce.is_none()) {
    bool sa = size_average.is_none() ? true : size_average.as_bool();
    bool rd = reduce.is_none() ? true : reduce.as_bool();
    return sa && rd ? Red::Mean : rd ? Red::Sum : Red::None;
  }
  const std::string& s = reduction.as_str();
  if (s == "none") return Red::None;
  if (s == "mean" || s == "elementwise_mean") return Red::Mean;
  if (s == "sum") return Red::Sum;
  if (batchmean && s == "batchmean") return Red::BatchMean;
  KERAUNOS_TYPE_CHECK(false, op, ": '", s, "' is not a valid value for reduction (expected 'none', 'mean', 'sum'",
                      batchmean ? " or 'batchmean'" : "", ")");
  return Red::None;
}

Red plain_reduction(std::string_view op, const Value& reduction) { return reduction_of(op, Value::none(), Value::none(), reduction); }

// torch.sum over every dim: bool/integers accumulate to int64; low precision in float32.
Value sum_all(Recorder& r, const Value& v, DType out) {
  DType acc = is_exact(out) ? DType::Int64 : compute_dtype(out);
  Value s = call(r, PrimId::sum, {to_dtype(r, v, acc), Value::ints(all_dims(tt_of(r, v).rank()))});
  return to_dtype(r, s, is_exact(out) ? DType::Int64 : out);
}

Value mean_all(Recorder& r, std::string_view op, const Value& v, DType out) {
  KERAUNOS_TYPE_CHECK(!is_exact(out), op, ": 'mean' reduction needs a floating or complex loss, got dtype ", torch_name(out),
                      " (torch's mean cannot infer an integer result)");
  DType acc = compute_dtype(out);
  Value s = call(r, PrimId::sum, {to_dtype(r, v, acc), Value::ints(all_dims(tt_of(r, v).rank()))});
  return to_dtype(r, call(r, PrimId::div, {s, count_of(r, tt_of(r, v).shape)}), out);
}

// apply_loss_reduction on an elementwise loss `l` whose torch dtype is `out`.
Value reduce_loss(Recorder& r, std::string_view op, const Value& l, DType out, Red red) {
  switch (red) {
    case Red::None:
      return to_dtype(r, l, out);
    case Red::Sum:
      return sum_all(r, l, out);
    default:
      return mean_all(r, op, l, out);
  }
}

// torch.broadcast_tensors(input, target).
Shape broadcast_pair(Recorder& r, std::string_view op, const Value& a, const Value& b) {
  return broadcast_shapes(r.trace(), op, {tt_of(r, a).shape, tt_of(r, b).shape});
}

Value in_dtype(Recorder& r, const Value& v, DType dt, const Shape& shape) { return broadcast_to(r, to_dtype(r, v, dt), shape); }

// Rounds a value computed in float32 to a low-precision `dt` and back: the result of a separate
// torch op stored in that dtype.
Value round_op(Recorder& r, const Value& v, DType dt) {
  DType cur = tt_of(r, v).dtype;
  if (cur == dt || !is_low_precision(dt)) return v;
  return to_dtype(r, to_dtype(r, v, dt), cur);
}

// Rounds a value computed in float32 to bfloat16 and back where torch's kernel rounds each step
// (its bfloat16 vector arithmetic does; its float16 kernels round once).
Value round_through(Recorder& r, const Value& v, DType dt) {
  DType cur = tt_of(r, v).dtype;
  if (cur == dt || dt != DType::BFloat16) return v;
  return to_dtype(r, to_dtype(r, v, dt), cur);
}

void no_bool_sub(Recorder& r, std::string_view op, const Value& a, const Value& b) {
  for (const Value* v : {&a, &b})
    KERAUNOS_TYPE_CHECK(!is_bool(tt_of(r, *v).dtype), op, ": subtracting bool tensors is not supported (torch's `-` rejects bool), got ",
                        ts(r, a), " and ", ts(r, b));
}

// The weighted path of mse_loss/l1_loss/huber_loss (torch.nn.functional computes it in Python):
// `wl` is the weighted elementwise loss in dtype `wdt`; mean divides by sum(weight) when
// `mean_by_weight` (mse, l1) and by the element count otherwise (huber).
Value weighted_reduction(Recorder& r, std::string_view op, const Value& wl, DType wdt, const Value& weight, Red red, bool mean_by_weight) {
  if (red == Red::None) return to_dtype(r, wl, wdt);
  if (red == Red::Sum) return sum_all(r, wl, wdt);
  if (!mean_by_weight) return mean_all(r, op, wl, wdt);
  Value num = sum_all(r, wl, wdt);
  Value den = sum_all(r, weight, tt_of(r, weight).dtype);
  DType q = promote_types(tt_of(r, num).dtype, tt_of(r, den).dtype);
  DType out = is_exact(q) ? default_float_dtype() : q;
  DType comp = compute_dtype(out);
  return to_dtype(r, call(r, PrimId::div, {to_dtype(r, num, comp), to_dtype(r, den, comp)}), out);
}

void check_weight_size(Recorder& r, std::string_view op, const Value& weight, const Value& input) {
  KERAUNOS_TYPE_CHECK(same_shape(tt_of(r, weight).shape, tt_of(r, input).shape), op,
                      ": weights and input must have the same size, got weight ", ts(r, weight), " and input ", ts(r, input));
}

// log_softmax over `dim` in x's (computation) dtype.
Value log_softmax(Recorder& r, const Value& x, int64_t dim) {
  const Shape s = tt_of(r, x).shape;
  const auto& d = s[static_cast<size_t>(dim)];
  if (d.is_constant() && d.size == 0) return x;  // nothing to normalize
  const auto kept = all_but(static_cast<int64_t>(s.size()), dim);
  Value m = expand_back(r, call(r, PrimId::amax, {x, Value::ints({dim})}), s, kept);
  Value shifted = call(r, PrimId::sub, {x, m});
  Value lse = call(r, PrimId::log, {call(r, PrimId::sum, {call(r, PrimId::exp, {shifted}), Value::ints({dim})})});
  return call(r, PrimId::sub, {shifted, expand_back(r, lse, s, kept)});
}

// Shapes of nll_loss_nd: the input as (N, C, d...), the target as (N, d...), and the shape of
// the unreduced result.
struct NllShapes {
  Shape input, target, out;
};

NllShapes nll_shapes(Recorder& r, std::string_view op, const Value& input, const Value& target, const Value& weight) {
  const TensorType x = tt_of(r, input);
  const TensorType t = tt_of(r, target);
  const Trace& tr = r.trace();
  KERAUNOS_TYPE_CHECK(x.rank() >= 1, op, ": expected an input of 1 or more dimensions, got ", ts(r, input));
  KERAUNOS_TYPE_CHECK(t.dtype == DType::Int64 || t.dtype == DType::UInt8, op, ": class-index targets must be int64 (or uint8), got ",
                      ts(r, target));
  NllShapes s;
  if (x.rank() == 1) {
    KERAUNOS_TYPE_CHECK(t.rank() == 0 || (t.rank() == 1 && t.shape[0].is_constant() && t.shape[0].size == 1), op,
                        ": for a 1-D input the target must be 0-D or have one element, got input ", ts(r, input), " and target ",
                        ts(r, target));
    s.input = {Dim::constant(1), x.shape[0]};
    s.target = {Dim::constant(1)};
    s.out = {};
  } else {
    KERAUNOS_TYPE_CHECK(t.rank() >= 1 && t.shape[0] == x.shape[0], op,
                        ": expected the target's batch size to match the input's, got input ", ts(r, input), " and target ", ts(r, target));
    Shape want{x.shape[0]};
    for (size_t i = 2; i < x.shape.size(); ++i) want.push_back(x.shape[i]);
    KERAUNOS_TYPE_CHECK(same_shape(t.shape, want), op, ": expected a target of shape ", shape_str(tr, want), " for input ", ts(r, input),
                        ", got ", ts(r, target));
    s.input = x.shape;
    s.target = t.shape;
    s.out = t.shape;
  }
  if (!weight.is_none()) {
    const TensorType w = tt_of(r, weight);
    KERAUNOS_TYPE_CHECK(w.rank() == 1 && w.shape[0] == s.input[1], op, ": weight must have one entry per class (",
                        shape_str(tr, {s.input[1]}), "), got ", ts(r, weight));
  }
  return s;
}

// Per-element nll: -logp[n, t, d...] * w[t], zero (with zero weight) where t == ignore_index.
struct NllParts {
  Value loss;     // (N, d...) in the computation dtype
  Value weights;  // (N, d...) in the computation dtype
  Value ignore;   // (N, d...) bool
};

NllParts nll_parts(Recorder& r, const Value& logp, const Value& target, const Value& weight, int64_t ignore_index, const NllShapes& s) {
  const DType comp = tt_of(r, logp).dtype;
  Value tgt = reshape(r, to_dtype(r, target, DType::Int64), s.target);
  Value ignore = call(r, PrimId::eq, {tgt, Value::integer(ignore_index)});
  Value safe = call(r, PrimId::where, {ignore, Value::integer(0), tgt});
  Shape idx_shape = s.target;
  idx_shape.insert(idx_shape.begin() + 1, Dim::constant(1));
  Value idx = reshape(r, safe, idx_shape);
  Value picked = reshape(r, call(r, PrimId::take_along_axis, {logp, idx, Value::integer(1)}), s.target);
  Value w;
  if (weight.is_none()) {
    w = to_dtype(r, call(r, PrimId::logical_not, {ignore}), comp);  // 1, or 0 where ignored
  } else {
    Shape ws(s.input.size(), Dim::constant(1));
    ws[1] = s.input[1];
    Value wb = reshape(r, to_dtype(r, weight, comp), ws);
    Value wt = reshape(r, call(r, PrimId::take_along_axis, {wb, idx, Value::integer(1)}), s.target);
    w = call(r, PrimId::where, {ignore, Value::floating(0.0), wt});
  }
  Value loss = call(r, PrimId::where, {ignore, Value::floating(0.0), call(r, PrimId::neg, {call(r, PrimId::mul, {picked, w})})});
  return {loss, w, ignore};
}

// nll_loss_nd on log-probabilities already in the computation dtype; `out` is the result dtype.
Value nll_reduce(Recorder& r, const NllParts& p, const NllShapes& s, Red red, DType out) {
  const int64_t rank = tt_of(r, p.loss).rank();
  if (red == Red::None) return to_dtype(r, reshape(r, p.loss, s.out), out);
  Value total = call(r, PrimId::sum, {p.loss, Value::ints(all_dims(rank))});
  if (red == Red::Sum) return to_dtype(r, total, out);
  Value wsum = call(r, PrimId::sum, {p.weights, Value::ints(all_dims(rank))});
  return to_dtype(r, call(r, PrimId::div, {total, wsum}), out);
}

}  // namespace

void register_torch_loss_ops(SymbolTable& table) {
  // ---- nll_loss / cross_entropy -----------------------------------------------------------------
  table.add(python_facts(
      composite("torch.nn.functional.nll_loss",
                {P("input", ParamKind::Tensor), P("target", ParamKind::Tensor), P("weight", ParamKind::OptTensor, Value::none()),
                 P("size_average", ParamKind::OptBool, Value::none()), P("ignore_index", ParamKind::Int, Value::integer(-100)),
                 P("reduce", ParamKind::OptBool, Value::none()), P("reduction", ParamKind::Str, Value::string("mean"))},
                [](Recorder& r, const Args& a) {
                  constexpr const char* op = "torch.nn.functional.nll_loss";
                  Red red = reduction_of(op, a[3], a[5], a[6]);
                  const TensorType x = tt_of(r, a[0]);
                  KERAUNOS_TYPE_CHECK(is_float_dtype(x.dtype), op,
                                      ": expected a floating input (float16, bfloat16, float32 or float64), got ", ts(r, a[0]));
                  if (!a[2].is_none())
                    KERAUNOS_TYPE_CHECK(tt_of(r, a[2]).dtype == x.dtype, op, ": weight ", ts(r, a[2]), " must have the input's dtype (",
                                        torch_name(x.dtype), ")");
                  NllShapes s = nll_shapes(r, op, a[0], a[1], a[2]);
                  const DType comp = compute_dtype(x.dtype);
                  Value logp = reshape(r, to_dtype(r, a[0], comp), s.input);
                  NllParts p = nll_parts(r, logp, a[1], a[2], a[4].as_int(), s);
                  return Args{nll_reduce(r, p, s, red, x.dtype)};
                }),
      "autocast=fp32"));
  table.add(python_facts(
      composite("torch.nn.functional.cross_entropy",
                {P("input", ParamKind::Tensor), P("target", ParamKind::Tensor), P("weight", ParamKind::OptTensor, Value::none()),
                 P("size_average", ParamKind::OptBool, Value::none()), P("ignore_index", ParamKind::Int, Value::integer(-100)),
                 P("reduce", ParamKind::OptBool, Value::none()), P("reduction", ParamKind::Str, Value::string("mean")),
                 P("label_smoothing", ParamKind::Float, Value::floating(0.0))},
                [](Recorder& r, const Args& a) {
                  constexpr const char* op = "torch.nn.functional.cross_entropy";
                  Red red = reduction_of(op, a[3], a[5], a[6]);
                  const TensorType x = tt_of(r, a[0]);
                  const TensorType t = tt_of(r, a[1]);
                  const int64_t ignore_index = a[4].as_int();
                  KERAUNOS_TYPE_CHECK(a[7].is_number_literal(), op, ": label_smoothing must be a constant");
                  const double ls = a[7].as_float();
                  KERAUNOS_TYPE_CHECK(x.rank() >= 1, op,
                                      ": expected an input of 1 or more dimensions (classes in dim 1, or dim 0 for a 1-D input), got ",
                                      ts(r, a[0]));
                  KERAUNOS_TYPE_CHECK(is_float_dtype(x.dtype), op,
                                      ": expected a floating input (float16, bfloat16, float32 or float64), got ", ts(r, a[0]));
                  KERAUNOS_TYPE_CHECK(ls <= 1.0, op, ": label_smoothing must be between 0.0 and 1.0, got ", ls);
                  const int64_t class_dim = x.rank() == 1 ? 0 : 1;
                  const Dim C = x.shape[static_cast<size_t>(class_dim)];
                  const DType comp_in = compute_dtype(x.dtype);
                  if (same_shape(x.shape, t.shape)) {
                    // Class probabilities.
                    KERAUNOS_TYPE_CHECK(is_float_dtype(t.dtype), op, ": expected a floating target for class probabilities, got ",
                                        ts(r, a[1]));
                    KERAUNOS_TYPE_CHECK(ignore_index < 0, op, ": ignore_index is not supported for floating point (probability) targets");
                    DType out = promote_types(x.dtype, t.dtype);
                    if (!a[2].is_none()) {
                      const TensorType w = tt_of(r, a[2]);
                      KERAUNOS_TYPE_CHECK(w.rank() == 1 && w.shape[0] == C, op, ": weight must have one entry per class, got ", ts(r, a[2]),
                                          " for input ", ts(r, a[0]));
                      KERAUNOS_TYPE_CHECK(!is_complex(w.dtype) && !is_float8(w.dtype), op, ": expected a real weight, got ", ts(r, a[2]));
                      out = promote_types(out, w.dtype);
                    }
                    const DType comp = compute_dtype(out);
                    // torch's log_softmax output has the input's dtype.
                    Value logp = to_dtype(r, to_dtype(r, log_softmax(r, to_dtype(r, a[0], comp_in), class_dim), x.dtype), comp);
                    Value tg = to_dtype(r, a[1], comp);
                    if (ls > 0) {
                      KERAUNOS_TYPE_CHECK(C.is_constant(), op, ": label smoothing needs a constant number of classes");
                      tg = call(r, PrimId::add,
                                {call(r, PrimId::mul, {tg, Value::floating(1.0 - ls)}), Value::floating(ls / static_cast<double>(C.size))});
                    }
                    Value prod = call(r, PrimId::mul, {logp, tg});
                    if (!a[2].is_none()) prod = call(r, PrimId::mul, {prod, expand_back(r, to_dtype(r, a[2], comp), x.shape, {class_dim})});
                    if (red == Red::None) {
                      Value s = call(r, PrimId::sum, {prod, Value::ints({class_dim})});
                      return Args{to_dtype(r, call(r, PrimId::neg, {s}), out)};
                    }
                    Value total = call(r, PrimId::neg, {call(r, PrimId::sum, {prod, Value::ints(all_dims(x.rank()))})});
                    if (red == Red::Sum) return Args{to_dtype(r, total, out)};
                    // mean over the batch elements: numel / C (NaN for an empty input, as 0/0).
                    auto n = static_numel(x.shape);
                    KERAUNOS_TYPE_CHECK(n && C.is_constant(), op, ": 'mean' needs constant sizes");
                    double denom = (*n == 0 || C.size == 0) ? 0.0 : static_cast<double>(*n / C.size);
                    return Args{to_dtype(r, call(r, PrimId::div, {total, Value::floating(denom)}), out)};
                  }
                  // Class indices.
                  if (!a[2].is_none())
                    KERAUNOS_TYPE_CHECK(tt_of(r, a[2]).dtype == x.dtype, op, ": weight ", ts(r, a[2]), " must have the input's dtype (",
                                        torch_name(x.dtype), ")");
                  NllShapes s = nll_shapes(r, op, a[0], a[1], a[2]);
                  Value logp = reshape(r, log_softmax(r, to_dtype(r, a[0], comp_in), class_dim), s.input);
                  NllParts p = nll_parts(r, logp, a[1], a[2], ignore_index, s);
                  if (ls <= 0) return Args{nll_reduce(r, p, s, red, x.dtype)};
                  // Label smoothing: (1 - ls) * nll + ls / C * smooth, smooth = -sum_c w_c logp_c.
                  KERAUNOS_TYPE_CHECK(C.is_constant(), op, ": label smoothing needs a constant number of classes");
                  KERAUNOS_TYPE_CHECK(!(t.dtype == DType::UInt8 && !a[2].is_none() && red == Red::Mean), op,
                                      ": label smoothing with a weight and 'mean' reduction gathers the weight by the targets, which must "
                                      "then be int64, got ",
                                      ts(r, a[1]));
                  Value nll = nll_reduce(r, p, s, red, comp_in);
                  Value wl = logp;
                  if (!a[2].is_none()) wl = call(r, PrimId::mul, {logp, expand_back(r, to_dtype(r, a[2], comp_in), s.input, {1})});
                  Value smooth = call(r, PrimId::neg, {call(r, PrimId::sum, {wl, Value::ints({1})})});
                  smooth = call(r, PrimId::where, {p.ignore, Value::floating(0.0), smooth});
                  Value ret;
                  const int64_t rank = tt_of(r, smooth).rank();
                  if (red == Red::None) {
                    ret = reshape(r, smooth, s.out);
                  } else {
                    ret = call(r, PrimId::sum, {smooth, Value::ints(all_dims(rank))});
                    if (red == Red::Mean) {
                      Value den = call(r, PrimId::sum, {p.weights, Value::ints(all_dims(rank))});
                      ret = call(r, PrimId::div, {ret, den});
                    }
                  }
                  Value y = call(r, PrimId::add,
                                 {call(r, PrimId::mul, {nll, Value::floating(1.0 - ls)}),
                                  call(r, PrimId::mul, {ret, Value::floating(ls / static_cast<double>(C.size))})});
                  return Args{to_dtype(r, y, x.dtype)};
                }),
      "autocast=fp32"));

  // ---- regression losses --------------------------------------------------------------------------
  table.add(python_facts(
      composite("torch.nn.functional.mse_loss",
                {P("input", ParamKind::Tensor), P("target", ParamKind::Tensor), P("size_average", ParamKind::OptBool, Value::none()),
                 P("reduce", ParamKind::OptBool, Value::none()), P("reduction", ParamKind::Str, Value::string("mean")),
                 P("weight", ParamKind::OptTensor, Value::none())},
                [](Recorder& r, const Args& a) {
                  constexpr const char* op = "torch.nn.functional.mse_loss";
                  Red red = reduction_of(op, a[2], a[3], a[4]);
                  const Shape shape = broadcast_pair(r, op, a[0], a[1]);
                  DType dt = result_type(r.trace(), {a[0], a[1]});
                  if (a[5].is_none()) {
                    KERAUNOS_TYPE_CHECK(is_float_dtype(dt), op, ": expected floating input and target (they promote to ", torch_name(dt),
                                        "), got ", ts(r, a[0]), " and ", ts(r, a[1]));
                    const DType comp = compute_dtype(dt);
                    Value d = call(r, PrimId::sub, {in_dtype(r, a[0], comp, shape), in_dtype(r, a[1], comp, shape)});
                    return Args{reduce_loss(r, op, call(r, PrimId::mul, {d, d}), dt, red)};
                  }
                  // Weighted: torch.nn.functional computes it with plain tensor ops, each rounding to its
                  // dtype (and integer arithmetic wrapping): pow(input - target, 2) * weight.
                  check_weight_size(r, op, a[5], a[0]);
                  no_bool_sub(r, op, a[0], a[1]);
                  const DType comp = compute_dtype(dt);
                  Value d = round_op(r, call(r, PrimId::sub, {in_dtype(r, a[0], comp, shape), in_dtype(r, a[1], comp, shape)}), dt);
                  Value sq = to_dtype(r, call(r, PrimId::mul, {d, d}), dt);
                  DType wdt = promote_types(dt, tt_of(r, a[5]).dtype);
                  const Shape ws = broadcast_shapes(r.trace(), op, {shape, tt_of(r, a[5]).shape});
                  const DType wcomp = compute_dtype(wdt);
                  Value wl = call(r, PrimId::mul, {in_dtype(r, sq, wcomp, ws), in_dtype(r, a[5], wcomp, ws)});
                  return Args{weighted_reduction(r, op, wl, wdt, a[5], red, true)};
                }),
      "autocast=fp32"));
  table.add(python_facts(
      composite("torch.nn.functional.l1_loss",
                {P("input", ParamKind::Tensor), P("target", ParamKind::Tensor), P("size_average", ParamKind::OptBool, Value::none()),
                 P("reduce", ParamKind::OptBool, Value::none()), P("reduction", ParamKind::Str, Value::string("mean")),
                 P("weight", ParamKind::OptTensor, Value::none())},
                [](Recorder& r, const Args& a) {
                  constexpr const char* op = "torch.nn.functional.l1_loss";
                  Red red = reduction_of(op, a[2], a[3], a[4]);
                  const Shape shape = broadcast_pair(r, op, a[0], a[1]);
                  no_bool_sub(r, op, a[0], a[1]);
                  DType dt = result_type(r.trace(), {a[0], a[1]});
                  KERAUNOS_TYPE_CHECK(!is_float8(dt), op, ": float8 is not supported, got ", ts(r, a[0]));
                  // (input - target).abs(): complex differences give real losses.
                  const DType comp = compute_dtype(dt);
                  Value d = call(r, PrimId::abs, {call(r, PrimId::sub, {in_dtype(r, a[0], comp, shape), in_dtype(r, a[1], comp, shape)})});
                  const DType ldt = to_real(dt);
                  if (a[5].is_none()) return Args{reduce_loss(r, op, d, ldt, red)};
                  check_weight_size(r, op, a[5], a[0]);
                  DType wdt = promote_types(ldt, tt_of(r, a[5]).dtype);
                  const Shape ws = broadcast_shapes(r.trace(), op, {shape, tt_of(r, a[5]).shape});
                  const DType wcomp = compute_dtype(wdt);
                  Value wl = call(r, PrimId::mul, {in_dtype(r, to_dtype(r, d, ldt), wcomp, ws), in_dtype(r, a[5], wcomp, ws)});
                  return Args{weighted_reduction(r, op, wl, wdt, a[5], red, true)};
                }),
      "autocast=fp32"));
  table.add(python_facts(
      composite(
          "torch.nn.functional.smooth_l1_loss",
          {P("input", ParamKind::Tensor), P("target", ParamKind::Tensor), P("size_average", ParamKind::OptBool, Value::none()),
           P("reduce", ParamKind::OptBool, Value::none()), P("reduction", ParamKind::Str, Value::string("mean")),
           P("beta", ParamKind::Float, Value::floating(1.0))},
          [](Recorder& r, const Args& a) {
            constexpr const char* op = "torch.nn.functional.smooth_l1_loss";
            Red red = reduction_of(op, a[2], a[3], a[4]);
            KERAUNOS_TYPE_CHECK(a[5].is_number_literal(), op, ": beta must be a constant");
            const double beta = a[5].as_float();
            const Shape shape = broadcast_pair(r, op, a[0], a[1]);
            DType dt = result_type(r.trace(), {a[0], a[1]});
            if (beta == 0.0) {
              // torch computes l1_loss for beta == 0.
              no_bool_sub(r, op, a[0], a[1]);
              KERAUNOS_TYPE_CHECK(!is_float8(dt), op, ": float8 is not supported, got ", ts(r, a[0]));
              const DType comp = compute_dtype(dt);
              Value d = call(r, PrimId::abs, {call(r, PrimId::sub, {in_dtype(r, a[0], comp, shape), in_dtype(r, a[1], comp, shape)})});
              return Args{reduce_loss(r, op, d, to_real(dt), red)};
            }
            KERAUNOS_TYPE_CHECK(beta > 0, op, ": beta must not be negative, got ", beta);
            KERAUNOS_TYPE_CHECK(is_float_dtype(dt), op, ": expected floating input and target (they promote to ", torch_name(dt), "), got ",
                                ts(r, a[0]), " and ", ts(r, a[1]));
            const DType comp = compute_dtype(dt);
            Value d = call(r, PrimId::abs, {call(r, PrimId::sub, {in_dtype(r, a[0], comp, shape), in_dtype(r, a[1], comp, shape)})});
            Value quad =
                call(r, PrimId::div, {call(r, PrimId::mul, {call(r, PrimId::mul, {d, d}), Value::floating(0.5)}), Value::floating(beta)});
            Value lin = call(r, PrimId::sub, {d, Value::floating(0.5 * beta)});
            Value l = call(r, PrimId::where, {call(r, PrimId::lt, {d, Value::floating(beta)}), quad, lin});
            return Args{reduce_loss(r, op, l, dt, red)};
          }),
      "autocast_cpu=fp32"));
  // huber_loss writes into a tensor like the input: the result has the input's dtype.
  table.add(python_facts(
      composite("torch.nn.functional.huber_loss",
                {P("input", ParamKind::Tensor), P("target", ParamKind::Tensor), P("reduction", ParamKind::Str, Value::string("mean")),
                 P("delta", ParamKind::Float, Value::floating(1.0)), P("weight", ParamKind::OptTensor, Value::none())},
                [](Recorder& r, const Args& a) {
                  constexpr const char* op = "torch.nn.functional.huber_loss";
                  KERAUNOS_TYPE_CHECK(a[3].is_number_literal(), op, ": delta must be a constant");
                  const double delta = a[3].as_float();
                  const Shape shape = broadcast_pair(r, op, a[0], a[1]);
                  Red red = plain_reduction(op, a[2]);
                  KERAUNOS_TYPE_CHECK(delta > 0, op, ": delta must be positive, got ", delta);
                  DType dt = result_type(r.trace(), {a[0], a[1]});
                  const DType in = tt_of(r, a[0]).dtype;
                  KERAUNOS_TYPE_CHECK(is_float_dtype(dt) && is_float_dtype(in), op,
                                      ": expected a floating input and a target that promote to a floating dtype, got ", ts(r, a[0]),
                                      " and ", ts(r, a[1]));
                  // torch's kernel runs in the promoted dtype, rounding each step for float16/bfloat16,
                  // and stores into the input's dtype: z = |a - b|; z < delta ? 0.5 * z * z : delta * (z - delta / 2).
                  const DType comp = compute_dtype(dt);
                  const DType kd = dt;
                  Value xa = in_dtype(r, a[0], comp, shape), xb = in_dtype(r, a[1], comp, shape);
                  Value d = round_through(r, call(r, PrimId::abs, {call(r, PrimId::sub, {xa, xb})}), kd);
                  Value quad = round_through(
                      r, call(r, PrimId::mul, {round_through(r, call(r, PrimId::mul, {d, Value::floating(0.5)}), kd), d}), kd);
                  Value lin = round_through(r, call(r, PrimId::sub, {d, Value::floating(0.5 * delta)}), kd);
                  lin = round_through(r, call(r, PrimId::mul, {lin, Value::floating(delta)}), kd);
                  Value l = to_dtype(r, call(r, PrimId::where, {call(r, PrimId::lt, {d, Value::floating(delta)}), quad, lin}), in);
                  if (a[4].is_none()) return Args{reduce_loss(r, op, l, in, red)};
                  check_weight_size(r, op, a[4], a[0]);
                  DType wdt = promote_types(in, tt_of(r, a[4]).dtype);
                  const DType wcomp = compute_dtype(wdt);
                  const Shape ws = broadcast_shapes(r.trace(), op, {shape, tt_of(r, a[4]).shape});
                  Value wl = call(r, PrimId::mul, {in_dtype(r, l, wcomp, ws), in_dtype(r, a[4], wcomp, ws)});
                  return Args{weighted_reduction(r, op, wl, wdt, a[4], red, false)};
                }),
      "autocast_cpu=fp32"));

  // ---- binary cross entropy ---------------------------------------------------------------------
  table.add(python_facts(
      composite("torch.nn.functional.binary_cross_entropy",
                {P("input", ParamKind::Tensor), P("target", ParamKind::Tensor), P("weight", ParamKind::OptTensor, Value::none()),
                 P("size_average", ParamKind::OptBool, Value::none()), P("reduce", ParamKind::OptBool, Value::none()),
                 P("reduction", ParamKind::Str, Value::string("mean"))},
                [](Recorder& r, const Args& a) {
                  constexpr const char* op = "torch.nn.functional.binary_cross_entropy";
                  Red red = reduction_of(op, a[3], a[4], a[5]);
                  const TensorType x = tt_of(r, a[0]);
                  KERAUNOS_TYPE_CHECK(same_shape(x.shape, tt_of(r, a[1]).shape), op, ": the target ", ts(r, a[1]),
                                      " must have the input's size (", ts(r, a[0]), ")");
                  KERAUNOS_TYPE_CHECK(is_float_dtype(x.dtype), op,
                                      ": expected a floating input (float16, bfloat16, float32 or float64), got ", ts(r, a[0]));
                  KERAUNOS_TYPE_CHECK(tt_of(r, a[1]).dtype == x.dtype, op, ": the target ", ts(r, a[1]), " must have the input's dtype (",
                                      torch_name(x.dtype), ")");
                  const DType comp = compute_dtype(x.dtype);
                  Value xi = to_dtype(r, a[0], comp), t = to_dtype(r, a[1], comp);
                  auto clamped_log = [&](const Value& v) {
                    Value l = call(r, PrimId::log, {v});
                    return call(r, PrimId::where, {call(r, PrimId::lt, {l, Value::floating(-100.0)}), Value::floating(-100.0), l});
                  };
                  // (t - 1) * max(log(1 - x), -100) - t * max(log(x), -100)
                  Value l = call(r, PrimId::sub,
                                 {call(r, PrimId::mul,
                                       {call(r, PrimId::sub, {t, Value::floating(1.0)}),
                                        clamped_log(call(r, PrimId::sub, {Value::floating(1.0), xi}))}),
                                  call(r, PrimId::mul, {t, clamped_log(xi)})});
                  if (!a[2].is_none()) {
                    const TensorType w = tt_of(r, a[2]);
                    Shape ws = broadcast_shapes(r.trace(), op, {x.shape, w.shape});
                    KERAUNOS_TYPE_CHECK(same_shape(ws, x.shape), op, ": weight ", ts(r, a[2]), " must broadcast to the input's shape ",
                                        shape_str(r.trace(), x.shape));
                    KERAUNOS_TYPE_CHECK(!is_complex(w.dtype) && !is_float8(w.dtype), op, ": expected a real weight, got ", ts(r, a[2]));
                    l = call(r, PrimId::mul, {l, in_dtype(r, a[2], comp, x.shape)});
                  }
                  return Args{reduce_loss(r, op, l, x.dtype, red)};
                }),
      "autocast_cpu=fp32"));
  // binary_cross_entropy_with_logits: torch builds the loss in place from (1 - target), so the
  // result has the target's dtype; pos_weight and weight apply in place (they must broadcast to
  // the input's shape).
  table.add(python_facts(
      composite("torch.nn.functional.binary_cross_entropy_with_logits",
                {P("input", ParamKind::Tensor), P("target", ParamKind::Tensor), P("weight", ParamKind::OptTensor, Value::none()),
                 P("size_average", ParamKind::OptBool, Value::none()), P("reduce", ParamKind::OptBool, Value::none()),
                 P("reduction", ParamKind::Str, Value::string("mean")), P("pos_weight", ParamKind::OptTensor, Value::none())},
                [](Recorder& r, const Args& a) {
                  constexpr const char* op = "torch.nn.functional.binary_cross_entropy_with_logits";
                  Red red = reduction_of(op, a[3], a[4], a[5]);
                  const TensorType x = tt_of(r, a[0]);
                  const TensorType t = tt_of(r, a[1]);
                  KERAUNOS_TYPE_CHECK(same_shape(x.shape, t.shape), op, ": the target ", ts(r, a[1]), " must have the input's size (",
                                      ts(r, a[0]), ")");
                  KERAUNOS_TYPE_CHECK(is_float_dtype(x.dtype), op,
                                      ": expected a floating input (float16, bfloat16, float32 or float64), got ", ts(r, a[0]));
                  KERAUNOS_TYPE_CHECK(is_float_dtype(t.dtype), op,
                                      ": expected a floating target (torch builds the loss in the target's dtype), got ", ts(r, a[1]));
                  const DType comp = compute_dtype(promote_types(x.dtype, t.dtype));
                  auto fits_input = [&](const Value& v, const char* name) {
                    const TensorType vt = tt_of(r, v);
                    Shape bs = broadcast_shapes(r.trace(), op, {x.shape, vt.shape});
                    KERAUNOS_TYPE_CHECK(same_shape(bs, x.shape), op, ": ", name, " ", ts(r, v), " must broadcast to the input's shape ",
                                        shape_str(r.trace(), x.shape));
                    KERAUNOS_TYPE_CHECK(!is_complex(vt.dtype) && !is_float8(vt.dtype), op, ": expected a real ", name, ", got ", ts(r, v));
                  };
                  Value xi = to_dtype(r, a[0], comp), ti = to_dtype(r, a[1], comp);
                  // log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|)), a tensor of the input's dtype.
                  Value xk = to_dtype(r, a[0], compute_dtype(x.dtype));
                  Value mn = call(r, PrimId::where, {call(r, PrimId::lt, {xk, Value::integer(0)}), xk, Value::integer(0)});
                  Value ls =
                      call(r, PrimId::sub,
                           {mn, call(r, PrimId::log1p, {call(r, PrimId::exp, {call(r, PrimId::neg, {call(r, PrimId::abs, {xk})})})})});
                  ls = to_dtype(r, to_dtype(r, ls, x.dtype), comp);
                  if (!a[6].is_none()) {
                    fits_input(a[6], "pos_weight");
                    KERAUNOS_TYPE_CHECK(!is_bool(tt_of(r, a[6]).dtype), op,
                                        ": pos_weight must not be bool (torch subtracts 1 from it), got ", ts(r, a[6]));
                    // log_sigmoid(x) *= (pos_weight - 1) * target + 1, in place (the input's dtype).
                    const DType pwd = tt_of(r, a[6]).dtype;
                    const DType lwd = promote_types(pwd, t.dtype);
                    Value pw = in_dtype(r, a[6], comp, x.shape);
                    Value lw = round_op(r, call(r, PrimId::sub, {pw, Value::floating(1.0)}), pwd);
                    lw = round_op(r, call(r, PrimId::add, {round_op(r, call(r, PrimId::mul, {lw, ti}), lwd), Value::floating(1.0)}), lwd);
                    ls = to_dtype(r, to_dtype(r, call(r, PrimId::mul, {ls, lw}), x.dtype), comp);
                  }
                  // (1 - target).mul_(input).sub_(log_sigmoid).mul_(weight): each step is stored in the
                  // target's dtype.
                  const DType td = t.dtype;
                  Value l = round_op(r, call(r, PrimId::sub, {Value::floating(1.0), ti}), td);
                  l = round_op(r, call(r, PrimId::mul, {l, xi}), td);
                  l = round_op(r, call(r, PrimId::sub, {l, ls}), td);
                  if (!a[2].is_none()) {
                    fits_input(a[2], "weight");
                    l = round_op(r, call(r, PrimId::mul, {l, in_dtype(r, a[2], comp, x.shape)}), td);
                  }
                  return Args{reduce_loss(r, op, l, t.dtype, red)};
                }),
      "autocast=fp32"));

  // ---- kl_div -------------------------------------------------------------------------------------
  table.add(python_facts(
      composite("torch.nn.functional.kl_div",
                {P("input", ParamKind::Tensor), P("target", ParamKind::Tensor), P("size_average", ParamKind::OptBool, Value::none()),
                 P("reduce", ParamKind::OptBool, Value::none()), P("reduction", ParamKind::Str, Value::string("mean")),
                 P("log_target", ParamKind::Bool, Value::boolean(false))},
                [](Recorder& r, const Args& a) {
                  constexpr const char* op = "torch.nn.functional.kl_div";
                  Red red = reduction_of(op, a[2], a[3], a[4], /*batchmean=*/true);
                  const DType di = tt_of(r, a[0]).dtype, dg = tt_of(r, a[1]).dtype;
                  KERAUNOS_TYPE_CHECK(!is_complex(di) && !is_complex(dg), op, ": complex inputs are not supported, got ", ts(r, a[0]),
                                      " and ", ts(r, a[1]));
                  KERAUNOS_TYPE_CHECK(!is_exact(di) && !is_exact(dg), op, ": integral inputs are not supported, got ", ts(r, a[0]), " and ",
                                      ts(r, a[1]));
                  const Shape shape = broadcast_pair(r, op, a[0], a[1]);
                  DType dt = result_type(r.trace(), {a[0], a[1]});
                  KERAUNOS_TYPE_CHECK(is_float_dtype(dt), op, ": float8 is not supported, got ", ts(r, a[0]));
                  const DType comp = compute_dtype(dt);
                  Value x = in_dtype(r, a[0], comp, shape), t = in_dtype(r, a[1], comp, shape);
                  Value l;
                  // Each torch op of the composition rounds to the result dtype.
                  if (a[5].as_bool()) {
                    l = call(r, PrimId::mul, {round_op(r, call(r, PrimId::exp, {t}), dt), round_op(r, call(r, PrimId::sub, {t, x}), dt)});
                  } else {
                    // xlogy(t, t) - t * x, with xlogy(0, 0) = 0.
                    Value tlogt = call(r, PrimId::where,
                                       {call(r, PrimId::eq, {t, Value::integer(0)}), Value::floating(0.0),
                                        call(r, PrimId::mul, {t, call(r, PrimId::log, {t})})});
                    l = call(r, PrimId::sub, {round_op(r, tlogt, dt), round_op(r, call(r, PrimId::mul, {t, x}), dt)});
                  }
                  l = round_op(r, l, dt);
                  if (red != Red::BatchMean) return Args{reduce_loss(r, op, l, dt, red)};
                  Value s = sum_all(r, l, dt);
                  const Shape xs = tt_of(r, a[0]).shape;
                  if (xs.empty()) return Args{s};
                  return Args{to_dtype(r, call(r, PrimId::div, {to_dtype(r, s, comp), dim_value(xs[0])}), dt)};
                }),
      "autocast=fp32"));
}

}  // namespace keraunos::ops
