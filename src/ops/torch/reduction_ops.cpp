// Torch-level reductions and scans: sum, mean, prod, var/std (+ _mean), amax/amin, max/min,
// argmax/argmin, logsumexp, cumsum/cumprod, all/any, count_nonzero, norm/vector_norm, topk, sort,
// argsort. Each reduces with the reduction prims over explicit dims; keepdim reshapes the result.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ir/printer.h"
#include "ops/meta_utils.h"
#include "ops/prims/prims.h"
#include "ops/torch/op_helpers.h"
#include "ops/torch/promotion.h"
#include "ops/torch/torch_ops.h"

namespace keraunos::ops {
namespace {

using namespace op_helpers;

constexpr Composites composite{kTagReduction};

// Sums and products accumulate integers in int64: the result modulo 2^bits is the same as torch's
// wrapping narrow accumulation, and bool results (any/all) follow from the count.
DType accumulate_dtype(DType t) { return is_exact(t) ? DType::Int64 : compute_dtype(t); }

// Constant ints of a dims argument (a tuple after binding); number proxies are rejected.
std::vector<int64_t> literal_ints(std::string_view op, const Trace& t, const Value& v, const char* what = "dim") {
  std::vector<int64_t> out;
  const std::vector<Value> items = v.is_tuple() ? v.as_tuple() : std::vector<Value>{v};
  for (const auto& e : items) {
    KERAUNOS_TYPE_CHECK(e.is_int(), op, ": ", what, " must be constant ints, got ", describe_value(t, v));
    out.push_back(e.as_int());
  }
  return out;
}

std::vector<int64_t> all_dims(int64_t rank) {
  std::vector<int64_t> d;
  for (int64_t i = 0; i < rank; ++i) d.push_back(i);
  return d;
}

// The dims a reduction reduces, sorted. None reduces every dim; so does an empty tuple when
// empty_is_all (sum, mean, amax, var, ...), while all/any reduce nothing for dim=().
std::vector<int64_t> reduction_dims(std::string_view op, const Trace& t, const Value& dim, int64_t rank, bool empty_is_all = true) {
  if (dim.is_none()) return all_dims(rank);
  auto raw = literal_ints(op, t, dim);
  if (raw.empty()) return empty_is_all ? all_dims(rank) : std::vector<int64_t>{};
  auto d = canonical_dims(op, raw, rank);
  if (rank == 0) return {};
  std::sort(d.begin(), d.end());
  return d;
}

// Reshapes a reduced value back to the input's rank with size-1 reduced dims (keepdim=True).
Value keep_dims(Recorder& r, const Value& red, const Shape& in_shape, const std::vector<int64_t>& dims) {
  Shape ks = in_shape;
  for (int64_t d : dims) ks[static_cast<size_t>(d)] = Dim::constant(1);
  if (tt_of(r, red).shape == ks) return red;
  return call(r, PrimId::reshape, {red, Value::tuple(shape_values(ks))});
}

Value finish(Recorder& r, const Value& red, const Shape& in_shape, const std::vector<int64_t>& dims, bool keepdim) {
  return keepdim ? keep_dims(r, red, in_shape, dims) : red;
}

// min/max-like reductions have no identity: a reduced dim must not be empty.
void check_nonempty(std::string_view op, Recorder& r, const Value& a, const std::vector<int64_t>& dims) {
  const auto& t = tt_of(r, a);
  for (int64_t d : dims) {
    const Dim& n = t.shape[static_cast<size_t>(d)];
    KERAUNOS_TYPE_CHECK(!(n.is_constant() && n.size == 0), op, ": expected reduction dim ", d, " of ", ts(r, a),
                        " to have non-zero size (the operation has no identity)");
  }
}

// The number of elements in the reduced dims: an int, or a number proxy when sizes are symbolic.
Value reduced_count(Recorder& r, const Shape& s, const std::vector<int64_t>& dims) {
  Shape reduced;
  for (int64_t d : dims) reduced.push_back(s[static_cast<size_t>(d)]);
  return count_of(r, std::move(reduced));
}

std::optional<DType> opt_dtype(const Value& v) { return v.is_none() ? std::nullopt : std::optional<DType>(v.as_dtype()); }

// ---- sum / prod -------------------------------------------------------------------------------

void add_sum_prod(SymbolTable& table) {
  for (bool is_prod : {false, true}) {
    std::string id = is_prod ? "torch.prod" : "torch.sum";
    PrimId prim = is_prod ? PrimId::prod : PrimId::sum;
    // torch.sum takes dims (int or tuple); torch.prod one int dim.
    ParamKind dk = is_prod ? ParamKind::OptInt : ParamKind::OptInts;
    table.add(
        python_facts(composite(id,
                               {P("a", ParamKind::Tensor), P("dim", dk, Value::none()),
                                P("keepdim", ParamKind::Bool, Value::boolean(false)), KW("dtype", ParamKind::OptDType, Value::none())},
                               [id, prim, is_prod](Recorder& r, const std::vector<Value>& a) {
                                 const TensorType t = tt_of(r, a[0]);
                                 bool keepdim = a[2].as_bool();
                                 KERAUNOS_TYPE_CHECK(!(is_prod && keepdim && a[1].is_none()), id, ": keepdim=True needs a dim");
                                 DType out = opt_dtype(a[3]).value_or(is_exact(t.dtype) ? DType::Int64 : t.dtype);
                                 auto dims = reduction_dims(id, r.trace(), a[1], t.rank());
                                 // torch casts the input to the result dtype, then accumulates (in float32
                                 // for float16/bfloat16, in int64 for bool).
                                 Value x = cvt(r, a[0], out);
                                 x = cvt(r, x, accumulate_dtype(out));
                                 Value s = call(r, prim, {x, Value::ints(dims)});
                                 s = cvt(r, s, out);
                                 return std::vector<Value>{finish(r, s, t.shape, dims, keepdim)};
                               }),
                     is_prod ? "autocast=fp32" : "autocast_cuda=fp32"));
  }
}

// ---- mean ---------------------------------------------------------------------------------------

void add_mean(SymbolTable& table) {
  table.add(composite("torch.mean",
                      {P("a", ParamKind::Tensor), P("dim", ParamKind::OptInts, Value::none()),
                       P("keepdim", ParamKind::Bool, Value::boolean(false)), KW("dtype", ParamKind::OptDType, Value::none())},
                      [](Recorder& r, const std::vector<Value>& a) {
                        const TensorType t = tt_of(r, a[0]);
                        DType out = opt_dtype(a[3]).value_or(t.dtype);
                        if (a[3].is_none())
                          KERAUNOS_TYPE_CHECK(is_floating(out) || is_complex(out),
                                              "torch.mean: could not infer the output dtype; the input must be a floating point or complex "
                                              "tensor (or pass dtype=), got ",
                                              ts(r, a[0]));
                        else
                          KERAUNOS_TYPE_CHECK(is_floating(out) || is_complex(out),
                                              "torch.mean: dtype must be a floating point or complex dtype, got ", torch_name(out), " for ",
                                              ts(r, a[0]));
                        auto dims = reduction_dims("torch.mean", r.trace(), a[1], t.rank());
                        // As torch's CPU kernel: sum in the (float32 for float16/bfloat16) result
                        // dtype, divide, round once.
                        Value x = cvt(r, a[0], compute_dtype(out));
                        Value s = call(r, PrimId::sum, {x, Value::ints(dims)});
                        s = call(r, PrimId::div, {s, reduced_count(r, t.shape, dims)});
                        s = cvt(r, s, out);
                        return std::vector<Value>{finish(r, s, t.shape, dims, a[2].as_bool())};
                      }));
}

// ---- var / std / var_mean / std_mean ------------------------------------------------------------

void add_var_std(SymbolTable& table) {
  struct V {
    const char* id;
    bool sqrt;
    bool with_mean;
  };
  static const V kV[] = {
      {"torch.var", false, false}, {"torch.std", true, false}, {"torch.var_mean", false, true}, {"torch.std_mean", true, true}};
  for (const V& v : kV) {
    const V* vp = &v;
    // One symbol for torch's overloads: (input, dim=None, *, correction=None, keepdim=False),
    // (input, dim, unbiased, keepdim=False) and (input, unbiased).
    table.add(
        composite(v.id,
                  {P("a", ParamKind::Tensor), P("dim", ParamKind::Any, Value::none()), P("unbiased", ParamKind::OptBool, Value::none()),
                   P("keepdim", ParamKind::Bool, Value::boolean(false)), KW("correction", ParamKind::OptNumber, Value::none())},
                  [vp](Recorder& r, const std::vector<Value>& a) {
                    const std::string id = vp->id;
                    const TensorType t = tt_of(r, a[0]);
                    Value dim = a[1];
                    Value unbiased = a[2];
                    if (dim.is_bool()) {  // torch.var(x, True): the (input, unbiased) overload
                      KERAUNOS_TYPE_CHECK(unbiased.is_none(), id, ": unbiased given twice (as dim=", dim.as_bool(), " and unbiased=)");
                      unbiased = dim;
                      dim = Value::none();
                    }
                    if (dim.is_int()) dim = Value::tuple({dim});
                    KERAUNOS_TYPE_CHECK(dim.is_none() || dim.is_tuple(), id, ": dim must be None, an int or a tuple of ints, got ",
                                        describe_value(r.trace(), dim));
                    KERAUNOS_TYPE_CHECK(unbiased.is_none() || a[4].is_none(), id, ": pass either unbiased or correction, not both");
                    KERAUNOS_TYPE_CHECK(!a[4].is_bool(), id, ": correction must be an int or a float, got a bool");
                    Value correction = !a[4].is_none() ? a[4] : Value::integer(unbiased.is_none() || unbiased.as_bool() ? 1 : 0);
                    KERAUNOS_TYPE_CHECK(is_floating(t.dtype) || is_complex(t.dtype), id,
                                        ": std and var only support floating point and complex dtypes, got ", ts(r, a[0]));
                    auto dims = reduction_dims(id, r.trace(), dim, t.rank());
                    Value x = cvt(r, a[0], compute_dtype(t.dtype));
                    Value var, mean;
                    if (vp->with_mean) {
                      auto vm = prims::call_n(r, PrimId::var_mean, {x, Value::ints(dims)}, {{"correction", correction}});
                      var = vm[0];
                      mean = vm[1];
                    } else {
                      var = call(r, PrimId::var, {x, Value::ints(dims)}, {{"correction", correction}});
                    }
                    if (vp->sqrt) var = call(r, PrimId::sqrt, {var});
                    bool keepdim = a[3].as_bool();
                    std::vector<Value> outs{finish(r, cvt(r, var, to_real(t.dtype)), t.shape, dims, keepdim)};
                    if (vp->with_mean) outs.push_back(finish(r, cvt(r, mean, t.dtype), t.shape, dims, keepdim));
                    return outs;
                  }));
  }
}

// ---- amax / amin / max / min / argmax / argmin ------------------------------------------------

void add_minmax(SymbolTable& table) {
  for (bool is_max : {true, false}) {
    std::string aid = is_max ? "torch.amax" : "torch.amin";
    PrimId prim = is_max ? PrimId::amax : PrimId::amin;
    table.add(composite(
        aid,
        {P("a", ParamKind::Tensor), P("dim", ParamKind::OptInts, Value::tuple({})), P("keepdim", ParamKind::Bool, Value::boolean(false))},
        [aid, prim](Recorder& r, const std::vector<Value>& a) {
          const TensorType t = tt_of(r, a[0]);
          auto dims = reduction_dims(aid, r.trace(), a[1], t.rank());
          check_nonempty(aid, r, a[0], dims);
          if (is_complex(t.dtype)) {
            // torch skips its kernel (and the dtype check) when the result is empty.
            Shape os = t.shape;
            for (int64_t d : dims) os[static_cast<size_t>(d)] = Dim::constant(1);
            auto n = static_numel(os);
            KERAUNOS_TYPE_CHECK(n && *n == 0, aid, ": complex tensors are not ordered, got ", ts(r, a[0]));
            Value z = call(r, PrimId::full, {Value::tuple(shape_values(os)), Value::integer(0)},
                           {{"device", Value::device(t.device)}, {"dtype", Value::dtype(t.dtype)}});
            return std::vector<Value>{a[2].as_bool() ? z : call(r, PrimId::squeeze, {z, Value::ints(dims)})};
          }
          Value m = call(r, prim, {a[0], Value::ints(dims)});
          return std::vector<Value>{finish(r, m, t.shape, dims, a[2].as_bool())};
        }));

    PrimId arg_prim = is_max ? PrimId::argmax : PrimId::argmin;
    // torch.max(a) -> the maximum; torch.max(a, dim, keepdim=False) -> (values, indices);
    // torch.max(a, other) -> torch.maximum(a, other).
    std::string mid = is_max ? "torch.max" : "torch.min";
    table.add(python_facts(
        composite(
            mid, {P("a", ParamKind::Tensor), P("dim", ParamKind::Any, Value::none()), P("keepdim", ParamKind::Bool, Value::boolean(false))},
            [mid, prim, arg_prim, is_max](Recorder& r, const std::vector<Value>& a) {
              const TensorType t = tt_of(r, a[0]);
              bool keepdim = a[2].as_bool();
              if (is_tensor(r.trace(), a[1])) {
                KERAUNOS_TYPE_CHECK(!keepdim, mid, ": keepdim is not an argument of the two-tensor form (", mid, "(input, other) is ",
                                    is_max ? "torch.maximum" : "torch.minimum", ")");
                return r.call(is_max ? "torch.maximum" : "torch.minimum", {a[0], a[1]});
              }
              KERAUNOS_TYPE_CHECK(!is_complex(t.dtype), mid, ": complex tensors are not ordered, got ", ts(r, a[0]));
              if (a[1].is_none()) {
                KERAUNOS_TYPE_CHECK(!keepdim, mid, ": keepdim=True needs a dim");
                auto n = static_numel(t.shape);
                KERAUNOS_TYPE_CHECK(!(n && *n == 0), mid, ": cannot reduce the empty tensor ", ts(r, a[0]),
                                    " over all dims (the operation has no identity; pass dim=)");
                return std::vector<Value>{call(r, prim, {a[0], Value::ints(all_dims(t.rank()))})};
              }
              KERAUNOS_TYPE_CHECK(a[1].is_int(), mid, ": dim must be None, an int or a tensor, got ", describe_value(r.trace(), a[1]));
              int64_t d = canonical_dim(mid, a[1].as_int(), t.rank());
              std::vector<int64_t> dims = t.rank() == 0 ? std::vector<int64_t>{} : std::vector<int64_t>{d};
              check_nonempty(mid, r, a[0], dims);
              Value values = call(r, prim, {a[0], Value::ints(dims)});
              // argmax has no bool kernel; uint8 orders bools the same way.
              Value src = is_bool(t.dtype) ? cvt(r, a[0], DType::UInt8) : a[0];
              Value idx = call(r, arg_prim, {src, Value::integer(d)});
              return std::vector<Value>{finish(r, values, t.shape, dims, keepdim), finish(r, idx, t.shape, dims, keepdim)};
            }),
        is_max ? "returns=max" : "returns=min"));

    std::string gid = is_max ? "torch.argmax" : "torch.argmin";
    table.add(composite(
        gid, {P("a", ParamKind::Tensor), P("dim", ParamKind::OptInt, Value::none()), P("keepdim", ParamKind::Bool, Value::boolean(false))},
        [gid, arg_prim](Recorder& r, const std::vector<Value>& a) {
          const TensorType t = tt_of(r, a[0]);
          KERAUNOS_TYPE_CHECK(!is_complex(t.dtype) && !is_bool(t.dtype), gid, ": expected a real numeric (non-bool) tensor, got ",
                              ts(r, a[0]));
          bool keepdim = a[2].as_bool();
          if (a[1].is_none()) {
            auto n = static_numel(t.shape);
            KERAUNOS_TYPE_CHECK(!(n && *n == 0), gid, ": cannot reduce the empty tensor ", ts(r, a[0]), " over all dims (pass dim=)");
            Value idx = call(r, arg_prim, {a[0], Value::none()});
            return std::vector<Value>{finish(r, idx, t.shape, all_dims(t.rank()), keepdim)};
          }
          KERAUNOS_TYPE_CHECK(a[1].is_int(), gid, ": dim must be a constant int, got ", describe_value(r.trace(), a[1]));
          int64_t d = canonical_dim(gid, a[1].as_int(), t.rank());
          std::vector<int64_t> dims = t.rank() == 0 ? std::vector<int64_t>{} : std::vector<int64_t>{d};
          check_nonempty(gid, r, a[0], dims);
          Value idx = call(r, arg_prim, {a[0], Value::integer(d)});
          return std::vector<Value>{finish(r, idx, t.shape, dims, keepdim)};
        }));
  }
}

// ---- logsumexp ----------------------------------------------------------------------------------

void add_logsumexp(SymbolTable& table) {
  table.add(
      python_facts(composite("torch.logsumexp",
                             {P("a", ParamKind::Tensor), P("dim", ParamKind::Ints), P("keepdim", ParamKind::Bool, Value::boolean(false))},
                             [](Recorder& r, const std::vector<Value>& a) {
                               const char* id = "torch.logsumexp";
                               const TensorType t = tt_of(r, a[0]);
                               KERAUNOS_TYPE_CHECK(!literal_ints(id, r.trace(), a[1]).empty(), id,
                                                   ": dim must name at least one dimension, got dim=() for ", ts(r, a[0]));
                               DType out = is_exact(t.dtype) ? default_float_dtype() : t.dtype;
                               DType comp = compute_dtype(out);
                               auto dims = reduction_dims(id, r.trace(), a[1], t.rank());
                               bool keepdim = a[2].as_bool();
                               Value x = cvt(r, a[0], comp);
                               auto n = static_numel(t.shape);
                               Value res;
                               if (n && *n == 0) {
                                 res = call(r, PrimId::log, {call(r, PrimId::sum, {call(r, PrimId::exp, {x}), Value::ints(dims)})});
                               } else {
                                 // As torch: subtract the max of the real part (0 where it is infinite), sum
                                 // the exponentials, take the log and add the max back.
                                 Value re = is_complex(comp) ? call(r, PrimId::real, {x}) : x;
                                 Value m = call(r, PrimId::amax, {re, Value::ints(dims)});
                                 m = call(r, PrimId::where, {call(r, PrimId::isinf, {m}), Value::integer(0), m});
                                 Value mk = broadcast_to(r, keep_dims(r, m, t.shape, dims), t.shape);
                                 mk = cvt(r, mk, comp);
                                 Value s = call(r, PrimId::sum, {call(r, PrimId::exp, {call(r, PrimId::sub, {x, mk})}), Value::ints(dims)});
                                 res = call(r, PrimId::add, {call(r, PrimId::log, {s}), cvt(r, m, comp)});
                               }
                               res = cvt(r, res, out);
                               return std::vector<Value>{finish(r, res, t.shape, dims, keepdim)};
                             }),
                   "autocast_cuda=fp32"));
}

// ---- cumsum / cumprod ---------------------------------------------------------------------------

void add_scans(SymbolTable& table) {
  for (bool is_prod : {false, true}) {
    std::string id = is_prod ? "torch.cumprod" : "torch.cumsum";
    PrimId prim = is_prod ? PrimId::cumprod : PrimId::cumsum;
    table.add(python_facts(
        composite(id, {P("a", ParamKind::Tensor), P("dim", ParamKind::Int), KW("dtype", ParamKind::OptDType, Value::none())},
                  [id, prim](Recorder& r, const std::vector<Value>& a) {
                    const TensorType t = tt_of(r, a[0]);
                    DType out = opt_dtype(a[2]).value_or(is_exact(t.dtype) ? DType::Int64 : t.dtype);
                    KERAUNOS_TYPE_CHECK(!is_bool(out), id, ": dtype=bool is not supported (torch has no bool kernel), input ", ts(r, a[0]));
                    KERAUNOS_TYPE_CHECK(a[1].is_int(), id, ": dim must be a constant int, got ", describe_value(r.trace(), a[1]));
                    int64_t d = canonical_dim(id, a[1].as_int(), t.rank());
                    // The input is cast to the result dtype; float16/bfloat16 accumulate in float32.
                    Value x = cvt(r, cvt(r, a[0], out), accumulate_dtype(out));
                    Value s = call(r, prim, {x, Value::integer(d)});
                    return std::vector<Value>{cvt(r, s, out)};
                  }),
        is_prod ? "" : "autocast_cuda=fp32"));
  }
}

// ---- all / any / count_nonzero ------------------------------------------------------------------

void add_logical(SymbolTable& table) {
  for (bool is_all : {true, false}) {
    std::string id = is_all ? "torch.all" : "torch.any";
    table.add(composite(
        id, {P("a", ParamKind::Tensor), P("dim", ParamKind::OptInts, Value::none()), P("keepdim", ParamKind::Bool, Value::boolean(false))},
        [id, is_all](Recorder& r, const std::vector<Value>& a) {
          const TensorType t = tt_of(r, a[0]);
          // torch keeps uint8 for uint8 inputs (a legacy of masks as bytes).
          DType out = t.dtype == DType::UInt8 ? DType::UInt8 : DType::Bool;
          auto dims = reduction_dims(id, r.trace(), a[1], t.rank(), /*empty_is_all=*/false);
          Value nz = is_bool(t.dtype) ? a[0] : call(r, PrimId::ne, {a[0], Value::integer(0)});
          // Counting (instead of min/max) keeps the identity for empty reductions.
          Value v = is_all ? call(r, PrimId::logical_not, {nz}) : nz;
          Value cnt = call(r, PrimId::sum, {cvt(r, v, DType::Int64), Value::ints(dims)});
          Value res = call(r, is_all ? PrimId::eq : PrimId::gt, {cnt, Value::integer(0)});
          res = cvt(r, res, out);
          return std::vector<Value>{finish(r, res, t.shape, dims, a[2].as_bool())};
        }));
  }
  table.add(composite("torch.count_nonzero", {P("a", ParamKind::Tensor), P("dim", ParamKind::OptInts, Value::none())},
                      [](Recorder& r, const std::vector<Value>& a) {
                        const TensorType t = tt_of(r, a[0]);
                        auto dims = reduction_dims("torch.count_nonzero", r.trace(), a[1], t.rank());
                        Value nz = is_bool(t.dtype) ? a[0] : call(r, PrimId::ne, {a[0], Value::integer(0)});
                        return std::vector<Value>{call(r, PrimId::sum, {cvt(r, nz, DType::Int64), Value::ints(dims)})};
                      }));
}

// ---- norms --------------------------------------------------------------------------------------

void add_norms(SymbolTable& table) {
  table.add(python_facts(
      composite("torch.linalg.vector_norm",
                {P("a", ParamKind::Tensor), P("ord", ParamKind::Number, Value::integer(2)), P("dim", ParamKind::OptInts, Value::none()),
                 P("keepdim", ParamKind::Bool, Value::boolean(false)), KW("dtype", ParamKind::OptDType, Value::none())},
                [](Recorder& r, const std::vector<Value>& a) {
                  const char* id = "torch.linalg.vector_norm";
                  const TensorType t = tt_of(r, a[0]);
                  KERAUNOS_TYPE_CHECK(is_floating(t.dtype) || is_complex(t.dtype), id,
                                      ": expected a floating point or complex tensor, got ", ts(r, a[0]));
                  DType work = t.dtype;
                  if (!a[4].is_none()) {
                    DType dt = a[4].as_dtype();
                    KERAUNOS_TYPE_CHECK(
                        is_complex(dt) == is_complex(t.dtype) && (is_floating(dt) || is_complex(dt)) && promote_types(t.dtype, dt) == dt,
                        id, ": dtype ", torch_name(dt), " cannot hold the input ", ts(r, a[0]), " (expected a ",
                        is_complex(t.dtype) ? "complex" : "floating", " dtype at least as wide as the input's)");
                    work = dt;
                  }
                  KERAUNOS_TYPE_CHECK(a[1].is_number_literal(), id, ": ord must be a constant number, got ",
                                      describe_value(r.trace(), a[1]));
                  double p = a[1].as_float();
                  DType out = to_real(work);
                  DType comp = compute_dtype(work);
                  DType rcomp = to_real(comp);
                  auto dims = reduction_dims(id, r.trace(), a[2], t.rank());
                  Value x = cvt(r, a[0], comp);
                  Value ax = call(r, PrimId::abs, {x});
                  Value res;
                  if (std::isinf(p) || p < 0) {
                    for (int64_t d : dims) {
                      const Dim& n = t.shape[static_cast<size_t>(d)];
                      KERAUNOS_TYPE_CHECK(!(n.is_constant() && n.size == 0), id, ": cannot compute the ", p, " norm over dimension ", d,
                                          " of ", ts(r, a[0]), ": it is empty and the operation has no identity");
                    }
                  }
                  if (std::isinf(p)) {
                    res = call(r, p > 0 ? PrimId::amax : PrimId::amin, {ax, Value::ints(dims)});
                  } else if (p == 0) {
                    res = call(r, PrimId::sum, {cvt(r, call(r, PrimId::ne, {ax, Value::integer(0)}), rcomp), Value::ints(dims)});
                  } else if (p == 1) {
                    res = call(r, PrimId::sum, {ax, Value::ints(dims)});
                  } else if (p == 2) {
                    res = call(r, PrimId::sqrt, {call(r, PrimId::sum, {call(r, PrimId::mul, {ax, ax}), Value::ints(dims)})});
                  } else {
                    Value s = call(r, PrimId::sum, {call(r, PrimId::pow, {ax, Value::floating(p)}), Value::ints(dims)});
                    res = call(r, PrimId::pow, {s, Value::floating(1.0 / p)});
                  }
                  res = cvt(r, res, out);
                  return std::vector<Value>{finish(r, res, t.shape, dims, a[3].as_bool())};
                }),
      "autocast_cuda=fp32"));

  // torch.norm: p a number (vector norm), None (2) or 'fro' (the 2-norm over at most two dims).
  table.add(python_facts(
      composite("torch.norm",
                {P("a", ParamKind::Tensor), P("p", ParamKind::Any, Value::string("fro")), P("dim", ParamKind::Any, Value::none()),
                 P("keepdim", ParamKind::Bool, Value::boolean(false)), KW("dtype", ParamKind::OptDType, Value::none())},
                [](Recorder& r, const std::vector<Value>& a) {
                  const char* id = "torch.norm";
                  Value dim = a[2];
                  if (dim.is_int()) dim = Value::tuple({dim});
                  KERAUNOS_TYPE_CHECK(dim.is_none() || dim.is_tuple(), id, ": dim must be None, an int or a tuple of ints, got ",
                                      describe_value(r.trace(), a[2]));
                  Value p = a[1];
                  if (p.is_none()) p = Value::integer(2);
                  if (p.is_str()) {
                    const std::string& s = p.as_str();
                    KERAUNOS_TYPE_CHECK(s != "nuc", id,
                                        ": the nuclear norm (p='nuc') needs singular values, which no keraunos prim computes; "
                                        "use torch.linalg.svdvals(...).sum(-1) outside the trace");
                    KERAUNOS_TYPE_CHECK(s == "fro", id, ": only 'fro' and 'nuc' are valid string orders, got '", s, "'");
                    KERAUNOS_TYPE_CHECK(dim.is_none() || dim.as_tuple().size() <= 2, id,
                                        ": the Frobenius norm takes at most two dims (a matrix norm), got ",
                                        describe_value(r.trace(), dim));
                    p = Value::integer(2);
                  }
                  KERAUNOS_TYPE_CHECK(p.is_number_literal(), id, ": p must be a number, None, 'fro' or 'nuc', got ",
                                      describe_value(r.trace(), a[1]));
                  return r.call("torch.linalg.vector_norm", {a[0], p, dim, a[3]}, {{"dtype", a[4]}});
                }),
      "autocast_cuda=fp32"));
}

// ---- topk / sort / argsort ----------------------------------------------------------------------

void check_sortable(std::string_view id, Recorder& r, const Value& a, bool allow_bool) {
  DType dt = tt_of(r, a).dtype;
  KERAUNOS_TYPE_CHECK(!is_complex(dt), id, ": complex tensors are not ordered, got ", ts(r, a));
  KERAUNOS_TYPE_CHECK(allow_bool || !is_bool(dt), id, ": bool tensors are not supported (torch has no bool kernel), got ", ts(r, a));
}

void add_sorting(SymbolTable& table) {
  table.add(
      python_facts(composite("torch.topk",
                             {P("a", ParamKind::Tensor), P("k", ParamKind::Int), P("dim", ParamKind::Int, Value::integer(-1)),
                              P("largest", ParamKind::Bool, Value::boolean(true)), P("sorted", ParamKind::Bool, Value::boolean(true))},
                             [](Recorder& r, const std::vector<Value>& a) {
                               const char* id = "torch.topk";
                               check_sortable(id, r, a[0], /*allow_bool=*/false);
                               const TensorType t = tt_of(r, a[0]);
                               KERAUNOS_TYPE_CHECK(a[2].is_int(), id, ": dim must be a constant int");
                               int64_t d = canonical_dim(id, a[2].as_int(), t.rank());
                               Dim k = dim_from_value(r.trace(), a[1]);
                               if (k.is_constant()) {
                                 Dim n = t.rank() == 0 ? Dim::constant(1) : t.shape[static_cast<size_t>(d)];
                                 KERAUNOS_TYPE_CHECK(k.size >= 0 && (n.is_symbolic() || k.size <= n.size), id, ": k=", k.size,
                                                     " is out of range for dimension ", d, " of ", ts(r, a[0]));
                               }
                               return prims::call_n(r, PrimId::topk, {a[0], a[1], Value::integer(d), a[3], a[4]});
                             }),
                   "returns=topk"));
  table.add(
      python_facts(composite("torch.sort",
                             {P("a", ParamKind::Tensor), P("dim", ParamKind::Int, Value::integer(-1)),
                              P("descending", ParamKind::Bool, Value::boolean(false)), KW("stable", ParamKind::OptBool, Value::none())},
                             [](Recorder& r, const std::vector<Value>& a) {
                               const char* id = "torch.sort";
                               check_sortable(id, r, a[0], /*allow_bool=*/true);
                               KERAUNOS_TYPE_CHECK(a[1].is_int(), id, ": dim must be a constant int");
                               int64_t d = canonical_dim(id, a[1].as_int(), tt_of(r, a[0]).rank());
                               bool stable = !a[3].is_none() && a[3].as_bool();
                               return prims::call_n(r, PrimId::sort, {a[0], Value::integer(d), a[2], Value::boolean(stable)});
                             }),
                   "returns=sort"));
  table.add(composite("torch.argsort",
                      {P("a", ParamKind::Tensor), P("dim", ParamKind::Int, Value::integer(-1)),
                       P("descending", ParamKind::Bool, Value::boolean(false)), KW("stable", ParamKind::Bool, Value::boolean(false))},
                      [](Recorder& r, const std::vector<Value>& a) {
                        const char* id = "torch.argsort";
                        check_sortable(id, r, a[0], /*allow_bool=*/true);
                        KERAUNOS_TYPE_CHECK(a[1].is_int(), id, ": dim must be a constant int");
                        int64_t d = canonical_dim(id, a[1].as_int(), tt_of(r, a[0]).rank());
                        auto sv = prims::call_n(r, PrimId::sort, {a[0], Value::integer(d), a[2], a[3]});
                        return std::vector<Value>{sv[1]};
                      }));
}

}  // namespace

void register_torch_reduction_ops(SymbolTable& table) {
  add_sum_prod(table);
  add_mean(table);
  add_var_std(table);
  add_minmax(table);
  add_logsumexp(table);
  add_scans(table);
  add_logical(table);
  add_norms(table);
  add_sorting(table);
}

}  // namespace keraunos::ops
