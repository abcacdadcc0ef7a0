// Torch-level indexing ops: Tensor.__getitem__, index_select, gather, scatter, scatter_add,
// index_add, index_copy, take_along_dim, Tensor.index_put, nn.functional.one_hot.
//
// torch.Tensor.__getitem__(a, key): the key encoding the Python front end produces.
//   key is a tuple (a single item is accepted as a 1-tuple) whose items are:
//     int, or an int number proxy    -> select (removes the dim; negative counts from the end)
//     None                           -> a new axis of size 1
//     the string "..."               -> Ellipsis (at most one)
//     a 3-tuple (start, stop, step)  -> slice; each an int (or a number proxy of known value) or
//                                       None. Out-of-range bounds clamp as in Python; step must
//                                       be positive (torch rejects negative steps).
//     an integer tensor (int64/int32)-> advanced index. Several advanced indices broadcast
//                                       together; their dims replace the indexed dims where the
//                                       indexed dims are adjacent, else they go first (NumPy's
//                                       rule, applied after ints and None, as torch does).
//                                       Negative values count from the end.
//     a 0-d integer tensor (int8..int64) -> select at a runtime index (torch treats it as an int)
//     a bool (or uint8) tensor       -> rejected: a boolean mask selects a data-dependent number
//                                       of elements (use torch.where or masked_fill instead).
//   Python bools (a[True]) are rejected too (they are 0-d masks in torch).
//   The front end maps `a[k]` with a non-tuple k to `(k,)`, a Python slice(s, e, st) to (s, e, st),
//   and a nested Python list of ints (a[[0, 2]]) to an int64 tensor (a tuple would read as a slice).
//
// Index values that are out of range are a runtime error in torch; a trace cannot check data, so
// the decompositions assume in-range indices (as PyTorch's own compiled backends do).
#include <algorithm>
#include <numeric>

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
using Outs = std::vector<Value>;

constexpr Composites composite{kTagNone};

bool is_int_number(const Trace& t, const Value& v) {
  return v.is_int() || (v.is_proxy() && !t.type(v.as_proxy()).is_tensor && t.type(v.as_proxy()).number.kind == NumberKind::Int);
}

Value iota(Recorder& r, const Value& length, int64_t start, int64_t step, const Device& dev) {
  return prims::call(r, PrimId::iota, {length},
                     {{"start", Value::integer(start)},
                      {"step", Value::integer(step)},
                      {"device", Value::device(dev)},
                      {"dtype", Value::dtype(DType::Int64)}});
}

void check_index_dtype(Recorder& r, std::string_view op, const Value& idx, bool allow_int32, std::string_view what = "index") {
  DType dt = tt_of(r, idx).dtype;
  KERAUNOS_TYPE_CHECK(dt == DType::Int64 || (allow_int32 && dt == DType::Int32), op, ": expected ", what, " to be ",
                      allow_int32 ? "an int64 or int32 tensor" : "an int64 tensor", ", got ", ts(r, idx));
}

// Integer index tensor -> int64 with negative values counted from the end of a dim of size n.
Value wrap_index(Recorder& r, const Value& idx, const Dim& n) {
  Value i = to_dtype(r, idx, DType::Int64);
  Value neg = prims::call(r, PrimId::lt, {i, Value::integer(0)});
  Value wrapped = prims::call(r, PrimId::add, {i, dim_value(n)});
  return prims::call(r, PrimId::where, {neg, wrapped, i});
}

// torch treats 0-d tensors as 1-element 1-D ones in gather/scatter/index_copy; the prims want
// matching ranks, so 0-d operands of a rank <= 1 op become shape (1,).
Value as_1d(Recorder& r, const Value& v) { return tt_of(r, v).rank() == 0 ? reshape_to(r, v, {Dim::constant(1)}) : v; }

Dim nonempty_size(const TensorType& t, int64_t d) { return t.rank() == 0 ? Dim::constant(1) : t.shape[static_cast<size_t>(d)]; }

// gather/scatter shape rules (torch's, with 0-d tensors counting as 1-D).
void check_gather_shapes(Recorder& r, std::string_view op, const Value& self, const Value& index, const Value* src, int64_t dim) {
  const Trace& t = r.trace();
  const auto& st = tt_of(r, self);
  const auto& it = tt_of(r, index);
  int64_t rs = std::max<int64_t>(st.rank(), 1), ri = std::max<int64_t>(it.rank(), 1);
  KERAUNOS_TYPE_CHECK(rs == ri, op, ": index ", type_str(t, it), " must have the same number of dimensions as the input ", type_str(t, st));
  for (int64_t d = 0; d < ri; ++d) {
    Dim i = nonempty_size(it, d), s = nonempty_size(st, d);
    if (d != dim && i.is_constant() && s.is_constant())
      KERAUNOS_TYPE_CHECK(i.size <= s.size, op, ": index ", type_str(t, it), " must be no larger than the input ", type_str(t, st),
                          " apart from dimension ", dim);
  }
  if (src) {
    const auto& sr = tt_of(r, *src);
    KERAUNOS_TYPE_CHECK(std::max<int64_t>(sr.rank(), 1) == ri, op, ": index ", type_str(t, it),
                        " must have the same number of dimensions as src ", type_str(t, sr));
    for (int64_t d = 0; d < ri; ++d) {
      Dim i = nonempty_size(it, d), s = nonempty_size(sr, d);
      if (i.is_constant() && s.is_constant())
        KERAUNOS_TYPE_CHECK(i.size <= s.size, op, ": index ", type_str(t, it), " must be no larger than src ", type_str(t, sr));
    }
  }
}

