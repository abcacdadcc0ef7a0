// Indexing prims: take (index_select), gather, take_along_axis, scatter, scatter_add, index_add,
// index_copy, index_put; scans (cumsum, cumprod); topk and sort.
#include "ir/printer.h"
#include "ops/meta_utils.h"
#include "ops/prims/grad_helpers.h"
#include "ops/prims/prims.h"

namespace keraunos::ops {
namespace {

Symbol prim(PrimId id, std::vector<Param> params, MetaFn meta, uint32_t tags = kTagNone) {
  return make_prim(id, std::move(params), std::move(meta), tags);
}

void check_index(const MetaArgs& m, const TensorType& idx, const char* what = "index") {
  KERAUNOS_TYPE_CHECK(idx.dtype == DType::Int64 || idx.dtype == DType::Int32, m.op(), ": ", what, " must be an int32 or int64 tensor, got ",
                      type_str(m.trace(), idx));
}

TensorType same_as(const TensorType& a) {
  TensorType t = a;
  t.requires_grad = false;
  return t;
}

// torch.gather / scatter shape rule: same rank; index.size(d) <= a.size(d) for d != dim.
void check_gather_like(const MetaArgs& m, const TensorType& a, const TensorType& idx, int64_t dim) {
  KERAUNOS_TYPE_CHECK(idx.rank() == a.rank() || (a.rank() == 0 && idx.rank() <= 1), m.op(), ": index ", type_str(m.trace(), idx),
                      " must have the same rank as the input ", type_str(m.trace(), a));
  for (int64_t d = 0; d < idx.rank() && d < a.rank(); ++d) {
    if (d == dim) continue;
    const Dim& i = idx.shape[static_cast<size_t>(d)];
    const Dim& s = a.shape[static_cast<size_t>(d)];
    if (i.is_constant() && s.is_constant())
      KERAUNOS_TYPE_CHECK(i.size <= s.size, m.op(), ": index ", type_str(m.trace(), idx), " is larger than the input ",
                          type_str(m.trace(), a), " in dimension ", d);
  }
}

}  // namespace

void register_indexing_prims(SymbolTable& table) {
  // take(a, index, dim): index_select with a 1-D (or 0-D) index.
  table.add(prim(PrimId::take, {P("a", ParamKind::Tensor), P("index", ParamKind::Tensor), P("dim", ParamKind::Int)}, [](const MetaArgs& m) {
    const auto& a = m.tensor(0);
    const auto& idx = m.tensor(1);
    check_index(m, idx);
    KERAUNOS_TYPE_CHECK(idx.rank() <= 1, m.op(), ": index must be 0-D or 1-D, got ", type_str(m.trace(), idx));
    int64_t dim = canonical_dim(m.op(), m[2].as_int(), a.rank());
    TensorType out = same_as(a);
    if (a.rank() > 0) out.shape[static_cast<size_t>(dim)] = idx.rank() == 1 ? idx.shape[0] : Dim::constant(1);
    return one(std::move(out));
  }));
  table.add(
      prim(PrimId::gather, {P("a", ParamKind::Tensor), P("dim", ParamKind::Int), P("index", ParamKind::Tensor)}, [](const MetaArgs& m) {
        const auto& a = m.tensor(0);
        const auto& idx = m.tensor(2);
        check_index(m, idx);
        int64_t dim = canonical_dim(m.op(), m[1].as_int(), a.rank());
        check_gather_like(m, a, idx, dim);
        TensorType out = same_as(a);
        out.shape = idx.shape;
        return one(std::move(out));
      }));
  // take_along_axis(a, index, dim): gather where index broadcasts against a outside dim.
  table.add(prim(PrimId::take_along_axis, {P("a", ParamKind::Tensor), P("index", ParamKind::Tensor), P("dim", ParamKind::Int)},
                 [](const MetaArgs& m) {
                   const auto& a = m.tensor(0);
                   const auto& idx = m.tensor(1);
                   check_index(m, idx);
                   KERAUNOS_TYPE_CHECK(idx.rank() == a.rank(), m.op(), ": index ", type_str(m.trace(), idx), " must have the rank of ",
                                       type_str(m.trace(), a));
                   int64_t dim = canonical_dim(m.op(), m[2].as_int(), a.rank());
                   Shape sa = a.shape, si = idx.shape;
                   sa[static_cast<size_t>(dim)] = Dim::constant(1);
                   si[static_cast<size_t>(dim)] = Dim::constant(1);
                   Shape out_shape = broadcast_shapes(m.trace(), m.op(), {sa, si});
                   out_shape[static_cast<size_t>(dim)] = idx.shape[static_cast<size_t>(dim)];
                   TensorType out = same_as(a);
                   out.shape = std::move(out_shape);
                   return one(std::move(out));
                 }));
  for (PrimId id : {PrimId::scatter, PrimId::scatter_add}) {
    bool add = id == PrimId::scatter_add;
    table.add(
        prim(id, {P("a", ParamKind::Tensor), P("dim", ParamKind::Int), P("index", ParamKind::Tensor), P("src", ParamKind::TensorOrNumber)},
             [add](const MetaArgs& m) {
               const auto& a = m.tensor(0);
               const auto& idx = m.tensor(2);
               check_index(m, idx);
               int64_t dim = canonical_dim(m.op(), m[1].as_int(), a.rank());
               check_gather_like(m, a, idx, dim);
               if (m.is_tensor(3)) {
                 const auto& src = m.tensor(3);
                 KERAUNOS_TYPE_CHECK(src.dtype == a.dtype, m.op(), ": src ", type_str(m.trace(), src), " must have the dtype of ",
                                     type_str(m.trace(), a));
                 check_gather_like(m, src, idx, -1);
               } else {
                 KERAUNOS_TYPE_CHECK(!add, m.op(), ": src must be a tensor");
               }
               return one(same_as(a));
             }));
  }
  for (PrimId id : {PrimId::index_add, PrimId::index_copy}) {
    table.add(prim(id, {P("a", ParamKind::Tensor), P("dim", ParamKind::Int), P("index", ParamKind::Tensor), P("source", ParamKind::Tensor)},
                   [](const MetaArgs& m) {
                     const auto& a = m.tensor(0);
                     const auto& idx = m.tensor(2);
                     const auto& src = m.tensor(3);
                     check_index(m, idx);
                     KERAUNOS_TYPE_CHECK(idx.rank() <= 1, m.op(), ": index must be 0-D or 1-D, got ", type_str(m.trace(), idx));
                     int64_t dim = canonical_dim(m.op(), m[1].as_int(), a.rank());
                     KERAUNOS_TYPE_CHECK(src.dtype == a.dtype && src.rank() == a.rank(), m.op(), ": source ", type_str(m.trace(), src),
                                         " must have the dtype and rank of ", type_str(m.trace(), a));
                     for (int64_t d = 0; d < a.rank(); ++d) {
                       const Dim& want = d == dim ? (idx.rank() == 1 ? idx.shape[0] : Dim::constant(1)) : a.shape[static_cast<size_t>(d)];
                       KERAUNOS_TYPE_CHECK(src.shape[static_cast<size_t>(d)] == want, m.op(), ": source ", type_str(m.trace(), src),
                                           " has the wrong size in dimension ", d);
                     }
                     return one(same_as(a));
                   }));
  }
  // index_put(a, indices, values, accumulate): advanced indexing assignment; indices broadcast
  // together and index the leading dims of a.
  table.add(prim(PrimId::index_put,
                 {P("a", ParamKind::Tensor), P("indices", ParamKind::Tensors), P("values", ParamKind::Tensor),
                  P("accumulate", ParamKind::Bool, Value::boolean(false))},
                 [](const MetaArgs& m) {
                   const auto& a = m.tensor(0);
                   const auto& ids = m[1].as_tuple();
                   KERAUNOS_TYPE_CHECK(!ids.empty() && static_cast<int64_t>(ids.size()) <= a.rank(), m.op(), ": expected 1 to ", a.rank(),
                                       " index tensors for ", type_str(m.trace(), a), ", got ", ids.size());
                   std::vector<Shape> shapes;
                   for (const auto& i : ids) {
                     const auto& it = m.type_of(i).tensor;
                     check_index(m, it, "each index");
                     shapes.push_back(it.shape);
                   }
                   Shape idx_shape = broadcast_shapes(m.trace(), m.op(), shapes);
                   Shape target = idx_shape;
                   for (size_t d = ids.size(); d < a.shape.size(); ++d) target.push_back(a.shape[d]);
                   const auto& v = m.tensor(2);
                   KERAUNOS_TYPE_CHECK(v.dtype == a.dtype, m.op(), ": values ", type_str(m.trace(), v), " must have the dtype of ",
                                       type_str(m.trace(), a));
                   broadcast_shapes(m.trace(), m.op(), {target, v.shape});
                   return one(same_as(a));
                 }));
  for (PrimId id : {PrimId::cumsum, PrimId::cumprod}) {
    table.add(prim(
        id, {P("a", ParamKind::Tensor), P("dim", ParamKind::Int)},
        [](const MetaArgs& m) {
          const auto& a = m.tensor(0);
          canonical_dim(m.op(), m[1].as_int(), a.rank());
          KERAUNOS_TYPE_CHECK(!is_bool(a.dtype), m.op(), ": bool tensors are not supported (convert first)");
          return one(same_as(a));
        },
        kTagReduction));
  }
  table.add(prim(
      PrimId::topk,
      {P("a", ParamKind::Tensor), P("k", ParamKind::Int), P("dim", ParamKind::Int), P("largest", ParamKind::Bool),
       P("sorted", ParamKind::Bool)},
      [](const MetaArgs& m) {
        const auto& a = m.tensor(0);
        KERAUNOS_TYPE_CHECK(!is_bool(a.dtype) && !is_complex(a.dtype), m.op(), ": expected a real numeric tensor, got ",
                            type_str(m.trace(), a));
        int64_t dim = canonical_dim(m.op(), m[2].as_int(), a.rank());
        Dim k = dim_from_value(m.trace(), m[1]);
        TensorType v = same_as(a);
        if (a.rank() > 0) {
          const Dim& n = a.shape[static_cast<size_t>(dim)];
          if (k.is_constant() && n.is_constant())
            KERAUNOS_TYPE_CHECK(k.size >= 0 && k.size <= n.size, m.op(), ": k=", k.size, " is out of range for dimension ", dim, " of ",
                                type_str(m.trace(), a));
          v.shape[static_cast<size_t>(dim)] = k;
        }
        TensorType i = v;
        i.dtype = DType::Int64;
        return std::vector<ProxyType>{ProxyType::of(v), ProxyType::of(i)};
      },
      kTagReduction));
  table.add(prim(PrimId::sort,
                 {P("a", ParamKind::Tensor), P("dim", ParamKind::Int), P("descending", ParamKind::Bool), P("stable", ParamKind::Bool)},
                 [](const MetaArgs& m) {
                   const auto& a = m.tensor(0);
                   KERAUNOS_TYPE_CHECK(!is_complex(a.dtype), m.op(), ": complex tensors are not ordered, got ", type_str(m.trace(), a));
                   canonical_dim(m.op(), m[1].as_int(), a.rank());
                   TensorType v = same_as(a);
                   TensorType i = v;
                   i.dtype = DType::Int64;
                   return std::vector<ProxyType>{ProxyType::of(v), ProxyType::of(i)};
                 }));

  // take_along_axis: the gradient adds g back at the gathered positions.
  table.set_grad("prims.take_along_axis", [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    if (gs[0].is_none() || !grad::differentiable(r, fwd.args[0])) return std::vector<Value>(3, Value::none());
    // The gather broadcasts a and the index against each other outside `dim`: scatter into a's
    // broadcast shape, then sum down to a's.
    const TensorType a = op_helpers::tt_of(r, fwd.args[0]), out = op_helpers::tt_of(r, Value::proxy(fwd.outputs[0]));
    const int64_t dim = canonical_dims("prims.take_along_axis", {fwd.args[2].as_int()}, a.rank())[0];
    Shape wide = out.shape;
    wide[static_cast<size_t>(dim)] = a.shape[static_cast<size_t>(dim)];
    std::vector<Value> all;
    for (int64_t d = 0; d < out.rank(); ++d) all.push_back(Value::integer(d));
    Value index = fwd.args[1];
    if (!(op_helpers::tt_of(r, index).shape == out.shape))
      index = grad::call(r, PrimId::broadcast_in_dim, {index, op_helpers::shape_value(out.shape), Value::tuple(all)});
    const Value zeros = op_helpers::full(r, wide, Value::integer(0), a.dtype, a.device);
    const Value scattered = grad::call(r, PrimId::scatter_add, {zeros, Value::integer(dim), index, gs[0]});
    return std::vector<Value>{grad::sum_to(r, scattered, a.shape), Value::none(), Value::none()};
  });

  // The other gathers and scatters: a gather's gradient adds g back where it read; a scatter's
  // passes g through where it did not write (scatter) or everywhere (scatter_add, index_add), and
  // gathers g for the source.
  using grad::call;
  using grad::differentiable;
  using grad::zeros_like;
  auto none = [](const BoundSymbol& fwd) { return std::vector<Value>(fwd.args.size(), Value::none()); };
  table.set_grad("prims.take", [none](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {  // (a, index, dim)
    if (gs[0].is_none() || !differentiable(r, fwd.args[0])) return none(fwd);
    return std::vector<Value>{call(r, PrimId::index_add, {zeros_like(r, fwd.args[0]), fwd.args[2], fwd.args[1], gs[0]}), Value::none(),
                              Value::none()};
  });
  table.set_grad("prims.gather", [none](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {  // (a, dim, index)
    if (gs[0].is_none() || !differentiable(r, fwd.args[0])) return none(fwd);
    return std::vector<Value>{call(r, PrimId::scatter_add, {zeros_like(r, fwd.args[0]), fwd.args[1], fwd.args[2], gs[0]}), Value::none(),
                              Value::none()};
  });
  for (const char* id : {"prims.scatter", "prims.scatter_add"}) {  // (a, dim, index, src)
    const bool add = std::string_view(id) == "prims.scatter_add";
    table.set_grad(id, [none, add](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
      if (gs[0].is_none()) return none(fwd);
      const Value ga = add ? gs[0] : call(r, PrimId::scatter, {gs[0], fwd.args[1], fwd.args[2], Value::floating(0)});
      const Value gsrc = differentiable(r, fwd.args[3]) ? call(r, PrimId::gather, {gs[0], fwd.args[1], fwd.args[2]}) : Value::none();
      return grad::only_differentiable(r, fwd, {ga, Value::none(), Value::none(), gsrc});
    });
  }
  for (const char* id : {"prims.index_add", "prims.index_copy"}) {  // (a, dim, index, source)
    const bool add = std::string_view(id) == "prims.index_add";
    table.set_grad(id, [none, add](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
      if (gs[0].is_none()) return none(fwd);
      const Value ga = add ? gs[0] : call(r, PrimId::index_copy, {gs[0], fwd.args[1], fwd.args[2], zeros_like(r, fwd.args[3])});
      return grad::only_differentiable(r, fwd,
                                       {ga, Value::none(), Value::none(), call(r, PrimId::take, {gs[0], fwd.args[2], fwd.args[1]})});
    });
  }
  // cumsum: each input adds to every later output, so its gradient is the reversed cumulative sum.
  table.set_grad("prims.cumsum", [none](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {  // (a, dim)
    if (gs[0].is_none() || !differentiable(r, fwd.args[0])) return none(fwd);
    const Value dims = Value::tuple({fwd.args[1]});
    const Value rev = call(r, PrimId::flip, {call(r, PrimId::cumsum, {call(r, PrimId::flip, {gs[0], dims}), fwd.args[1]}), dims});
    return std::vector<Value>{rev, Value::none()};
  });
}

}  // namespace keraunos::ops
