// Shape prims: broadcast_in_dim, reshape, transpose, slice, squeeze, cat, pad, flip, shallow_copy.
#include <algorithm>

#include "ir/printer.h"
#include "ops/meta_utils.h"
#include "ops/prims/grad_helpers.h"
#include "ops/prims/prims.h"

namespace keraunos::ops {
namespace {

Symbol prim(PrimId id, std::vector<Param> params, MetaFn meta, uint32_t tags = kTagShape) {
  return make_prim(id, std::move(params), std::move(meta), tags);
}

TensorType like(const TensorType& a, Shape shape) {
  TensorType t = a;
  t.shape = std::move(shape);
  t.requires_grad = false;
  return t;
}

std::string dim_str(const Trace& t, const Dim& d) { return d.is_symbolic() ? t.name_of(d.sym) : std::to_string(d.size); }

}  // namespace

void register_shape_prims(SymbolTable& table) {
  table.add(
      prim(PrimId::broadcast_in_dim, {P("a", ParamKind::Tensor), P("shape", ParamKind::Ints), P("broadcast_dimensions", ParamKind::Ints)},
           [](const MetaArgs& m) {
             const auto& a = m.tensor(0);
             Shape shape = dims_from_value(m.trace(), m[1]);
             auto bd = m[2].as_ints();
             KERAUNOS_TYPE_CHECK(static_cast<int64_t>(bd.size()) == a.rank(), m.op(), ": broadcast_dimensions has ", bd.size(),
                                 " entries but the input ", type_str(m.trace(), a), " has rank ", a.rank());
             for (size_t i = 0; i < bd.size(); ++i) {
               KERAUNOS_TYPE_CHECK(bd[i] >= 0 && bd[i] < static_cast<int64_t>(shape.size()) && (i == 0 || bd[i] > bd[i - 1]), m.op(),
                                   ": broadcast_dimensions must be increasing dims of the result (rank ", shape.size(), ")");
               const Dim& in = a.shape[i];
               const Dim& out = shape[static_cast<size_t>(bd[i])];
               KERAUNOS_TYPE_CHECK(in == out || (in.is_constant() && in.size == 1), m.op(), ": input dimension ", i, " of ",
                                   type_str(m.trace(), a), " is ", dim_str(m.trace(), in), ", expected 1 or ", dim_str(m.trace(), out));
             }
             for (const auto& d : shape)
               KERAUNOS_TYPE_CHECK(d.is_symbolic() || d.size >= 0, m.op(), ": negative size in ", shape_str(m.trace(), shape));
             return one(like(a, std::move(shape)));
           }));

  table.add(prim(PrimId::reshape, {P("a", ParamKind::Tensor), P("shape", ParamKind::Ints)}, [](const MetaArgs& m) {
    const auto& a = m.tensor(0);
    Shape shape = dims_from_value(m.trace(), m[1]);
    for (const auto& d : shape)
      KERAUNOS_TYPE_CHECK(d.is_symbolic() || d.size >= 0, m.op(), ": negative size in ", shape_str(m.trace(), shape),
                          " (prims take explicit sizes; -1 is resolved by torch.reshape)");
    auto n_in = static_numel(a.shape), n_out = static_numel(shape);
    if (n_in && n_out)
      KERAUNOS_TYPE_CHECK(*n_in == *n_out, m.op(), ": cannot reshape ", type_str(m.trace(), a), " (", *n_in, " elements) to ",
                          shape_str(m.trace(), shape), " (", *n_out, " elements)");
    return one(like(a, std::move(shape)));
  }));

  table.add(prim(PrimId::transpose, {P("a", ParamKind::Tensor), P("permutation", ParamKind::Ints)}, [](const MetaArgs& m) {
    const auto& a = m.tensor(0);
    auto perm = m[1].as_ints();
    KERAUNOS_TYPE_CHECK(static_cast<int64_t>(perm.size()) == a.rank(), m.op(), ": permutation ", describe_value(m.trace(), m[1]), " has ",
                        perm.size(), " entries but the input ", type_str(m.trace(), a), " has rank ", a.rank());
    auto p = canonical_dims(m.op(), perm, a.rank());
    Shape shape;
    for (int64_t d : p) shape.push_back(a.shape[static_cast<size_t>(d)]);
    return one(like(a, std::move(shape)));
  }));

  // slice(a, start, end, strides): a symbolic dimension can only be kept whole (start 0, end the
  // same symbol, stride 1); constant dimensions are bounds-checked.
  table.add(prim(PrimId::slice,
                 {P("a", ParamKind::Tensor), P("start_indices", ParamKind::Ints), P("end_indices", ParamKind::Ints),
                  P("strides", ParamKind::OptInts, Value::none())},
                 [](const MetaArgs& m) {
                   const auto& a = m.tensor(0);
                   Shape st = dims_from_value(m.trace(), m[1]), en = dims_from_value(m.trace(), m[2]);
                   std::vector<int64_t> sd = m[3].is_none() ? std::vector<int64_t>(st.size(), 1) : m[3].as_ints();
                   KERAUNOS_TYPE_CHECK(static_cast<int64_t>(st.size()) == a.rank() && en.size() == st.size() && sd.size() == st.size(),
                                       m.op(), ": start, end and strides need one entry per dimension of ", type_str(m.trace(), a));
                   Shape shape;
                   for (size_t i = 0; i < st.size(); ++i) {
                     const Dim& d = a.shape[i];
                     KERAUNOS_TYPE_CHECK(sd[i] > 0, m.op(), ": strides must be positive, got ", sd[i]);
                     if (d.is_symbolic() || st[i].is_symbolic() || en[i].is_symbolic()) {
                       bool whole = st[i] == Dim::constant(0) && en[i] == d && sd[i] == 1;
                       KERAUNOS_TYPE_CHECK(whole, m.op(), ": dimension ", i, " of ", type_str(m.trace(), a),
                                           " is symbolic; it can only be kept whole (start 0, end ", dim_str(m.trace(), d), ", stride 1)");
                       shape.push_back(d);
                       continue;
                     }
                     KERAUNOS_TYPE_CHECK(st[i].size >= 0 && st[i].size <= en[i].size && en[i].size <= d.size, m.op(), ": slice [",
                                         st[i].size, ":", en[i].size, "] is out of bounds for dimension ", i, " of ",
                                         type_str(m.trace(), a));
                     shape.push_back(Dim::constant((en[i].size - st[i].size + sd[i] - 1) / sd[i]));
                   }
                   return one(like(a, std::move(shape)));
                 }));

  table.add(prim(PrimId::squeeze, {P("a", ParamKind::Tensor), P("dims", ParamKind::Ints)}, [](const MetaArgs& m) {
    const auto& a = m.tensor(0);
    auto dims = canonical_dims(m.op(), m[1].as_ints(), a.rank());
    Shape shape;
    for (int64_t i = 0; i < a.rank(); ++i) {
      bool drop = std::find(dims.begin(), dims.end(), i) != dims.end();
      if (drop) {
        const Dim& d = a.shape[static_cast<size_t>(i)];
        KERAUNOS_TYPE_CHECK(d.is_constant() && d.size == 1, m.op(), ": dimension ", i, " of ", type_str(m.trace(), a), " has size ",
                            dim_str(m.trace(), d), ", expected 1");
      } else {
        shape.push_back(a.shape[static_cast<size_t>(i)]);
      }
    }
    return one(like(a, std::move(shape)));
  }));

  table.add(prim(PrimId::cat, {P("tensors", ParamKind::Tensors), P("dim", ParamKind::Int)}, [](const MetaArgs& m) {
    const auto& ts = m[0].as_tuple();
    KERAUNOS_TYPE_CHECK(!ts.empty(), m.op(), ": expected a non-empty tuple of tensors");
    const auto& first = m.type_of(ts[0]).tensor;
    int64_t dim = canonical_dim(m.op(), m[1].as_int(), first.rank());
    Shape shape = first.shape;
    int64_t total = 0;
    for (size_t k = 0; k < ts.size(); ++k) {
      const auto& t = m.type_of(ts[k]).tensor;
      KERAUNOS_TYPE_CHECK(t.rank() == first.rank() && t.dtype == first.dtype && t.device == first.device, m.op(), ": tensor ", k, " is ",
                          type_str(m.trace(), t), " but tensor 0 is ", type_str(m.trace(), first),
                          " (expected the same rank, dtype and device)");
      for (int64_t i = 0; i < t.rank(); ++i) {
        if (i == dim) continue;
        KERAUNOS_TYPE_CHECK(t.shape[static_cast<size_t>(i)] == first.shape[static_cast<size_t>(i)], m.op(), ": tensor ", k, " has shape ",
                            shape_str(m.trace(), t.shape), " but tensor 0 has ", shape_str(m.trace(), first.shape),
                            "; they must match except in dimension ", dim);
      }
      const Dim& d = t.shape[static_cast<size_t>(dim)];
      KERAUNOS_TYPE_CHECK(d.is_constant(), m.op(), ": symbolic sizes along the concatenated dimension are not supported");
      total += d.size;
    }
    shape[static_cast<size_t>(dim)] = Dim::constant(total);
    return one(like(first, std::move(shape)));
  }));

  // pad(a, padding_value, padding_config): per dim (low, high, interior); low/high may be negative.
  table.add(prim(PrimId::pad, {P("a", ParamKind::Tensor), P("padding_value", ParamKind::Number), P("padding_config", ParamKind::Any)},
                 [](const MetaArgs& m) {
                   const auto& a = m.tensor(0);
                   KERAUNOS_TYPE_CHECK(m[2].is_tuple() && static_cast<int64_t>(m[2].as_tuple().size()) == a.rank(), m.op(),
                                       ": padding_config needs one (low, high, interior) triple per dimension of ", type_str(m.trace(), a));
                   Shape shape;
                   for (int64_t i = 0; i < a.rank(); ++i) {
                     auto cfg = m[2].as_tuple()[static_cast<size_t>(i)].as_ints();
                     KERAUNOS_TYPE_CHECK(cfg.size() == 3 && cfg[2] >= 0, m.op(), ": each padding entry is (low, high, interior>=0)");
                     const Dim& d = a.shape[static_cast<size_t>(i)];
                     if (d.is_symbolic() && cfg[0] == 0 && cfg[1] == 0 && cfg[2] == 0) {
                       shape.push_back(d);  // an unpadded symbolic dimension stays as it is
                       continue;
                     }
                     KERAUNOS_TYPE_CHECK(d.is_constant(), m.op(), ": padding a symbolic dimension is not supported (dimension ", i, ")");
                     int64_t n = d.size + cfg[0] + cfg[1] + (d.size > 0 ? (d.size - 1) * cfg[2] : 0);
                     KERAUNOS_TYPE_CHECK(n >= 0, m.op(), ": padding makes dimension ", i, " negative");
                     shape.push_back(Dim::constant(n));
                   }
                   return one(like(a, std::move(shape)));
                 }));

  table.add(prim(PrimId::flip, {P("a", ParamKind::Tensor), P("dims", ParamKind::Ints)}, [](const MetaArgs& m) {
    const auto& a = m.tensor(0);
    canonical_dims(m.op(), m[1].as_ints(), a.rank());
    return one(like(a, a.shape));
  }));

  table.add(prim(PrimId::shallow_copy, {P("a", ParamKind::Tensor)}, [](const MetaArgs& m) {
    const auto& a = m.tensor(0);
    return one(like(a, a.shape));
  }));

  // Gradients: a broadcast sums back over the dims it created or expanded; views map back.
  using namespace grad;
  using op_helpers::shape_value;
  using op_helpers::tt_of;
  table.set_grad("prims.broadcast_in_dim", [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    if (gs[0].is_none()) return std::vector<Value>(3, Value::none());
    const TensorType a = tt_of(r, fwd.args[0]);
    const TensorType out = tt_of(r, Value::proxy(fwd.outputs[0]));
    const auto bd = fwd.args[2].as_ints();
    std::vector<Value> dims;
    for (int64_t d = 0; d < out.rank(); ++d) {
      auto it = std::find(bd.begin(), bd.end(), d);
      const bool created = it == bd.end();
      const bool expanded = !created && a.shape[static_cast<size_t>(it - bd.begin())] != out.shape[static_cast<size_t>(d)];
      if (created || expanded) dims.push_back(Value::integer(d));
    }
    Value g = dims.empty() ? gs[0] : call(r, PrimId::sum, {gs[0], Value::tuple(dims)});
    return only_differentiable(r, fwd, {call(r, PrimId::reshape, {g, shape_value(a.shape)})});
  });
  auto reshape_back = [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    if (gs[0].is_none()) return std::vector<Value>(fwd.args.size(), Value::none());
    return only_differentiable(r, fwd, {call(r, PrimId::reshape, {gs[0], shape_value(tt_of(r, fwd.args[0]).shape)})});
  };
  table.set_grad("prims.reshape", reshape_back);
  table.set_grad("prims.squeeze", reshape_back);
  table.set_grad("prims.transpose", [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    if (gs[0].is_none()) return std::vector<Value>(2, Value::none());
    const auto perm = canonical_dims("prims.transpose", fwd.args[1].as_ints(), tt_of(r, fwd.args[0]).rank());
    std::vector<Value> inverse(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) inverse[static_cast<size_t>(perm[i])] = Value::integer(static_cast<int64_t>(i));
    return only_differentiable(r, fwd, {call(r, PrimId::transpose, {gs[0], Value::tuple(inverse)})});
  });
  table.set_grad("prims.shallow_copy",
                 [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) { return only_differentiable(r, fwd, {gs[0]}); });

  // slice: the gradient is g placed back where the window was (zeros around and between strides).
  table.set_grad("prims.slice", [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    if (gs[0].is_none()) return std::vector<Value>(4, Value::none());
    const TensorType a = tt_of(r, fwd.args[0]);
    const TensorType out = tt_of(r, Value::proxy(fwd.outputs[0]));
    const auto start = fwd.args[1].as_ints();
    const auto strides = fwd.args[3].is_none() ? std::vector<int64_t>(start.size(), 1) : fwd.args[3].as_ints();
    std::vector<Value> config;
    for (size_t d = 0; d < start.size(); ++d) {
      KERAUNOS_CHECK(a.shape[d].is_constant() && out.shape[d].is_constant(), "autograd: prims.slice's gradient needs static sizes");
      const int64_t n = out.shape[d].size, last = n > 0 ? start[d] + (n - 1) * strides[d] : start[d] - 1;
      const int64_t hi = a.shape[d].size - last - 1;
      config.push_back(Value::tuple({Value::integer(start[d]), Value::integer(hi), Value::integer(n > 0 ? strides[d] - 1 : 0)}));
    }
    return only_differentiable(r, fwd, {call(r, PrimId::pad, {gs[0], num(0), Value::tuple(config)})});
  });
  table.set_grad("prims.flip", [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    if (gs[0].is_none()) return std::vector<Value>(2, Value::none());
    return only_differentiable(r, fwd, {call(r, PrimId::flip, {gs[0], fwd.args[1]})});
  });
  // cat: each input's gradient is its window of g along the dim.
  table.set_grad("prims.cat", [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    if (gs[0].is_none()) return std::vector<Value>(2, Value::none());
    const TensorType out = tt_of(r, Value::proxy(fwd.outputs[0]));
    const int64_t dim = canonical_dims("prims.cat", {fwd.args[1].as_int()}, out.rank())[0];
    std::vector<Value> parts;
    int64_t at = 0;
    for (const Value& v : fwd.args[0].as_tuple()) {
      const TensorType p = tt_of(r, v);
      KERAUNOS_CHECK(p.shape[static_cast<size_t>(dim)].is_constant(), "autograd: prims.cat's gradient needs static sizes along the dim");
      std::vector<Value> lo, hi;
      for (int64_t d = 0; d < out.rank(); ++d) {
        lo.push_back(Value::integer(d == dim ? at : 0));
        hi.push_back(d == dim ? Value::integer(at + p.shape[static_cast<size_t>(d)].size)
                              : op_helpers::dim_value(out.shape[static_cast<size_t>(d)]));
      }
      at += p.shape[static_cast<size_t>(dim)].size;
      parts.push_back(differentiable(r, v) ? call(r, PrimId::slice, {gs[0], Value::tuple(lo), Value::tuple(hi)}) : Value::none());
    }
    return std::vector<Value>{Value::tuple(parts), Value::none()};
  });

  // pad: the gradient is the window of g the input landed in (every interior + 1-th element).
  table.set_grad("prims.pad", [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {  // (a, value, config)
    if (gs[0].is_none()) return std::vector<Value>(3, Value::none());
    const TensorType out = tt_of(r, Value::proxy(fwd.outputs[0]));
    // Negative padding cropped the input: pad g back with zeros there first (the cropped elements'
    // gradient), then take every (interior + 1)-th element of the window.
    std::vector<Value> uncrop, start, end, stride;
    bool cropped = false;
    const auto& config = fwd.args[2].as_tuple();
    for (size_t d = 0; d < config.size(); ++d) {
      const auto c = config[d].as_ints();  // (low, high, interior)
      KERAUNOS_CHECK(out.shape[d].is_constant(), "autograd: prims.pad's gradient needs static sizes");
      const int64_t lo = std::max<int64_t>(c[0], 0), hi = std::max<int64_t>(c[1], 0);
      uncrop.push_back(Value::tuple({Value::integer(lo - c[0]), Value::integer(hi - c[1]), Value::integer(0)}));
      cropped = cropped || c[0] < 0 || c[1] < 0;
      start.push_back(Value::integer(lo));
      end.push_back(Value::integer(out.shape[d].size + (lo - c[0]) + (hi - c[1]) - hi));
      stride.push_back(Value::integer(c[2] + 1));
    }
    const Value g = cropped ? call(r, PrimId::pad, {gs[0], num(0), Value::tuple(uncrop)}) : gs[0];
    const Value ga = call(r, PrimId::slice, {g, Value::tuple(start), Value::tuple(end), Value::tuple(stride)});
    return only_differentiable(r, fwd, {ga, Value::none(), Value::none()});
  });
}

}  // namespace keraunos::ops
