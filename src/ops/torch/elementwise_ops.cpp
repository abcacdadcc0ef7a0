// Torch-level elementwise ops: unary math, binary arithmetic and comparisons, where, lerp, clamp.
#include "ops/meta_utils.h"
#include "ops/prims/prims.h"
#include "ops/torch/promotion.h"
#include "ops/torch/torch_ops.h"

namespace keraunos::ops {
namespace {

struct TorchEw {
  const char* id;      // torch name
  const char* prim;    // prims.<prim>
  Promotion kind;
  bool tensors_only = false;  // torch's signature takes (Tensor, Tensor), no Python numbers
};

constexpr TorchEw kUnary[] = {
    {"torch.abs", "abs", Promotion::ComplexToFloat},
    {"torch.neg", "neg", Promotion::Default},
    {"torch.exp", "exp", Promotion::IntToFloat},
    {"torch.exp2", "exp2", Promotion::IntToFloat},
    {"torch.expm1", "expm1", Promotion::IntToFloat},
    {"torch.log", "log", Promotion::IntToFloat},
    {"torch.log1p", "log1p", Promotion::IntToFloat},
    {"torch.log2", "log2", Promotion::IntToFloat},
    {"torch.log10", "log10", Promotion::IntToFloat},
    {"torch.sqrt", "sqrt", Promotion::IntToFloat},
    {"torch.rsqrt", "rsqrt", Promotion::IntToFloat},
    {"torch.reciprocal", "reciprocal", Promotion::IntToFloat},
    {"torch.sin", "sin", Promotion::IntToFloat},
    {"torch.cos", "cos", Promotion::IntToFloat},
    {"torch.tan", "tan", Promotion::IntToFloat},
    {"torch.asin", "asin", Promotion::IntToFloat},
    {"torch.acos", "acos", Promotion::IntToFloat},
    {"torch.atan", "atan", Promotion::IntToFloat},
    {"torch.sinh", "sinh", Promotion::IntToFloat},
    {"torch.cosh", "cosh", Promotion::IntToFloat},
    {"torch.tanh", "tanh", Promotion::IntToFloat},
    {"torch.asinh", "asinh", Promotion::IntToFloat},
    {"torch.acosh", "acosh", Promotion::IntToFloat},
    {"torch.atanh", "atanh", Promotion::IntToFloat},
    {"torch.erf", "erf", Promotion::IntToFloat},
    {"torch.erfc", "erfc", Promotion::IntToFloat},
    {"torch.erfinv", "erfinv", Promotion::IntToFloat},
    {"torch.lgamma", "lgamma", Promotion::IntToFloat},
    {"torch.digamma", "digamma", Promotion::IntToFloat},
    {"torch.sign", "sign", Promotion::Default},
    {"torch.signbit", "signbit", Promotion::AlwaysBool},
    {"torch.floor", "floor", Promotion::Default},
    {"torch.ceil", "ceil", Promotion::Default},
    {"torch.round", "round", Promotion::Default},
    {"torch.trunc", "trunc", Promotion::Default},
    {"torch.isfinite", "isfinite", Promotion::AlwaysBool},
    {"torch.isnan", "isnan", Promotion::AlwaysBool},
    {"torch.isinf", "isinf", Promotion::AlwaysBool},
    {"torch.logical_not", "logical_not", Promotion::AlwaysBool},
    {"torch.bitwise_not", "bitwise_not", Promotion::NoOpmath},
    {"torch.real", "real", Promotion::ComplexToFloat},
    {"torch.imag", "imag", Promotion::ComplexToFloat},
};

constexpr TorchEw kBinary[] = {
    {"torch.mul", "mul", Promotion::Default},
    {"torch.pow", "pow", Promotion::Default},
    {"torch.fmod", "fmod", Promotion::Default},
    {"torch.remainder", "remainder", Promotion::Default},
    {"torch.maximum", "maximum", Promotion::Default, true},
    {"torch.minimum", "minimum", Promotion::Default, true},
    {"torch.eq", "eq", Promotion::AlwaysBool},
    {"torch.ne", "ne", Promotion::AlwaysBool},
    {"torch.lt", "lt", Promotion::AlwaysBool},
    {"torch.le", "le", Promotion::AlwaysBool},
    {"torch.gt", "gt", Promotion::AlwaysBool},
    {"torch.ge", "ge", Promotion::AlwaysBool},
    {"torch.logical_and", "logical_and", Promotion::AlwaysBool, true},
    {"torch.logical_or", "logical_or", Promotion::AlwaysBool, true},
    {"torch.logical_xor", "logical_xor", Promotion::AlwaysBool, true},
    {"torch.bitwise_and", "bitwise_and", Promotion::NoOpmath},
    {"torch.bitwise_or", "bitwise_or", Promotion::NoOpmath},
    {"torch.bitwise_xor", "bitwise_xor", Promotion::NoOpmath},
    {"torch.bitwise_left_shift", "shift_left", Promotion::NoOpmath},
    {"torch.bitwise_right_shift", "shift_right", Promotion::NoOpmath},
    {"torch.atan2", "atan2", Promotion::IntToFloat, true},
    {"torch.copysign", "copysign", Promotion::IntToFloat},
    {"torch.nextafter", "nextafter", Promotion::NoOpmath, true},
};

Symbol composite(std::string id, std::vector<Param> params, DecompFn fn, uint32_t tags = kTagElementwise) {
  return make_composite(std::move(id), std::move(params), std::move(fn), tags);
}

bool has_tensor(const Trace& t, const std::vector<Value>& vs) {
  for (const auto& v : vs)
    if (is_tensor(t, v)) return true;
  return false;
}

}  // namespace

void register_torch_elementwise(SymbolTable& table) {
  for (const TorchEw& e : kUnary) {
    const TorchEw* ep = &e;
    table.add(composite(e.id, {P("a", ParamKind::Tensor)},
                        [ep](Recorder& r, const std::vector<Value>& a) { return std::vector<Value>{elementwise(r, ep->prim, {a[0]}, ep->kind)}; }));
  }
  for (const TorchEw& e : kBinary) {
    const TorchEw* ep = &e;
    ParamKind k = e.tensors_only ? ParamKind::Tensor : ParamKind::TensorOrNumber;
    table.add(composite(e.id, {P("a", k), P("b", k)},
                        [ep](Recorder& r, const std::vector<Value>& a) {
                          KERAUNOS_TYPE_CHECK(has_tensor(r.trace(), a), ep->id, ": expected at least one tensor operand");
                          return std::vector<Value>{elementwise(r, ep->prim, {a[0], a[1]}, ep->kind)};
                        }));
  }
  // add/sub take alpha: a + alpha * b. The result dtype is that of (a, b); alpha is applied in the
  // computation dtype.
  for (const char* name : {"add", "sub"}) {
    std::string prim = name;
    std::string id = std::string("torch.") + name;
    table.add(composite(id,
                        {P("a", ParamKind::TensorOrNumber), P("b", ParamKind::TensorOrNumber), KW("alpha", ParamKind::Number, Value::integer(1))},
                        [prim, id](Recorder& r, const std::vector<Value>& a) {
                          KERAUNOS_TYPE_CHECK(has_tensor(r.trace(), a), id, ": expected at least one tensor operand");
                          if (prim == "sub")
                            for (int i = 0; i < 2; ++i)
                              KERAUNOS_TYPE_CHECK(!(is_tensor(r.trace(), a[i]) && is_bool(tensor_type(r.trace(), a[i]).dtype)), id,
                                                  ": subtraction with a bool tensor is not supported (use ~ or logical_not to invert a mask)");
                          std::vector<Value> ops{a[0], a[1]};
                          auto types = prepare_operands(r, id, ops, Promotion::Default);
                          if (!(a[2] == Value::integer(1))) {
                            KERAUNOS_TYPE_CHECK(!(a[2].is_float() && is_exact(types.result)), id,
                                                ": for integral input tensors, alpha must not be a float");
                            ops[1] = prims::call(r, "mul", {ops[1], a[2]});
                          }
                          Value out = prims::call(r, prim, std::move(ops));
                          return std::vector<Value>{to_dtype(r, out, types.result)};
                        }));
  }
  // div with rounding_mode: None (true division), "trunc", "floor"; rounding happens in the
  // computation dtype, before the one conversion to the result dtype.
  table.add(composite("torch.div",
                      {P("a", ParamKind::TensorOrNumber), P("b", ParamKind::TensorOrNumber), KW("rounding_mode", ParamKind::OptStr, Value::none())},
                      [](Recorder& r, const std::vector<Value>& a) {
                        KERAUNOS_TYPE_CHECK(has_tensor(r.trace(), a), "torch.div: expected at least one tensor operand");
                        if (a[2].is_none()) return std::vector<Value>{elementwise(r, "div", {a[0], a[1]}, Promotion::IntToFloat)};
                        const std::string& mode = a[2].as_str();
                        KERAUNOS_TYPE_CHECK(mode == "trunc" || mode == "floor", "torch.div: rounding_mode must be None, 'trunc' or 'floor', got '",
                                            mode, "'");
                        std::vector<Value> ops{a[0], a[1]};
                        auto types = prepare_operands(r, "torch.div", ops, Promotion::Default);
                        Value q = prims::call(r, "div", ops);
                        if (!is_exact(types.computation)) {
                          q = prims::call(r, mode == "trunc" ? "trunc" : "floor", {q});
                        } else if (mode == "floor") {
                          // Integer floor division: truncating division, minus one where a remainder exists and the signs differ.
                          Value rem = prims::call(r, "fmod", ops);
                          Value nz = prims::call(r, "ne", {rem, Value::integer(0)});
                          Value rneg = prims::call(r, "lt", {rem, Value::integer(0)});
                          Value bneg = prims::call(r, "lt", {ops[1], Value::integer(0)});
                          Value fix = prims::call(r, "logical_and", {nz, prims::call(r, "ne", {rneg, bneg})});
                          q = prims::call(r, "where", {fix, prims::call(r, "sub", {q, Value::integer(1)}), q});
                        }
                        return std::vector<Value>{to_dtype(r, q, types.result)};
                      }));
  table.add(composite("torch.where", {P("condition", ParamKind::Tensor), P("input", ParamKind::TensorOrNumber), P("other", ParamKind::TensorOrNumber)},
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
                          x = prims::call(r, "full", {Value::tuple([&] { std::vector<Value> d; for (auto& s : shape) d.push_back(s.is_symbolic() ? Value::proxy(s.sym) : Value::integer(s.size)); return d; }()), x},
                                          {{"device", Value::device(ct.device)}, {"dtype", Value::dtype(rt)}});
                        }
                        return std::vector<Value>{prims::call(r, "where", {c, x, y})};
                      }));
}

}  // namespace keraunos::ops
