// Torch-level creation, random and conversion ops:
//  - creation: arange, linspace, zeros, ones, full, empty, eye and the *_like variants;
//  - random: rand, randn, randint (+ _like), drawing (seed, offset) from the device generator with
//    prims.rng_seed_offset and samples from the stateless prims.uniform_philox;
//  - conversions: torch.Tensor.to, type_as, float/double/half/bfloat16/int/long/bool/short/byte/char.
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

constexpr Composites composite{kTagNone};

using Args = std::vector<Value>;

// The number of elements of a shape: an int, or a number proxy when sizes are symbolic.
Value numel_value(Recorder& r, const Shape& s, int64_t times = 1) {
  int64_t c = times;
  std::optional<Value> sym;
  for (const auto& d : s) {
    if (d.is_constant())
      c *= d.size;
    else
      sym = sym ? call(r, PrimId::mul, {*sym, Value::proxy(d.sym)}) : Value::proxy(d.sym);
  }
  if (!sym) return Value::integer(c);
  return c == 1 ? *sym : call(r, PrimId::mul, {*sym, Value::integer(c)});
}

// ---- argument helpers for factories -------------------------------------------------------------

Device resolve_device(std::string_view op, const Trace& t, const Value& v, Device def) {
  if (v.is_none()) return def;
  if (v.is_device()) return v.as_device();
  if (v.is_str()) {
    auto d = Device::parse(v.as_str());
    KERAUNOS_TYPE_CHECK(d.has_value(), op, ": invalid device string '", v.as_str(), "' (expected 'cpu', 'cuda' or 'cuda:N')");
    return *d;
  }
  throw TypeError(str(op, ": device must be a torch.device or a string, got ", describe_value(t, v)));
}

Shape checked_size(std::string_view op, const Trace& t, const Value& size) {
  Shape s = dims_from_value(t, size);
  for (const auto& d : s) KERAUNOS_TYPE_CHECK(d.is_symbolic() || d.size >= 0, op, ": negative dimension in size ", shape_str(t, s));
  return s;
}

void check_requires_grad(std::string_view op, bool requires_grad, DType dt) {
  KERAUNOS_TYPE_CHECK(!requires_grad || is_floating(dt) || is_complex(dt), op,
                      ": only tensors of floating point and complex dtype can require gradients, got dtype ", torch_name(dt));
}

// The keyword parameters every factory takes.
std::vector<Param> factory_kwargs(bool generator = false) {
  std::vector<Param> ps;
  if (generator) ps.push_back(KW("generator", ParamKind::Any, Value::none()));
  ps.push_back(KW("dtype", ParamKind::OptDType, Value::none()));
  ps.push_back(KW("device", ParamKind::Any, Value::none()));
  ps.push_back(KW("requires_grad", ParamKind::Bool, Value::boolean(false)));
  return ps;
}

