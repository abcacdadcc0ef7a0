// Torch-level activations and softmax: relu, relu6, hardtanh, gelu, silu, sigmoid, softplus,
// leaky_relu, elu, selu, celu, mish, hardswish, hardsigmoid, logsigmoid, glu, softmax,
// log_softmax, softmin. Results keep the input dtype; float16/bfloat16 compute in float32 and round
// once at the end. Comparisons are written so that NaN propagates as in torch's kernels.
#include <cmath>

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

TensorType float_input(Recorder& r, const Value& v, std::string_view op) {
  const TensorType tt = tensor_type(r.trace(), v);
  KERAUNOS_TYPE_CHECK(is_floating(tt.dtype) && !is_float8(tt.dtype), op,
                      ": expected a floating tensor (float16, bfloat16, float32 or float64), got ", type_str(r.trace(), tt));
  return tt;
}

void no_inplace(std::string_view op, const Value& inplace) {
  KERAUNOS_TYPE_CHECK(!inplace.as_bool(), op,
                      ": inplace=True updates the input in place, which a functional trace cannot express; use inplace=False");
}

// Reduces over `dim` and broadcasts the result back to the input shape (keepdim + expand).
Value reduce_keep(Recorder& r, PrimId prim, const Value& x, int64_t dim) {
  const Shape shape = tensor_type(r.trace(), x).shape;
  Value red = call(r, prim, {x, Value::ints({dim})});
  std::vector<int64_t> bd;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i)
    if (i != dim) bd.push_back(i);
  return call(r, PrimId::broadcast_in_dim, {red, Value::tuple(shape_values(shape)), Value::ints(bd)});
}

// 1 / (1 + exp(-x)), in x's dtype.
Value sigmoid_of(Recorder& r, const Value& x) {
  return call(r, PrimId::reciprocal, {call(r, PrimId::add, {call(r, PrimId::exp, {call(r, PrimId::neg, {x})}), Value::floating(1.0)})});
}

// clamp(x, lo, hi) with NaN propagating (comparisons with NaN are false).
Value clamp_nan(Recorder& r, const Value& x, const Value& lo, const Value& hi) {
  Value y = call(r, PrimId::where, {call(r, PrimId::lt, {x, lo}), lo, x});
  return call(r, PrimId::where, {call(r, PrimId::gt, {y, hi}), hi, y});
}

// A float-only activation: f(x) computed in the computation dtype, rounded to the input dtype.
template <typename F>
Value float_unary(Recorder& r, const Value& a, std::string_view op, F&& f) {
  const TensorType tt = float_input(r, a, op);
  DType out = tt.dtype;
  Value x = to_dtype(r, a, compute_dtype(out));
  return to_dtype(r, f(x), out);
}

// softmax / log_softmax over dim in the computation dtype of `out`.
Value softmax_core(Recorder& r, const Value& input, int64_t dim, DType out, bool log) {
  const TensorType tt = tensor_type(r.trace(), input);
  if (tt.rank() == 0) {
    Value x = to_dtype(r, input, out);
    // One element: exp(x - x) / exp(x - x), which is 1 (NaN for non-finite x), log of it 0.
    Value z = call(r, PrimId::sub, {x, x});
    return log ? z : call(r, PrimId::exp, {z});
  }
  Value x = to_dtype(r, input, compute_dtype(out));
  Value m = reduce_keep(r, PrimId::amax, x, dim);
  Value shifted = call(r, PrimId::sub, {x, m});
  Value e = call(r, PrimId::exp, {shifted});
  Value s = reduce_keep(r, PrimId::sum, e, dim);
  Value y = log ? call(r, PrimId::sub, {shifted, call(r, PrimId::log, {s})}) : call(r, PrimId::div, {e, s});
  return to_dtype(r, y, out);
}

// torch.nn.functional's implicit softmax dim (deprecated in torch, still accepted).
int64_t implicit_softmax_dim(int64_t rank) { return (rank == 0 || rank == 1 || rank == 3) ? 0 : 1; }

// The result dtype of softmax-like ops. torch skips its kernel for an empty input, so any input
// and result dtype is accepted then; otherwise the result must be floating.
DType softmax_out_dtype(Recorder& r, std::string_view id, const Value& input, const Value& dtype) {
  const TensorType tt = tensor_type(r.trace(), input);
  DType out = dtype.is_none() ? tt.dtype : dtype.as_dtype();
  auto n = static_numel(tt.shape);
  if (n && *n == 0) return out;
  KERAUNOS_TYPE_CHECK(is_floating(out) && !is_float8(out), id,
                      ": expected a floating tensor or dtype (float16, bfloat16, float32 or float64), got ", type_str(r.trace(), tt),
                      dtype.is_none() ? std::string() : std::string(" with dtype=") + std::string(torch_name(out)));
  return out;
}

