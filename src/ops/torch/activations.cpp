// Torch-level activations and softmax: relu, gelu, silu, sigmoid, softmax, log_softmax.
#include <cmath>

#include "ops/meta_utils.h"
#include "ops/prims/prims.h"
#include "ops/torch/promotion.h"
#include "ops/torch/torch_ops.h"

namespace keraunos::ops {
namespace {

Symbol composite(std::string id, std::vector<Param> params, DecompFn fn, uint32_t tags = kTagElementwise) {
  Symbol s;
  s.id = std::move(id);
  s.tags = tags;
  s.params = std::move(params);
  s.decomp = std::move(fn);
  return s;
}

// Low-precision inputs compute in float32 and round once at the end.
DType compute_dtype(DType t) { return is_low_precision(t) ? DType::Float32 : t; }

const TensorType& float_input(Recorder& r, const Value& v, std::string_view op) {
  const auto& tt = tensor_type(r.trace(), v);
  KERAUNOS_TYPE_CHECK(is_floating(tt.dtype), op, ": expected a floating tensor, got ", type_str(r.trace(), tt));
  return tt;
}

Value call(Recorder& r, std::string_view prim, std::vector<Value> args) { return prims::call(r, prim, std::move(args)); }

std::vector<Value> shape_values(const Shape& s) {
  std::vector<Value> out;
  for (const auto& d : s) out.push_back(d.is_symbolic() ? Value::proxy(d.sym) : Value::integer(d.size));
  return out;
}

// Reduces over `dim` and broadcasts the result back to the input shape (keepdim + expand).
Value reduce_keep(Recorder& r, std::string_view prim, const Value& x, int64_t dim) {
  const Shape shape = tensor_type(r.trace(), x).shape;
  Value red = call(r, prim, {x, Value::ints({dim})});
  std::vector<int64_t> bd;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i)
    if (i != dim) bd.push_back(i);
  return call(r, "broadcast_in_dim", {red, Value::tuple(shape_values(shape)), Value::ints(bd)});
}

}  // namespace

void register_torch_activations(SymbolTable& table) {
  table.add(composite("torch.relu", {P("a", ParamKind::Tensor)}, [](Recorder& r, const std::vector<Value>& a) {
    // where(a <= 0, 0, a) keeps NaN, as torch does.
    Value le = call(r, "le", {a[0], Value::integer(0)});
    Value zero = call(r, "convert_element_type", {Value::integer(0), Value::dtype(tensor_type(r.trace(), a[0]).dtype)});
    return std::vector<Value>{call(r, "where", {le, zero, a[0]})};
  }));
  table.add(composite("torch.nn.functional.gelu", {P("a", ParamKind::Tensor), KW("approximate", ParamKind::Str, Value::string("none"))},
                      [](Recorder& r, const std::vector<Value>& a) {
                        const auto& tt = float_input(r, a[0], "torch.nn.functional.gelu");
                        const std::string& mode = a[1].as_str();
                        KERAUNOS_TYPE_CHECK(mode == "none" || mode == "tanh", "torch.nn.functional.gelu: approximate must be 'none' or 'tanh', got '",
                                            mode, "'");
                        DType out = tt.dtype;
                        Value x = to_dtype(r, a[0], compute_dtype(out));
                        Value inner;
                        if (mode == "none") {
                          inner = call(r, "erf", {call(r, "mul", {x, Value::floating(M_SQRT1_2)})});
                        } else {
                          Value x3 = call(r, "mul", {call(r, "mul", {x, x}), x});
                          Value poly = call(r, "add", {x, call(r, "mul", {x3, Value::floating(0.044715)})});
                          inner = call(r, "tanh", {call(r, "mul", {poly, Value::floating(std::sqrt(2.0 / M_PI))})});
                        }
                        Value y = call(r, "mul", {call(r, "mul", {x, Value::floating(0.5)}), call(r, "add", {inner, Value::floating(1.0)})});
                        return std::vector<Value>{to_dtype(r, y, out)};
                      }));
  table.add(composite("torch.sigmoid", {P("a", ParamKind::Tensor)}, [](Recorder& r, const std::vector<Value>& a) {
    const auto& tt = tensor_type(r.trace(), a[0]);
    DType out = is_exact(tt.dtype) ? default_float_dtype() : tt.dtype;
    Value x = to_dtype(r, a[0], compute_dtype(out));
    Value y = call(r, "reciprocal", {call(r, "add", {call(r, "exp", {call(r, "neg", {x})}), Value::floating(1.0)})});
    return std::vector<Value>{to_dtype(r, y, out)};
  }));
  table.add(composite("torch.nn.functional.silu", {P("a", ParamKind::Tensor)}, [](Recorder& r, const std::vector<Value>& a) {
    const auto& tt = float_input(r, a[0], "torch.nn.functional.silu");
    DType out = tt.dtype;
    Value x = to_dtype(r, a[0], compute_dtype(out));
    Value sig = call(r, "reciprocal", {call(r, "add", {call(r, "exp", {call(r, "neg", {x})}), Value::floating(1.0)})});
    return std::vector<Value>{to_dtype(r, call(r, "mul", {x, sig}), out)};
  }));
  for (bool log : {false, true}) {
    std::string id = log ? "torch.log_softmax" : "torch.softmax";
    table.add(composite(id, {P("a", ParamKind::Tensor), P("dim", ParamKind::Int), KW("dtype", ParamKind::OptDType, Value::none())},
                        [log, id](Recorder& r, const std::vector<Value>& a) {
                          const auto& tt = tensor_type(r.trace(), a[0]);
                          DType out = a[2].is_none() ? tt.dtype : a[2].as_dtype();
                          KERAUNOS_TYPE_CHECK(is_floating(out), id, ": expected a floating tensor or dtype, got ", type_str(r.trace(), tt));
                          int64_t dim = canonical_dim(id, a[1].as_int(), tt.rank());
                          if (tt.rank() == 0) {
                            Value x = to_dtype(r, a[0], out);
                            Value y = log ? call(r, "mul", {x, Value::floating(0.0)})
                                          : call(r, "add", {call(r, "mul", {x, Value::floating(0.0)}), Value::floating(1.0)});
                            return std::vector<Value>{y};
                          }
                          Value x = to_dtype(r, a[0], compute_dtype(out));
                          Value m = reduce_keep(r, "amax", x, dim);
                          Value shifted = call(r, "sub", {x, m});
                          Value e = call(r, "exp", {shifted});
                          Value s = reduce_keep(r, "sum", e, dim);
                          Value y = log ? call(r, "sub", {shifted, call(r, "log", {s})}) : call(r, "div", {e, s});
                          return std::vector<Value>{to_dtype(r, y, out)};
                        },
                        kTagReduction));
  }
}

}  // namespace keraunos::ops