// A scatter-like prim on (self, dim, index, src) with torch's 0-d rules: operands of a rank <= 1
// op are lifted to 1-D and the result reshaped back.
Value scatter_like(Recorder& r, PrimId prim, const Value& self, int64_t dim, const Value& index, const Value& src) {
  const Shape shape = tt_of(r, self).shape;
  if (shape.size() <= 1) {
    Value s = is_tensor(r.trace(), src) ? as_1d(r, src) : src;
    Value out = prims::call(r, prim, {as_1d(r, self), Value::integer(0), as_1d(r, index), s});
    return reshape_to(r, out, shape);
  }
  return prims::call(r, prim, {self, Value::integer(dim), index, src});
}

// ---- __getitem__ ---------------------------------------------------------------------------

constexpr std::string_view kGetitem = "torch.Tensor.__getitem__";

struct Item {
  enum Kind { Int, NewAxis, Ellipsis, Slice, Advanced } kind;
  Value v;  // the int, the tensor, or the (start, stop, step) tuple
};

Item classify(Recorder& r, const Value& v) {
  const Trace& t = r.trace();
  if (v.is_none()) return {Item::NewAxis, v};
  if (v.is_str()) {
    KERAUNOS_TYPE_CHECK(v.as_str() == "...", kGetitem, ": the only string allowed in an index is \"...\" (Ellipsis), got \"", v.as_str(),
                        "\"");
    return {Item::Ellipsis, v};
  }
  KERAUNOS_TYPE_CHECK(
      !v.is_bool() && !(v.is_proxy() && !t.type(v.as_proxy()).is_tensor && t.type(v.as_proxy()).number.kind == NumberKind::Bool), kGetitem,
      ": indexing with a Python bool is a 0-d boolean mask in torch; use None to add an axis");
  if (is_int_number(t, v)) return {Item::Int, v};
  if (v.is_tuple()) {
    KERAUNOS_TYPE_CHECK(v.as_tuple().size() == 3, kGetitem, ": a slice is encoded as (start, stop, step), got ", describe_value(t, v));
    for (const auto& e : v.as_tuple())
      KERAUNOS_TYPE_CHECK(e.is_none() || is_int_number(t, e), kGetitem, ": slice bounds must be ints or None, got ", describe_value(t, v));
    return {Item::Slice, v};
  }
  if (is_tensor(t, v)) {
    const auto& tt = tt_of(r, v);
    KERAUNOS_TYPE_CHECK(tt.dtype != DType::Bool && tt.dtype != DType::UInt8, kGetitem, ": indexing with a boolean mask ", type_str(t, tt),
                        " selects a data-dependent number of elements, so the result's shape is unknown at trace time; use "
                        "torch.where(mask, a, other) or a.masked_fill(~mask, value) to keep the shape");
    if (tt.rank() == 0) {
      KERAUNOS_TYPE_CHECK(is_integer(tt.dtype), kGetitem, ": a 0-d index tensor must be an integer, got ", type_str(t, tt));
      return {Item::Int, v};
    }
    KERAUNOS_TYPE_CHECK(tt.dtype == DType::Int64 || tt.dtype == DType::Int32, kGetitem,
                        ": tensors used as indices must be int64 or int32 (or bool masks, which are data-dependent), got ",
                        type_str(t, tt));
    return {Item::Advanced, v};
  }
  throw TypeError(str(kGetitem, ": unsupported index item ", describe_value(t, v),
                      " (expected an int, None, \"...\", a (start, stop, step) slice or an integer tensor)"));
}