bool is_empty(Recorder& r, const Value& v) {
  auto n = static_numel(tensor_type(r.trace(), v).shape);
  return n && *n == 0;
}

// hardtanh's bounds in the tensor's dtype: torch casts them to the scalar type (integers truncate).
Value bound_for(const Value& v, DType dt) {
  if (is_integer(dt) && v.is_float()) return Value::integer(static_cast<int64_t>(v.as_float()));
  if (v.is_bool()) return is_integer(dt) ? Value::integer(v.as_bool()) : Value::floating(v.as_bool() ? 1.0 : 0.0);
  return v;
}

Value hardtanh(Recorder& r, std::string_view op, const Value& a, const Value& lo, const Value& hi) {
  const TensorType tt = tensor_type(r.trace(), a);
  KERAUNOS_TYPE_CHECK(!is_bool(tt.dtype), op, ": bool tensors are not supported, got ", type_str(r.trace(), tt));
  KERAUNOS_TYPE_CHECK(!is_complex(tt.dtype) && !is_float8(tt.dtype), op, ": expected a real tensor, got ", type_str(r.trace(), tt));
  if (lo.is_number_literal() && hi.is_number_literal())
    KERAUNOS_TYPE_CHECK(lo.as_float() <= hi.as_float(), op, ": min_val (", lo.as_float(), ") cannot be greater than max_val (",
                        hi.as_float(), ")");
  const Value lo_t = bound_for(lo, tt.dtype), hi_t = bound_for(hi, tt.dtype);
  if (tt.dtype == DType::UInt8 && lo_t.is_number_literal() && hi_t.is_number_literal())
    KERAUNOS_TYPE_CHECK(lo_t.as_float() >= 0 && hi_t.as_float() >= 0, op, ": cannot do hardtanh on an unsigned type (",
                        type_str(r.trace(), tt), ") with negative limits");
  // Clamping is exact, so it runs in the input dtype (bounds rounded to it, as torch does).
  return clamp_nan(r, a, lo_t, hi_t);
}

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

// x > 0 ? x * scale : expm1(x * in_scale) * neg_scale  (elu, selu, celu)
Value elu_core(Recorder& r, const Value& x, double scale, double in_scale, const Value& neg_scale) {
  Value pos = scale == 1.0 ? x : call(r, PrimId::mul, {x, Value::floating(scale)});
  Value xs = in_scale == 1.0 ? x : call(r, PrimId::mul, {x, Value::floating(in_scale)});
  Value neg = call(r, PrimId::mul, {call(r, PrimId::expm1, {xs}), neg_scale});
  return call(r, PrimId::where, {call(r, PrimId::gt, {x, Value::integer(0)}), pos, neg});
}

}  // namespace

