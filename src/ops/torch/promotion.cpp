// torch's type promotion and elementwise operand preparation.
#include "ops/torch/promotion.h"

#include <atomic>
#include <cmath>
#include <limits>

#include "ops/meta_utils.h"
#include "ops/prims/prims.h"

namespace keraunos::ops {
namespace {

std::atomic<DType> g_default_float{DType::Float32};

int int_rank(DType t) {
  switch (t) {
    case DType::Int8:
      return 1;
    case DType::Int16:
      return 2;
    case DType::Int32:
      return 3;
    case DType::Int64:
      return 4;
    default:
      return 0;
  }
}

}  // namespace

DType default_float_dtype() { return g_default_float.load(); }
void set_default_float_dtype(DType t) { g_default_float.store(t); }

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  KERAUNOS_TYPE_CHECK(!is_float8(a) && !is_float8(b), "type promotion between ", torch_name(a), " and ", torch_name(b),
                      " is not supported (float8 types do not promote)");
  if (is_bool(a)) return b;
  if (is_bool(b)) return a;
  auto ca = category(a), cb = category(b);
  if (ca == DTypeCategory::Integer && cb == DTypeCategory::Integer) {
    if (a == DType::UInt8 || b == DType::UInt8) {
      DType other = a == DType::UInt8 ? b : a;
      return other == DType::Int8 ? DType::Int16 : other;
    }
    return int_rank(a) >= int_rank(b) ? a : b;
  }
  if (ca != cb) {
    DType hi = ca > cb ? a : b, lo = ca > cb ? b : a;
    if (is_complex(hi) && is_floating(lo)) return to_complex(promote_types(to_real(hi), lo));
    return hi;
  }
  if (ca == DTypeCategory::Floating) {
    if ((a == DType::Float16 && b == DType::BFloat16) || (a == DType::BFloat16 && b == DType::Float16)) return DType::Float32;
    return itemsize(a) >= itemsize(b) ? a : b;
  }
  return itemsize(a) >= itemsize(b) ? a : b;  // complex
}

const TensorType& tensor_type(const Trace& t, const Value& v) { return t.type(v.as_proxy()).tensor; }
bool is_tensor(const Trace& t, const Value& v) { return v.is_proxy() && t.type(v.as_proxy()).is_tensor; }

namespace {

// Mirrors c10's combine_categories(higher, lower).
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (is_complex(*higher)) return higher;
  if (is_complex(*lower)) return is_floating(*higher) ? to_complex(*higher) : *lower;
  if (is_floating(*higher)) return higher;
  if (is_bool(*higher) || is_floating(*lower)) return promote_types(*higher, *lower);
  return higher;
}

std::optional<DType> promote_opt(std::optional<DType> a, DType b) { return a ? promote_types(*a, b) : b; }

}  // namespace

DType number_dtype(const Trace& t, const Value& v) {
  NumberKind k;
  if (v.is_bool())
    k = NumberKind::Bool;
  else if (v.is_int())
    k = NumberKind::Int;
  else if (v.is_float())
    k = NumberKind::Float;
  else
    k = t.type(v.as_proxy()).number.kind;
  switch (k) {
    case NumberKind::Bool:
      return DType::Bool;
    case NumberKind::Int:
      return DType::Int64;
    case NumberKind::Float:
      return default_float_dtype();
    case NumberKind::Complex:
      return to_complex(default_float_dtype());
  }
  return DType::Float32;
}

DType result_type(const Trace& t, const std::vector<Value>& operands) {
  std::optional<DType> dim_r, zero_r, wrapped_r;
  for (const auto& v : operands) {
    if (v.is_none()) continue;
    if (is_tensor(t, v)) {
      const auto& tt = tensor_type(t, v);
      if (tt.rank() > 0)
        dim_r = promote_opt(dim_r, tt.dtype);
      else
        zero_r = promote_opt(zero_r, tt.dtype);
    } else {
      wrapped_r = promote_opt(wrapped_r, number_dtype(t, v));
    }
  }
  auto r = combine(dim_r, combine(zero_r, wrapped_r));
  KERAUNOS_TYPE_CHECK(r.has_value(), "type promotion needs at least one operand");
  return *r;
}

PromotedTypes promote(const Trace& t, const std::vector<Value>& operands, Promotion kind) {
  DType r = result_type(t, operands);
  DType comp = r;
  switch (kind) {
    case Promotion::Default:
      break;
    case Promotion::NoOpmath:
      return {r, r, r};
    case Promotion::IntToFloat:
      if (is_exact(r)) r = comp = default_float_dtype();
      break;
    case Promotion::AlwaysBool:
      return {is_low_precision(r) ? DType::Float32 : r, DType::Bool, r};
    case Promotion::ComplexToFloat:
      r = to_real(r);
      break;
    case Promotion::BoolToLong:
      if (is_exact(r)) r = comp = DType::Int64;
      break;
  }
  const DType common = comp;
  if (is_low_precision(comp)) comp = DType::Float32;
  return {comp, r, common};
}

