// Torch-level elementwise ops: unary math, binary arithmetic and comparisons, where, lerp, clamp.
#include "ops/meta_utils.h"
#include "ops/prims/prims.h"
#include "ops/torch/promotion.h"
#include "ops/torch/torch_ops.h"

namespace keraunos::ops {
namespace {

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
}

}  // namespace keraunos::ops
