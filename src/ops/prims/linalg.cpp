// Matrix prims: matmul (torch.matmul's rank rules, broadcast batch dims), linear, embedding and its
// backward.
#include <algorithm>

#include "ir/printer.h"
#include "ops/meta_utils.h"
#include "ops/prims/grad_helpers.h"
#include "ops/prims/prims.h"

namespace keraunos::ops {
namespace {

Symbol prim(PrimId id, std::vector<Param> params, MetaFn meta, uint32_t tags = kTagMatmul) {
  return make_prim(id, std::move(params), std::move(meta), tags);
}

void check_same_dtype_device(const MetaArgs& m, const TensorType& a, const TensorType& b) {
  KERAUNOS_TYPE_CHECK(a.dtype == b.dtype && a.device == b.device, m.op(), ": expected operands of the same dtype and device, got ",
                      type_str(m.trace(), a), " and ", type_str(m.trace(), b));
}

std::string dim_s(const Trace& t, const Dim& d) { return d.is_symbolic() ? t.name_of(d.sym) : std::to_string(d.size); }

}  // namespace

Shape matmul_shape(const Trace& t, std::string_view op, const TensorType& a, const TensorType& b) {
  KERAUNOS_TYPE_CHECK(a.rank() >= 1 && b.rank() >= 1, op, ": both arguments need at least one dimension, got ", type_str(t, a), " and ",
                      type_str(t, b));
  const Dim& k_a = a.shape.back();
  const Dim& k_b = b.rank() == 1 ? b.shape[0] : b.shape[b.shape.size() - 2];
  KERAUNOS_TYPE_CHECK(k_a == k_b, op, ": inner dimensions do not match: ", type_str(t, a), " @ ", type_str(t, b), " (", dim_s(t, k_a),
                      " != ", dim_s(t, k_b), ")");
  if (a.rank() == 1 && b.rank() == 1) return {};
  Shape batch_a(a.shape.begin(), a.shape.end() - std::min<int64_t>(a.rank(), 2));
  Shape batch_b(b.shape.begin(), b.shape.end() - std::min<int64_t>(b.rank(), 2));
  Shape out = broadcast_shapes(t, op, {batch_a, batch_b});
  if (a.rank() >= 2) out.push_back(a.shape[a.shape.size() - 2]);
  if (b.rank() >= 2) out.push_back(b.shape.back());
  return out;
}

void register_linalg_prims(SymbolTable& table) {
  table.add(prim(PrimId::matmul, {P("a", ParamKind::Tensor), P("b", ParamKind::Tensor)}, [](const MetaArgs& m) {
    const auto& a = m.tensor(0);
    const auto& b = m.tensor(1);
    check_same_dtype_device(m, a, b);
    KERAUNOS_TYPE_CHECK(!is_bool(a.dtype), m.op(), ": bool tensors are not supported");
    TensorType out = a;
    out.requires_grad = false;
    out.shape = matmul_shape(m.trace(), m.op(), a, b);
    return one(std::move(out));
  }));
  // linear(a, w, bias): a[..., in] @ w[out, in]^T + bias[out]
  table.add(prim(PrimId::linear, {P("a", ParamKind::Tensor), P("w", ParamKind::Tensor), P("bias", ParamKind::OptTensor, Value::none())},
                 [](const MetaArgs& m) {
                   const auto& a = m.tensor(0);
                   const auto& w = m.tensor(1);
                   check_same_dtype_device(m, a, w);
                   KERAUNOS_TYPE_CHECK(!is_bool(a.dtype), m.op(), ": bool tensors are not supported, got ", type_str(m.trace(), a));
                   KERAUNOS_TYPE_CHECK(w.rank() == 1 || w.rank() == 2, m.op(), ": the weight must have rank 1 or 2, got ",
                                       type_str(m.trace(), w));
                   KERAUNOS_TYPE_CHECK(a.rank() >= 1, m.op(), ": the input needs at least one dimension");
                   KERAUNOS_TYPE_CHECK(a.shape.back() == w.shape.back(), m.op(), ": input ", type_str(m.trace(), a), " and weight ",
                                       type_str(m.trace(), w), " disagree on in_features");
                   TensorType out = a;
                   out.requires_grad = false;
                   out.shape.pop_back();
                   if (w.rank() == 2) out.shape.push_back(w.shape[0]);
                   if (!m[2].is_none()) {
                     const auto& b = m.tensor(2);
                     check_same_dtype_device(m, a, b);
                     Shape expect = w.rank() == 2 ? Shape{w.shape[0]} : Shape{};
                     KERAUNOS_TYPE_CHECK(b.shape == expect || (b.rank() == 0), m.op(), ": bias ", type_str(m.trace(), b),
                                         " does not match out_features ", shape_str(m.trace(), expect));
                   }
                   return one(std::move(out));
                 }));
  table.add(prim(
      PrimId::embedding, {P("indices", ParamKind::Tensor), P("weight", ParamKind::Tensor)},
      [](const MetaArgs& m) {
        const auto& idx = m.tensor(0);
        const auto& w = m.tensor(1);
        KERAUNOS_TYPE_CHECK(idx.dtype == DType::Int64 || idx.dtype == DType::Int32, m.op(), ": indices must be int32 or int64, got ",
                            type_str(m.trace(), idx));
        KERAUNOS_TYPE_CHECK(w.rank() == 2, m.op(), ": the weight must be 2-D, got ", type_str(m.trace(), w));
        TensorType out = w;
        out.requires_grad = false;
        out.shape = idx.shape;
        out.shape.push_back(w.shape[1]);
        return one(std::move(out));
      },
      kTagNone));
  // The gradient of embedding with respect to its weight: scatter-adds grad rows into num_weights rows.
  table.add(prim(
      PrimId::embedding_backward,
      {P("grad", ParamKind::Tensor), P("indices", ParamKind::Tensor), P("num_weights", ParamKind::Int),
       P("padding_idx", ParamKind::Int, Value::integer(-1)), P("scale_grad_by_freq", ParamKind::Bool, Value::boolean(false))},
      [](const MetaArgs& m) {
        const auto& g = m.tensor(0);
        const auto& idx = m.tensor(1);
        KERAUNOS_TYPE_CHECK(idx.dtype == DType::Int64 || idx.dtype == DType::Int32, m.op(), ": indices must be int32 or int64, got ",
                            type_str(m.trace(), idx));
        KERAUNOS_TYPE_CHECK(g.rank() == idx.rank() + 1, m.op(), ": grad ", type_str(m.trace(), g),
                            " must have one more dimension than indices ", type_str(m.trace(), idx));
        TensorType out = g;
        out.requires_grad = false;
        out.shape = {dim_from_value(m.trace(), m[2]), g.shape.back()};
        return one(std::move(out));
      },
      kTagNone));

  // matmul's gradient, for every rank torch.matmul takes: vectors become a row (a) or a column (b),
  // then g b^T and a^T g, each summed back over the batch dims it was broadcast along.
  table.set_grad("prims.matmul", [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    if (gs[0].is_none()) return std::vector<Value>(2, Value::none());
    using op_helpers::shape_value;
    const TensorType a = op_helpers::tt_of(r, fwd.args[0]), b = op_helpers::tt_of(r, fwd.args[1]);
    Shape as = a.shape, bs = b.shape;
    if (a.rank() == 1) as.insert(as.begin(), Dim::constant(1));
    if (b.rank() == 1) bs.push_back(Dim::constant(1));
    const Value A = grad::call(r, PrimId::reshape, {fwd.args[0], shape_value(as)});
    const Value B = grad::call(r, PrimId::reshape, {fwd.args[1], shape_value(bs)});
    // g with the vector dims back (size 1): the product's full shape.
    Shape gshape = op_helpers::tt_of(r, gs[0]).shape;
    if (a.rank() == 1) gshape.insert(gshape.end() - (b.rank() == 1 ? 0 : 1), Dim::constant(1));
    if (b.rank() == 1) gshape.push_back(Dim::constant(1));
    const Value G = grad::call(r, PrimId::reshape, {gs[0], shape_value(gshape)});
    auto t = [&](const Value& x) {
      const int64_t rank = op_helpers::tt_of(r, x).rank();
      std::vector<Value> perm;
      for (int64_t d = 0; d < rank; ++d) perm.push_back(Value::integer(d));
      std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
      return grad::call(r, PrimId::transpose, {x, Value::tuple(perm)});
    };
    const Value ga = grad::sum_to(r, grad::call(r, PrimId::matmul, {G, t(B)}), as);
    const Value gb = grad::sum_to(r, grad::call(r, PrimId::matmul, {t(A), G}), bs);
    return grad::only_differentiable(
        r, fwd, {grad::call(r, PrimId::reshape, {ga, shape_value(a.shape)}), grad::call(r, PrimId::reshape, {gb, shape_value(b.shape)})});
  });

  // linear: a w^T + bias. g w for a; g^T a over every leading dim for w; g summed to the bias.
  table.set_grad("prims.linear", [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    if (gs[0].is_none()) return std::vector<Value>(3, Value::none());
    using op_helpers::shape_value;
    const TensorType a = op_helpers::tt_of(r, fwd.args[0]), w = op_helpers::tt_of(r, fwd.args[1]);
    const Value ga = grad::call(r, PrimId::matmul, {gs[0], fwd.args[1]});
    // Rows of a and g as matrices: [M, in] and [M, out].
    Value A = fwd.args[0], G = gs[0];
    if (a.rank() != 2) {
      Dim m = Dim::constant(1);
      for (int64_t d = 0; d + 1 < a.rank(); ++d) {
        KERAUNOS_CHECK(a.shape[static_cast<size_t>(d)].is_constant(), "autograd: prims.linear's gradient needs static leading sizes");
        m.size *= a.shape[static_cast<size_t>(d)].size;
      }
      A = grad::call(r, PrimId::reshape, {A, shape_value({m, a.shape.back()})});
      G = grad::call(r, PrimId::reshape, {G, shape_value({m, w.shape.front()})});
    }
    const Value gt = grad::call(r, PrimId::transpose, {G, Value::tuple({Value::integer(1), Value::integer(0)})});
    const Value gw = grad::call(r, PrimId::matmul, {gt, A});
    Value gb = Value::none();
    if (!fwd.args[2].is_none()) gb = grad::call(r, PrimId::sum, {G, Value::tuple({Value::integer(0)})});
    return grad::only_differentiable(r, fwd, {ga, gw, gb});
  });
  // embedding: rows of g added into the rows their indices name.
  table.set_grad("prims.embedding", [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    if (gs[0].is_none() || !grad::differentiable(r, fwd.args[1])) return std::vector<Value>(2, Value::none());
    const TensorType w = op_helpers::tt_of(r, fwd.args[1]);
    return std::vector<Value>{Value::none(),
                              grad::call(r, PrimId::embedding_backward, {gs[0], fwd.args[0], op_helpers::dim_value(w.shape.front())})};
  });
}

}  // namespace keraunos::ops