std::vector<Param> with(std::vector<Param> a, const std::vector<Param>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The factory keywords, resolved: dtype (or the default), device (or the default), requires_grad.
struct Factory {
  DType dtype;
  Device device;
};
Factory factory(std::string_view op, Recorder& r, const Args& a, size_t first_kw, DType default_dtype, Device default_device,
                bool generator = false) {
  size_t k = first_kw;
  if (generator) {
    KERAUNOS_TYPE_CHECK(a[k].is_none(), op,
                        ": generator= is not supported in a trace; random ops draw from the device's generator through "
                        "prims.rng_seed_offset (seed it with torch.manual_seed)");
    ++k;
  }
  Factory f{a[k].is_none() ? default_dtype : a[k].as_dtype(), resolve_device(op, r.trace(), a[k + 1], default_device)};
  check_requires_grad(op, a[k + 2].as_bool(), f.dtype);
  return f;
}

constexpr uint32_t kCreate = kTagCreation;
constexpr uint32_t kRandom = kTagCreation | kTagRandom | kTagNonFunctional;

// ---- creation -----------------------------------------------------------------------------------

void add_fills(SymbolTable& table) {
  struct F {
    const char* id;
    int fill;  // 0, 1, or -1 for empty
  };
  static const F kFills[] = {{"torch.zeros", 0}, {"torch.ones", 1}, {"torch.empty", -1}};
  for (const F& f : kFills) {
    const F* fp = &f;
    table.add(python_facts(
        composite(
            f.id, with({P("size", ParamKind::Ints)}, factory_kwargs()),
            [fp](Recorder& r, const Args& a) {
              Factory fa = factory(fp->id, r, a, 1, default_float_dtype(), Device::cpu());
              Shape s = checked_size(fp->id, r.trace(), a[0]);
              if (fp->fill < 0)
                return Args{call(r, PrimId::empty, {a[0]}, {{"device", Value::device(fa.device)}, {"dtype", Value::dtype(fa.dtype)}})};
              return Args{full(r, s, Value::integer(fp->fill), fa.dtype, fa.device)};
            },
            f.fill < 0 ? kCreate | kTagNonFunctional : kCreate),
        "varargs=0"));
    std::string like = std::string(f.id) + "_like";
    table.add(composite(
        like, with({P("a", ParamKind::Tensor)}, factory_kwargs()),
        [fp, like](Recorder& r, const Args& a) {
          const TensorType t = tt_of(r, a[0]);
          Factory fa = factory(like, r, a, 1, t.dtype, t.device);
          if (fp->fill < 0)
            return Args{call(r, PrimId::empty, {Value::tuple(shape_values(t.shape))},
                             {{"device", Value::device(fa.device)}, {"dtype", Value::dtype(fa.dtype)}})};
          return Args{full(r, t.shape, Value::integer(fp->fill), fa.dtype, fa.device)};
        },
        f.fill < 0 ? kCreate | kTagNonFunctional : kCreate));
  }
  table.add(composite(
      "torch.full", with({P("size", ParamKind::Ints), P("fill_value", ParamKind::Number)}, factory_kwargs()),
      [](Recorder& r, const Args& a) {
        const char* id = "torch.full";
        Factory fa = factory(id, r, a, 2, number_dtype(r.trace(), a[1]), Device::cpu());
        check_fill(id, a[1], fa.dtype);
        return Args{full(r, checked_size(id, r.trace(), a[0]), a[1], fa.dtype, fa.device)};
      },
      kCreate));
  table.add(composite(
      "torch.full_like", with({P("a", ParamKind::Tensor), P("fill_value", ParamKind::Number)}, factory_kwargs()),
      [](Recorder& r, const Args& a) {
        const char* id = "torch.full_like";
        const TensorType t = tt_of(r, a[0]);
        Factory fa = factory(id, r, a, 2, t.dtype, t.device);
        check_fill(id, a[1], fa.dtype);
        return Args{full(r, t.shape, a[1], fa.dtype, fa.device)};
      },
      kCreate));
  table.add(composite(
      "torch.eye", with({P("n", ParamKind::Int), P("m", ParamKind::OptInt, Value::none())}, factory_kwargs()),
      [](Recorder& r, const Args& a) {
        const char* id = "torch.eye";
        Factory fa = factory(id, r, a, 2, default_float_dtype(), Device::cpu());
        Dim n = dim_from_value(r.trace(), a[0]);
        Dim m = a[1].is_none() ? n : dim_from_value(r.trace(), a[1]);
        KERAUNOS_TYPE_CHECK(n.is_symbolic() || n.size >= 0, id, ": n must be greater or equal to 0, got ", n.size);
        KERAUNOS_TYPE_CHECK(m.is_symbolic() || m.size >= 0, id, ": m must be greater or equal to 0, got ", m.size);
        Shape s{n, m};
        Value dev = Value::device(fa.device);
        Value rows = call(r, PrimId::iota, {a[0]}, {{"device", dev}});
        Value cols = call(r, PrimId::iota, {a[1].is_none() ? a[0] : a[1]}, {{"device", dev}});
        Value sv = Value::tuple(shape_values(s));
        rows = call(r, PrimId::broadcast_in_dim, {rows, sv, Value::ints({0})});
        cols = call(r, PrimId::broadcast_in_dim, {cols, sv, Value::ints({1})});
        return Args{cvt(r, call(r, PrimId::eq, {rows, cols}), fa.dtype)};
      },
      kCreate));
}

// torch.arange(end) / (start, end) / (start, end, step), as torch's CPU kernel computes it.
void add_arange_linspace(SymbolTable& table) {
  table.add(composite(
      "torch.arange",
      with({P("start", ParamKind::Number), P("end", ParamKind::OptNumber, Value::none()), P("step", ParamKind::Number, Value::integer(1))},
           factory_kwargs()),
      [](Recorder& r, const Args& a) {
        const char* id = "torch.arange";
        Value start = a[0], end = a[1], step = a[2];
        if (end.is_none()) {
          end = start;
          start = Value::integer(0);
        }
        for (const Value* v : {&start, &end, &step})
          KERAUNOS_TYPE_CHECK(v->is_number_literal(), id,
                              ": start, end and step must be constant numbers (the length of the result depends on them), got ",
                              describe_value(r.trace(), *v));
        bool any_float = start.is_float() || end.is_float() || step.is_float();
        Factory fa = factory(id, r, a, 3, any_float ? default_float_dtype() : DType::Int64, Device::cpu());
        DType dt = fa.dtype;
        KERAUNOS_TYPE_CHECK(!is_bool(dt) && !is_complex(dt) && !is_float8(dt), id, ": dtype ", torch_name(dt),
                            " is not supported (expected an integer or floating point dtype)");
        double s = start.as_float(), e = end.as_float(), st = step.as_float();
        KERAUNOS_TYPE_CHECK(std::isfinite(s) && std::isfinite(e), id, ": unsupported range: ", s, " -> ", e);
        KERAUNOS_TYPE_CHECK(st != 0, id, ": step must be nonzero");
        KERAUNOS_TYPE_CHECK((st > 0 && e >= s) || (st < 0 && e <= s), id,
                            ": upper bound and larger bound inconsistent with step sign (start=", s, ", end=", e, ", step=", st, ")");
        Value dev = Value::device(fa.device);
        if (is_integer(dt)) {
          // Integer dtypes accumulate in int64: start, end and step are truncated first.
          auto trunc = [](const Value& v) { return v.is_float() ? static_cast<int64_t>(v.as_float()) : v.as_int(); };
          int64_t xs = trunc(start), xe = trunc(end), xst = trunc(step);
          KERAUNOS_TYPE_CHECK(xst != 0, id, ": step ", st, " truncates to 0 for dtype ", torch_name(dt));
          double n;
          if (dt == DType::Int64) {
            int64_t sgn = (xst > 0) - (xst < 0);
            n = std::ceil(static_cast<double>((xe - xs + xst - sgn) / xst));
          } else {
            n = std::ceil((e - s) / st);
          }
          KERAUNOS_TYPE_CHECK(n >= 0, id, ": invalid length ", n);
          Value seq =
              call(r, PrimId::iota, {Value::integer(static_cast<int64_t>(n))},
                   {{"start", Value::integer(xs)}, {"step", Value::integer(xst)}, {"device", dev}, {"dtype", Value::dtype(DType::Int64)}});
          return Args{cvt(r, seq, dt)};
        }
        double n = std::ceil((e - s) / st);
        KERAUNOS_TYPE_CHECK(n >= 0 && n < 9.2e18, id, ": invalid length ", n);
        // start + i * step in double (float for float16/bfloat16), then one rounding.
        DType acc = is_low_precision(dt) ? DType::Float32 : DType::Float64;
        Value idx = call(r, PrimId::iota, {Value::integer(static_cast<int64_t>(n))}, {{"device", dev}});
        Value v = call(r, PrimId::add, {call(r, PrimId::mul, {cvt(r, idx, acc), Value::floating(st)}), Value::floating(s)});
        return Args{cvt(r, v, dt)};
      },
      kCreate));

  table.add(composite(
      "torch.linspace", with({P("start", ParamKind::Number), P("end", ParamKind::Number), P("steps", ParamKind::Int)}, factory_kwargs()),
      [](Recorder& r, const Args& a) {
        const char* id = "torch.linspace";
        for (const Value* v : {&a[0], &a[1], &a[2]})
          KERAUNOS_TYPE_CHECK(v->is_number_literal(), id, ": start, end and steps must be constant numbers, got ",
                              describe_value(r.trace(), *v));
        Factory fa = factory(id, r, a, 3, default_float_dtype(), Device::cpu());
        DType dt = fa.dtype;
        int64_t steps = a[2].as_int();
        KERAUNOS_TYPE_CHECK(steps >= 0, id, ": number of steps must be non-negative, got ", steps);
        Value dev = Value::device(fa.device);
        Shape shape{Dim::constant(steps)};
        // torch fills with start for one step (and does nothing for none); start and end must fit the dtype.
        if (steps >= 1) check_fill(id, a[0], dt);
        if (steps <= 1) return Args{full(r, shape, a[0], dt, fa.device)};
        check_fill(id, a[1], dt);
        KERAUNOS_TYPE_CHECK(!is_bool(dt) && !is_float8(dt), id, ": dtype ", torch_name(dt),
                            " is not supported for more than one step (expected an integer, floating point or complex dtype)");
        // torch's kernel: step = (end - start) / (steps - 1); the first half counts up from start,
        // the second half down from end. Integer dtypes truncate start and end and step in double;
        // floating dtypes compute in their own precision (float for float16/bfloat16 here).
        DType real = to_real(dt);
        DType acc = is_integer(real) ? DType::Float64 : compute_dtype(real);
        double s = a[0].as_float(), e = a[1].as_float();
        if (is_integer(real)) {
          s = std::trunc(s);
          e = std::trunc(e);
        }
        double st = (e - s) / static_cast<double>(steps - 1);
        if (acc == DType::Float32) {
          float sf = static_cast<float>(s), ef = static_cast<float>(e);
          st = static_cast<double>((ef - sf) / static_cast<float>(steps - 1));
        }
        int64_t halfway = steps / 2;
        Value idx = call(r, PrimId::iota, {Value::integer(steps)}, {{"device", dev}});
        Value up = call(r, PrimId::add, {call(r, PrimId::mul, {cvt(r, idx, acc), Value::floating(st)}), Value::floating(s)});
        Value rev = call(r, PrimId::sub, {Value::integer(steps - 1), idx});
        Value down = call(r, PrimId::sub, {Value::floating(e), call(r, PrimId::mul, {cvt(r, rev, acc), Value::floating(st)})});
        Value v = call(r, PrimId::where, {call(r, PrimId::lt, {idx, Value::integer(halfway)}), up, down});
        return Args{cvt(r, v, dt)};
      },
      kCreate));
}

// ---- random -------------------------------------------------------------------------------------

struct SeedOffset {
  Value seed, offset;
};

SeedOffset draw(Recorder& r, const Value& count, Device dev) {
  auto so = prims::call_n(r, PrimId::rng_seed_offset, {count}, {{"device", Value::device(dev)}});
  return {so[0], so[1]};
}

Value uniform(Recorder& r, const Shape& s, const Value& seed, const Value& offset, DType dt, Device dev) {
  return call(
      r, PrimId::uniform_philox, {Value::tuple(shape_values(s)), seed, offset},
      {{"minval", Value::floating(0.0)}, {"maxval", Value::floating(1.0)}, {"device", Value::device(dev)}, {"dtype", Value::dtype(dt)}});
}

// Two independent uniform tensors of shape s from a single draw of 2 * numel values: one
// (2, *s) sample split along its first dim, so nothing depends on how offsets count draws.
std::pair<Value, Value> uniform_pair(Recorder& r, const Shape& s, DType dt, Device dev) {
  SeedOffset so = draw(r, numel_value(r, s, 2), dev);
  Shape s2 = s;
  s2.insert(s2.begin(), Dim::constant(2));
  Value u = uniform(r, s2, so.seed, so.offset, dt, dev);
  bool is_static = static_numel(s).has_value();
  auto half = [&](int64_t k) {
    Value part;
    if (is_static) {
      std::vector<int64_t> lo(s2.size(), 0), hi;
      lo[0] = k;
      hi.push_back(k + 1);
      for (const auto& d : s) hi.push_back(d.size);
      part = call(r, PrimId::slice, {u, Value::ints(lo), Value::ints(hi)});
    } else {
      Value idx = full(r, {Dim::constant(1)}, Value::integer(k), DType::Int64, dev);
      part = call(r, PrimId::take, {u, idx, Value::integer(0)});
    }
    return call(r, PrimId::squeeze, {part, Value::ints({0})});
  };
  Value first = half(0);
  return {first, half(1)};
}

// Bits of precision torch's uniform sampler gives float16/bfloat16 (their mantissa digits).
int uniform_digits(DType dt) { return dt == DType::Float16 ? 11 : dt == DType::BFloat16 ? 8 : 0; }

Value rand_impl(std::string_view op, Recorder& r, const Shape& s, DType dt, Device dev) {
  KERAUNOS_TYPE_CHECK((is_floating(dt) || is_complex(dt)) && !is_float8(dt), op, ": dtype must be a floating point or complex dtype, got ",
                      torch_name(dt));
  if (is_complex(dt)) {
    // Real and imaginary parts are independent uniforms, as torch fills view_as_real(out).
    auto [re, im] = uniform_pair(r, s, to_real(dt), dev);
    return make_complex(r, re, im, dt);
  }
  SeedOffset so = draw(r, numel_value(r, s), dev);
  if (int p = uniform_digits(dt)) {
    // float16/bfloat16: a float32 sample quantized to the dtype's 2^-p grid, as torch samples
    // them; rounding a float32 sample to the dtype instead could produce 1.0.
    Value u = uniform(r, s, so.seed, so.offset, DType::Float32, dev);
    Value k = call(r, PrimId::floor, {call(r, PrimId::mul, {u, Value::floating(std::ldexp(1.0, p))})});
    return cvt(r, call(r, PrimId::mul, {k, Value::floating(std::ldexp(1.0, -p))}), dt);
  }
  return uniform(r, s, so.seed, so.offset, dt, dev);
}

Value randn_impl(std::string_view op, Recorder& r, const Shape& s, DType dt, Device dev) {
  // torch checks the dtype in the kernel, which an empty result never reaches.
  auto n0 = static_numel(s);
  if (n0 && *n0 == 0 && !is_floating(dt) && !is_complex(dt)) return full(r, s, Value::integer(0), dt, dev);
  KERAUNOS_TYPE_CHECK((is_floating(dt) || is_complex(dt)) && !is_float8(dt), op, ": dtype must be a floating point or complex dtype, got ",
                      torch_name(dt));
  // Box-Muller from two uniforms: radius = sqrt(-2 log(1 - u1)) (1 - u1 is in (0, 1]), theta = 2 pi u2.
  DType rdt = to_real(dt);
  DType comp = compute_dtype(rdt);
  auto [u1, u2] = uniform_pair(r, s, comp, dev);
  Value radius =
      call(r, PrimId::sqrt,
           {call(r, PrimId::mul, {call(r, PrimId::log, {call(r, PrimId::sub, {Value::floating(1.0), u1})}), Value::floating(-2.0)})});
  Value theta = call(r, PrimId::mul, {u2, Value::floating(2.0 * M_PI)});
  Value z = call(r, PrimId::mul, {radius, call(r, PrimId::cos, {theta})});
  if (!is_complex(dt)) return cvt(r, z, dt);
  // Complex normals have unit variance in total: each part is N(0, 1/2). The pair (cos, sin) of
  // one Box-Muller draw gives two independent normals.
  Value w = call(r, PrimId::mul, {radius, call(r, PrimId::sin, {theta})});
  z = call(r, PrimId::mul, {z, Value::floating(M_SQRT1_2)});
  w = call(r, PrimId::mul, {w, Value::floating(M_SQRT1_2)});
  return make_complex(r, cvt(r, z, rdt), cvt(r, w, rdt), dt);
}

// torch's check_from_to_in_range: low and high - 1 must be representable in the dtype.
void check_random_range(std::string_view op, int64_t low, int64_t high, DType dt) {
  KERAUNOS_TYPE_CHECK(low < high, op, ": expects 'low' to be less than 'high', but got low=", low, " >= high=", high);
  KERAUNOS_TYPE_CHECK(!is_complex(dt) && !is_float8(dt), op, ": dtype ", torch_name(dt),
                      " is not supported (expected an integral, floating or bool dtype)");
  double lo, hi;
  if (is_floating(dt)) {
    hi = max_finite(dt);
    lo = -hi;
  } else {
    IntRange rg = int_range(dt);
    lo = static_cast<double>(rg.lo);
    hi = static_cast<double>(rg.hi);
  }
  for (auto [v, what] : {std::pair<int64_t, const char*>{low, "low"}, {high - 1, "high - 1"}})
    KERAUNOS_TYPE_CHECK(static_cast<double>(v) >= lo && static_cast<double>(v) <= hi, op, ": ", what, "=", v, " is out of the range of ",
                        torch_name(dt));
}

// floor(u * (high - low)) + low with u uniform in [0, 1) in float64, clamped below high.
Value randint_impl(std::string_view op, Recorder& r, int64_t low, int64_t high, const Shape& s, DType dt, Device dev) {
  check_random_range(op, low, high, dt);
  SeedOffset so = draw(r, numel_value(r, s), dev);
  Value u = uniform(r, s, so.seed, so.offset, DType::Float64, dev);
  double range = static_cast<double>(high) - static_cast<double>(low);
  Value v = call(r, PrimId::floor, {call(r, PrimId::mul, {u, Value::floating(range)})});
  v = call(r, PrimId::minimum, {v, Value::floating(range - 1)});
  v = call(r, PrimId::add, {v, Value::floating(static_cast<double>(low))});
  return cvt(r, v, dt);
}

int64_t literal_int(std::string_view op, const Trace& t, const Value& v, const char* what) {
  KERAUNOS_TYPE_CHECK(v.is_int(), op, ": ", what, " must be a constant int, got ", describe_value(t, v));
  return v.as_int();
}

void add_random(SymbolTable& table) {
  for (bool normal : {false, true}) {
    std::string id = normal ? "torch.randn" : "torch.rand";
    table.add(python_facts(composite(
                               id, with({P("size", ParamKind::Ints)}, factory_kwargs(true)),
                               [id, normal](Recorder& r, const Args& a) {
                                 Factory fa = factory(id, r, a, 1, default_float_dtype(), Device::cpu(), true);
                                 Shape s = checked_size(id, r.trace(), a[0]);
                                 return Args{normal ? randn_impl(id, r, s, fa.dtype, fa.device) : rand_impl(id, r, s, fa.dtype, fa.device)};
                               },
                               kRandom),
                           "varargs=0"));
    std::string like = id + "_like";
    table.add(composite(
        like, with({P("a", ParamKind::Tensor)}, factory_kwargs(true)),
        [like, normal](Recorder& r, const Args& a) {
          const TensorType t = tt_of(r, a[0]);
          Factory fa = factory(like, r, a, 1, t.dtype, t.device, true);
          return Args{normal ? randn_impl(like, r, t.shape, fa.dtype, fa.device) : rand_impl(like, r, t.shape, fa.dtype, fa.device)};
        },
        kRandom));
  }
  // torch.randint(high, size) or (low, high, size).
  table.add(composite(
      "torch.randint",
      with({P("low", ParamKind::Any), P("high", ParamKind::Any, Value::none()), P("size", ParamKind::Any, Value::none())},
           factory_kwargs(true)),
      [](Recorder& r, const Args& a) {
        const char* id = "torch.randint";
        Value low = a[0], high = a[1], size = a[2];
        if (size.is_none()) {  // randint(high, size)
          size = high;
          high = low;
          low = Value::integer(0);
        } else if (high.is_none()) {  // randint(high, size=...)
          high = low;
          low = Value::integer(0);
        }
        KERAUNOS_TYPE_CHECK(size.is_tuple(), id, ": size must be a tuple of ints, got ", describe_value(r.trace(), size));
        int64_t lo = literal_int(id, r.trace(), low, "low");
        int64_t hi = literal_int(id, r.trace(), high, "high");
        Factory fa = factory(id, r, a, 3, DType::Int64, Device::cpu(), true);
        return Args{randint_impl(id, r, lo, hi, checked_size(id, r.trace(), size), fa.dtype, fa.device)};
      },
      kRandom));
  table.add(composite(
      "torch.randint_like",
      with({P("a", ParamKind::Tensor), P("low", ParamKind::Int), P("high", ParamKind::OptInt, Value::none())}, factory_kwargs(true)),
      [](Recorder& r, const Args& a) {
        const char* id = "torch.randint_like";
        const TensorType t = tt_of(r, a[0]);
        int64_t lo = 0, hi;
        if (a[2].is_none()) {
          hi = literal_int(id, r.trace(), a[1], "high");
        } else {
          lo = literal_int(id, r.trace(), a[1], "low");
          hi = literal_int(id, r.trace(), a[2], "high");
        }
        Factory fa = factory(id, r, a, 3, t.dtype, t.device, true);
        return Args{randint_impl(id, r, lo, hi, t.shape, fa.dtype, fa.device)};
      },
      kRandom));
}

// ---- conversions --------------------------------------------------------------------------------

Value convert_to(Recorder& r, const Value& x, std::optional<DType> dt, std::optional<Device> dev) {
  Value y = x;
  if (dt) y = cvt(r, y, *dt);
  if (dev && tt_of(r, y).device != *dev) y = call(r, PrimId::device_put, {y, Value::device(*dev)});
  return y;
}

bool flag(std::string_view op, const Trace& t, const Value& v, const char* name) {
  if (v.is_none()) return false;
  KERAUNOS_TYPE_CHECK(v.is_bool(), op, ": ", name, " must be a bool, got ", describe_value(t, v));
  return v.as_bool();
}

void add_conversions(SymbolTable& table) {
  // One symbol for torch.Tensor.to's overloads: to(device=None, dtype=None, non_blocking=False,
  // copy=False), to(dtype, non_blocking=False, copy=False) and to(other, non_blocking=False,
  // copy=False). non_blocking has no meaning in a trace; every output is a fresh value, so copy
  // needs nothing either.
  table.add(composite(
      "torch.Tensor.to",
      {P("a", ParamKind::Tensor), P("device", ParamKind::Any, Value::none()), P("dtype", ParamKind::Any, Value::none()),
       P("non_blocking", ParamKind::Any, Value::boolean(false)), P("copy", ParamKind::Any, Value::boolean(false))},
      [](Recorder& r, const Args& a) {
        const char* id = "torch.Tensor.to";
        const Trace& t = r.trace();
        std::optional<DType> dt;
        std::optional<Device> dev;
        if (a[1].is_dtype() || is_tensor(t, a[1])) {
          // to(dtype | other, non_blocking, copy): the positional flags land one slot early.
          if (a[1].is_dtype()) {
            dt = a[1].as_dtype();
          } else {
            dt = tt_of(r, a[1]).dtype;
            dev = tt_of(r, a[1]).device;
          }
          KERAUNOS_TYPE_CHECK(a[2].is_none() || a[2].is_bool(), id, ": after a ", a[1].is_dtype() ? "dtype" : "tensor",
                              " the next argument is non_blocking (a bool), got ", describe_value(t, a[2]));
          flag(id, t, a[2], "non_blocking");
          flag(id, t, a[3], "copy");
          flag(id, t, a[4], "copy");
        } else {
          if (!a[1].is_none()) dev = resolve_device(id, t, a[1], Device::cpu());
          if (!a[2].is_none()) {
            KERAUNOS_TYPE_CHECK(a[2].is_dtype(), id, ": dtype must be a torch.dtype, got ", describe_value(t, a[2]));
            dt = a[2].as_dtype();
          }
          flag(id, t, a[3], "non_blocking");
          flag(id, t, a[4], "copy");
        }
        return Args{convert_to(r, a[0], dt, dev)};
      },
      kTagElementwise));
  table.add(composite(
      "torch.Tensor.type_as", {P("a", ParamKind::Tensor), P("other", ParamKind::Tensor)},
      [](Recorder& r, const Args& a) { return Args{cvt(r, a[0], tt_of(r, a[1]).dtype)}; }, kTagElementwise));
  static const std::pair<const char*, DType> kCasts[] = {
      {"torch.Tensor.float", DType::Float32},     {"torch.Tensor.double", DType::Float64}, {"torch.Tensor.half", DType::Float16},
      {"torch.Tensor.bfloat16", DType::BFloat16}, {"torch.Tensor.int", DType::Int32},      {"torch.Tensor.long", DType::Int64},
      {"torch.Tensor.bool", DType::Bool},         {"torch.Tensor.short", DType::Int16},    {"torch.Tensor.byte", DType::UInt8},
      {"torch.Tensor.char", DType::Int8},
  };
  for (const auto& [name, dtype] : kCasts) {
    DType dt = dtype;
    table.add(composite(
        name, {P("a", ParamKind::Tensor)}, [dt](Recorder& r, const Args& a) { return Args{cvt(r, a[0], dt)}; }, kTagElementwise));
  }
}

}  // namespace

void register_torch_creation_ops(SymbolTable& table) {
  add_fills(table);
  add_arange_linspace(table);
  add_random(table);
  add_conversions(table);
}

}  // namespace keraunos::ops
