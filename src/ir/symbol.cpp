// Symbols, the symbol table, and argument binding.
#include "ir/symbol.h"

#include "ir/printer.h"
#include "ir/trace.h"
#include "support/error.h"

namespace keraunos {

std::string_view param_kind_name(ParamKind k) {
  switch (k) {
    case ParamKind::Tensor:
      return "a tensor";
    case ParamKind::OptTensor:
      return "a tensor or None";
    case ParamKind::Tensors:
      return "a tuple of tensors";
    case ParamKind::Number:
      return "a number";
    case ParamKind::OptNumber:
      return "a number or None";
    case ParamKind::TensorOrNumber:
      return "a tensor or a number";
    case ParamKind::Int:
      return "an int";
    case ParamKind::OptInt:
      return "an int or None";
    case ParamKind::Ints:
      return "a tuple of ints";
    case ParamKind::OptInts:
      return "a tuple of ints or None";
    case ParamKind::Float:
      return "a float";
    case ParamKind::OptFloat:
      return "a float or None";
    case ParamKind::Bool:
      return "a bool";
    case ParamKind::OptBool:
      return "a bool or None";
    case ParamKind::DType:
      return "a dtype";
    case ParamKind::OptDType:
      return "a dtype or None";
    case ParamKind::Device:
      return "a device";
    case ParamKind::OptDevice:
      return "a device or None";
    case ParamKind::Str:
      return "a string";
    case ParamKind::OptStr:
      return "a string or None";
    case ParamKind::Any:
      return "any value";
  }
  return "?";
}

bool MetaArgs::is_tensor(size_t i) const { return args_[i].is_proxy() && trace_.type(args_[i].as_proxy()).is_tensor; }

const TensorType& MetaArgs::tensor(size_t i) const {
  KERAUNOS_TYPE_CHECK(i < args_.size() && is_tensor(i), op_, ": argument ", i, " must be a tensor");
  return trace_.type(args_[i].as_proxy()).tensor;
}

const ProxyType& MetaArgs::type_of(const Value& v) const { return trace_.type(v.as_proxy()); }

size_t param_index(const Symbol& sym, std::string_view name) {
  for (size_t i = 0; i < sym.params.size(); ++i)
    if (sym.params[i].name == name) return i;
  std::string names;
  for (const auto& p : sym.params) names += (names.empty() ? "" : ", ") + p.name;
  KERAUNOS_TYPE_CHECK(false, sym.id, " has no parameter '", name, "' (its parameters: ", names, ")");
  return 0;
}

void SymbolTable::set_grad(std::string_view id, GradFn grad) {
  auto it = by_id_.find(std::string(id));
  KERAUNOS_CHECK(it != by_id_.end(), "set_grad: no symbol ", id);
  it->second->grad = std::move(grad);
}

const Symbol* SymbolTable::add(Symbol s) {
  KERAUNOS_CHECK(!s.id.empty(), "a symbol needs an id");
  KERAUNOS_CHECK(by_id_.find(s.id) == by_id_.end(), "symbol '", s.id, "' is already registered");
  KERAUNOS_CHECK(s.has_tag(kTagFusion) || (s.is_prim ? static_cast<bool>(s.meta) : static_cast<bool>(s.decomp)), "symbol '", s.id,
                 "' needs ", s.is_prim ? "a meta function" : "a decomposition");
  auto owned = std::make_unique<Symbol>(std::move(s));
  const Symbol* p = owned.get();
  by_id_.emplace(p->id, std::move(owned));
  order_.push_back(p);
  return p;
}

const Symbol* SymbolTable::find(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : it->second.get();
}

const Symbol& SymbolTable::get(std::string_view id) const {
  const Symbol* s = find(id);
  KERAUNOS_CHECK(s != nullptr, "unknown symbol '", id, "'");
  return *s;
}

namespace {

bool is_number_value(const Value& v, const Trace& t, bool allow_float = true) {
  if (v.is_bool() || v.is_int()) return true;
  if (v.is_float()) return allow_float;
  if (v.is_proxy() && !t.type(v.as_proxy()).is_tensor) {
    auto k = t.type(v.as_proxy()).number.kind;
    return allow_float || k == NumberKind::Int || k == NumberKind::Bool;
  }
  return false;
}

bool is_tensor_value(const Value& v, const Trace& t) { return v.is_proxy() && t.type(v.as_proxy()).is_tensor; }

bool is_int_value(const Value& v, const Trace& t) {
  if (v.is_int()) return true;
  return v.is_proxy() && !t.type(v.as_proxy()).is_tensor && t.type(v.as_proxy()).number.kind == NumberKind::Int;
}

// Checks (and for Ints, normalizes) one argument. Returns false when it does not fit.
bool fits(ParamKind k, Value& v, const Trace& t) {
  auto opt = [&](ParamKind inner) { return v.is_none() || fits(inner, v, t); };
  switch (k) {
    case ParamKind::Tensor:
      return is_tensor_value(v, t);
    case ParamKind::OptTensor:
      return opt(ParamKind::Tensor);
    case ParamKind::Tensors:
      if (!v.is_tuple()) return false;
      for (const auto& e : v.as_tuple())
        if (!is_tensor_value(e, t)) return false;
      return true;
    case ParamKind::Number:
      return is_number_value(v, t);
    case ParamKind::OptNumber:
      return opt(ParamKind::Number);
    case ParamKind::TensorOrNumber:
      return is_tensor_value(v, t) || is_number_value(v, t);
    case ParamKind::Int:
      return is_int_value(v, t);
    case ParamKind::OptInt:
      return opt(ParamKind::Int);
    case ParamKind::Ints:
      if (is_int_value(v, t)) {
        v = Value::tuple({v});
        return true;
      }
      if (!v.is_tuple()) return false;
      for (const auto& e : v.as_tuple())
        if (!is_int_value(e, t)) return false;
      return true;
    case ParamKind::OptInts:
      return opt(ParamKind::Ints);
    case ParamKind::Float:
      return is_number_value(v, t) && !v.is_bool();
    case ParamKind::OptFloat:
      return opt(ParamKind::Float);
    case ParamKind::Bool:
      return v.is_bool();
    case ParamKind::OptBool:
      return opt(ParamKind::Bool);
    case ParamKind::DType:
      return v.is_dtype();
    case ParamKind::OptDType:
      return opt(ParamKind::DType);
    case ParamKind::Device:
      return v.is_device();
    case ParamKind::OptDevice:
      return opt(ParamKind::Device);
    case ParamKind::Str:
      return v.is_str();
    case ParamKind::OptStr:
      return opt(ParamKind::Str);
    case ParamKind::Any:
      return true;
  }
  return false;
}

}  // namespace

std::vector<Value> bind_arguments(const Symbol& sym, const Trace& trace, std::vector<Value> args,
                                  std::vector<std::pair<std::string, Value>> kwargs) {
  if (sym.variadic) {
    KERAUNOS_TYPE_CHECK(kwargs.empty(), sym.id, "() takes no keyword arguments");
    return args;
  }
  const auto& ps = sym.params;
  size_t n_positional = 0;
  for (const auto& p : ps)
    if (!p.kw_only) ++n_positional;
  KERAUNOS_TYPE_CHECK(args.size() <= n_positional, sym.id, "() takes ", n_positional, " positional argument(s) but ", args.size(),
                      " were given");
  std::vector<std::optional<Value>> slots(ps.size());
  {
    size_t ai = 0;
    for (size_t i = 0; i < ps.size() && ai < args.size(); ++i) {
      if (ps[i].kw_only) continue;
      slots[i] = std::move(args[ai++]);
    }
  }
  for (auto& [name, v] : kwargs) {
    size_t i = 0;
    while (i < ps.size() && ps[i].name != name) ++i;
    KERAUNOS_TYPE_CHECK(i < ps.size(), sym.id, "() got an unexpected keyword argument '", name, "'");
    KERAUNOS_TYPE_CHECK(!slots[i].has_value(), sym.id, "() got multiple values for argument '", name, "'");
    slots[i] = std::move(v);
  }
  std::vector<Value> out;
  out.reserve(ps.size());
  for (size_t i = 0; i < ps.size(); ++i) {
    if (!slots[i]) {
      KERAUNOS_TYPE_CHECK(ps[i].default_value.has_value(), sym.id, "() missing required argument '", ps[i].name, "'");
      slots[i] = *ps[i].default_value;
    }
    Value v = std::move(*slots[i]);
    KERAUNOS_TYPE_CHECK(fits(ps[i].kind, v, trace), sym.id, "(): argument '", ps[i].name, "' must be ", param_kind_name(ps[i].kind),
                        ", got ", describe_value(trace, v));
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace keraunos
