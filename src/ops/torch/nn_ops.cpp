// Torch-level nn.functional ops: layer_norm, rms_norm, group_norm, batch_norm, normalize, dropout,
// embedding and scaled_dot_product_attention. float16/bfloat16 compute in float32 and round once.
// What a functional trace cannot express is rejected with the reason: in-place updates
// (batch_norm's running statistics in training, embedding's max_norm renormalization, inplace=True).
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

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

constexpr Composites composite{kTagNone};

// Broadcasts a reduced tensor back to `shape`, its dims landing on `kept` (keepdim + expand).
Value expand_back(Recorder& r, const Value& v, const Shape& shape, const std::vector<int64_t>& kept) {
  return call(r, PrimId::broadcast_in_dim, {v, shape_value(shape), Value::ints(kept)});
}

std::vector<int64_t> complement(int64_t rank, const std::vector<int64_t>& dims) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < rank; ++i)
    if (std::find(dims.begin(), dims.end(), i) == dims.end()) out.push_back(i);
  return out;
}

// (x - mean) * rsqrt(var + eps) over `dims` (biased variance), in x's dtype.
Value normalize_over(Recorder& r, const Value& x, const std::vector<int64_t>& dims, const Value& eps) {
  const Shape shape = tt_of(r, x).shape;
  auto vm = prims::call_n(r, PrimId::var_mean, {x, Value::ints(dims)}, {{"correction", Value::integer(0)}});
  const auto kept = complement(static_cast<int64_t>(shape.size()), dims);
  Value rstd = call(r, PrimId::rsqrt, {call(r, PrimId::add, {vm[0], eps})});
  Value centered = call(r, PrimId::sub, {x, expand_back(r, vm[1], shape, kept)});
  return call(r, PrimId::mul, {centered, expand_back(r, rstd, shape, kept)});
}

void no_inplace(std::string_view op, const Value& inplace) {
  KERAUNOS_TYPE_CHECK(!inplace.as_bool(), op,
                      ": inplace=True updates the input in place, which a functional trace cannot express; use inplace=False");
}

// torch's CPU norms take parameters of the input's dtype, or float32 parameters for a
// float16/bfloat16 input ("mixed dtype"); all parameters share one dtype.
void check_norm_params(Recorder& r, std::string_view op, const Value& input, const std::vector<std::pair<const char*, Value>>& params) {
  const DType in = tt_of(r, input).dtype;
  std::optional<DType> pd;
  for (const auto& [name, v] : params) {
    if (v.is_none()) continue;
    DType d = tt_of(r, v).dtype;
    KERAUNOS_TYPE_CHECK(!pd || *pd == d, op, ": parameters must share one dtype, but ", name, " is ", ts(r, v), " (expected ",
                        torch_name(*pd), ")");
    pd = d;
  }
  if (pd)
    KERAUNOS_TYPE_CHECK(*pd == in || (is_low_precision(in) && *pd == DType::Float32), op, ": parameters must have the input's dtype (",
                        torch_name(in), ") or float32 for a float16/bfloat16 input, got ", torch_name(*pd), " for input ", ts(r, input));
}

// normalized_shape: a tuple of ints (torch rejects a bare int here).
Shape normalized_shape(Recorder& r, std::string_view op, const Value& ns, const Value& input) {
  KERAUNOS_TYPE_CHECK(ns.is_tuple(), op, ": normalized_shape must be a tuple of ints, got ", describe_value(r.trace(), ns));
  Shape s;
  for (const auto& e : ns.as_tuple()) {
    KERAUNOS_TYPE_CHECK(e.is_int() || (e.is_proxy() && !is_tensor(r.trace(), e)), op, ": normalized_shape must be a tuple of ints, got ",
                        describe_value(r.trace(), ns));
    s.push_back(dim_from_value(r.trace(), e));
  }
  KERAUNOS_TYPE_CHECK(!s.empty(), op, ": expected normalized_shape to contain at least one element, got ()");
  const TensorType x = tt_of(r, input);
  bool ok = x.rank() >= static_cast<int64_t>(s.size());
  for (size_t i = 0; ok && i < s.size(); ++i) ok = x.shape[x.shape.size() - s.size() + i] == s[i];
  KERAUNOS_TYPE_CHECK(ok, op, ": given normalized_shape=", shape_str(r.trace(), s), ", expected input with shape [*, ",
                      shape_str(r.trace(), s).substr(1), ", but got ", ts(r, input));
  return s;
}

void check_param_shape(Recorder& r, std::string_view op, const char* name, const Value& v, const Shape& want, const char* what) {
  if (v.is_none()) return;
  KERAUNOS_TYPE_CHECK(same_shape(tt_of(r, v).shape, want), op, ": expected ", name, " of shape ", shape_str(r.trace(), want), " (", what,
                      "), got ", ts(r, v));
}