Outs getitem(Recorder& r, const Args& a) {
  const Trace& t = r.trace();
  const TensorType in = tt_of(r, a[0]);
  const int64_t rank = in.rank();
  std::vector<Value> raw = a[1].is_tuple() ? a[1].as_tuple() : std::vector<Value>{a[1]};
  std::vector<Item> items;
  int64_t consumed = 0, ellipses = 0;
  for (const auto& v : raw) {
    items.push_back(classify(r, v));
    auto k = items.back().kind;
    if (k == Item::Int || k == Item::Slice || k == Item::Advanced) ++consumed;
    if (k == Item::Ellipsis) ++ellipses;
  }
  KERAUNOS_TYPE_CHECK(consumed <= rank, kGetitem, ": too many indices for ", type_str(t, in), " (", consumed, " indices for ", rank,
                      rank == 1 ? " dimension)" : " dimensions)");
  // Expand the ellipsis (or the implicit trailing one) into full slices. torch lets every further
  // "..." skip the same number of dims again: harmless when that is 0, otherwise it moves past the
  // last dim and any index after it is out of range.
  std::vector<Item> full;
  Item whole{Item::Slice, Value::tuple({Value::none(), Value::none(), Value::none()})};
  int64_t seen = 0;
  bool past_end = false;
  for (const auto& it : items) {
    KERAUNOS_TYPE_CHECK(!past_end || it.kind == Item::Ellipsis, kGetitem, ": an index after a second \"...\" is out of range for ",
                        type_str(t, in), " (each \"...\" skips ", rank - consumed, " dims)");
    if (it.kind == Item::Ellipsis) {
      if (seen++ == 0)
        full.insert(full.end(), static_cast<size_t>(rank - consumed), whole);
      else
        past_end = rank - consumed > 0;
    } else {
      full.push_back(it);
    }
  }
  if (ellipses == 0) full.insert(full.end(), static_cast<size_t>(rank - consumed), whole);

  // Walk the items: static slices/selects per input dim, runtime selects, layout of the result.
  std::vector<int64_t> st(static_cast<size_t>(rank), 0), en, sd(static_cast<size_t>(rank), 1);
  for (const auto& d : in.shape) en.push_back(d.is_constant() ? d.size : 0);
  std::vector<bool> sliced(static_cast<size_t>(rank), false), dropped(static_cast<size_t>(rank), false);
  std::vector<std::pair<int64_t, Value>> runtime_selects;
  std::vector<int64_t> layout;                      // per result dim: the input dim, or -1 for a new axis
  std::vector<std::pair<int64_t, Value>> advanced;  // (input dim, index tensor)
  int64_t d = 0;
  for (const auto& it : full) {
    switch (it.kind) {
      case Item::NewAxis:
        layout.push_back(-1);
        break;
      case Item::Int: {
        const Dim& n = in.shape[static_cast<size_t>(d)];
        auto k = is_tensor(t, it.v) ? std::nullopt : known_int(t, it.v);
        if (k && n.is_constant()) {
          KERAUNOS_TYPE_CHECK(*k >= -n.size && *k < n.size, kGetitem, ": index ", *k, " is out of bounds for dimension ", d, " with size ",
                              n.size, " of ", type_str(t, in));
          int64_t i = *k < 0 ? *k + n.size : *k;
          st[static_cast<size_t>(d)] = i;
          en[static_cast<size_t>(d)] = i + 1;
          sliced[static_cast<size_t>(d)] = true;
        } else {
          runtime_selects.emplace_back(d, it.v);
        }
        dropped[static_cast<size_t>(d)] = true;
        ++d;
        break;
      }
      case Item::Slice: {
        const auto& sl = it.v.as_tuple();
        auto part = [&](const Value& v, const char* what) -> std::optional<int64_t> {
          if (v.is_none()) return std::nullopt;
          auto k = known_int(t, v);
          KERAUNOS_TYPE_CHECK(k.has_value(), kGetitem, ": slice ", what, " ", describe_value(t, v),
                              " is not known at trace time; the result's size would depend on it");
          return k;
        };
        auto s0 = part(sl[0], "start"), s1 = part(sl[1], "stop"), s2 = part(sl[2], "step");
        int64_t step = s2.value_or(1);
        KERAUNOS_TYPE_CHECK(step > 0, kGetitem, ": slice step must be greater than zero, got ", step,
                            " (torch does not support negative steps; use torch.flip)");
        const Dim& n = in.shape[static_cast<size_t>(d)];
        if (n.is_symbolic()) {
          KERAUNOS_TYPE_CHECK((!s0 || *s0 == 0) && !s1 && step == 1, kGetitem, ": slicing dimension ", d, " of ", type_str(t, in),
                              " needs its size, which is symbolic (", dim_str(t, n), "); only a full slice (:) is supported there");
        } else {
          int64_t start = s0 ? std::clamp<int64_t>(*s0 < 0 ? *s0 + n.size : *s0, 0, n.size) : 0;
          int64_t stop = s1 ? std::clamp<int64_t>(*s1 < 0 ? *s1 + n.size : *s1, 0, n.size) : n.size;
          if (stop < start) stop = start;
          st[static_cast<size_t>(d)] = start;
          en[static_cast<size_t>(d)] = stop;
          sd[static_cast<size_t>(d)] = step;
          sliced[static_cast<size_t>(d)] = start != 0 || stop != n.size || step != 1;
        }
        layout.push_back(d);
        ++d;
        break;
      }
      case Item::Advanced:
        layout.push_back(d);
        advanced.emplace_back(d, it.v);
        ++d;
        break;
      case Item::Ellipsis:
        break;
    }
  }

  Value x = a[0];
  // Static slices (and static selects as length-1 slices).
  bool any_slice = std::find(sliced.begin(), sliced.end(), true) != sliced.end();
  if (any_slice) {
    if (!has_symbolic(in.shape)) {
      bool strided = std::any_of(sd.begin(), sd.end(), [](int64_t s) { return s != 1; });
      std::vector<Value> args{x, Value::ints(st), Value::ints(en)};
      if (strided) args.push_back(Value::ints(sd));
      x = prims::call(r, PrimId::slice, args);
    } else {
      for (int64_t i = 0; i < rank; ++i) {
        if (!sliced[static_cast<size_t>(i)]) continue;
        int64_t len =
            (en[static_cast<size_t>(i)] - st[static_cast<size_t>(i)] + sd[static_cast<size_t>(i)] - 1) / sd[static_cast<size_t>(i)];
        Value idx = iota(r, Value::integer(len), st[static_cast<size_t>(i)], sd[static_cast<size_t>(i)], in.device);
        x = prims::call(r, PrimId::take, {x, idx, Value::integer(i)});
      }
    }
  }
  // Selects at runtime indices: take one element along the dim (it stays, size 1, until the squeeze).
  for (const auto& [dim, v] : runtime_selects) {
    const Dim n = in.shape[static_cast<size_t>(dim)];
    Value idx;
    if (is_tensor(t, v)) {
      idx = wrap_index(r, v, n);
    } else {
      auto k = known_int(t, v);
      idx = prims::call(r, PrimId::full, {Value::tuple({}), v},
                        {{"device", Value::device(in.device)}, {"dtype", Value::dtype(DType::Int64)}});
      if (!k || *k < 0) idx = wrap_index(r, idx, n);
    }
    idx = prims::call(r, PrimId::reshape, {idx, Value::ints({1})});
    x = prims::call(r, PrimId::take, {x, idx, Value::integer(dim)});
  }
  // Drop selected dims, insert new axes.
  std::vector<int64_t> drop;
  for (int64_t i = 0; i < rank; ++i)
    if (dropped[static_cast<size_t>(i)]) drop.push_back(i);
  if (!drop.empty()) x = prims::call(r, PrimId::squeeze, {x, Value::ints(drop)});
  bool new_axes = std::find(layout.begin(), layout.end(), -1) != layout.end();
  if (new_axes) {
    const Shape cur = tt_of(r, x).shape;
    Shape shape;
    std::vector<int64_t> bd;
    size_t ci = 0;
    for (size_t p = 0; p < layout.size(); ++p) {
      if (layout[p] < 0) {
        shape.push_back(Dim::constant(1));
      } else {
        shape.push_back(cur[ci++]);
        bd.push_back(static_cast<int64_t>(p));
      }
    }
    x = prims::call(r, PrimId::broadcast_in_dim, {x, shape_value(shape), Value::ints(bd)});
  }
  if (advanced.empty()) return {x};

  // Advanced indices on the basic-indexed tensor x.
  const Shape xs = tt_of(r, x).shape;
  std::vector<int64_t> pos;
  std::vector<Value> idxs;
  std::vector<Shape> ishapes;
  for (const auto& [dim, v] : advanced) {
    int64_t p = std::find(layout.begin(), layout.end(), dim) - layout.begin();
    pos.push_back(p);
    idxs.push_back(wrap_index(r, v, xs[static_cast<size_t>(p)]));
    ishapes.push_back(tt_of(r, v).shape);
  }
  Shape B = broadcast_shapes(t, kGetitem, ishapes);
  Dim nb = product_or_throw(t, kGetitem, B);
  bool adjacent = true;
  for (size_t k = 1; k < pos.size(); ++k) adjacent = adjacent && pos[k] == pos[k - 1] + 1;
  Shape rest;
  std::vector<int64_t> perm(pos.begin(), pos.end());
  for (int64_t p = 0; p < static_cast<int64_t>(xs.size()); ++p)
    if (std::find(pos.begin(), pos.end(), p) == pos.end()) {
      perm.push_back(p);
      rest.push_back(xs[static_cast<size_t>(p)]);
    }
  if (pos.size() == 1) {
    int64_t p = pos[0];
    Value flat = reshape_to(r, idxs[0], {nb});
    Value g = prims::call(r, PrimId::take, {x, flat, Value::integer(p)});
    Shape out(xs.begin(), xs.begin() + p);
    out.insert(out.end(), B.begin(), B.end());
    out.insert(out.end(), xs.begin() + p + 1, xs.end());
    return {reshape_to(r, g, out)};
  }
  // Several: move the indexed dims first, take along the first, then pick along each next one with
  // take_along_axis (no merging of dims, so symbolic sizes stay whole).
  Value g = permute_to(r, x, perm);
  g = prims::call(r, PrimId::take, {g, reshape_to(r, broadcast_to(r, idxs[0], B), {nb}), Value::integer(0)});
  for (size_t k = 1; k < idxs.size(); ++k) {
    Shape ishape(static_cast<size_t>(tt_of(r, g).rank()), Dim::constant(1));
    ishape[0] = nb;
    Value ik = reshape_to(r, broadcast_to(r, idxs[k], B), ishape);
    g = prims::call(r, PrimId::take_along_axis, {g, ik, Value::integer(1)});
    g = prims::call(r, PrimId::squeeze, {g, Value::ints({1})});
  }
  Shape out = B;
  out.insert(out.end(), rest.begin(), rest.end());
  g = reshape_to(r, g, out);
  if (adjacent && pos[0] > 0) {
    // The indexed dims were adjacent: the broadcast index dims go where they were.
    int64_t nB = static_cast<int64_t>(B.size()), p0 = pos[0];
    std::vector<int64_t> back;
    for (int64_t j = 0; j < p0; ++j) back.push_back(nB + j);
    for (int64_t j = 0; j < nB; ++j) back.push_back(j);
    for (int64_t j = p0; j < static_cast<int64_t>(rest.size()); ++j) back.push_back(nB + j);
    g = permute_to(r, g, back);
  }
  return {g};
}

}  // namespace

