// Torch-level shape and view ops: reshape/view/flatten/unflatten, (un)squeeze, permutes,
// expand/broadcast_to, copies, splits (chunk/split/tensor_split/unbind), cat/stack and friends,
// narrow/select, roll, repeat/repeat_interleave, flip, tril/triu, masked_fill, atleast_Nd, pad.
//
// Our IR is functional: a view is a new value computed by prims (reshape, transpose, slice,
// broadcast_in_dim, squeeze); nothing aliases. torch.Tensor.view therefore behaves like
// torch.reshape (it accepts views that torch would refuse for a non-contiguous input's strides).
//
// Symbolic sizes (Dim::symbolic) flow through where an op does not need the size's value: a
// reshape or flatten whose symbolic dims cancel or stay whole, expand/broadcast to symbolic sizes,
// permutes, unsqueeze/squeeze of other dims, slices of other dims (through prims.take on an iota,
// since prims.slice needs constant bounds on every dim). Ops that need a symbolic size's value
// (slicing that dim, splitting it, rolling it, padding it) reject it with an error saying so.
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

constexpr Composites composite{kTagShape};

int64_t rank_of(Recorder& r, const Value& v) { return tt_of(r, v).rank(); }

std::optional<int64_t> int_value(const Trace& t, const Value& v) {
  if (v.is_int()) return v.as_int();
  if (v.is_proxy() && !t.type(v.as_proxy()).is_tensor && t.type(v.as_proxy()).number.int_value)
    return *t.type(v.as_proxy()).number.int_value;
  return std::nullopt;
}

std::vector<int64_t> ints_arg(const Trace& t, std::string_view op, const Value& v, std::string_view what) {
  std::vector<int64_t> out;
  if (!v.is_tuple()) return {int_arg(t, op, v, what)};
  for (const auto& e : v.as_tuple()) out.push_back(int_arg(t, op, e, what));
  return out;
}

std::string ints_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

int64_t static_size(const Trace& t, std::string_view op, const TensorType& tt, int64_t dim) {
  const Dim& d = tt.shape[static_cast<size_t>(dim)];
  KERAUNOS_TYPE_CHECK(d.is_constant(), op, ": dimension ", dim, " of ", type_str(t, tt), " has the symbolic size ", dim_str(t, d),
                      "; this op needs that size at trace time");
  return d.size;
}

// broadcast_in_dim with the input's dims at `bdims` of `shape`.
Value bcast(Recorder& r, const Value& a, const Shape& shape, const std::vector<int64_t>& bdims) {
  if (tt_of(r, a).shape == shape) return a;
  return prims::call(r, PrimId::broadcast_in_dim, {a, shape_value(shape), Value::ints(bdims)});
}

Value unsqueeze_at(Recorder& r, const Value& a, int64_t dim) {
  const auto& tt = tt_of(r, a);
  Shape shape = tt.shape;
  shape.insert(shape.begin() + dim, Dim::constant(1));
  std::vector<int64_t> bd;
  for (int64_t i = 0; i <= tt.rank(); ++i)
    if (i != dim) bd.push_back(i);
  return prims::call(r, PrimId::broadcast_in_dim, {a, shape_value(shape), Value::ints(bd)});
}

Value squeeze_dims(Recorder& r, const Value& a, std::vector<int64_t> dims) {
  if (dims.empty()) return a;
  std::sort(dims.begin(), dims.end());
  return prims::call(r, PrimId::squeeze, {a, Value::ints(dims)});
}

Value iota(Recorder& r, const Value& length, int64_t start, int64_t step, const Device& dev) {
  return prims::call(r, PrimId::iota, {length},
                     {{"start", Value::integer(start)},
                      {"step", Value::integer(step)},
                      {"device", Value::device(dev)},
                      {"dtype", Value::dtype(DType::Int64)}});
}

// a[..., start:end:step, ...] along `dim` (bounds already in range). prims.slice needs constant
// bounds on every dim, so with symbolic sizes elsewhere the slice is a take of an iota.
Value slice_dim(Recorder& r, std::string_view op, const Value& a, int64_t dim, int64_t start, int64_t end, int64_t step = 1) {
  const auto& tt = tt_of(r, a);
  int64_t n = static_size(r.trace(), op, tt, dim);
  if (start == 0 && end == n && step == 1) return a;
  int64_t len = end > start ? (end - start + step - 1) / step : 0;
  if (has_symbolic(tt.shape)) {
    Value idx = iota(r, Value::integer(len), start, step, tt.device);
    return prims::call(r, PrimId::take, {a, idx, Value::integer(dim)});
  }
  std::vector<int64_t> st(static_cast<size_t>(tt.rank()), 0), en, sd(static_cast<size_t>(tt.rank()), 1);
  for (const auto& d : tt.shape) en.push_back(d.size);
  st[static_cast<size_t>(dim)] = start;
  en[static_cast<size_t>(dim)] = end < start ? start : end;
  sd[static_cast<size_t>(dim)] = step;
  if (step == 1) return prims::call(r, PrimId::slice, {a, Value::ints(st), Value::ints(en)});
  return prims::call(r, PrimId::slice, {a, Value::ints(st), Value::ints(en), Value::ints(sd)});
}

// Python's slice clamping of one bound (None handled by the caller).
int64_t clamp_bound(int64_t v, int64_t n) {
  if (v < 0) v += n;
  return std::clamp<int64_t>(v, 0, n);
}

// a.select(dim, index) where index is an int literal, a number proxy (known or not) or a 0-d
// integer tensor. A value unknown at trace time is wrapped (negative counts from the end) and
// gathered with prims.take; its range is the runtime's to check.
Value select_at(Recorder& r, std::string_view op, const Value& a, int64_t dim, const Value& index) {
  const Trace& t = r.trace();
  const auto& tt = tt_of(r, a);
  const Dim n = tt.shape[static_cast<size_t>(dim)];
  std::optional<int64_t> known;
  if (index.is_int())
    known = index.as_int();
  else if (index.is_proxy() && !t.type(index.as_proxy()).is_tensor && t.type(index.as_proxy()).number.int_value)
    known = *t.type(index.as_proxy()).number.int_value;
  if (known && n.is_constant()) {
    KERAUNOS_TYPE_CHECK(*known >= -n.size && *known < n.size, op, ": index ", *known, " is out of range for dimension ", dim, " of ",
                        type_str(t, tt), " (size ", n.size, ")");
    int64_t i = *known < 0 ? *known + n.size : *known;
    return squeeze_dims(r, slice_dim(r, op, a, dim, i, i + 1), {dim});
  }
  Value idx;
  bool maybe_negative = !known || *known < 0;
  if (is_tensor(t, index)) {
    idx = to_dtype(r, index, DType::Int64);
  } else {
    idx = prims::call(r, PrimId::full, {Value::tuple({}), known ? Value::integer(*known) : index},
                      {{"device", Value::device(tt.device)}, {"dtype", Value::dtype(DType::Int64)}});
  }
  if (maybe_negative) {
    Value neg = prims::call(r, PrimId::lt, {idx, Value::integer(0)});
    Value wrapped = prims::call(r, PrimId::add, {idx, dim_value(n)});
    idx = prims::call(r, PrimId::where, {neg, wrapped, idx});
  }
  idx = prims::call(r, PrimId::reshape, {idx, Value::ints({1})});
  Value g = prims::call(r, PrimId::take, {a, idx, Value::integer(dim)});
  return squeeze_dims(r, g, {dim});
}

// ---- reshape: -1 inference, symbolic sizes --------------------------------------------------

struct Factors {
  int64_t c = 1;
  std::vector<ProxyId> syms;  // sorted
};

Factors factor(const Shape& s) {
  Factors f;
  for (const auto& d : s) {
    if (d.is_symbolic())
      f.syms.push_back(d.sym);
    else
      f.c *= d.size;
  }
  std::sort(f.syms.begin(), f.syms.end());
  return f;
}