void register_torch_activations(SymbolTable& table) {
  table.add(python_facts(
      composite("torch.relu", {P("input", ParamKind::Tensor)},
                [](Recorder& r, const Args& a) {
                  const TensorType tt = tensor_type(r.trace(), a[0]);
                  KERAUNOS_TYPE_CHECK(!is_bool(tt.dtype) && !is_complex(tt.dtype) && !is_float8(tt.dtype),
                                      "torch.relu: expected an integer or floating tensor, got ", type_str(r.trace(), tt));
                  // where(a <= 0, 0, a) keeps NaN, as torch does.
                  return Args{call(r, PrimId::where, {call(r, PrimId::le, {a[0], Value::integer(0)}), Value::integer(0), a[0]})};
                }),
      "torch.nn.functional.relu"));
  table.add(composite("torch.nn.functional.relu6", {P("input", ParamKind::Tensor), P("inplace", ParamKind::Bool, Value::boolean(false))},
                      [](Recorder& r, const Args& a) {
                        no_inplace("torch.nn.functional.relu6", a[1]);
                        return Args{hardtanh(r, "torch.nn.functional.relu6", a[0], Value::integer(0), Value::integer(6))};
                      }));
  table.add(composite("torch.nn.functional.hardtanh",
                      {P("input", ParamKind::Tensor), P("min_val", ParamKind::Number, Value::floating(-1.0)),
                       P("max_val", ParamKind::Number, Value::floating(1.0)), P("inplace", ParamKind::Bool, Value::boolean(false))},
                      [](Recorder& r, const Args& a) {
                        no_inplace("torch.nn.functional.hardtanh", a[3]);
                        return Args{hardtanh(r, "torch.nn.functional.hardtanh", a[0], a[1], a[2])};
                      }));
  table.add(composite("torch.nn.functional.gelu", {P("input", ParamKind::Tensor), KW("approximate", ParamKind::Str, Value::string("none"))},
                      [](Recorder& r, const Args& a) {
                        const std::string& mode = a[1].as_str();
                        KERAUNOS_TYPE_CHECK(mode == "none" || mode == "tanh",
                                            "torch.nn.functional.gelu: approximate must be 'none' or 'tanh', got '", mode, "'");
                        return Args{float_unary(r, a[0], "torch.nn.functional.gelu", [&](const Value& x) {
                          Value inner;
                          if (mode == "none") {
                            inner = call(r, PrimId::erf, {call(r, PrimId::mul, {x, Value::floating(M_SQRT1_2)})});
                          } else {
                            Value x3 = call(r, PrimId::mul, {call(r, PrimId::mul, {x, x}), x});
                            Value poly = call(r, PrimId::add, {x, call(r, PrimId::mul, {x3, Value::floating(0.044715)})});
                            inner = call(r, PrimId::tanh, {call(r, PrimId::mul, {poly, Value::floating(std::sqrt(2.0 / M_PI))})});
                          }
                          return call(
                              r, PrimId::mul,
                              {call(r, PrimId::mul, {x, Value::floating(0.5)}), call(r, PrimId::add, {inner, Value::floating(1.0)})});
                        })};
                      }));
  table.add(python_facts(composite("torch.sigmoid", {P("input", ParamKind::Tensor)},
                                   [](Recorder& r, const Args& a) {
                                     const TensorType tt = tensor_type(r.trace(), a[0]);
                                     KERAUNOS_TYPE_CHECK(!is_float8(tt.dtype), "torch.sigmoid: float8 tensors are not supported, got ",
                                                         type_str(r.trace(), tt));
                                     DType out = is_exact(tt.dtype) ? default_float_dtype() : tt.dtype;
                                     Value x = to_dtype(r, a[0], compute_dtype(out));
                                     return Args{to_dtype(r, sigmoid_of(r, x), out)};
                                   }),
                         "torch.nn.functional.sigmoid"));
  table.add(composite("torch.nn.functional.silu", {P("input", ParamKind::Tensor), P("inplace", ParamKind::Bool, Value::boolean(false))},
                      [](Recorder& r, const Args& a) {
                        no_inplace("torch.nn.functional.silu", a[1]);
                        const TensorType tt = tensor_type(r.trace(), a[0]);
                        KERAUNOS_TYPE_CHECK((is_floating(tt.dtype) && !is_float8(tt.dtype)) || is_complex(tt.dtype),
                                            "torch.nn.functional.silu: expected a floating or complex tensor, got ",
                                            type_str(r.trace(), tt));
                        DType out = tt.dtype;
                        Value x = to_dtype(r, a[0], compute_dtype(out));
                        return Args{to_dtype(r, call(r, PrimId::mul, {x, sigmoid_of(r, x)}), out)};
                      }));
  table.add(python_facts(composite("torch.nn.functional.softplus",
                                   {P("input", ParamKind::Tensor), P("beta", ParamKind::Number, Value::integer(1)),
                                    P("threshold", ParamKind::Number, Value::integer(20))},
                                   [](Recorder& r, const Args& a) {
                                     return Args{float_unary(r, a[0], "torch.nn.functional.softplus", [&](const Value& x) {
                                       // (x * beta) > threshold ? x : log1p(exp(x * beta)) / beta
                                       Value xb = call(r, PrimId::mul, {x, a[1]});
                                       Value soft = call(r, PrimId::div, {call(r, PrimId::log1p, {call(r, PrimId::exp, {xb})}), a[1]});
                                       return call(r, PrimId::where, {call(r, PrimId::gt, {xb, a[2]}), x, soft});
                                     })};
                                   }),
                         "autocast_cuda=fp32"));
  table.add(composite("torch.nn.functional.leaky_relu",
                      {P("input", ParamKind::Tensor), P("negative_slope", ParamKind::Number, Value::floating(0.01)),
                       P("inplace", ParamKind::Bool, Value::boolean(false))},
                      [](Recorder& r, const Args& a) {
                        no_inplace("torch.nn.functional.leaky_relu", a[2]);
                        return Args{float_unary(r, a[0], "torch.nn.functional.leaky_relu", [&](const Value& x) {
                          return call(r, PrimId::where, {call(r, PrimId::gt, {x, Value::integer(0)}), x, call(r, PrimId::mul, {x, a[1]})});
                        })};
                      }));
  table.add(composite("torch.nn.functional.elu",
                      {P("input", ParamKind::Tensor), P("alpha", ParamKind::Number, Value::floating(1.0)),
                       P("inplace", ParamKind::Bool, Value::boolean(false))},
                      [](Recorder& r, const Args& a) {
                        no_inplace("torch.nn.functional.elu", a[2]);
                        return Args{float_unary(r, a[0], "torch.nn.functional.elu",
                                                [&](const Value& x) { return elu_core(r, x, 1.0, 1.0, a[1]); })};
                      }));
  table.add(composite("torch.nn.functional.selu", {P("input", ParamKind::Tensor), P("inplace", ParamKind::Bool, Value::boolean(false))},
                      [](Recorder& r, const Args& a) {
                        no_inplace("torch.nn.functional.selu", a[1]);
                        return Args{float_unary(r, a[0], "torch.nn.functional.selu", [&](const Value& x) {
                          return elu_core(r, x, kSeluScale, 1.0, Value::floating(kSeluAlpha * kSeluScale));
                        })};
                      }));
  table.add(composite("torch.nn.functional.celu",
                      {P("input", ParamKind::Tensor), P("alpha", ParamKind::Number, Value::floating(1.0)),
                       P("inplace", ParamKind::Bool, Value::boolean(false))},
                      [](Recorder& r, const Args& a) {
                        constexpr const char* op = "torch.nn.functional.celu";
                        no_inplace(op, a[2]);
                        KERAUNOS_TYPE_CHECK(a[1].is_number_literal(), op, ": alpha must be a constant (it divides the input)");
                        KERAUNOS_TYPE_CHECK(a[1].as_float() != 0.0, op, ": alpha cannot be 0 for CELU");
                        return Args{
                            float_unary(r, a[0], op, [&](const Value& x) { return elu_core(r, x, 1.0, 1.0 / a[1].as_float(), a[1]); })};
                      }));
  table.add(composite("torch.nn.functional.mish", {P("input", ParamKind::Tensor), P("inplace", ParamKind::Bool, Value::boolean(false))},
                      [](Recorder& r, const Args& a) {
                        no_inplace("torch.nn.functional.mish", a[1]);
                        return Args{float_unary(r, a[0], "torch.nn.functional.mish", [&](const Value& x) {
                          return call(r, PrimId::mul, {x, call(r, PrimId::tanh, {call(r, PrimId::log1p, {call(r, PrimId::exp, {x})})})});
                        })};
                      }));
  table.add(composite("torch.nn.functional.hardswish",
                      {P("input", ParamKind::Tensor), P("inplace", ParamKind::Bool, Value::boolean(false))},
                      [](Recorder& r, const Args& a) {
                        no_inplace("torch.nn.functional.hardswish", a[1]);
                        return Args{float_unary(r, a[0], "torch.nn.functional.hardswish", [&](const Value& x) {
                          Value c = clamp_nan(r, call(r, PrimId::add, {x, Value::integer(3)}), Value::integer(0), Value::integer(6));
                          return call(r, PrimId::div, {call(r, PrimId::mul, {x, c}), Value::integer(6)});
                        })};
                      }));
  table.add(composite("torch.nn.functional.hardsigmoid",
                      {P("input", ParamKind::Tensor), P("inplace", ParamKind::Bool, Value::boolean(false))},
                      [](Recorder& r, const Args& a) {
                        no_inplace("torch.nn.functional.hardsigmoid", a[1]);
                        return Args{float_unary(r, a[0], "torch.nn.functional.hardsigmoid", [&](const Value& x) {
                          Value c = clamp_nan(r, call(r, PrimId::add, {x, Value::integer(3)}), Value::integer(0), Value::integer(6));
                          return call(r, PrimId::div, {c, Value::integer(6)});
                        })};
                      }));
  table.add(composite("torch.nn.functional.logsigmoid", {P("input", ParamKind::Tensor)}, [](Recorder& r, const Args& a) {
    return Args{float_unary(r, a[0], "torch.nn.functional.logsigmoid", [&](const Value& x) {
      // min(x, 0) - log1p(exp(-|x|)), stable for large |x|.
      Value mn = call(r, PrimId::where, {call(r, PrimId::lt, {x, Value::integer(0)}), x, Value::integer(0)});
      return call(r, PrimId::sub,
                  {mn, call(r, PrimId::log1p, {call(r, PrimId::exp, {call(r, PrimId::neg, {call(r, PrimId::abs, {x})})})})});
    })};
  }));
  table.add(composite("torch.nn.functional.glu", {P("input", ParamKind::Tensor), P("dim", ParamKind::Int, Value::integer(-1))},
                      [](Recorder& r, const Args& a) {
                        constexpr const char* op = "torch.nn.functional.glu";
                        const auto tt = float_input(r, a[0], op);
                        KERAUNOS_TYPE_CHECK(tt.rank() > 0, op,
                                            ": glu does not support 0-d tensors because the halving size must be even, got ", ts(r, a[0]));
                        int64_t dim = canonical_dim(op, a[1].as_int(), tt.rank());
                        std::vector<int64_t> start(static_cast<size_t>(tt.rank()), 0), end;
                        for (const auto& d : tt.shape) {
                          KERAUNOS_TYPE_CHECK(d.is_constant(), op, ": symbolic sizes are not supported, got ", ts(r, a[0]));
                          end.push_back(d.size);
                        }
                        const int64_t n = end[static_cast<size_t>(dim)];
                        KERAUNOS_TYPE_CHECK(n % 2 == 0, op, ": halving dimension must be even, but dimension ", dim, " of ", ts(r, a[0]),
                                            " has size ", n);
                        Value x = to_dtype(r, a[0], compute_dtype(tt.dtype));
                        std::vector<int64_t> mid_end = end, mid_start = start;
                        mid_end[static_cast<size_t>(dim)] = n / 2;
                        mid_start[static_cast<size_t>(dim)] = n / 2;
                        Value first = call(r, PrimId::slice, {x, Value::ints(start), Value::ints(mid_end)});
                        Value second = call(r, PrimId::slice, {x, Value::ints(mid_start), Value::ints(end)});
                        return Args{to_dtype(r, call(r, PrimId::mul, {first, sigmoid_of(r, second)}), tt.dtype)};
                      }));
  for (bool log : {false, true}) {
    std::string id = log ? "torch.log_softmax" : "torch.softmax";
    table.add(
        python_facts(composite(
                         id, {P("input", ParamKind::Tensor), P("dim", ParamKind::Int), KW("dtype", ParamKind::OptDType, Value::none())},
                         [log, id](Recorder& r, const Args& a) {
                           const TensorType tt = tensor_type(r.trace(), a[0]);
                           DType out = softmax_out_dtype(r, id, a[0], a[2]);
                           int64_t dim = canonical_dim(id, a[1].as_int(), tt.rank());
                           if (is_empty(r, a[0])) return Args{to_dtype(r, a[0], out)};
                           return Args{softmax_core(r, a[0], dim, out, log)};
                         },
                         kTagReduction),
                     log ? "torch.nn.functional.log_softmax torch.Tensor.log_softmax autocast_cuda=fp32"
                         : "torch.nn.functional.softmax torch.Tensor.softmax autocast_cuda=fp32"));
  }
  // softmin(x) = softmax(-x); torch negates in the input dtype before the dtype conversion.
  table.add(composite(
      "torch.nn.functional.softmin",
      {P("input", ParamKind::Tensor), P("dim", ParamKind::OptInt, Value::none()), P("_stacklevel", ParamKind::Int, Value::integer(3)),
       P("dtype", ParamKind::OptDType, Value::none())},
      [](Recorder& r, const Args& a) {
        constexpr const char* op = "torch.nn.functional.softmin";
        const TensorType tt = tensor_type(r.trace(), a[0]);
        KERAUNOS_TYPE_CHECK(!is_bool(tt.dtype), op, ": negating a bool tensor is not supported, got ", type_str(r.trace(), tt));
        DType out = softmax_out_dtype(r, op, a[0], a[3]);
        int64_t dim = a[1].is_none() ? implicit_softmax_dim(tt.rank()) : a[1].as_int();
        dim = canonical_dim(op, dim, tt.rank());
        Value neg = call(r, PrimId::neg, {a[0]});
        if (is_empty(r, a[0])) return Args{to_dtype(r, neg, out)};
        return Args{softmax_core(r, neg, dim, out, false)};
      },
      kTagReduction));
}

}  // namespace keraunos::ops
