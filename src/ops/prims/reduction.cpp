// Reduction prims over explicit dims: sum, prod, amax, amin, var, var_mean, argmax, argmin.
#include <algorithm>

#include "ops/meta_utils.h"
#include "ops/prims/grad_helpers.h"
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

  // Gradients: a sum spreads its gradient back over the reduced dims; amax/amin give it to the
  // elements equal to the result, shared evenly among ties (as torch does).
  using namespace grad;
  using op_helpers::shape_value;
  using op_helpers::tt_of;
  // `g` (of the reduced shape) broadcast back to the input's shape.
  auto spread = [](Recorder& r, const Value& g, const TensorType& a, const std::vector<int64_t>& reduced) {
    std::vector<Value> kept;
    for (int64_t d = 0; d < a.rank(); ++d)
      if (std::find(reduced.begin(), reduced.end(), d) == reduced.end()) kept.push_back(Value::integer(d));
    return call(r, PrimId::broadcast_in_dim, {g, shape_value(a.shape), Value::tuple(kept)});
  };
  table.set_grad("prims.sum", [spread](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    if (gs[0].is_none()) return std::vector<Value>(2, Value::none());
    const TensorType a = tt_of(r, fwd.args[0]);
    return only_differentiable(r, fwd, {spread(r, gs[0], a, canonical_dims("prims.sum", fwd.args[1].as_ints(), a.rank()))});
  });
  for (const char* id : {"prims.amax", "prims.amin"}) {
    table.set_grad(id, [spread, id](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
      if (gs[0].is_none()) return std::vector<Value>(2, Value::none());
      const TensorType a = tt_of(r, fwd.args[0]);
      const auto dims = canonical_dims(id, fwd.args[1].as_ints(), a.rank());
      std::vector<Value> dv;
      for (int64_t d : dims) dv.push_back(Value::integer(d));
      const Value hit = call(r, PrimId::eq, {fwd.args[0], spread(r, Value::proxy(fwd.outputs[0]), a, dims)});
      const Value count = call(r, PrimId::sum, {call(r, PrimId::convert_element_type, {hit, Value::dtype(a.dtype)}), Value::tuple(dv)});
      return only_differentiable(r, fwd, {call(r, PrimId::where, {hit, spread(r, div(r, gs[0], count), a, dims), num(0)})});
    });
  }

  // var = sum((a - mean)^2) / (N - correction): d/da = 2 (a - mean) / (N - correction); a mean's
  // gradient is spread and divided by N. The reduced dims must have static sizes.
  auto reduced_count = [](Recorder& r, const TensorType& a, const std::vector<int64_t>& dims) {
    double n = 1;
    for (int64_t d : dims) {
      const Dim& s = a.shape[static_cast<size_t>(d)];
      KERAUNOS_CHECK(s.is_constant(), "autograd: the gradient of a variance over a symbolic dim is not written yet (",
                     type_str(r.trace(), a), ")");
      n *= static_cast<double>(s.size);
    }
    return n;
  };
  auto var_mean_grad = [spread, reduced_count](Recorder& r, const BoundSymbol& fwd, const Value& g_var, const Value& g_mean) {
    const TensorType a = tt_of(r, fwd.args[0]);
    const auto dims = canonical_dims("prims.var", fwd.args[1].as_ints(), a.rank());
    std::vector<Value> dv;
    for (int64_t d : dims) dv.push_back(Value::integer(d));
    const double n = reduced_count(r, a, dims), c = fwd.args[2].as_float();
    Value ga = Value::none();
    if (!g_var.is_none()) {
      const Value mean = spread(r, div(r, call(r, PrimId::sum, {fwd.args[0], Value::tuple(dv)}), num(n)), a, dims);
      ga = mul(r, spread(r, g_var, a, dims), mul(r, sub(r, fwd.args[0], mean), num(2.0 / std::max(0.0, n - c))));
    }
    if (!g_mean.is_none()) {
      const Value gm = spread(r, div(r, g_mean, num(n)), a, dims);
      ga = ga.is_none() ? gm : add(r, ga, gm);
    }
    return only_differentiable(r, fwd, {ga});
  };
  table.set_grad("prims.var", [var_mean_grad](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    return gs[0].is_none() ? std::vector<Value>(3, Value::none()) : var_mean_grad(r, fwd, gs[0], Value::none());
  });
  table.set_grad("prims.var_mean", [var_mean_grad](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    return gs[0].is_none() && gs[1].is_none() ? std::vector<Value>(3, Value::none()) : var_mean_grad(r, fwd, gs[0], gs[1]);
  });
}

}  // namespace keraunos::ops