void cancel(Factors& a, Factors& b) {
  std::vector<ProxyId> ra, rb;
  std::set_difference(a.syms.begin(), a.syms.end(), b.syms.begin(), b.syms.end(), std::back_inserter(ra));
  std::set_difference(b.syms.begin(), b.syms.end(), a.syms.begin(), a.syms.end(), std::back_inserter(rb));
  a.syms = std::move(ra);
  b.syms = std::move(rb);
}

// The shape `req` (entries may be -1 once) for a tensor of shape `in`, as torch.reshape infers it.
Shape infer_shape(const Trace& t, std::string_view op, const Shape& in, const std::vector<Dim>& req) {
  int64_t infer = -1;
  for (size_t i = 0; i < req.size(); ++i) {
    if (req[i].is_symbolic()) continue;
    if (req[i].size == -1) {
      KERAUNOS_TYPE_CHECK(infer < 0, op, ": only one dimension can be inferred, got the shape ", shape_str(t, req));
      infer = static_cast<int64_t>(i);
    } else {
      KERAUNOS_TYPE_CHECK(req[i].size >= 0, op, ": invalid shape dimension ", req[i].size, " at index ", i, " of shape ",
                          shape_str(t, req));
    }
  }
  Shape out(req.begin(), req.end());
  Factors fi = factor(in);
  Shape known;
  for (size_t i = 0; i < req.size(); ++i)
    if (static_cast<int64_t>(i) != infer) known.push_back(req[i]);
  Factors fo = factor(known);
  auto numel_str = [&]() {
    auto n = static_numel(in);
    return n ? std::to_string(*n) : shape_str(t, in);
  };
  if (infer >= 0) {
    if (fo.c == 0) {
      bool zero_in = fi.c == 0;
      KERAUNOS_TYPE_CHECK(false, op, zero_in ? ": cannot reshape a tensor of 0 elements into shape " : ": shape ", shape_str(t, req),
                          zero_in ? " because the unspecified dimension size -1 can be any value and is ambiguous"
                                  : str(" is invalid for an input of size ", numel_str()));
    }
    if (fi.c == 0) {
      out[static_cast<size_t>(infer)] = Dim::constant(0);
      return out;
    }
    cancel(fi, fo);
    if (fi.syms.empty() && fo.syms.empty()) {
      KERAUNOS_TYPE_CHECK(fi.c % fo.c == 0, op, ": shape ", shape_str(t, req), " is invalid for an input of size ", numel_str());
      out[static_cast<size_t>(infer)] = Dim::constant(fi.c / fo.c);
      return out;
    }
    KERAUNOS_TYPE_CHECK(fo.syms.empty() && fi.syms.size() == 1 && fi.c == fo.c, op, ": cannot infer the -1 in shape ", shape_str(t, req),
                        " for an input of shape ", shape_str(t, in),
                        " at trace time: the inferred size would not be a single symbolic size (pass the sizes explicitly)");
    out[static_cast<size_t>(infer)] = Dim::symbolic(fi.syms[0]);
    return out;
  }
  if (fi.c == 0 || fo.c == 0) {
    KERAUNOS_TYPE_CHECK(fi.c == 0 && fo.c == 0, op, ": shape ", shape_str(t, req), " is invalid for an input of shape ", shape_str(t, in),
                        " (", numel_str(), " elements)");
    return out;
  }
  bool all_static = fi.syms.empty() && fo.syms.empty();
  cancel(fi, fo);
  if (all_static)
    KERAUNOS_TYPE_CHECK(fi.c == fo.c, op, ": shape ", shape_str(t, req), " is invalid for an input of size ", fi.c);
  else
    KERAUNOS_TYPE_CHECK(fi.c == fo.c && fi.syms.empty() && fo.syms.empty(), op, ": cannot prove at trace time that shape ",
                        shape_str(t, req), " has as many elements as the input shape ", shape_str(t, in));
  return out;
}

Outs reshape_impl(Recorder& r, std::string_view op, const Value& a, const Value& shape) {
  const auto& tt = tt_of(r, a);
  Shape s = infer_shape(r.trace(), op, tt.shape, dims_from_value(r.trace(), shape));
  return {reshape_to(r, a, s)};
}

Value flatten_all(Recorder& r, std::string_view op, const Value& a) {
  const auto& tt = tt_of(r, a);
  return reshape_to(r, a, {product_or_throw(r.trace(), op, tt.shape)});
}

// ---- expand ----------------------------------------------------------------------------------

Value expand_impl(Recorder& r, std::string_view op, const Value& a, const std::vector<Dim>& sizes) {
  const Trace& t = r.trace();
  const auto& tt = tt_of(r, a);
  int64_t n = static_cast<int64_t>(sizes.size()), rank = tt.rank();
  KERAUNOS_TYPE_CHECK(n >= rank, op, ": the number of sizes provided (", n, ") must be greater or equal to the number of dimensions in ",
                      type_str(t, tt), " (", rank, ")");
  Shape out;
  std::vector<int64_t> bd;
  for (int64_t i = 0; i < n; ++i) {
    const Dim& s = sizes[static_cast<size_t>(i)];
    int64_t j = i - (n - rank);
    if (j < 0) {
      KERAUNOS_TYPE_CHECK(s.is_symbolic() || s.size >= 0, op, ": the expanded size ", s.size,
                          " isn't allowed in a leading, non-existing dimension ", i, " (sizes ", shape_str(t, sizes), ")");
      out.push_back(s);
      continue;
    }
    bd.push_back(i);
    const Dim& d = tt.shape[static_cast<size_t>(j)];
    if (s.is_constant() && s.size == -1) {
      out.push_back(d);
      continue;
    }
    KERAUNOS_TYPE_CHECK(s.is_symbolic() || s.size >= 0, op, ": invalid size ", s.size, " in ", shape_str(t, sizes),
                        " (sizes are non-negative, or -1 to keep a dimension)");
    KERAUNOS_TYPE_CHECK(s == d || (d.is_constant() && d.size == 1), op, ": the expanded size of the tensor (", dim_str(t, s),
                        ") must match the existing size (", dim_str(t, d), ") at non-singleton dimension ", i, "; target sizes ",
                        shape_str(t, sizes), ", tensor ", type_str(t, tt));
    out.push_back(s);
  }
  return bcast(r, a, out, bd);
}

// ---- cat -------------------------------------------------------------------------------------

Value cat_impl(Recorder& r, std::string_view op, const std::vector<Value>& ts, int64_t dim_arg) {
  const Trace& t = r.trace();
  KERAUNOS_TYPE_CHECK(!ts.empty(), op, ": expected a non-empty list of tensors");
  for (size_t i = 0; i < ts.size(); ++i)
    KERAUNOS_TYPE_CHECK(rank_of(r, ts[i]) > 0, op, ": zero-dimensional tensor (at position ", i, ") cannot be concatenated; got ",
                        op_helpers::ts(r, ts[i]));
  DType dt = result_type(t, ts);
  // torch skips 1-D tensors of size 0 (a legacy rule) when other tensors are there.
  auto legacy = [&](const Value& v) {
    const auto& s = tt_of(r, v).shape;
    return s.size() == 1 && s[0].is_constant() && s[0].size == 0;
  };
  std::vector<Value> kept;
  for (const auto& v : ts)
    if (!legacy(v)) kept.push_back(v);
  if (kept.empty()) kept.push_back(ts[0]);
  const TensorType ref = tt_of(r, kept[0]);
  int64_t dim = canonical_dim(op, dim_arg, ref.rank());
  for (size_t i = 0; i < kept.size(); ++i) {
    const auto& tt = tt_of(r, kept[i]);
    KERAUNOS_TYPE_CHECK(tt.device == ref.device, op, ": expected all tensors on the same device, got ", type_str(t, ref), " and ",
                        type_str(t, tt));
    KERAUNOS_TYPE_CHECK(tt.rank() == ref.rank(), op, ": tensors must have the same number of dimensions: got ", type_str(t, ref), " and ",
                        type_str(t, tt));
    for (int64_t d = 0; d < ref.rank(); ++d) {
      if (d == dim) continue;
      KERAUNOS_TYPE_CHECK(tt.shape[static_cast<size_t>(d)] == ref.shape[static_cast<size_t>(d)], op,
                          ": sizes of tensors must match except in dimension ", dim, "; got ", type_str(t, ref), " and ", type_str(t, tt));
    }
  }
  std::vector<Value> conv;
  for (const auto& v : kept) conv.push_back(to_dtype(r, v, dt));
  if (conv.size() == 1) return conv[0];
  return prims::call(r, PrimId::cat, {Value::tuple(conv), Value::integer(dim)});
}

