// Helpers every torch-level op family uses: a value's tensor type and its text for messages, the
// dtype low-precision floats compute in, shapes as values, recording a prim, dtype conversion with
// torch's complex-to-bool rule, int arguments known at trace time, and products of dims. Each family's .cpp brings them in with
// `using namespace op_helpers;` inside its own anonymous namespace.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ir/printer.h"
#include "ops/meta_utils.h"
#include "ops/prims/prims.h"
#include "ops/torch/promotion.h"

namespace keraunos::ops::op_helpers {

using Kwargs = std::vector<std::pair<std::string, Value>>;

inline Value call(Recorder& r, PrimId prim, std::vector<Value> args, Kwargs kw = {}) {
  return prims::call(r, prim, std::move(args), std::move(kw));
}

inline const TensorType& tt_of(Recorder& r, const Value& v) { return tensor_type(r.trace(), v); }
inline std::string ts(Recorder& r, const Value& v) { return type_str(r.trace(), tt_of(r, v)); }

// float16/bfloat16 (and float8) compute in float32 and round once; other dtypes compute as they are.
inline DType compute_dtype(DType t) { return is_low_precision(t) ? DType::Float32 : t; }
inline bool is_float_dtype(DType t) { return is_floating(t) && !is_float8(t); }

inline Value dim_value(const Dim& d) { return d.is_symbolic() ? Value::proxy(d.sym) : Value::integer(d.size); }
inline std::vector<Value> shape_values(const Shape& s) {
  std::vector<Value> out;
  out.reserve(s.size());
  for (const auto& d : s) out.push_back(dim_value(d));
  return out;
}
inline Value shape_value(const Shape& s) { return Value::tuple(shape_values(s)); }

// A tensor of `shape` filled with `fill` (prims.full).
inline Value full(Recorder& r, const Shape& shape, const Value& fill, DType dt, Device dev) {
  return call(r, PrimId::full, {Value::tuple(shape_values(shape)), fill}, {{"device", Value::device(dev)}, {"dtype", Value::dtype(dt)}});
}

// convert_element_type, except that complex -> bool tests for a nonzero value (real or imaginary
// part), as torch does, instead of converting the real part.
inline Value cvt(Recorder& r, const Value& v, DType dt) {
  if (!is_tensor(r.trace(), v)) return v;
  DType from = tt_of(r, v).dtype;
  if (from == dt) return v;
  if (is_complex(from) && is_bool(dt)) return call(r, PrimId::ne, {v, Value::integer(0)});
  return call(r, PrimId::convert_element_type, {v, Value::dtype(dt)});
}

// A number argument's kind: a literal's, or a number proxy's.
inline NumberKind number_kind(const Trace& t, const Value& v) {
  if (v.is_bool()) return NumberKind::Bool;
  if (v.is_int()) return NumberKind::Int;
  if (v.is_float()) return NumberKind::Float;
  return t.type(v.as_proxy()).number.kind;
}

// re + im * i as a complex tensor. There is no complex-construction prim: i is sqrt(-1 + 0i),
// which is exact, and (im + 0i) * (0 + 1i) is exact for finite im.
inline Value make_complex(Recorder& r, const Value& re, const Value& im, DType cdt) {
  const TensorType t = tt_of(r, re);
  Value i = call(r, PrimId::sqrt, {full(r, t.shape, Value::integer(-1), cdt, t.device)});
  return call(r, PrimId::add, {cvt(r, re, cdt), call(r, PrimId::mul, {cvt(r, im, cdt), i})});
}

inline std::string dim_str(const Trace& t, const Dim& d) { return d.is_symbolic() ? t.name_of(d.sym) : std::to_string(d.size); }

// An int argument's value when the trace knows it: a literal, or an int number proxy with a value.
inline std::optional<int64_t> known_int(const Trace& t, const Value& v) {
  if (v.is_int()) return v.as_int();
  if (v.is_proxy() && !t.type(v.as_proxy()).is_tensor) {
    const auto& n = t.type(v.as_proxy()).number;
    if (n.kind == NumberKind::Int && n.int_value) return *n.int_value;
  }
  return std::nullopt;
}

// An int argument the decomposition needs at trace time; a clear error naming the op otherwise.
inline int64_t int_arg(const Trace& t, std::string_view op, const Value& v, std::string_view what) {
  auto k = known_int(t, v);
  KERAUNOS_TYPE_CHECK(k.has_value(), op, ": ", what, " must be an int known at trace time, got ", describe_value(t, v));
  return *k;
}

// The product of some dims as one Dim: constants multiply; one symbol times 1 stays that symbol; a
// zero makes it 0. nullopt when it would be a product of symbols (not representable as a Dim).
inline std::optional<Dim> dim_product(const std::vector<Dim>& dims) {
  int64_t c = 1;
  std::optional<Dim> sym;
  int nsym = 0;
  for (const auto& d : dims) {
    if (d.is_symbolic()) {
      ++nsym;
      sym = d;
    } else {
      c *= d.size;
    }
  }
  if (c == 0) return Dim::constant(0);
  if (nsym == 0) return Dim::constant(c);
  if (nsym == 1 && c == 1) return sym;
  return std::nullopt;
}

inline Dim product_or_throw(const Trace& t, std::string_view op, const std::vector<Dim>& dims) {
  auto p = dim_product(dims);
  KERAUNOS_TYPE_CHECK(p.has_value(), op, ": merging the dimensions ", shape_str(t, dims),
                      " needs a product of symbolic sizes, which a shape cannot hold; make the sizes static");
  return *p;
}

// x reshaped to `shape` (x itself when it has that shape already).
inline Value reshape(Recorder& r, const Value& v, const Shape& shape) {
  if (same_shape(tt_of(r, v).shape, shape)) return v;
  return call(r, PrimId::reshape, {v, shape_value(shape)});
}

// The number of elements of `dims` as an int literal, or a number proxy for symbolic sizes.
inline Value count_of(Recorder& r, Shape dims) {
  int64_t n = 1;
  std::optional<Value> sym;
  for (const auto& d : dims) {
    if (d.is_constant()) {
      n *= d.size;
    } else {
      sym = sym ? call(r, PrimId::mul, {*sym, Value::proxy(d.sym)}) : Value::proxy(d.sym);
    }
  }
  if (!sym) return Value::integer(n);
  return n == 1 ? *sym : call(r, PrimId::mul, {*sym, Value::integer(n)});
}

inline bool has_symbolic(const Shape& s) {
  for (const auto& d : s)
    if (d.is_symbolic()) return true;
  return false;
}

inline Value reshape_to(Recorder& r, const Value& a, const Shape& shape) {
  if (tt_of(r, a).shape == shape) return a;
  return prims::call(r, PrimId::reshape, {a, shape_value(shape)});
}

// a transposed by `perm` (a itself for the identity permutation).
inline Value permute_to(Recorder& r, const Value& a, const std::vector<int64_t>& perm) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i) identity = identity && perm[i] == static_cast<int64_t>(i);
  if (identity) return a;
  return prims::call(r, PrimId::transpose, {a, Value::ints(perm)});
}

}  // namespace keraunos::ops::op_helpers