void register_torch_indexing_ops(SymbolTable& table) {
  table.add(python_facts(composite(std::string(kGetitem), {P("input", ParamKind::Tensor), P("key", ParamKind::Any)}, getitem), "view"));

  table.add(composite("torch.index_select", {P("input", ParamKind::Tensor), P("dim", ParamKind::Int), P("index", ParamKind::Tensor)},
                      [](Recorder& r, const Args& a) {
                        constexpr std::string_view op = "torch.index_select";
                        const Trace& t = r.trace();
                        const TensorType it = tt_of(r, a[0]);
                        const TensorType xt = tt_of(r, a[2]);
                        check_index_dtype(r, op, a[2], true);
                        KERAUNOS_TYPE_CHECK(xt.rank() <= 1, op, ": index must be 0-D or 1-D, got ", type_str(t, xt));
                        int64_t dim = canonical_dim(op, int_arg(t, op, a[1], "dim"), it.rank());
                        if (it.rank() == 0) {
                          auto n = static_numel(xt.shape);
                          KERAUNOS_TYPE_CHECK(n && *n == 1, op, ": an index into a 0-dim tensor can have only one value, got ",
                                              type_str(t, xt));
                        }
                        Value idx = reshape_to(r, a[2], {xt.rank() == 0 ? Dim::constant(1) : xt.shape[0]});
                        return Outs{prims::call(r, PrimId::take, {a[0], idx, Value::integer(dim)})};
                      }));

  table.add(composite("torch.gather",
                      {P("input", ParamKind::Tensor), P("dim", ParamKind::Int), P("index", ParamKind::Tensor),
                       KW("sparse_grad", ParamKind::Bool, Value::boolean(false))},
                      [](Recorder& r, const Args& a) {
                        constexpr std::string_view op = "torch.gather";
                        const Trace& t = r.trace();
                        check_index_dtype(r, op, a[2], true);
                        const TensorType it = tt_of(r, a[0]);
                        int64_t dim = canonical_dim(op, int_arg(t, op, a[1], "dim"), it.rank());
                        check_gather_shapes(r, op, a[0], a[2], nullptr, dim);
                        if (it.rank() <= 1) {
                          const Shape out = tt_of(r, a[2]).shape;
                          Value g = prims::call(r, PrimId::gather, {as_1d(r, a[0]), Value::integer(0), as_1d(r, a[2])});
                          return Outs{reshape_to(r, g, out)};
                        }
                        return Outs{prims::call(r, PrimId::gather, {a[0], Value::integer(dim), a[2]})};
                      }));

  // scatter(input, dim, index, src) / scatter(input, dim, index, value); reduce='add' accumulates.
  table.add(composite(
      "torch.scatter",
      {P("input", ParamKind::Tensor), P("dim", ParamKind::Int), P("index", ParamKind::Tensor), P("src", ParamKind::Any, Value::none()),
       KW("value", ParamKind::OptNumber, Value::none()), KW("reduce", ParamKind::OptStr, Value::none())},
      [](Recorder& r, const Args& a) {
        constexpr std::string_view op = "torch.scatter";
        const Trace& t = r.trace();
        KERAUNOS_TYPE_CHECK(a[3].is_none() != a[4].is_none(), op, ": expected exactly one of src (a tensor) and value (a number)");
        Value src = a[3].is_none() ? a[4] : a[3];
        bool src_tensor = is_tensor(t, src);
        KERAUNOS_TYPE_CHECK(src_tensor || src.is_number_literal() || (src.is_proxy() && !is_tensor(t, src)), op,
                            ": src must be a tensor or a number, got ", describe_value(t, src));
        check_index_dtype(r, op, a[2], true);
        const TensorType it = tt_of(r, a[0]);
        int64_t dim = canonical_dim(op, int_arg(t, op, a[1], "dim"), it.rank());
        check_gather_shapes(r, op, a[0], a[2], src_tensor ? &src : nullptr, dim);
        if (src_tensor)
          KERAUNOS_TYPE_CHECK(tt_of(r, src).dtype == it.dtype, op, ": expected src ", ts(r, src), " to have the dtype of the input ",
                              type_str(t, it));
        if (a[5].is_none()) return Outs{scatter_like(r, PrimId::scatter, a[0], dim, a[2], src)};
        const std::string& reduce = a[5].as_str();
        KERAUNOS_TYPE_CHECK(reduce == "add", op, ": reduce='", reduce,
                            "' is not supported (only reduce='add'; there is no multiplicative scatter prim)");
        DType ct = compute_dtype(it.dtype);
        Value s = src;
        if (!src_tensor) {
          Shape is = tt_of(r, a[2]).shape;
          std::vector<Value> dims;
          for (const auto& d : is) dims.push_back(dim_value(d));
          s = prims::call(r, PrimId::full, {Value::tuple(dims), src},
                          {{"device", Value::device(it.device)}, {"dtype", Value::dtype(it.dtype)}});
        }
        Value self = to_dtype(r, a[0], ct);
        Value out = scatter_like(r, PrimId::scatter_add, self, dim, a[2], to_dtype(r, s, ct));
        return Outs{to_dtype(r, out, it.dtype)};
      }));

  table.add(composite("torch.scatter_add",
                      {P("input", ParamKind::Tensor), P("dim", ParamKind::Int), P("index", ParamKind::Tensor), P("src", ParamKind::Tensor)},
                      [](Recorder& r, const Args& a) {
                        constexpr std::string_view op = "torch.scatter_add";
                        const Trace& t = r.trace();
                        check_index_dtype(r, op, a[2], true);
                        const TensorType it = tt_of(r, a[0]);
                        int64_t dim = canonical_dim(op, int_arg(t, op, a[1], "dim"), it.rank());
                        check_gather_shapes(r, op, a[0], a[2], &a[3], dim);
                        KERAUNOS_TYPE_CHECK(tt_of(r, a[3]).dtype == it.dtype, op, ": expected src ", ts(r, a[3]),
                                            " to have the dtype of the input ", type_str(t, it));
                        DType ct = compute_dtype(it.dtype);
                        Value self = to_dtype(r, a[0], ct);
                        Value out = scatter_like(r, PrimId::scatter_add, self, dim, a[2], to_dtype(r, a[3], ct));
                        return Outs{to_dtype(r, out, it.dtype)};
                      }));

  // index_add / index_copy: index is 0-D or 1-D; source matches the input outside dim and has
  // index.numel() entries along it.
  table.add(composite(
      "torch.index_add",
      {P("input", ParamKind::Tensor), P("dim", ParamKind::Int), P("index", ParamKind::Tensor), P("source", ParamKind::Tensor),
       KW("alpha", ParamKind::Number, Value::integer(1))},
      [](Recorder& r, const Args& a) {
        constexpr std::string_view op = "torch.index_add";
        const Trace& t = r.trace();
        const TensorType it = tt_of(r, a[0]);
        const TensorType xt = tt_of(r, a[2]);
        const TensorType st = tt_of(r, a[3]);
        check_index_dtype(r, op, a[2], true);
        KERAUNOS_TYPE_CHECK(xt.rank() <= 1, op, ": index must be 0-D or 1-D, got ", type_str(t, xt));
        int64_t dim = canonical_dim(op, int_arg(t, op, a[1], "dim"), it.rank());
        KERAUNOS_TYPE_CHECK(st.dtype == it.dtype, op, ": the input ", type_str(t, it), " and source ", type_str(t, st),
                            " must have the same dtype");
        KERAUNOS_TYPE_CHECK(st.rank() == it.rank(), op, ": source ", type_str(t, st), " must have the rank of the input ", type_str(t, it));
        Dim k = xt.rank() == 0 ? Dim::constant(1) : xt.shape[0];
        for (int64_t d = 0; d < it.rank(); ++d)
          KERAUNOS_TYPE_CHECK(st.shape[static_cast<size_t>(d)] == (d == dim ? k : it.shape[static_cast<size_t>(d)]), op, ": source ",
                              type_str(t, st), " must match the input ", type_str(t, it), " outside dimension ", dim, " and have ",
                              dim_str(t, k), " (the number of indices) entries along it");
        const Value& alpha = a[4];
        bool cplx_alpha = alpha.is_proxy() && t.type(alpha.as_proxy()).number.kind == NumberKind::Complex;
        KERAUNOS_TYPE_CHECK(!cplx_alpha || is_complex(it.dtype), op, ": a complex alpha needs a complex input, got ", type_str(t, it));
        DType ct = compute_dtype(it.dtype);
        Value src = to_dtype(r, a[3], ct);
        if (!(alpha == Value::integer(1))) src = prims::call(r, PrimId::mul, {src, alpha});
        Value out = prims::call(r, PrimId::index_add, {to_dtype(r, a[0], ct), Value::integer(dim), a[2], src});
        return Outs{to_dtype(r, out, it.dtype)};
      }));

  table.add(composite(
      "torch.index_copy",
      {P("input", ParamKind::Tensor), P("dim", ParamKind::Int), P("index", ParamKind::Tensor), P("source", ParamKind::Tensor)},
      [](Recorder& r, const Args& a) {
        constexpr std::string_view op = "torch.index_copy";
        const Trace& t = r.trace();
        const TensorType it = tt_of(r, a[0]);
        const TensorType xt = tt_of(r, a[2]);
        const TensorType st = tt_of(r, a[3]);
        check_index_dtype(r, op, a[2], false);
        KERAUNOS_TYPE_CHECK(xt.rank() <= 1, op, ": index should have dimension 1 or 0, got ", type_str(t, xt));
        int64_t dim = canonical_dim(op, int_arg(t, op, a[1], "dim"), it.rank());
        KERAUNOS_TYPE_CHECK(st.dtype == it.dtype, op, ": the input ", type_str(t, it), " and source ", type_str(t, st),
                            " must have the same dtype");
        Dim k = xt.rank() == 0 ? Dim::constant(1) : xt.shape[0];
        if (st.rank() == 0)
          KERAUNOS_TYPE_CHECK(k.is_constant() && k.size == 1, op, ": when source is a scalar, index should have one element, got ",
                              type_str(t, xt));
        if (it.rank() <= 1 && st.rank() <= 1) {
          Dim sn = nonempty_size(st, 0);
          KERAUNOS_TYPE_CHECK(sn == k, op, ": the number of indices (", dim_str(t, k), ") should equal the source's size (", dim_str(t, sn),
                              ")");
          Value out = prims::call(r, PrimId::index_copy, {as_1d(r, a[0]), Value::integer(0), reshape_to(r, a[2], {k}), as_1d(r, a[3])});
          return Outs{reshape_to(r, out, it.shape)};
        }
        KERAUNOS_TYPE_CHECK(st.rank() == it.rank(), op, ": source ", type_str(t, st), " and destination ", type_str(t, it),
                            " must have the same number of dimensions");
        for (int64_t d = 0; d < it.rank(); ++d)
          KERAUNOS_TYPE_CHECK(st.shape[static_cast<size_t>(d)] == (d == dim ? k : it.shape[static_cast<size_t>(d)]), op, ": source ",
                              type_str(t, st), " must match the input ", type_str(t, it), " outside dimension ", dim, " and have ",
                              dim_str(t, k), " (the number of indices) entries along it");
        return Outs{prims::call(r, PrimId::index_copy, {a[0], Value::integer(dim), a[2], a[3]})};
      }));

  table.add(composite("torch.take_along_dim",
                      {P("input", ParamKind::Tensor), P("indices", ParamKind::Tensor), P("dim", ParamKind::OptInt, Value::none())},
                      [](Recorder& r, const Args& a) {
                        constexpr std::string_view op = "torch.take_along_dim";
                        const Trace& t = r.trace();
                        check_index_dtype(r, op, a[1], false, "indices");
                        const TensorType it = tt_of(r, a[0]);
                        const TensorType xt = tt_of(r, a[1]);
                        if (a[2].is_none()) {
                          Value x = reshape_to(r, a[0], {product_or_throw(t, op, it.shape)});
                          Value i = reshape_to(r, a[1], {product_or_throw(t, op, xt.shape)});
                          return Outs{prims::call(r, PrimId::take_along_axis, {x, i, Value::integer(0)})};
                        }
                        KERAUNOS_TYPE_CHECK(it.rank() > 0, op, ": dim given for a 0-dim input ", type_str(t, it));
                        KERAUNOS_TYPE_CHECK(it.rank() == xt.rank(), op, ": input ", type_str(t, it), " and indices ", type_str(t, xt),
                                            " should have the same number of dimensions");
                        int64_t dim = canonical_dim(op, int_arg(t, op, a[2], "dim"), it.rank());
                        return Outs{prims::call(r, PrimId::take_along_axis, {a[0], a[1], Value::integer(dim)})};
                      }));

  // index_put(indices, values, accumulate): indices (tensors, as torch's Python API takes) index the
  // leading dims; values broadcast to the indexed shape. Negative indices count from the end.
  table.add(composite(
      "torch.Tensor.index_put",
      {P("input", ParamKind::Tensor), P("indices", ParamKind::Tensors), P("values", ParamKind::Tensor),
       P("accumulate", ParamKind::Bool, Value::boolean(false))},
      [](Recorder& r, const Args& a) {
        constexpr std::string_view op = "torch.Tensor.index_put";
        const Trace& t = r.trace();
        const TensorType it = tt_of(r, a[0]);
        const TensorType vt = tt_of(r, a[2]);
        const auto& ids = a[1].as_tuple();
        KERAUNOS_TYPE_CHECK(!ids.empty(), op, ": expected at least one index tensor");
        KERAUNOS_TYPE_CHECK(static_cast<int64_t>(ids.size()) <= it.rank(), op, ": too many indices for ", type_str(t, it), " (got ",
                            ids.size(), ")");
        std::vector<Shape> shapes;
        std::vector<Value> wrapped;
        for (size_t k = 0; k < ids.size(); ++k) {
          const auto& xt = tt_of(r, ids[k]);
          KERAUNOS_TYPE_CHECK(xt.dtype != DType::Bool && xt.dtype != DType::UInt8, op, ": a boolean mask index ", type_str(t, xt),
                              " selects a data-dependent number of elements; use torch.where(mask, values, input) instead");
          KERAUNOS_TYPE_CHECK(xt.dtype == DType::Int64 || xt.dtype == DType::Int32, op,
                              ": tensors used as indices must be int64 or int32, got ", type_str(t, xt));
          shapes.push_back(xt.shape);
          wrapped.push_back(wrap_index(r, ids[k], it.shape[k]));
        }
        KERAUNOS_TYPE_CHECK(vt.dtype == it.dtype, op, ": values ", type_str(t, vt), " must have the dtype of the input ", type_str(t, it));
        Shape target = broadcast_shapes(t, op, shapes);
        target.insert(target.end(), it.shape.begin() + static_cast<int64_t>(ids.size()), it.shape.end());
        bool fits = static_cast<int64_t>(vt.shape.size()) <= static_cast<int64_t>(target.size());
        if (fits) {
          Shape b = broadcast_shapes(t, op, {target, vt.shape});
          fits = b == target;
        }
        KERAUNOS_TYPE_CHECK(fits, op, ": values of shape ", shape_str(t, vt.shape), " cannot be broadcast to the indexing result of shape ",
                            shape_str(t, target));
        bool acc = a[3].as_bool();
        DType ct = acc ? compute_dtype(it.dtype) : it.dtype;
        Value out = prims::call(r, PrimId::index_put, {to_dtype(r, a[0], ct), Value::tuple(wrapped), to_dtype(r, a[2], ct), a[3]});
        return Outs{to_dtype(r, out, it.dtype)};
      }));

  table.add(composite("torch.nn.functional.one_hot", {P("tensor", ParamKind::Tensor), P("num_classes", ParamKind::Int, Value::integer(-1))},
                      [](Recorder& r, const Args& a) {
                        constexpr std::string_view op = "torch.nn.functional.one_hot";
                        const Trace& t = r.trace();
                        const TensorType it = tt_of(r, a[0]);
                        KERAUNOS_TYPE_CHECK(it.dtype == DType::Int64, op, ": only applies to an int64 index tensor, got ", type_str(t, it));
                        int64_t c = int_arg(t, op, a[1], "num_classes");
                        KERAUNOS_TYPE_CHECK(c != -1, op,
                                            ": num_classes=-1 takes the number of classes from the data (max + 1), a data-dependent size "
                                            "a trace cannot express; pass num_classes explicitly");
                        KERAUNOS_TYPE_CHECK(c > 0, op, ": num_classes must be positive, got ", c);
                        Shape out = it.shape;
                        out.push_back(Dim::constant(c));
                        std::vector<int64_t> bd(static_cast<size_t>(it.rank()));
                        std::iota(bd.begin(), bd.end(), 0);
                        Value xb = prims::call(r, PrimId::broadcast_in_dim, {a[0], shape_value(out), Value::ints(bd)});
                        Value cls = prims::call(r, PrimId::broadcast_in_dim,
                                                {iota(r, Value::integer(c), 0, 1, it.device), shape_value(out), Value::ints({it.rank()})});
                        Value eq = prims::call(r, PrimId::eq, {xb, cls});
                        return Outs{prims::call(r, PrimId::convert_element_type, {eq, Value::dtype(DType::Int64)})};
                      }));
}

}  // namespace keraunos::ops