std::vector<Value> tensors_of(const Value& v) { return v.as_tuple(); }

Value atleast(Recorder& r, const Value& a, int n) {
  const auto& tt = tt_of(r, a);
  int64_t rank = tt.rank();
  if (rank >= n) return a;
  Shape s = tt.shape;
  if (n == 1) return reshape_to(r, a, {Dim::constant(1)});
  if (n == 2) {
    if (rank == 0) return reshape_to(r, a, {Dim::constant(1), Dim::constant(1)});
    return unsqueeze_at(r, a, 0);  // (n) -> (1, n)
  }
  // n == 3
  if (rank == 0) return reshape_to(r, a, {Dim::constant(1), Dim::constant(1), Dim::constant(1)});
  if (rank == 1)
    return prims::call(r, PrimId::broadcast_in_dim, {a, shape_value({Dim::constant(1), s[0], Dim::constant(1)}), Value::ints({1})});
  return unsqueeze_at(r, a, 2);  // (m, n) -> (m, n, 1)
}

// ---- splits ----------------------------------------------------------------------------------

// Pieces (start, length) along a dim of size n.
using Pieces = std::vector<std::pair<int64_t, int64_t>>;

Pieces split_by_size(std::string_view op, int64_t n, int64_t s) {
  KERAUNOS_TYPE_CHECK(s >= 0, op, ": split_size must be non-negative, got ", s);
  KERAUNOS_TYPE_CHECK(s > 0 || n == 0, op, ": split_size can only be 0 if the dimension size is 0, but the size is ", n);
  int64_t num = s == 0 ? 1 : std::max<int64_t>((n + s - 1) / s, 1);
  Pieces p;
  for (int64_t i = 0; i < num; ++i) {
    int64_t start = i * s;
    p.emplace_back(start, std::min(s, n - start) < 0 ? 0 : std::min(s, n - start));
  }
  return p;
}

Pieces split_by_sizes(std::string_view op, int64_t n, const std::vector<int64_t>& sizes) {
  int64_t sum = 0;
  for (int64_t s : sizes) {
    KERAUNOS_TYPE_CHECK(s >= 0, op, ": split_sizes must be non-negative, got ", ints_str(sizes));
    sum += s;
  }
  KERAUNOS_TYPE_CHECK(sum == n, op, ": split_sizes must sum exactly to ", n, " (the size of the split dimension), got ", ints_str(sizes));
  Pieces p;
  int64_t start = 0;
  for (int64_t s : sizes) {
    p.emplace_back(start, s);
    start += s;
  }
  return p;
}

Outs take_pieces(Recorder& r, std::string_view op, const Value& a, int64_t dim, const Pieces& pieces) {
  Outs out;
  for (auto [start, len] : pieces) out.push_back(slice_dim(r, op, a, dim, start, start + len));
  return out;
}

// Dim arguments for split-like ops: a 1-D or higher tensor and a static size along the dim.
std::pair<int64_t, int64_t> split_dim(Recorder& r, std::string_view op, const Value& a, const Value& dim_v) {
  const auto& tt = tt_of(r, a);
  KERAUNOS_TYPE_CHECK(tt.rank() > 0, op, ": expected a tensor with at least one dimension, got ", type_str(r.trace(), tt));
  int64_t dim = canonical_dim(op, int_arg(r.trace(), op, dim_v, "dim"), tt.rank());
  return {dim, static_size(r.trace(), op, tt, dim)};
}

// ---- roll ------------------------------------------------------------------------------------

Value roll_dim(Recorder& r, std::string_view op, const Value& a, int64_t dim, int64_t shift) {
  int64_t n = static_size(r.trace(), op, tt_of(r, a), dim);
  if (n == 0) return a;
  int64_t s = ((shift % n) + n) % n;
  if (s == 0) return a;
  Value tail = slice_dim(r, op, a, dim, n - s, n);
  Value head = slice_dim(r, op, a, dim, 0, n - s);
  return prims::call(r, PrimId::cat, {Value::tuple({tail, head}), Value::integer(dim)});
}

// ---- repeat_interleave -----------------------------------------------------------------------

// For repeats (n,) int64 and the output size: the input position of each output position,
// idx[j] = #{i : cumsum(repeats)[i] <= j}.
Value interleave_index(Recorder& r, const Value& reps, const Value& out_size) {
  const auto& rt = tt_of(r, reps);
  Dim n = rt.shape[0];
  Dim o = dim_from_value(r.trace(), out_size);
  Value cum = prims::call(r, PrimId::cumsum, {reps, Value::integer(0)});
  Value j = prims::call(r, PrimId::iota, {out_size}, {{"device", Value::device(rt.device)}, {"dtype", Value::dtype(DType::Int64)}});
  Shape grid{o, n};
  Value cb = prims::call(r, PrimId::broadcast_in_dim, {cum, shape_value(grid), Value::ints({1})});
  Value jb = prims::call(r, PrimId::broadcast_in_dim, {j, shape_value(grid), Value::ints({0})});
  Value le = prims::call(r, PrimId::le, {cb, jb});
  Value cnt = prims::call(r, PrimId::convert_element_type, {le, Value::dtype(DType::Int64)});
  return prims::call(r, PrimId::sum, {cnt, Value::ints({1})});
}

// ---- memory formats --------------------------------------------------------------------------

// torch.memory_format values travel as their names ("contiguous_format", "preserve_format", ...).
std::string memory_format_name(const Trace& t, std::string_view op, const Value& v) {
  KERAUNOS_TYPE_CHECK(v.is_str(), op, ": memory_format must be a torch.memory_format (passed by name, e.g. 'contiguous_format'), got ",
                      describe_value(t, v));
  std::string s = v.as_str();
  if (s.rfind("torch.", 0) == 0) s = s.substr(6);
  return s;
}

void check_memory_format(const Trace& t, std::string_view op, const Value& v) {
  std::string s = memory_format_name(t, op, v);
  KERAUNOS_TYPE_CHECK(s == "contiguous_format" || s == "preserve_format", op, ": memory_format ", s,
                      " is not supported: keraunos traces are functional and carry no strides, so only "
                      "torch.contiguous_format (and torch.preserve_format) can be honoured");
}

}  // namespace

