// Reduction prims over explicit dims: sum, prod, amax, amin, var, var_mean, argmax, argmin.
#include <algorithm>

#include "ops/meta_utils.h"
#include "ops/prims/prims.h"

namespace keraunos::ops {
namespace {

// Max/min-like reductions have no identity: reducing an empty dimension is an error, as in torch.
void check_nonempty(const MetaArgs& m, const TensorType& a, const std::vector<int64_t>& dims) {
  for (int64_t d : dims) {
    const Dim& n = a.shape[static_cast<size_t>(d)];
    KERAUNOS_TYPE_CHECK(!(n.is_constant() && n.size == 0), m.op(), ": cannot reduce over the empty dimension ", d, " of ",
                        type_str(m.trace(), a), " (the operation has no identity)");
  }
}

TensorType reduced(const MetaArgs& m, const TensorType& a, const std::vector<int64_t>& dims) {
  TensorType out = a;
  out.requires_grad = false;
  out.shape.clear();
  for (int64_t i = 0; i < a.rank(); ++i)
    if (std::find(dims.begin(), dims.end(), i) == dims.end()) out.shape.push_back(a.shape[static_cast<size_t>(i)]);
  return out;
}

Symbol reduction(PrimId id, std::vector<Param> params, MetaFn meta) {
  return make_prim(id, std::move(params), std::move(meta), kTagReduction);
}

}  // namespace

void register_reduction_prims(SymbolTable& table) {
  for (PrimId id : {PrimId::sum, PrimId::prod, PrimId::amax, PrimId::amin}) {
    bool minmax = id == PrimId::amax || id == PrimId::amin;
    table.add(reduction(id, {P("a", ParamKind::Tensor), P("dims", ParamKind::Ints)}, [minmax](const MetaArgs& m) {
      const auto& a = m.tensor(0);
      if (minmax)
        KERAUNOS_TYPE_CHECK(!is_complex(a.dtype), m.op(), ": complex tensors are not ordered, got ", type_str(m.trace(), a));
      else
        KERAUNOS_TYPE_CHECK(!is_bool(a.dtype), m.op(), ": bool tensors are not supported (convert them first), got ",
                            type_str(m.trace(), a));
      auto dims = canonical_dims(m.op(), m[1].as_ints(), a.rank());
      if (minmax) check_nonempty(m, a, dims);
      return one(reduced(m, a, dims));
    }));
  }
  auto var_meta = [](const MetaArgs& m, bool with_mean) {
    const auto& a = m.tensor(0);
    KERAUNOS_TYPE_CHECK(is_floating(a.dtype) || is_complex(a.dtype), m.op(), ": expected a floating or complex tensor, got ",
                        type_str(m.trace(), a));
    auto dims = canonical_dims(m.op(), m[1].as_ints(), a.rank());
    TensorType v = reduced(m, a, dims);
    TensorType mean = v;
    v.dtype = to_real(v.dtype);
    std::vector<ProxyType> out{ProxyType::of(v)};
    if (with_mean) out.push_back(ProxyType::of(mean));
    return out;
  };
  table.add(reduction(PrimId::var,
                      {P("a", ParamKind::Tensor), P("dims", ParamKind::Ints), KW("correction", ParamKind::Float, Value::integer(1))},
                      [var_meta](const MetaArgs& m) { return var_meta(m, false); }));
  table.add(reduction(PrimId::var_mean,
                      {P("a", ParamKind::Tensor), P("dims", ParamKind::Ints), KW("correction", ParamKind::Float, Value::integer(1))},
                      [var_meta](const MetaArgs& m) { return var_meta(m, true); }));
  for (PrimId id : {PrimId::argmax, PrimId::argmin}) {
    table.add(reduction(id, {P("a", ParamKind::Tensor), P("dim", ParamKind::OptInt, Value::none())}, [](const MetaArgs& m) {
      const auto& a = m.tensor(0);
      KERAUNOS_TYPE_CHECK(!is_complex(a.dtype) && !is_bool(a.dtype), m.op(), ": expected a real numeric tensor, got ",
                          type_str(m.trace(), a));
      TensorType out = a;
      out.requires_grad = false;
      out.dtype = DType::Int64;
      if (m[1].is_none()) {
        out.shape.clear();
      } else {
        int64_t d = canonical_dim(m.op(), m[1].as_int(), a.rank());
        if (a.rank() > 0) check_nonempty(m, a, {d});
        out = reduced(m, out, {d});
      }
      return one(out);
    }));
  }
}

}  // namespace keraunos::ops
