// Type conversion, item, and the prims shared by every front end.
#include "ops/meta_utils.h"
#include "ops/prims/grad_helpers.h"
#include "ops/prims/prims.h"

namespace keraunos::ops {

void register_misc_prims(SymbolTable& table) {
  table.add(make_prim(
      PrimId::convert_element_type, {P("a", ParamKind::TensorOrNumber), P("dtype", ParamKind::DType)},
      [](const MetaArgs& m) {
        DType dt = m[1].as_dtype();
        if (!m.is_tensor(0)) {
          NumberKind k = is_bool(dt)      ? NumberKind::Bool
                         : is_integer(dt) ? NumberKind::Int
                         : is_complex(dt) ? NumberKind::Complex
                                          : NumberKind::Float;
          return std::vector<ProxyType>{ProxyType::of(NumberType{k, {}, {}})};
        }
        TensorType t = m.tensor(0);
        t.dtype = dt;
        t.requires_grad = false;
        return one(std::move(t));
      },
      kTagElementwise));

  table.add(make_prim(
      PrimId::item, {P("a", ParamKind::Tensor)},
      [](const MetaArgs& m) {
        const auto& a = m.tensor(0);
        auto n = static_numel(a.shape);
        KERAUNOS_TYPE_CHECK(n && *n == 1, m.op(), ": expected a tensor with one element, got ", type_str(m.trace(), a));
        NumberKind k = is_bool(a.dtype)      ? NumberKind::Bool
                       : is_integer(a.dtype) ? NumberKind::Int
                       : is_complex(a.dtype) ? NumberKind::Complex
                                             : NumberKind::Float;
        return std::vector<ProxyType>{ProxyType::of(NumberType{k, {}, {}})};
      },
      kTagNone));

  table.add(make_prim(
      PrimId::device_put, {P("a", ParamKind::Tensor), P("device", ParamKind::Device)},
      [](const MetaArgs& m) {
        TensorType t = m.tensor(0);
        t.device = m[1].as_device();
        t.requires_grad = false;
        return one(std::move(t));
      },
      kTagNone));

  // An anchor with an effect: printing keeps a value alive through DCE (tests use it).
  table.add(make_prim(
      PrimId::print, {P("a", ParamKind::Any)}, [](const MetaArgs&) { return std::vector<ProxyType>{}; }, kTagDontDce));

  // A conversion's gradient converts back (to the input's floating dtype; integer inputs take none).
  table.set_grad("prims.convert_element_type", [](Recorder& r, const BoundSymbol& fwd, const std::vector<Value>& gs) {
    if (gs[0].is_none() || !grad::differentiable(r, fwd.args[0])) return std::vector<Value>(2, Value::none());
    const DType from = r.trace().type(fwd.args[0].as_proxy()).tensor.dtype;
    return std::vector<Value>{grad::call(r, PrimId::convert_element_type, {gs[0], Value::dtype(from)}), Value::none()};
  });
}

}  // namespace keraunos::ops