void register_torch_shape_ops(SymbolTable& table) {
  // ---- reshape family ----
  table.add(python_facts(composite("torch.reshape", {P("input", ParamKind::Tensor), P("shape", ParamKind::Ints)},
                                   [](Recorder& r, const Args& a) { return reshape_impl(r, "torch.reshape", a[0], a[1]); }),
                         "torch.Tensor.reshape view varargs=1"));
  // view(size); view(dtype) reinterprets bytes (a bitcast), which no prim expresses: rejected.
  table.add(python_facts(composite("torch.Tensor.view", {P("input", ParamKind::Tensor), P("size", ParamKind::Any)},
                                   [](Recorder& r, const Args& a) {
                                     constexpr std::string_view op = "torch.Tensor.view";
                                     if (a[1].is_dtype() && a[1].as_dtype() == tt_of(r, a[0]).dtype) return Outs{a[0]};
                                     KERAUNOS_TYPE_CHECK(!a[1].is_dtype(), op, ": view(dtype) reinterprets the tensor's bytes as ",
                                                         torch_name(a[1].as_dtype()),
                                                         " (a bitcast), which keraunos has no prim for; use .to(dtype) to convert values");
                                     KERAUNOS_TYPE_CHECK(
                                         a[1].is_tuple() || a[1].is_int() || (a[1].is_proxy() && !is_tensor(r.trace(), a[1])), op,
                                         ": size must be a sequence of ints, got ", describe_value(r.trace(), a[1]));
                                     return reshape_impl(r, op, a[0], a[1]);
                                   }),
                         "view varargs=1"));

  table.add(python_facts(composite("torch.flatten",
                                   {P("input", ParamKind::Tensor), P("start_dim", ParamKind::Int, Value::integer(0)),
                                    P("end_dim", ParamKind::Int, Value::integer(-1))},
                                   [](Recorder& r, const Args& a) {
                                     constexpr std::string_view op = "torch.flatten";
                                     const Trace& t = r.trace();
                                     const TensorType tt = tt_of(r, a[0]);
                                     int64_t s = canonical_dim(op, int_arg(t, op, a[1], "start_dim"), tt.rank());
                                     int64_t e = canonical_dim(op, int_arg(t, op, a[2], "end_dim"), tt.rank());
                                     if (tt.rank() == 0) return Outs{reshape_to(r, a[0], {Dim::constant(1)})};
                                     KERAUNOS_TYPE_CHECK(s <= e, op, ": start_dim (", s, ") cannot come after end_dim (", e, ") for ",
                                                         type_str(t, tt));
                                     if (s == e) return Outs{a[0]};
                                     Shape mid(tt.shape.begin() + s, tt.shape.begin() + e + 1);
                                     Shape out(tt.shape.begin(), tt.shape.begin() + s);
                                     out.push_back(product_or_throw(t, op, mid));
                                     out.insert(out.end(), tt.shape.begin() + e + 1, tt.shape.end());
                                     return Outs{reshape_to(r, a[0], out)};
                                   }),
                         "torch.Tensor.flatten view"));

  table.add(python_facts(
      composite("torch.unflatten", {P("input", ParamKind::Tensor), P("dim", ParamKind::Int), P("sizes", ParamKind::Ints)},
                [](Recorder& r, const Args& a) {
                  constexpr std::string_view op = "torch.unflatten";
                  const Trace& t = r.trace();
                  const TensorType tt = tt_of(r, a[0]);
                  KERAUNOS_TYPE_CHECK(tt.rank() > 0, op, ": expected a tensor with at least one dimension, got ", type_str(t, tt));
                  int64_t d = canonical_dim(op, int_arg(t, op, a[1], "dim"), tt.rank());
                  auto sizes = dims_from_value(t, a[2]);
                  KERAUNOS_TYPE_CHECK(!sizes.empty(), op, ": sizes must be non-empty");
                  Shape inner = infer_shape(t, op, {tt.shape[static_cast<size_t>(d)]}, sizes);
                  Shape out(tt.shape.begin(), tt.shape.begin() + d);
                  out.insert(out.end(), inner.begin(), inner.end());
                  out.insert(out.end(), tt.shape.begin() + d + 1, tt.shape.end());
                  return Outs{reshape_to(r, a[0], out)};
                }),
      "view"));

  table.add(python_facts(composite("torch.unsqueeze", {P("input", ParamKind::Tensor), P("dim", ParamKind::Int)},
                                   [](Recorder& r, const Args& a) {
                                     constexpr std::string_view op = "torch.unsqueeze";
                                     int64_t rank = rank_of(r, a[0]);
                                     int64_t d = canonical_dim(op, int_arg(r.trace(), op, a[1], "dim"), rank + 1);
                                     return Outs{unsqueeze_at(r, a[0], d)};
                                   }),
                         "torch.Tensor.unsqueeze view"));

  // squeeze: dims of size 1 go; others stay (as torch). Symbolic sizes are taken as != 1.
  table.add(python_facts(composite("torch.squeeze", {P("input", ParamKind::Tensor), P("dim", ParamKind::OptInts, Value::none())},
                                   [](Recorder& r, const Args& a) {
                                     constexpr std::string_view op = "torch.squeeze";
                                     const TensorType tt = tt_of(r, a[0]);
                                     std::vector<int64_t> dims;
                                     if (a[1].is_none()) {
                                       for (int64_t i = 0; i < tt.rank(); ++i) dims.push_back(i);
                                     } else {
                                       dims = canonical_dims(op, ints_arg(r.trace(), op, a[1], "dim"), tt.rank());
                                     }
                                     std::vector<int64_t> drop;
                                     for (int64_t d : dims) {
                                       if (tt.rank() == 0) continue;
                                       const Dim& s = tt.shape[static_cast<size_t>(d)];
                                       if (s.is_constant() && s.size == 1) drop.push_back(d);
                                     }
                                     return Outs{squeeze_dims(r, a[0], drop)};
                                   }),
                         "torch.Tensor.squeeze view"));

  // ---- permutations ----
  table.add(python_facts(composite("torch.permute", {P("input", ParamKind::Tensor), P("dims", ParamKind::Ints)},
                                   [](Recorder& r, const Args& a) {
                                     constexpr std::string_view op = "torch.permute";
                                     const TensorType tt = tt_of(r, a[0]);
                                     auto dims = ints_arg(r.trace(), op, a[1], "dims");
                                     KERAUNOS_TYPE_CHECK(static_cast<int64_t>(dims.size()) == tt.rank(), op, ": the number of dims ",
                                                         ints_str(dims), " does not match the rank of ", type_str(r.trace(), tt), " (",
                                                         tt.rank(), ")");
                                     if (tt.rank() == 0) return Outs{a[0]};
                                     return Outs{permute_to(r, a[0], canonical_dims(op, dims, tt.rank()))};
                                   }),
                         "torch.Tensor.permute view varargs=1"));

  for (const char* id : {"torch.transpose", "torch.swapaxes"}) {
    bool swap = std::string_view(id) == "torch.swapaxes";
    std::string sid = id;
    table.add(python_facts(
        composite(sid,
                  {P("input", ParamKind::Tensor), P(swap ? "axis0" : "dim0", ParamKind::Int), P(swap ? "axis1" : "dim1", ParamKind::Int)},
                  [sid](Recorder& r, const Args& a) {
                    int64_t rank = rank_of(r, a[0]);
                    int64_t d0 = canonical_dim(sid, int_arg(r.trace(), sid, a[1], "dim0"), rank);
                    int64_t d1 = canonical_dim(sid, int_arg(r.trace(), sid, a[2], "dim1"), rank);
                    if (rank == 0 || d0 == d1) return Outs{a[0]};
                    std::vector<int64_t> perm(static_cast<size_t>(rank));
                    std::iota(perm.begin(), perm.end(), 0);
                    std::swap(perm[static_cast<size_t>(d0)], perm[static_cast<size_t>(d1)]);
                    return Outs{permute_to(r, a[0], perm)};
                  }),
        swap ? "view" : "torch.Tensor.transpose view"));
  }

  table.add(python_facts(composite("torch.t", {P("input", ParamKind::Tensor)},
                                   [](Recorder& r, const Args& a) {
                                     int64_t rank = rank_of(r, a[0]);
                                     KERAUNOS_TYPE_CHECK(rank <= 2, "torch.t: expects a tensor with <= 2 dimensions, got ", ts(r, a[0]));
                                     if (rank < 2) return Outs{a[0]};
                                     return Outs{permute_to(r, a[0], {1, 0})};
                                   }),
                         "torch.Tensor.t view"));

  table.add(python_facts(
      composite("torch.movedim", {P("input", ParamKind::Tensor), P("source", ParamKind::Ints), P("destination", ParamKind::Ints)},
                [](Recorder& r, const Args& a) {
                  constexpr std::string_view op = "torch.movedim";
                  const Trace& t = r.trace();
                  int64_t rank = rank_of(r, a[0]);
                  auto src = ints_arg(t, op, a[1], "source"), dst = ints_arg(t, op, a[2], "destination");
                  KERAUNOS_TYPE_CHECK(src.size() == dst.size(), op, ": source ", ints_str(src), " and destination ", ints_str(dst),
                                      " must have the same number of dims");
                  auto s = canonical_dims(op, src, rank), d = canonical_dims(op, dst, rank);
                  if (rank == 0) return Outs{a[0]};
                  std::vector<int64_t> perm(static_cast<size_t>(rank), -1);
                  std::vector<bool> used(static_cast<size_t>(rank), false);
                  for (size_t i = 0; i < s.size(); ++i) {
                    perm[static_cast<size_t>(d[i])] = s[i];
                    used[static_cast<size_t>(s[i])] = true;
                  }
                  int64_t next = 0;
                  for (auto& p : perm) {
                    if (p >= 0) continue;
                    while (used[static_cast<size_t>(next)]) ++next;
                    p = next++;
                  }
                  return Outs{permute_to(r, a[0], perm)};
                }),
      "view"));

  // ---- expand / broadcast ----
  table.add(python_facts(
      composite(
          "torch.Tensor.expand",
          {P("input", ParamKind::Tensor), P("size", ParamKind::Ints), KW("implicit", ParamKind::Bool, Value::boolean(false))},
          [](Recorder& r, const Args& a) { return Outs{expand_impl(r, "torch.Tensor.expand", a[0], dims_from_value(r.trace(), a[1]))}; }),
      "view varargs=1"));
  table.add(python_facts(composite("torch.broadcast_to", {P("input", ParamKind::Tensor), P("size", ParamKind::Ints)},
                                   [](Recorder& r, const Args& a) {
                                     return Outs{expand_impl(r, "torch.broadcast_to", a[0], dims_from_value(r.trace(), a[1]))};
                                   }),
                         "view"));
  table.add(python_facts(composite("torch.Tensor.expand_as", {P("input", ParamKind::Tensor), P("other", ParamKind::Tensor)},
                                   [](Recorder& r, const Args& a) {
                                     Shape s = tt_of(r, a[1]).shape;
                                     return Outs{expand_impl(r, "torch.Tensor.expand_as", a[0], s)};
                                   }),
                         "view"));

  // ---- copies ----
  table.add(python_facts(composite("torch.Tensor.contiguous",
                                   {P("input", ParamKind::Tensor), KW("memory_format", ParamKind::Any, Value::string("contiguous_format"))},
                                   [](Recorder& r, const Args& a) {
                                     check_memory_format(r.trace(), "torch.Tensor.contiguous", a[1]);
                                     return Outs{a[0]};
                                   }),
                         "view"));
  table.add(composite("torch.clone", {P("input", ParamKind::Tensor), KW("memory_format", ParamKind::Any, Value::string("preserve_format"))},
                      [](Recorder& r, const Args& a) {
                        check_memory_format(r.trace(), "torch.clone", a[1]);
                        return Outs{a[0]};
                      }));

  // ---- splits ----
  table.add(python_facts(
      composite("torch.chunk", {P("input", ParamKind::Tensor), P("chunks", ParamKind::Int), P("dim", ParamKind::Int, Value::integer(0))},
                [](Recorder& r, const Args& a) {
                  constexpr std::string_view op = "torch.chunk";
                  auto [dim, n] = split_dim(r, op, a[0], a[2]);
                  int64_t chunks = int_arg(r.trace(), op, a[1], "chunks");
                  KERAUNOS_TYPE_CHECK(chunks > 0, op, ": chunks must be greater than 0, got ", chunks);
                  int64_t size = (n + chunks - 1) / chunks;
                  Pieces p;
                  if (size == 0 && n == 0)
                    p.assign(static_cast<size_t>(chunks), {0, 0});
                  else
                    p = split_by_size(op, n, size);
                  return take_pieces(r, op, a[0], dim, p);
                }),
      "view"));
  table.add(python_facts(
      composite("torch.split",
                {P("tensor", ParamKind::Tensor), P("split_size_or_sections", ParamKind::Any), P("dim", ParamKind::Int, Value::integer(0))},
                [](Recorder& r, const Args& a) {
                  constexpr std::string_view op = "torch.split";
                  const Trace& t = r.trace();
                  auto [dim, n] = split_dim(r, op, a[0], a[2]);
                  const Value& s = a[1];
                  KERAUNOS_TYPE_CHECK(s.is_int() || s.is_tuple() || (s.is_proxy() && !is_tensor(t, s)), op,
                                      ": split_size_or_sections must be an int or a sequence of ints, got ", describe_value(t, s));
                  Pieces p = s.is_tuple() ? split_by_sizes(op, n, ints_arg(t, op, s, "split sizes"))
                                          : split_by_size(op, n, int_arg(t, op, s, "split_size"));
                  return take_pieces(r, op, a[0], dim, p);
                }),
      "view"));
  table.add(python_facts(
      composite("torch.tensor_split",
                {P("input", ParamKind::Tensor), P("indices_or_sections", ParamKind::Any), P("dim", ParamKind::Int, Value::integer(0))},
                [](Recorder& r, const Args& a) {
                  constexpr std::string_view op = "torch.tensor_split";
                  const Trace& t = r.trace();
                  const Value& s = a[1];
                  KERAUNOS_TYPE_CHECK(!is_tensor(t, s), op,
                                      ": a tensor of indices_or_sections gives data-dependent output sizes; pass an int or a "
                                      "sequence of ints");
                  KERAUNOS_TYPE_CHECK(s.is_int() || s.is_tuple() || s.is_proxy(), op,
                                      ": indices_or_sections must be an int or a sequence of ints, got ", describe_value(t, s));
                  auto [dim, n] = split_dim(r, op, a[0], a[2]);
                  Pieces p;
                  if (s.is_tuple()) {
                    auto idx = ints_arg(t, op, s, "indices");
                    int64_t prev = 0;
                    for (size_t i = 0; i <= idx.size(); ++i) {
                      int64_t st = clamp_bound(prev, n);
                      int64_t en = i < idx.size() ? clamp_bound(idx[i], n) : n;
                      p.emplace_back(st, std::max<int64_t>(en - st, 0));
                      if (i < idx.size()) prev = idx[i];
                    }
                  } else {
                    int64_t sections = int_arg(t, op, s, "sections");
                    KERAUNOS_TYPE_CHECK(sections > 0, op, ": number of sections must be larger than 0, got ", sections);
                    int64_t base = n / sections, extra = n % sections, start = 0;
                    for (int64_t i = 0; i < sections; ++i) {
                      int64_t len = base + (i < extra ? 1 : 0);
                      p.emplace_back(start, len);
                      start += len;
                    }
                  }
                  return take_pieces(r, op, a[0], dim, p);
                }),
      "view"));
  table.add(python_facts(composite("torch.unbind", {P("input", ParamKind::Tensor), P("dim", ParamKind::Int, Value::integer(0))},
                                   [](Recorder& r, const Args& a) {
                                     constexpr std::string_view op = "torch.unbind";
                                     auto [dim, n] = split_dim(r, op, a[0], a[1]);
                                     Outs out;
                                     for (int64_t i = 0; i < n; ++i)
                                       out.push_back(squeeze_dims(r, slice_dim(r, op, a[0], dim, i, i + 1), {dim}));
                                     return out;
                                   }),
                         "view"));

  // ---- joins ----
  table.add(python_facts(composite("torch.cat", {P("tensors", ParamKind::Tensors), P("dim", ParamKind::Int, Value::integer(0))},
                                   [](Recorder& r, const Args& a) {
                                     return Outs{cat_impl(r, "torch.cat", tensors_of(a[0]), int_arg(r.trace(), "torch.cat", a[1], "dim"))};
                                   }),
                         "torch.concat torch.concatenate"));
  table.add(composite("torch.stack", {P("tensors", ParamKind::Tensors), P("dim", ParamKind::Int, Value::integer(0))},
                      [](Recorder& r, const Args& a) {
                        constexpr std::string_view op = "torch.stack";
                        const Trace& t = r.trace();
                        auto ts = tensors_of(a[0]);
                        KERAUNOS_TYPE_CHECK(!ts.empty(), op, ": expected a non-empty list of tensors");
                        const TensorType ref = tt_of(r, ts[0]);
                        for (size_t i = 1; i < ts.size(); ++i)
                          KERAUNOS_TYPE_CHECK(tt_of(r, ts[i]).shape == ref.shape, op, ": expects each tensor to be equal size, but got ",
                                              type_str(t, ref), " at entry 0 and ", op_helpers::ts(r, ts[i]), " at entry ", i);
                        int64_t dim = canonical_dim(op, int_arg(t, op, a[1], "dim"), ref.rank() + 1);
                        DType dt = result_type(t, ts);
                        std::vector<Value> parts;
                        for (const auto& v : ts) parts.push_back(unsqueeze_at(r, to_dtype(r, v, dt), dim));
                        if (parts.size() == 1) return Outs{parts[0]};
                        return Outs{prims::call(r, PrimId::cat, {Value::tuple(parts), Value::integer(dim)})};
                      }));
  for (const char* id : {"torch.hstack", "torch.vstack"}) {
    bool h = id[6] == 'h';
    std::string sid = id;
    table.add(composite(sid, {P("tensors", ParamKind::Tensors)}, [h, sid](Recorder& r, const Args& a) {
      auto ts = tensors_of(a[0]);
      KERAUNOS_TYPE_CHECK(!ts.empty(), sid, ": expected a non-empty list of tensors");
      std::vector<Value> parts;
      for (const auto& v : ts) parts.push_back(atleast(r, v, h ? 1 : 2));
      int64_t dim = h && rank_of(r, parts[0]) == 1 ? 0 : (h ? 1 : 0);
      return Outs{cat_impl(r, sid, parts, dim)};
    }));
  }
  for (int n = 1; n <= 3; ++n) {
    std::string id = "torch.atleast_" + std::to_string(n) + "d";
    table.add(composite(id, {P("tensors", ParamKind::Any)}, [n, id](Recorder& r, const Args& a) {
      const Trace& t = r.trace();
      if (is_tensor(t, a[0])) return Outs{atleast(r, a[0], n)};
      KERAUNOS_TYPE_CHECK(a[0].is_tuple(), id, ": expected a tensor or a sequence of tensors, got ", describe_value(t, a[0]));
      Outs out;
      for (const auto& v : a[0].as_tuple()) {
        KERAUNOS_TYPE_CHECK(is_tensor(t, v), id, ": expected a tensor or a sequence of tensors, got ", describe_value(t, a[0]));
        out.push_back(atleast(r, v, n));
      }
      return out;
    }));
  }

  // ---- narrow / select ----
  // narrow: start may also be a 0-d integer tensor (or an int proxy of unknown value); then the
  // slice is a take of iota(length) + start, and the bounds are the runtime's to check.
  table.add(python_facts(
      composite(
          "torch.narrow",
          {P("input", ParamKind::Tensor), P("dim", ParamKind::Int), P("start", ParamKind::TensorOrNumber), P("length", ParamKind::Int)},
          [](Recorder& r, const Args& a) {
            constexpr std::string_view op = "torch.narrow";
            const Trace& t = r.trace();
            KERAUNOS_TYPE_CHECK(rank_of(r, a[0]) > 0, op, ": cannot be applied to a 0-dim tensor, got ", ts(r, a[0]));
            const TensorType tt = tt_of(r, a[0]);
            int64_t dim = canonical_dim(op, int_arg(t, op, a[1], "dim"), tt.rank());
            bool start_tensor = is_tensor(t, a[2]);
            if (start_tensor) {
              const auto& st = tt_of(r, a[2]);
              KERAUNOS_TYPE_CHECK(st.rank() == 0 && is_integer(st.dtype), op, ": start must be an int or a 0-dim integer tensor, got ",
                                  type_str(t, st));
            } else {
              KERAUNOS_TYPE_CHECK(a[2].is_int() || (a[2].is_proxy() && t.type(a[2].as_proxy()).number.kind == NumberKind::Int), op,
                                  ": start must be an int or a 0-dim integer tensor, got ", describe_value(t, a[2]));
            }
            if (start_tensor || !int_value(t, a[2])) {
              int64_t len = int_arg(t, op, a[3], "length");
              KERAUNOS_TYPE_CHECK(len >= 0, op, ": length must be non-negative, got ", len);
              const Dim n = tt.shape[static_cast<size_t>(dim)];
              Value s = start_tensor ? to_dtype(r, a[2], DType::Int64)
                                     : prims::call(r, PrimId::full, {Value::tuple({}), a[2]},
                                                   {{"device", Value::device(tt.device)}, {"dtype", Value::dtype(DType::Int64)}});
              Value neg = prims::call(r, PrimId::lt, {s, Value::integer(0)});
              s = prims::call(r, PrimId::where, {neg, prims::call(r, PrimId::add, {s, dim_value(n)}), s});
              Shape ls{Dim::constant(len)};
              Value idx = prims::call(r, PrimId::add, {iota(r, Value::integer(len), 0, 1, tt.device), bcast(r, s, ls, {})});
              return Outs{prims::call(r, PrimId::take, {a[0], idx, Value::integer(dim)})};
            }
            int64_t n = static_size(t, op, tt, dim);
            int64_t start = int_arg(t, op, a[2], "start"), len = int_arg(t, op, a[3], "length");
            KERAUNOS_TYPE_CHECK(start >= -n && start <= n, op, ": start ", start, " is out of range (expected to be in [", -n, ", ", n,
                                "]) for dimension ", dim, " of ", ts(r, a[0]));
            if (start < 0) start += n;
            KERAUNOS_TYPE_CHECK(len >= 0, op, ": length must be non-negative, got ", len);
            KERAUNOS_TYPE_CHECK(start + len <= n, op, ": start (", start, ") + length (", len, ") exceeds dimension size (", n,
                                ") of dimension ", dim, " of ", ts(r, a[0]));
            return Outs{slice_dim(r, op, a[0], dim, start, start + len)};
          }),
      "view"));
  // select: index is an int, an int proxy or a 0-d integer tensor (torch takes those as ints);
  // an index unknown at trace time is gathered (select_at).
  table.add(python_facts(
      composite("torch.select", {P("input", ParamKind::Tensor), P("dim", ParamKind::Int), P("index", ParamKind::TensorOrNumber)},
                [](Recorder& r, const Args& a) {
                  constexpr std::string_view op = "torch.select";
                  const Trace& t = r.trace();
                  if (is_tensor(t, a[2]))
                    KERAUNOS_TYPE_CHECK(rank_of(r, a[2]) == 0 && is_integer(tt_of(r, a[2]).dtype), op,
                                        ": index must be an int or a 0-dim integer tensor, got ", ts(r, a[2]));
                  else
                    KERAUNOS_TYPE_CHECK(a[2].is_int() || (a[2].is_proxy() && t.type(a[2].as_proxy()).number.kind == NumberKind::Int), op,
                                        ": index must be an int or a 0-dim integer tensor, got ", describe_value(t, a[2]));
                  int64_t rank = rank_of(r, a[0]);
                  KERAUNOS_TYPE_CHECK(rank > 0, op, ": cannot be applied to a 0-dim tensor, got ", ts(r, a[0]));
                  int64_t dim = canonical_dim(op, int_arg(r.trace(), op, a[1], "dim"), rank);
                  return Outs{select_at(r, op, a[0], dim, a[2])};
                }),
      "view"));

  // ---- roll / repeat / flip ----
  table.add(
      composite("torch.roll", {P("input", ParamKind::Tensor), P("shifts", ParamKind::Ints), P("dims", ParamKind::OptInts, Value::none())},
                [](Recorder& r, const Args& a) {
                  constexpr std::string_view op = "torch.roll";
                  const Trace& t = r.trace();
                  auto shifts = ints_arg(t, op, a[1], "shifts");
                  std::vector<int64_t> dims = a[2].is_none() ? std::vector<int64_t>{} : ints_arg(t, op, a[2], "dims");
                  KERAUNOS_TYPE_CHECK(!shifts.empty(), op, ": shifts required");
                  if (dims.empty()) {
                    KERAUNOS_TYPE_CHECK(shifts.size() == 1, op, ": shifts and dimensions must align; shifts: ", shifts.size(), ", dims: 0");
                    const TensorType tt = tt_of(r, a[0]);
                    Value flat = flatten_all(r, op, a[0]);
                    return Outs{reshape_to(r, roll_dim(r, op, flat, 0, shifts[0]), tt.shape)};
                  }
                  KERAUNOS_TYPE_CHECK(shifts.size() == dims.size(), op, ": shifts and dimensions must align; shifts: ", shifts.size(),
                                      ", dims: ", dims.size());
                  int64_t rank = rank_of(r, a[0]);
                  KERAUNOS_TYPE_CHECK(rank > 0, op, ": dims given for a 0-dim tensor ", ts(r, a[0]), " (it has no dimensions)");
                  Value out = a[0];
                  for (size_t i = 0; i < dims.size(); ++i) out = roll_dim(r, op, out, canonical_dim(op, dims[i], rank), shifts[i]);
                  return Outs{out};
                }));

  table.add(python_facts(
      composite("torch.Tensor.repeat", {P("input", ParamKind::Tensor), P("repeats", ParamKind::Ints)},
                [](Recorder& r, const Args& a) {
                  constexpr std::string_view op = "torch.Tensor.repeat";
                  const Trace& t = r.trace();
                  const TensorType tt = tt_of(r, a[0]);
                  auto reps = dims_from_value(t, a[1]);
                  int64_t k = static_cast<int64_t>(reps.size());
                  KERAUNOS_TYPE_CHECK(k >= tt.rank(), op, ": the number of repeats ", shape_str(t, reps),
                                      " can not be smaller than the number of dimensions of ", type_str(t, tt));
                  for (const auto& d : reps)
                    KERAUNOS_TYPE_CHECK(d.is_symbolic() || d.size >= 0, op, ": repeats must be non-negative, got ", shape_str(t, reps));
                  Shape padded(static_cast<size_t>(k - tt.rank()), Dim::constant(1));
                  padded.insert(padded.end(), tt.shape.begin(), tt.shape.end());
                  Value x = reshape_to(r, a[0], padded);
                  bool trivial = true;
                  for (const auto& d : reps) trivial = trivial && d.is_constant() && d.size == 1;
                  if (trivial) return Outs{x};
                  Shape wide, out;
                  std::vector<int64_t> bd;
                  for (int64_t i = 0; i < k; ++i) {
                    wide.push_back(reps[static_cast<size_t>(i)]);
                    wide.push_back(padded[static_cast<size_t>(i)]);
                    bd.push_back(2 * i + 1);
                    out.push_back(product_or_throw(t, op, {reps[static_cast<size_t>(i)], padded[static_cast<size_t>(i)]}));
                  }
                  Value w = prims::call(r, PrimId::broadcast_in_dim, {x, shape_value(wide), Value::ints(bd)});
                  return Outs{reshape_to(r, w, out)};
                }),
      "varargs=1"));

  // repeat_interleave: int repeats (any dim, or the flattened input); a tensor of repeats gives a
  // data-dependent size, so it needs output_size (= repeats.sum()), which torch also accepts.
  table.add(composite(
      "torch.repeat_interleave",
      {P("input", ParamKind::Tensor), P("repeats", ParamKind::Any, Value::none()), P("dim", ParamKind::OptInt, Value::none()),
       KW("output_size", ParamKind::OptInt, Value::none())},
      [](Recorder& r, const Args& a) {
        constexpr std::string_view op = "torch.repeat_interleave";
        const Trace& t = r.trace();
        auto need_output_size = [&]() {
          KERAUNOS_TYPE_CHECK(!a[3].is_none(), op,
                              ": with a tensor of repeats the output size depends on the repeat values (data-dependent), which a trace "
                              "cannot express; pass output_size=int(repeats.sum())");
        };
        auto check_repeats_tensor = [&](const Value& rep) {
          const auto& rt = tt_of(r, rep);
          KERAUNOS_TYPE_CHECK(rt.dtype == DType::Int64 || rt.dtype == DType::Int32, op,
                              ": repeats has to be an int64 or int32 tensor, got ", type_str(t, rt));
          KERAUNOS_TYPE_CHECK(rt.rank() <= 1, op, ": repeats must be a 0-dim or 1-dim tensor, got ", type_str(t, rt));
        };
        if (a[1].is_none()) {
          // repeat_interleave(repeats): the indices 0..n-1, index i repeated repeats[i] times.
          check_repeats_tensor(a[0]);
          KERAUNOS_TYPE_CHECK(a[2].is_none(), op, ": dim needs repeats");
          need_output_size();
          const auto& rt = tt_of(r, a[0]);
          Value rep = reshape_to(r, to_dtype(r, a[0], DType::Int64), {rt.rank() == 0 ? Dim::constant(1) : rt.shape[0]});
          return Outs{to_dtype(r, interleave_index(r, rep, a[3]), rt.dtype)};
        }
        Value x = a[0];
        int64_t dim = 0;
        if (a[2].is_none()) {
          x = flatten_all(r, op, a[0]);
        } else {
          KERAUNOS_TYPE_CHECK(rank_of(r, a[0]) > 0, op, ": dim given for a 0-dim input ", ts(r, a[0]));
          dim = canonical_dim(op, int_arg(t, op, a[2], "dim"), rank_of(r, a[0]));
        }
        const TensorType xt = tt_of(r, x);
        const Dim n = xt.shape[static_cast<size_t>(dim)];
        if (is_tensor(t, a[1])) {
          check_repeats_tensor(a[1]);
          const auto& rt = tt_of(r, a[1]);
          auto rn = static_numel(rt.shape);
          bool one = rn && *rn == 1;
          KERAUNOS_TYPE_CHECK(one || (rt.rank() == 1 && rt.shape[0] == n), op,
                              ": repeats must have one value or one per element along the dim; got ", type_str(t, rt), " for ",
                              type_str(t, xt), " along dim ", dim);
          need_output_size();
          Value rep = to_dtype(r, a[1], DType::Int64);
          if (one) rep = prims::call(r, PrimId::broadcast_in_dim, {reshape_to(r, rep, {}), shape_value({n}), Value::ints({})});
          Value idx = interleave_index(r, rep, a[3]);
          return Outs{prims::call(r, PrimId::take, {x, idx, Value::integer(dim)})};
        }
        KERAUNOS_TYPE_CHECK(a[1].is_int() || (a[1].is_proxy() && !is_tensor(t, a[1])), op,
                            ": repeats must be an int or an integer tensor, got ", describe_value(t, a[1]));
        int64_t reps = int_arg(t, op, a[1], "repeats");
        KERAUNOS_TYPE_CHECK(reps >= 0, op, ": repeats must be non-negative, got ", reps);
        if (!a[3].is_none() && n.is_constant()) {
          int64_t os = int_arg(t, op, a[3], "output_size");
          KERAUNOS_TYPE_CHECK(os == n.size * reps, op, ": invalid output_size, expected ", n.size * reps, " but got ", os);
        }
        Shape wide = xt.shape;
        wide.insert(wide.begin() + dim + 1, Dim::constant(reps));
        std::vector<int64_t> bd;
        for (int64_t i = 0; i <= xt.rank(); ++i)
          if (i != dim + 1) bd.push_back(i);
        Shape out = xt.shape;
        out[static_cast<size_t>(dim)] = product_or_throw(t, op, {n, Dim::constant(reps)});
        if (reps == 1) return Outs{x};
        Value w = prims::call(r, PrimId::broadcast_in_dim, {x, shape_value(wide), Value::ints(bd)});
        return Outs{reshape_to(r, w, out)};
      },
      kTagNone));

  table.add(composite("torch.flip", {P("input", ParamKind::Tensor), P("dims", ParamKind::Ints)}, [](Recorder& r, const Args& a) {
    constexpr std::string_view op = "torch.flip";
    int64_t rank = rank_of(r, a[0]);
    auto dims = canonical_dims(op, ints_arg(r.trace(), op, a[1], "dims"), rank);
    if (dims.empty() || rank == 0) return Outs{a[0]};
    std::sort(dims.begin(), dims.end());
    return Outs{prims::call(r, PrimId::flip, {a[0], Value::ints(dims)})};
  }));

  // ---- tril / triu ----
  for (const char* id : {"torch.tril", "torch.triu"}) {
    bool lower = std::string_view(id) == "torch.tril";
    std::string sid = id;
    table.add(composite(
        sid, {P("input", ParamKind::Tensor), P("diagonal", ParamKind::Int, Value::integer(0))},
        [lower, sid](Recorder& r, const Args& a) {
          const Trace& t = r.trace();
          const TensorType tt = tt_of(r, a[0]);
          int64_t rank = tt.rank();
          KERAUNOS_TYPE_CHECK(rank >= 2, sid, ": input tensor must have at least 2 dimensions, got ", type_str(t, tt));
          int64_t diag = int_arg(t, sid, a[1], "diagonal");
          const Dim m = tt.shape[static_cast<size_t>(rank - 2)], n = tt.shape[static_cast<size_t>(rank - 1)];
          Shape grid{m, n};
          Value row =
              prims::call(r, PrimId::broadcast_in_dim, {iota(r, dim_value(m), 0, 1, tt.device), shape_value(grid), Value::ints({0})});
          Value col =
              prims::call(r, PrimId::broadcast_in_dim, {iota(r, dim_value(n), 0, 1, tt.device), shape_value(grid), Value::ints({1})});
          Value d = prims::call(r, PrimId::sub, {col, row});
          Value keep = prims::call(r, lower ? PrimId::le : PrimId::ge, {d, Value::integer(diag)});
          keep = bcast(r, keep, tt.shape, {rank - 2, rank - 1});
          Value zero = is_bool(tt.dtype) ? Value::boolean(false) : Value::integer(0);
          return Outs{prims::call(r, PrimId::where, {keep, a[0], zero})};
        },
        kTagElementwise));
  }

  // ---- masked_fill ----
  table.add(python_facts(
      composite(
          "torch.masked_fill", {P("input", ParamKind::Tensor), P("mask", ParamKind::Tensor), P("value", ParamKind::TensorOrNumber)},
          [](Recorder& r, const Args& a) {
            constexpr std::string_view op = "torch.masked_fill";
            const Trace& t = r.trace();
            const TensorType it = tt_of(r, a[0]);
            const TensorType mt = tt_of(r, a[1]);
            KERAUNOS_TYPE_CHECK(mt.dtype == DType::Bool, op, ": only supports boolean masks, got ", type_str(t, mt));
            Shape shape = broadcast_shapes(t, op, {it.shape, mt.shape});
            Value v;
            if (is_tensor(t, a[2])) {
              const auto& vt = tt_of(r, a[2]);
              KERAUNOS_TYPE_CHECK(vt.rank() == 0, op, ": only supports a 0-dimensional value tensor, got ", type_str(t, vt));
              // torch converts a complex value to a real dtype only when its imaginary part is 0, a
              // data-dependent check; a trace rejects complex values for real non-bool inputs.
              KERAUNOS_TYPE_CHECK(is_complex(it.dtype) || is_bool(it.dtype) || !is_complex(vt.dtype), op, ": a complex value ",
                                  type_str(t, vt), " cannot be converted to the dtype of ", type_str(t, it),
                                  " (torch allows it only when the imaginary part is zero, which is data-dependent)");
              v = to_dtype(r, a[2], it.dtype);
            } else {
              bool cplx = a[2].is_proxy() && t.type(a[2].as_proxy()).number.kind == NumberKind::Complex;
              KERAUNOS_TYPE_CHECK(is_complex(it.dtype) || is_bool(it.dtype) || !cplx, op,
                                  ": a complex value cannot be converted to the dtype of ", type_str(t, it),
                                  " (torch allows it only when the imaginary part is zero, which is data-dependent)");
              v = prims::call(r, PrimId::full, {Value::tuple({}), a[2]},
                              {{"device", Value::device(it.device)}, {"dtype", Value::dtype(it.dtype)}});
            }
            v = bcast(r, v, shape, {});
            Value m = broadcast_to(r, a[1], shape);
            Value x = broadcast_to(r, a[0], shape);
            return Outs{prims::call(r, PrimId::where, {m, v, x})};
          },
          kTagElementwise),
      "torch.Tensor.masked_fill"));

  // ---- pad ----
  table.add(composite(
      "torch.nn.functional.pad",
      {P("input", ParamKind::Tensor), P("pad", ParamKind::Ints), P("mode", ParamKind::Str, Value::string("constant")),
       P("value", ParamKind::OptFloat, Value::none())},
      [](Recorder& r, const Args& a) {
        constexpr std::string_view op = "torch.nn.functional.pad";
        const Trace& t = r.trace();
        const TensorType tt = tt_of(r, a[0]);
        const std::string& mode = a[2].as_str();
        KERAUNOS_TYPE_CHECK(mode == "constant", op, ": mode='", mode,
                            "' is not supported; keraunos implements mode='constant' only (reflect/replicate/circular padding is "
                            "rejected rather than approximated)");
        auto pad = ints_arg(t, op, a[1], "pad");
        int64_t rank = tt.rank();
        KERAUNOS_TYPE_CHECK(pad.size() % 2 == 0, op, ": padding length must be divisible by 2, got ", ints_str(pad));
        KERAUNOS_TYPE_CHECK(static_cast<int64_t>(pad.size()) <= 2 * rank, op,
                            ": padding length should be at most twice the input's rank; got ", ints_str(pad), " for ", type_str(t, tt));
        Value value = a[3].is_none() ? Value::integer(0) : a[3];
        int64_t npad = static_cast<int64_t>(pad.size()) / 2;
        std::vector<std::pair<int64_t, int64_t>> cfg(static_cast<size_t>(rank), {0, 0});
        bool any = false;
        for (int64_t k = 0; k < npad; ++k) {
          int64_t d = rank - 1 - k;
          cfg[static_cast<size_t>(d)] = {pad[static_cast<size_t>(2 * k)], pad[static_cast<size_t>(2 * k + 1)]};
          any = any || pad[static_cast<size_t>(2 * k)] != 0 || pad[static_cast<size_t>(2 * k + 1)] != 0;
          int64_t n = static_size(t, op, tt, d);
          int64_t out = n + pad[static_cast<size_t>(2 * k)] + pad[static_cast<size_t>(2 * k + 1)];
          KERAUNOS_TYPE_CHECK(out >= 0, op, ": padding ", ints_str(pad), " makes dimension ", d, " of ", type_str(t, tt), " negative (",
                              out, ")");
        }
        if (!any) return Outs{a[0]};
        if (!has_symbolic(tt.shape)) {
          std::vector<Value> config;
          for (auto [lo, hi] : cfg) config.push_back(Value::ints({lo, hi, 0}));
          return Outs{prims::call(r, PrimId::pad, {a[0], value, Value::tuple(config)})};
        }
        // Symbolic sizes elsewhere: crop (negative pads) by slicing and grow by concatenating
        // constant blocks, one padded dim at a time.
        Value x = a[0];
        for (int64_t d = 0; d < rank; ++d) {
          auto [lo, hi] = cfg[static_cast<size_t>(d)];
          if (lo == 0 && hi == 0) continue;
          int64_t n = static_size(t, op, tt_of(r, x), d);
          int64_t st = lo < 0 ? -lo : 0, en = hi < 0 ? n + hi : n;
          x = slice_dim(r, op, x, d, st, std::max(st, en));
          std::vector<Value> parts;
          auto block = [&](int64_t len) {
            Shape s = tt_of(r, x).shape;
            s[static_cast<size_t>(d)] = Dim::constant(len);
            return prims::call(r, PrimId::full, {shape_value(s), value},
                               {{"device", Value::device(tt.device)}, {"dtype", Value::dtype(tt.dtype)}});
          };
          if (lo > 0) parts.push_back(block(lo));
          parts.push_back(x);
          if (hi > 0) parts.push_back(block(hi));
          if (parts.size() > 1) x = prims::call(r, PrimId::cat, {Value::tuple(parts), Value::integer(d)});
        }
        return Outs{x};
      }));
}

}  // namespace keraunos::ops
