// Type conversion, item, and the prims shared by every front end.
#include "ops/meta_utils.h"
#include "ops/prims/prims.h"

namespace keraunos::ops {

void register_misc_prims(SymbolTable& table) {
  Symbol cvt;
  cvt.id = "prims.convert_element_type";
  cvt.is_prim = true;
  cvt.tags = kTagElementwise;
  cvt.params = {P("a", ParamKind::TensorOrNumber), P("dtype", ParamKind::DType)};
  cvt.meta = [](const MetaArgs& m) {
    DType dt = m[1].as_dtype();
    if (!m.is_tensor(0)) {
      NumberKind k = is_bool(dt) ? NumberKind::Bool : is_integer(dt) ? NumberKind::Int : is_complex(dt) ? NumberKind::Complex : NumberKind::Float;
      return std::vector<ProxyType>{ProxyType::of(NumberType{k, {}, {}})};
    }
    TensorType t = m.tensor(0);
    t.dtype = dt;
    t.requires_grad = false;
    return one(std::move(t));
  };
  table.add(std::move(cvt));

  Symbol item;
  item.id = "prims.item";
  item.is_prim = true;
  item.params = {P("a", ParamKind::Tensor)};
  item.meta = [](const MetaArgs& m) {
    const auto& a = m.tensor(0);
    auto n = static_numel(a.shape);
    KERAUNOS_TYPE_CHECK(n && *n == 1, m.op(), ": expected a tensor with one element, got ", type_str(m.trace(), a));
    NumberKind k = is_bool(a.dtype) ? NumberKind::Bool : is_integer(a.dtype) ? NumberKind::Int : is_complex(a.dtype) ? NumberKind::Complex : NumberKind::Float;
    return std::vector<ProxyType>{ProxyType::of(NumberType{k, {}, {}})};
  };
  table.add(std::move(item));

  Symbol put;
  put.id = "prims.device_put";
  put.is_prim = true;
  put.params = {P("a", ParamKind::Tensor), P("device", ParamKind::Device)};
  put.meta = [](const MetaArgs& m) {
    TensorType t = m.tensor(0);
    t.device = m[1].as_device();
    t.requires_grad = false;
    return one(std::move(t));
  };
  table.add(std::move(put));

  // An anchor with an effect: printing keeps a value alive through DCE (tests use it).
  Symbol print;
  print.id = "prims.print";
  print.is_prim = true;
  print.tags = kTagDontDce;
  print.params = {P("a", ParamKind::Any)};
  print.meta = [](const MetaArgs&) { return std::vector<ProxyType>{}; };
  table.add(std::move(print));
}

}  // namespace keraunos::ops