// A per-channel parameter [C] broadcast along dim 1 of `shape`.
Value channel_param(Recorder& r, const Value& p, DType comp, const Shape& shape) {
  return expand_back(r, to_dtype(r, p, comp), shape, {1});
}

double opmath_eps(DType t) {
  DType real = to_real(compute_dtype(t));
  return real == DType::Float64 ? std::numeric_limits<double>::epsilon() : static_cast<double>(std::numeric_limits<float>::epsilon());
}

// torch.nn.functional's check that training statistics have more than one value per channel.
void verify_batch_size(Recorder& r, std::string_view op, const Value& input, const Shape& size) {
  int64_t prod = 1;
  for (size_t i = 0; i < size.size(); ++i) {
    if (i == 1) continue;
    if (size[i].is_symbolic()) return;
    prod *= size[i].size;
  }
  KERAUNOS_TYPE_CHECK(prod != 1, op, ": expected more than 1 value per channel when training, got input ", ts(r, input));
}

// Dropout mask scaling: x * (keep / (1 - p)), keep ~ Bernoulli(1 - p) from the Philox stream.
Value dropout_mask_mul(Recorder& r, const Value& x, double p) {
  const TensorType tt = tt_of(r, x);
  auto so = prims::call_n(r, PrimId::rng_seed_offset, {count_of(r, tt.shape)}, {{"device", Value::device(tt.device)}});
  DType udt = tt.dtype == DType::Float64 ? DType::Float64 : DType::Float32;
  Value u = call(r, PrimId::uniform_philox, {shape_value(tt.shape), so[0], so[1]},
                 {{"device", Value::device(tt.device)}, {"dtype", Value::dtype(udt)}});
  Value keep = call(r, PrimId::lt, {u, Value::floating(1.0 - p)});
  Value noise = call(r, PrimId::mul, {to_dtype(r, keep, tt.dtype), Value::floating(1.0 / (1.0 - p))});
  return call(r, PrimId::mul, {x, noise});
}

// p-norm over `dim` (kept dims = the others), as torch.linalg.vector_norm, in the real dtype.
Value vector_norm(Recorder& r, const Value& x, int64_t dim, double p) {
  Value a = call(r, PrimId::abs, {x});
  Value d = Value::ints({dim});
  if (std::isinf(p)) return call(r, p > 0 ? PrimId::amax : PrimId::amin, {a, d});
  if (p == 0) {
    Value nz = to_dtype(r, call(r, PrimId::ne, {a, Value::integer(0)}), tt_of(r, a).dtype);
    return call(r, PrimId::sum, {nz, d});
  }
  if (p == 1) return call(r, PrimId::sum, {a, d});
  if (p == 2) return call(r, PrimId::sqrt, {call(r, PrimId::sum, {call(r, PrimId::mul, {a, a}), d})});
  Value s = call(r, PrimId::sum, {call(r, PrimId::pow, {a, Value::floating(p)}), d});
  return call(r, PrimId::pow, {s, Value::floating(1.0 / p)});
}

constexpr const char* kSdpa = "torch.nn.functional.scaled_dot_product_attention";

// repeat_interleave(v, rep, dim=-3) for grouped-query attention.
Value repeat_heads(Recorder& r, const Value& v, int64_t rep) {
  if (rep == 1) return v;
  const Shape s = tt_of(r, v).shape;
  const size_t h = s.size() - 3;
  Shape big;
  std::vector<int64_t> bd;
  for (size_t i = 0; i < s.size(); ++i) {
    bd.push_back(static_cast<int64_t>(big.size()));
    big.push_back(s[i]);
    if (i == h) big.push_back(Dim::constant(rep));
  }
  Value e = call(r, PrimId::broadcast_in_dim, {v, shape_value(big), Value::ints(bd)});
  Shape out = s;
  out[h] = Dim::constant(s[h].size * rep);
  return reshape(r, e, out);
}

// Whether torch's CPU flash-attention kernel takes this call (sdp_utils_cpp.cpp's gates that can be
// decided from shapes; strides are assumed contiguous). Only that kernel accepts an attn_mask
// together with is_causal=True (it applies both); torch's math path rejects the combination.
bool flash_cpu_eligible(Recorder& r, const Args& a) {
  const TensorType q = tt_of(r, a[0]), k = tt_of(r, a[1]), v = tt_of(r, a[2]);
  if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) return false;
  if (!is_float_dtype(q.dtype) || a[4].as_float() > 0.0) return false;
  if (!(q.shape[0] == k.shape[0] && q.shape[0] == v.shape[0])) return false;
  const Dim hq = q.shape[1], hk = k.shape[1], hv = v.shape[1];
  bool heads_ok = hq == hk && hq == hv;
  if (!heads_ok && a[7].as_bool() && hq.is_constant() && hk.is_constant() && hk == hv && hk.size > 0) heads_ok = hq.size % hk.size == 0;
  if (!heads_ok) return false;
  if (!(q.shape[3] == k.shape[3] && q.shape[3] == v.shape[3])) return false;
  for (const Dim& d : {q.shape[2], k.shape[2]})
    if (d.is_constant() && d.size == 0) return false;
  if (!a[3].is_none()) {
    const TensorType m = tt_of(r, a[3]);
    auto fits = [](const Dim& d, const Dim& want) { return d == want || (d.is_constant() && d.size == 1); };
    if (m.rank() != 2 && m.rank() != 4) return false;
    if (!fits(m.shape[m.shape.size() - 2], q.shape[2]) || !fits(m.shape.back(), k.shape[2])) return false;
    if (m.rank() == 4 && (!fits(m.shape[0], q.shape[0]) || !fits(m.shape[1], hq))) return false;
  }
  return true;
}