Value to_dtype(Recorder& r, const Value& v, DType dt) {
  if (!is_tensor(r.trace(), v)) return v;
  if (tensor_type(r.trace(), v).dtype == dt) return v;
  return prims::call(r, PrimId::convert_element_type, {v, Value::dtype(dt)});
}

Value broadcast_to(Recorder& r, const Value& v, const Shape& shape) {
  if (!is_tensor(r.trace(), v)) return v;
  const auto& tt = tensor_type(r.trace(), v);
  if (tt.shape == shape) return v;
  std::vector<int64_t> bdims;
  for (int64_t i = 0; i < tt.rank(); ++i) bdims.push_back(static_cast<int64_t>(shape.size()) - tt.rank() + i);
  std::vector<Value> dims;
  for (const auto& d : shape) dims.push_back(d.is_symbolic() ? Value::proxy(d.sym) : Value::integer(d.size));
  return prims::call(r, PrimId::broadcast_in_dim, {v, Value::tuple(std::move(dims)), Value::ints(bdims)});
}

PromotedTypes prepare_operands(Recorder& r, std::string_view op, std::vector<Value>& operands, Promotion kind) {
  const Trace& t = r.trace();
  auto types = promote(t, operands, kind);
  std::vector<Shape> shapes;
  for (const auto& v : operands)
    if (is_tensor(t, v)) shapes.push_back(tensor_type(t, v).shape);
  Shape shape = broadcast_shapes(t, op, shapes);
  for (auto& v : operands) {
    v = broadcast_to(r, v, shape);
    // A tensor of another dtype is rounded to the common dtype first, as TensorIterator does
    // (numbers stay weak and exact).
    if (types.common != types.computation && is_tensor(t, v) && tensor_type(t, v).dtype != types.common) v = to_dtype(r, v, types.common);
    v = to_dtype(r, v, types.computation);
  }
  return types;
}

Value elementwise(Recorder& r, PrimId prim, std::vector<Value> operands, Promotion kind) {
  const Symbol& sym = prim_symbol(prim);
  auto types = prepare_operands(r, sym.id, operands, kind);
  Value out = r.call1(sym, std::move(operands));
  return to_dtype(r, out, types.result);
}

double max_finite(DType dt) {
  switch (dt) {
    case DType::Float16:
      return 65504.0;
    case DType::BFloat16:
      return 3.3895313892515355e38;
    case DType::Float32:
      return static_cast<double>(std::numeric_limits<float>::max());
    case DType::Float8E4M3FN:
      return 448.0;
    case DType::Float8E5M2:
      return 57344.0;
    default:
      return std::numeric_limits<double>::max();
  }
}

IntRange int_range(DType dt) {
  switch (dt) {
    case DType::Bool:
      return {0, 1};
    case DType::UInt8:
      return {0, 255};
    case DType::Int8:
      return {-128, 127};
    case DType::Int16:
      return {-32768, 32767};
    case DType::Int32:
      return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    default:
      return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  }
}

void check_fill(std::string_view op, const Value& v, DType dt) {
  if (!v.is_number_literal() || v.is_bool() || is_bool(dt)) return;
  DType real = to_real(dt);
  if (v.is_int()) {
    int64_t i = v.as_int();
    if (is_integer(real)) {
      IntRange rg = int_range(real);
      bool ok = real == DType::UInt8 ? (i <= rg.hi && i >= -rg.hi) : (i >= rg.lo && i <= rg.hi);
      KERAUNOS_TYPE_CHECK(ok, op, ": value ", i, " cannot be converted to ", torch_name(dt), " without overflow");
    } else {
      double m = max_finite(real);
      KERAUNOS_TYPE_CHECK(static_cast<double>(i) >= -m && static_cast<double>(i) <= m, op, ": value ", i, " cannot be converted to ",
                          torch_name(dt), " without overflow");
    }
    return;
  }
  double f = v.as_float();
  if (is_integer(real)) {
    IntRange rg = int_range(real);
    KERAUNOS_TYPE_CHECK(std::isfinite(f) && f >= static_cast<double>(rg.lo) && f <= static_cast<double>(rg.hi), op, ": value ", f,
                        " cannot be converted to ", torch_name(dt), " without overflow");
  } else if (std::isfinite(f)) {
    double m = max_finite(real);
    KERAUNOS_TYPE_CHECK(f >= -m && f <= m, op, ": value ", f, " cannot be converted to ", torch_name(dt), " without overflow");
  }
}

}  // namespace keraunos::ops
