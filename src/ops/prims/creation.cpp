// Creation prims: full, iota, empty, and the stateless counter-based RNG uniform_philox.
#include "ops/meta_utils.h"
#include "ops/prims/prims.h"

namespace keraunos::ops {
namespace {

Symbol creation(PrimId id, std::vector<Param> params, MetaFn meta, uint32_t extra_tags = 0) {
  return make_prim(id, std::move(params), std::move(meta), kTagCreation | extra_tags);
}

Shape checked_shape(const MetaArgs& m, const Value& v) {
  Shape s = dims_from_value(m.trace(), v);
  for (const auto& d : s) KERAUNOS_TYPE_CHECK(d.is_symbolic() || d.size >= 0, m.op(), ": negative size in ", shape_str(m.trace(), s));
  return s;
}

}  // namespace

void register_creation_prims(SymbolTable& table) {
  table.add(
      creation(PrimId::full,
               {P("shape", ParamKind::Ints), P("fill_value", ParamKind::Number),
                KW("device", ParamKind::Device, Value::device(Device::cpu())), KW("dtype", ParamKind::DType, Value::dtype(DType::Float32))},
               [](const MetaArgs& m) {
                 return one(TensorType{checked_shape(m, m[0]), m[3].as_dtype(), m[2].as_device(), false});
               }));
  table.add(creation(
      PrimId::iota,
      {P("length", ParamKind::Int), KW("start", ParamKind::Number, Value::integer(0)), KW("step", ParamKind::Number, Value::integer(1)),
       KW("device", ParamKind::Device, Value::device(Device::cpu())), KW("dtype", ParamKind::DType, Value::dtype(DType::Int64))},
      [](const MetaArgs& m) {
        Dim n = dim_from_value(m.trace(), m[0]);
        KERAUNOS_TYPE_CHECK(n.is_symbolic() || n.size >= 0, m.op(), ": length must be non-negative, got ", n.size);
        KERAUNOS_TYPE_CHECK(!is_bool(m[4].as_dtype()), m.op(), ": dtype bool is not supported");
        return one(TensorType{{n}, m[4].as_dtype(), m[3].as_device(), false});
      }));
  table.add(creation(
      PrimId::empty,
      {P("shape", ParamKind::Ints), KW("device", ParamKind::Device, Value::device(Device::cpu())),
       KW("dtype", ParamKind::DType, Value::dtype(DType::Float32))},
      [](const MetaArgs& m) {
        return one(TensorType{checked_shape(m, m[0]), m[2].as_dtype(), m[1].as_device(), false});
      },
      kTagNonFunctional));
  // Uniform samples in [minval, maxval) from a Philox counter stream at (seed, offset): stateless,
  // so a mask can be regenerated exactly in the backward.
  table.add(creation(
      PrimId::uniform_philox,
      {P("shape", ParamKind::Ints), P("seed", ParamKind::Int), P("offset", ParamKind::Int),
       KW("minval", ParamKind::Float, Value::floating(0.0)), KW("maxval", ParamKind::Float, Value::floating(1.0)),
       KW("device", ParamKind::Device, Value::device(Device::cpu())), KW("dtype", ParamKind::DType, Value::dtype(DType::Float32))},
      [](const MetaArgs& m) {
        DType dt = m[6].as_dtype();
        KERAUNOS_TYPE_CHECK(is_floating(dt) && !is_float8(dt), m.op(), ": dtype must be float16, bfloat16, float32 or float64, got ",
                            torch_name(dt));
        return one(TensorType{checked_shape(m, m[0]), dt, m[5].as_device(), false});
      },
      kTagRandom));
  // Reads the device generator's (seed, offset) and reserves room for `numel` samples: the one
  // stateful step, so random ops themselves stay pure functions of (seed, offset). Offsets count
  // 32-bit Philox words; a float64 sample uses two, so each call reserves 2 * numel words.
  table.add(creation(
      PrimId::rng_seed_offset, {P("numel", ParamKind::Int), KW("device", ParamKind::Device, Value::device(Device::cpu()))},
      [](const MetaArgs&) {
        return std::vector<ProxyType>{ProxyType::of(NumberType{NumberKind::Int, {}, {}}),
                                      ProxyType::of(NumberType{NumberKind::Int, {}, {}})};
      },
      kTagRandom | kTagNonFunctional));
}

}  // namespace keraunos::ops