Value sdpa(Recorder& r, const Args& a) {
  const Value &q0 = a[0], &k0 = a[1], &v0 = a[2], &mask = a[3];
  const double dropout_p = a[4].as_float();
  const bool causal = a[5].as_bool();
  const TensorType qt = tt_of(r, q0);
  const TensorType kt = tt_of(r, k0);
  const TensorType vt = tt_of(r, v0);
  KERAUNOS_TYPE_CHECK(qt.rank() >= 2 && kt.rank() >= 2 && vt.rank() >= 2, kSdpa, ": query, key and value must be at least 2-D, got ",
                      ts(r, q0), ", ", ts(r, k0), " and ", ts(r, v0));
  KERAUNOS_TYPE_CHECK(qt.dtype == kt.dtype && qt.dtype == vt.dtype, kSdpa, ": query, key and value must have the same dtype, got ",
                      ts(r, q0), ", ", ts(r, k0), " and ", ts(r, v0));
  KERAUNOS_TYPE_CHECK(!is_complex(qt.dtype) && !is_float8(qt.dtype), kSdpa,
                      ": expected floating query, key and value (float16, bfloat16, float32 or float64), got ", ts(r, q0));
  if (!mask.is_none()) {
    DType md = tt_of(r, mask).dtype;
    KERAUNOS_TYPE_CHECK(md == DType::Bool || md == DType::Float32 || md == qt.dtype, kSdpa,
                        ": attn_mask must be bool, float32 or the query's dtype, got ", ts(r, mask), " for query ", ts(r, q0));
    KERAUNOS_TYPE_CHECK(!causal || flash_cpu_eligible(r, a), kSdpa,
                        ": an explicit attn_mask must not be given with is_causal=True (torch accepts the pair only on its "
                        "flash-attention path: 4-D inputs of one batch size, matching heads and head sizes, non-empty sequences, "
                        "no dropout, and a 2-D or 4-D mask)");
  }
  KERAUNOS_TYPE_CHECK(dropout_p <= 1.0, kSdpa, ": dropout_p must be at most 1, got ", dropout_p);
  const Dim& E = qt.shape.back();
  KERAUNOS_TYPE_CHECK(E == kt.shape.back(), kSdpa, ": query and key must agree in the embedding size, got ", ts(r, q0), " and ", ts(r, k0));
  KERAUNOS_TYPE_CHECK(kt.shape[kt.shape.size() - 2] == vt.shape[vt.shape.size() - 2], kSdpa,
                      ": key and value must agree in the sequence length, got ", ts(r, k0), " and ", ts(r, v0));
  double scale;
  if (a[6].is_none()) {
    KERAUNOS_TYPE_CHECK(E.is_constant(), kSdpa, ": the default scale needs a constant embedding size, got ", ts(r, q0));
    scale = 1.0 / std::sqrt(static_cast<double>(E.size));
  } else {
    KERAUNOS_TYPE_CHECK(a[6].is_number_literal(), kSdpa, ": scale must be a constant");
    scale = a[6].as_float();
  }
  Value k = k0, v = v0;
  if (a[7].as_bool()) {
    KERAUNOS_TYPE_CHECK(qt.rank() >= 3 && kt.rank() >= 3 && vt.rank() >= 3, kSdpa,
                        ": enable_gqa needs a head dimension (-3) in query, key and value, got ", ts(r, q0), ", ", ts(r, k0), " and ",
                        ts(r, v0));
    const Dim hq = qt.shape[qt.shape.size() - 3], hk = kt.shape[kt.shape.size() - 3], hv = vt.shape[vt.shape.size() - 3];
    KERAUNOS_TYPE_CHECK(hq.is_constant() && hk.is_constant() && hv.is_constant(), kSdpa, ": enable_gqa needs constant head counts");
    KERAUNOS_TYPE_CHECK(hk.size > 0 && hv.size > 0 && hq.size % hk.size == 0 && hq.size % hv.size == 0, kSdpa,
                        ": the number of heads in key and value must divide the number of heads in query, got ", ts(r, q0), ", ", ts(r, k0),
                        " and ", ts(r, v0));
    k = repeat_heads(r, k, hq.size / hk.size);
    v = repeat_heads(r, v, hq.size / hv.size);
  }
  const DType dt = qt.dtype, comp = compute_dtype(dt);
  {
    // The attention weights' shape; torch runs no kernel when they are empty, which is the one case
    // where it accepts integer and bool inputs (the result is then zeros).
    Shape qb(qt.shape.begin(), qt.shape.end() - 2), kb(tt_of(r, k).shape.begin(), tt_of(r, k).shape.end() - 2),
        vb(tt_of(r, v).shape.begin(), tt_of(r, v).shape.end() - 2);
    Shape batch = broadcast_shapes(r.trace(), kSdpa, {qb, kb, vb});
    Shape weights = batch;
    weights.push_back(qt.shape[qt.shape.size() - 2]);
    weights.push_back(kt.shape[kt.shape.size() - 2]);
    auto n = static_numel(weights);
    if (!is_float_dtype(dt)) {
      KERAUNOS_TYPE_CHECK(n && *n == 0, kSdpa, ": expected floating query, key and value (float16, bfloat16, float32 or float64), got ",
                          ts(r, q0));
      Shape out = batch;
      out.push_back(qt.shape[qt.shape.size() - 2]);
      out.push_back(vt.shape.back());
      return call(r, PrimId::full, {shape_value(out), Value::integer(0)},
                  {{"device", Value::device(qt.device)}, {"dtype", Value::dtype(dt)}});
    }
  }
  // Like torch's math reference: q and k each scaled by sqrt(|scale|), the sign on q.
  const double sq = std::sqrt(std::abs(scale));
  Value q = call(r, PrimId::mul, {to_dtype(r, q0, comp), Value::floating(scale < 0 ? -sq : sq)});
  k = call(r, PrimId::mul, {to_dtype(r, k, comp), Value::floating(sq)});
  v = to_dtype(r, v, comp);
  const int64_t kr = tt_of(r, k).rank();
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < kr; ++i) perm.push_back(i);
  std::swap(perm[static_cast<size_t>(kr - 1)], perm[static_cast<size_t>(kr - 2)]);
  Value scores = call(r, PrimId::matmul, {q, call(r, PrimId::transpose, {k, Value::ints(perm)})});
  const Shape ss = tt_of(r, scores).shape;
  const int64_t sr = static_cast<int64_t>(ss.size());
  const Dim L = ss[ss.size() - 2], S = ss.back();
  const double ninf = -std::numeric_limits<double>::infinity();
  if (causal) {
    // Top-left aligned: query i sees keys j <= i (torch's tril(ones(L, S))).
    const Shape ls{L, S};
    Value i = expand_back(r, call(r, PrimId::iota, {dim_value(L)}, {{"device", Value::device(qt.device)}}), ls, {0});
    Value j = expand_back(r, call(r, PrimId::iota, {dim_value(S)}, {{"device", Value::device(qt.device)}}), ls, {1});
    Value keep = expand_back(r, call(r, PrimId::ge, {i, j}), ss, {sr - 2, sr - 1});
    scores = call(r, PrimId::where, {keep, scores, Value::floating(ninf)});
  }
  if (!mask.is_none()) {
    const TensorType mt = tt_of(r, mask);
    Shape bs = broadcast_shapes(r.trace(), kSdpa, {mt.shape, ss});
    KERAUNOS_TYPE_CHECK(same_shape(bs, ss), kSdpa, ": attn_mask ", ts(r, mask), " does not broadcast to the attention weights' shape ",
                        shape_str(r.trace(), ss));
    if (mt.dtype == DType::Bool) {
      scores = call(r, PrimId::where, {broadcast_to(r, mask, ss), scores, Value::floating(ninf)});
    } else {
      scores = call(r, PrimId::add, {scores, broadcast_to(r, to_dtype(r, mask, comp), ss)});
    }
  }
  Value probs = scores;
  if (!(S.is_constant() && S.size == 0)) {
    // Safe softmax over the keys: rows that are entirely -inf give zeros, as in torch.
    std::vector<int64_t> kept;
    for (int64_t d = 0; d < sr - 1; ++d) kept.push_back(d);
    Value m = call(r, PrimId::amax, {scores, Value::ints({sr - 1})});
    Value e = call(r, PrimId::exp, {call(r, PrimId::sub, {scores, expand_back(r, m, ss, kept)})});
    Value s = call(r, PrimId::sum, {e, Value::ints({sr - 1})});
    probs = call(r, PrimId::div, {e, expand_back(r, s, ss, kept)});
    Value dead = expand_back(r, call(r, PrimId::eq, {m, Value::floating(ninf)}), ss, kept);
    probs = call(r, PrimId::where, {dead, Value::floating(0.0), probs});
  }
  if (dropout_p > 0) probs = dropout_p == 1.0 ? call(r, PrimId::mul, {probs, Value::integer(0)}) : dropout_mask_mul(r, probs, dropout_p);
  return to_dtype(r, call(r, PrimId::matmul, {probs, v}), dt);
}

}  // namespace

void register_torch_nn_ops(SymbolTable& table) {
  table.add(python_facts(
      composite("torch.nn.functional.layer_norm",
                {P("input", ParamKind::Tensor), P("normalized_shape", ParamKind::Any), P("weight", ParamKind::OptTensor, Value::none()),
                 P("bias", ParamKind::OptTensor, Value::none()), P("eps", ParamKind::Float, Value::floating(1e-5))},
                [](Recorder& r, const Args& a) {
                  constexpr const char* op = "torch.nn.functional.layer_norm";
                  const TensorType x = tt_of(r, a[0]);
                  KERAUNOS_TYPE_CHECK(is_float_dtype(x.dtype), op,
                                      ": expected a floating input (float16, bfloat16, float32 or float64), got ", ts(r, a[0]));
                  Shape ns = normalized_shape(r, op, a[1], a[0]);
                  check_param_shape(r, op, "weight", a[2], ns, "normalized_shape");
                  check_param_shape(r, op, "bias", a[3], ns, "normalized_shape");
                  check_norm_params(r, op, a[0], {{"weight", a[2]}, {"bias", a[3]}});
                  const DType comp = compute_dtype(x.dtype);
                  std::vector<int64_t> dims;
                  for (int64_t i = x.rank() - static_cast<int64_t>(ns.size()); i < x.rank(); ++i) dims.push_back(i);
                  Value y = normalize_over(r, to_dtype(r, a[0], comp), dims, a[4]);
                  if (!a[2].is_none()) y = call(r, PrimId::mul, {y, broadcast_to(r, to_dtype(r, a[2], comp), x.shape)});
                  if (!a[3].is_none()) y = call(r, PrimId::add, {y, broadcast_to(r, to_dtype(r, a[3], comp), x.shape)});
                  return Args{to_dtype(r, y, x.dtype)};
                }),
      "autocast_cuda=fp32"));
  // rms_norm follows torch's composite: x * rsqrt(mean(x * x) + eps) in the op-math dtype, then the
  // weight (any dtype; the product's dtype is rounded back to the input's). eps=None is the
  // epsilon of the op-math dtype (float32's for float16/bfloat16 inputs, as torch does).
  table.add(python_facts(
      composite(
          "torch.nn.functional.rms_norm",
          {P("input", ParamKind::Tensor), P("normalized_shape", ParamKind::Any), P("weight", ParamKind::OptTensor, Value::none()),
           P("eps", ParamKind::OptFloat, Value::none())},
          [](Recorder& r, const Args& a) {
            constexpr const char* op = "torch.nn.functional.rms_norm";
            const TensorType x = tt_of(r, a[0]);
            KERAUNOS_TYPE_CHECK(is_float_dtype(x.dtype) || is_complex(x.dtype), op, ": expected a floating or complex input, got ",
                                ts(r, a[0]));
            Shape ns = normalized_shape(r, op, a[1], a[0]);
            check_param_shape(r, op, "weight", a[2], ns, "normalized_shape");
            if (!a[2].is_none())
              KERAUNOS_TYPE_CHECK(!is_float8(tt_of(r, a[2]).dtype), op, ": float8 weights are not supported, got ", ts(r, a[2]));
            const DType comp = compute_dtype(x.dtype);
            Value eps = a[3].is_none() ? Value::floating(opmath_eps(x.dtype)) : a[3];
            std::vector<int64_t> dims;
            for (int64_t i = x.rank() - static_cast<int64_t>(ns.size()); i < x.rank(); ++i) dims.push_back(i);
            Value xc = to_dtype(r, a[0], comp);
            Value ms = call(r, PrimId::div, {call(r, PrimId::sum, {call(r, PrimId::mul, {xc, xc}), Value::ints(dims)}), count_of(r, ns)});
            Value rs = call(r, PrimId::rsqrt, {call(r, PrimId::add, {ms, eps})});
            Value y = call(r, PrimId::mul, {xc, expand_back(r, rs, x.shape, complement(x.rank(), dims))});
            if (!a[2].is_none()) {
              DType md = compute_dtype(promote_types(comp, tt_of(r, a[2]).dtype));
              y = call(r, PrimId::mul, {to_dtype(r, y, md), broadcast_to(r, to_dtype(r, a[2], md), x.shape)});
            }
            return Args{to_dtype(r, y, x.dtype)};
          }),
      "autocast_cuda=fp32"));
  table.add(python_facts(
      composite("torch.nn.functional.group_norm",
                {P("input", ParamKind::Tensor), P("num_groups", ParamKind::Int), P("weight", ParamKind::OptTensor, Value::none()),
                 P("bias", ParamKind::OptTensor, Value::none()), P("eps", ParamKind::Float, Value::floating(1e-5))},
                [](Recorder& r, const Args& a) {
                  constexpr const char* op = "torch.nn.functional.group_norm";
                  const TensorType x = tt_of(r, a[0]);
                  KERAUNOS_TYPE_CHECK(x.rank() >= 2, op, ": expected an input of at least 2 dimensions (N, C, *), got ", ts(r, a[0]));
                  KERAUNOS_TYPE_CHECK(is_float_dtype(x.dtype), op,
                                      ": expected a floating input (float16, bfloat16, float32 or float64), got ", ts(r, a[0]));
                  const int64_t g = a[1].as_int();
                  KERAUNOS_TYPE_CHECK(g > 0, op, ": num_groups must be positive, got ", g);
                  int64_t rest = 1;
                  for (size_t i = 1; i < x.shape.size(); ++i) {
                    KERAUNOS_TYPE_CHECK(x.shape[i].is_constant(), op, ": symbolic channel or spatial sizes are not supported, got ",
                                        ts(r, a[0]));
                    rest *= x.shape[i].size;
                  }
                  const int64_t c = x.shape[1].size;
                  KERAUNOS_TYPE_CHECK(c % g == 0, op, ": expected the number of channels to be divisible by num_groups, got input ",
                                      ts(r, a[0]), " and num_groups=", g);
                  int64_t spatial = 1;
                  for (size_t i = 2; i < x.shape.size(); ++i) spatial *= x.shape[i].size;
                  if (x.shape[0].is_constant())
                    KERAUNOS_TYPE_CHECK(x.shape[0].size * c / g * spatial != 1, op,
                                        ": expected more than 1 value per channel when training, got input ", ts(r, a[0]),
                                        " with num_groups=", g);
                  check_param_shape(r, op, "weight", a[2], {x.shape[1]}, "one value per channel");
                  check_param_shape(r, op, "bias", a[3], {x.shape[1]}, "one value per channel");
                  check_norm_params(r, op, a[0], {{"weight", a[2]}, {"bias", a[3]}});
                  const DType comp = compute_dtype(x.dtype);
                  Value xg = reshape(r, to_dtype(r, a[0], comp), {x.shape[0], Dim::constant(g), Dim::constant(rest / g)});
                  Value y = reshape(r, normalize_over(r, xg, {2}, a[4]), x.shape);
                  if (!a[2].is_none()) y = call(r, PrimId::mul, {y, channel_param(r, a[2], comp, x.shape)});
                  if (!a[3].is_none()) y = call(r, PrimId::add, {y, channel_param(r, a[3], comp, x.shape)});
                  return Args{to_dtype(r, y, x.dtype)};
                }),
      "autocast_cuda=fp32"));
  table.add(composite(
      "torch.nn.functional.batch_norm",
      {P("input", ParamKind::Tensor), P("running_mean", ParamKind::OptTensor), P("running_var", ParamKind::OptTensor),
       P("weight", ParamKind::OptTensor, Value::none()), P("bias", ParamKind::OptTensor, Value::none()),
       P("training", ParamKind::Bool, Value::boolean(false)), P("momentum", ParamKind::Float, Value::floating(0.1)),
       P("eps", ParamKind::Float, Value::floating(1e-5))},
      [](Recorder& r, const Args& a) {
        constexpr const char* op = "torch.nn.functional.batch_norm";
        const TensorType x = tt_of(r, a[0]);
        const bool training = a[5].as_bool();
        KERAUNOS_TYPE_CHECK(x.rank() >= 2, op, ": expected an input of at least 2 dimensions (N, C, *), got ", ts(r, a[0]));
        // torch runs no kernel for an empty input: any dtype is accepted then.
        auto numel = static_numel(x.shape);
        const bool empty = numel && *numel == 0;
        KERAUNOS_TYPE_CHECK(empty || is_float_dtype(x.dtype), op,
                            ": expected a floating input (float16, bfloat16, float32 or float64), got ", ts(r, a[0]));
        if (training) {
          KERAUNOS_TYPE_CHECK(a[1].is_none() && a[2].is_none(), op,
                              ": training=True with running_mean/running_var updates those statistics in place, which a functional "
                              "trace cannot express; pass running_mean=None and running_var=None (batch statistics only) or "
                              "training=False");
          verify_batch_size(r, op, a[0], x.shape);
        } else {
          KERAUNOS_TYPE_CHECK(!a[1].is_none() && !a[2].is_none(), op,
                              ": running_mean and running_var must be given in evaluation mode (training=False)");
        }
        const Shape ch{x.shape[1]};
        check_param_shape(r, op, "running_mean", a[1], ch, "one value per channel");
        check_param_shape(r, op, "running_var", a[2], ch, "one value per channel");
        check_param_shape(r, op, "weight", a[3], ch, "one value per channel");
        check_param_shape(r, op, "bias", a[4], ch, "one value per channel");
        if (empty) return Args{a[0]};
        check_norm_params(r, op, a[0], {{"running_mean", a[1]}, {"running_var", a[2]}, {"weight", a[3]}, {"bias", a[4]}});
        const DType comp = compute_dtype(x.dtype);
        Value xc = to_dtype(r, a[0], comp);
        Value y;
        if (training) {
          const auto dims = complement(x.rank(), {1});
          const bool own_dtype_stats = is_low_precision(x.dtype) && (a[3].is_none() || tt_of(r, a[3]).dtype == x.dtype) &&
                                       (a[4].is_none() || tt_of(r, a[4]).dtype == x.dtype);
          if (!own_dtype_stats) {
            y = normalize_over(r, xc, dims, a[7]);
          } else {
            // torch keeps the batch statistics in the input's dtype: the mean is rounded to it, the
            // variance taken around the rounded mean, and the inverse deviation rounded too.
            Shape red;
            for (int64_t d : dims) red.push_back(x.shape[static_cast<size_t>(d)]);
            Value n = count_of(r, red);
            Value mean = call(r, PrimId::div, {call(r, PrimId::sum, {xc, Value::ints(dims)}), n});
            mean = to_dtype(r, to_dtype(r, mean, x.dtype), comp);
            Value centered = call(r, PrimId::sub, {xc, expand_back(r, mean, x.shape, {1})});
            Value var = call(r, PrimId::div, {call(r, PrimId::sum, {call(r, PrimId::mul, {centered, centered}), Value::ints(dims)}), n});
            Value inv = call(r, PrimId::rsqrt, {call(r, PrimId::add, {var, a[7]})});
            inv = to_dtype(r, to_dtype(r, inv, x.dtype), comp);
            y = call(r, PrimId::mul, {centered, expand_back(r, inv, x.shape, {1})});
          }
        } else {
          Value rstd = call(r, PrimId::rsqrt, {call(r, PrimId::add, {to_dtype(r, a[2], comp), a[7]})});
          y = call(r, PrimId::mul, {call(r, PrimId::sub, {xc, channel_param(r, a[1], comp, x.shape)}), expand_back(r, rstd, x.shape, {1})});
        }
        if (!a[3].is_none()) y = call(r, PrimId::mul, {y, channel_param(r, a[3], comp, x.shape)});
        if (!a[4].is_none()) y = call(r, PrimId::add, {y, channel_param(r, a[4], comp, x.shape)});
        return Args{to_dtype(r, y, x.dtype)};
      }));
  // normalize: x / max(||x||_p over dim, eps).
  table.add(python_facts(
      composite("torch.nn.functional.normalize",
                {P("input", ParamKind::Tensor), P("p", ParamKind::Any, Value::floating(2.0)), P("dim", ParamKind::Int, Value::integer(1)),
                 P("eps", ParamKind::Float, Value::floating(1e-12)), P("out", ParamKind::OptTensor, Value::none())},
                [](Recorder& r, const Args& a) {
                  constexpr const char* op = "torch.nn.functional.normalize";
                  KERAUNOS_TYPE_CHECK(a[4].is_none(), op, ": out= writes into an existing tensor, which a functional trace cannot express");
                  const TensorType x = tt_of(r, a[0]);
                  KERAUNOS_TYPE_CHECK(is_float_dtype(x.dtype) || is_complex(x.dtype), op, ": expected a floating or complex input, got ",
                                      ts(r, a[0]));
                  double p;
                  if (a[1].is_str()) {
                    KERAUNOS_TYPE_CHECK(a[1].as_str() == "fro", op, ": p must be a number or 'fro', got '", a[1].as_str(), "'");
                    p = 2.0;
                  } else {
                    KERAUNOS_TYPE_CHECK(a[1].is_number_literal() && !a[1].is_bool(), op, ": p must be a constant number, got ",
                                        describe_value(r.trace(), a[1]));
                    p = a[1].as_float();
                  }
                  const int64_t dim = canonical_dim(op, a[2].as_int(), x.rank());
                  const DType comp = compute_dtype(x.dtype);
                  Value xc = to_dtype(r, a[0], comp);
                  if (x.rank() == 0) xc = reshape(r, xc, {Dim::constant(1)});
                  const Shape s = tt_of(r, xc).shape;
                  if (std::isinf(p))
                    KERAUNOS_TYPE_CHECK(!(s[static_cast<size_t>(dim)].is_constant() && s[static_cast<size_t>(dim)].size == 0), op,
                                        ": the infinity norm of an empty dimension is undefined (torch rejects it), got ", ts(r, a[0]));
                  Value n = vector_norm(r, xc, dim, p);
                  n = call(r, PrimId::where, {call(r, PrimId::lt, {n, a[3]}), a[3], n});
                  Value denom = to_dtype(r, expand_back(r, n, s, complement(static_cast<int64_t>(s.size()), {dim})), comp);
                  Value y = reshape(r, call(r, PrimId::div, {xc, denom}), x.shape);
                  return Args{to_dtype(r, y, x.dtype)};
                }),
      "autocast_cuda=fp32"));
  table.add(composite(
      "torch.nn.functional.dropout",
      {P("input", ParamKind::Tensor), P("p", ParamKind::Float, Value::floating(0.5)), P("training", ParamKind::Bool, Value::boolean(true)),
       P("inplace", ParamKind::Bool, Value::boolean(false))},
      [](Recorder& r, const Args& a) {
        constexpr const char* op = "torch.nn.functional.dropout";
        KERAUNOS_TYPE_CHECK(a[1].is_number_literal(), op, ": p must be a constant");
        const double p = a[1].as_float();
        KERAUNOS_TYPE_CHECK(p >= 0.0 && p <= 1.0, op, ": dropout probability has to be between 0 and 1, but got ", p);
        no_inplace(op, a[3]);
        const TensorType x = tt_of(r, a[0]);
        auto n = static_numel(x.shape);
        if (!a[2].as_bool() || p == 0.0 || (n && *n == 0)) return Args{a[0]};
        // p == 1 multiplies by zero (NaN stays NaN), for every dtype, as torch does.
        if (p == 1.0) return Args{call(r, PrimId::mul, {a[0], Value::integer(0)})};
        KERAUNOS_TYPE_CHECK(is_float_dtype(x.dtype), op,
                            ": expected a floating input (float16, bfloat16, float32 or float64) when training with 0 < p < 1, got ",
                            ts(r, a[0]));
        const DType comp = compute_dtype(x.dtype);
        return Args{to_dtype(r, dropout_mask_mul(r, to_dtype(r, a[0], comp), p), x.dtype)};
      },
      kTagRandom));
  table.add(
      composite("torch.nn.functional.embedding",
                {P("input", ParamKind::Tensor), P("weight", ParamKind::Tensor), P("padding_idx", ParamKind::OptInt, Value::none()),
                 P("max_norm", ParamKind::OptFloat, Value::none()), P("norm_type", ParamKind::Float, Value::floating(2.0)),
                 P("scale_grad_by_freq", ParamKind::Bool, Value::boolean(false)), P("sparse", ParamKind::Bool, Value::boolean(false))},
                [](Recorder& r, const Args& a) {
                  constexpr const char* op = "torch.nn.functional.embedding";
                  KERAUNOS_TYPE_CHECK(a[3].is_none(), op,
                                      ": max_norm renormalizes rows of the weight in place, which a functional trace cannot express; "
                                      "renormalize the weight explicitly instead");
                  const TensorType idx = tt_of(r, a[0]);
                  const TensorType w = tt_of(r, a[1]);
                  KERAUNOS_TYPE_CHECK(idx.dtype == DType::Int64 || idx.dtype == DType::Int32, op, ": indices must be int32 or int64, got ",
                                      ts(r, a[0]));
                  KERAUNOS_TYPE_CHECK(w.rank() == 2, op, ": the weight must be 2-D (num_embeddings, embedding_dim), got ", ts(r, a[1]));
                  if (!a[2].is_none() && w.shape[0].is_constant()) {
                    const int64_t pi = a[2].as_int(), n = w.shape[0].size;
                    KERAUNOS_TYPE_CHECK(pi < n && pi >= -n, op, ": padding_idx ", pi, " must be within num_embeddings (", n, ")");
                  }
                  return Args{call(r, PrimId::embedding, {a[0], a[1]})};
                }));
  table.add(python_facts(composite(
                             kSdpa,
                             {P("query", ParamKind::Tensor), P("key", ParamKind::Tensor), P("value", ParamKind::Tensor),
                              P("attn_mask", ParamKind::OptTensor, Value::none()), P("dropout_p", ParamKind::Float, Value::floating(0.0)),
                              P("is_causal", ParamKind::Bool, Value::boolean(false)), KW("scale", ParamKind::OptFloat, Value::none()),
                              KW("enable_gqa", ParamKind::Bool, Value::boolean(false))},
                             [](Recorder& r, const Args& a) {
                               KERAUNOS_TYPE_CHECK(a[4].is_number_literal(), kSdpa, ": dropout_p must be a constant");
                               return Args{sdpa(r, a)};
                             },
                             kTagMatmul),
                         "autocast=lower"));
}

}  // namespace keraunos::ops
