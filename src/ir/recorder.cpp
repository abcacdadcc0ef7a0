// Records bound symbols into a trace.
#include "ir/recorder.h"

#include <algorithm>

#include "support/error.h"

namespace keraunos {

SymbolTable& global_symbols() {
  static SymbolTable table;
  return table;
}

Recorder::Recorder(Trace& trace) : trace_(trace) { scopes_.push_back(&trace_.bsyms); }

namespace {

bool defined_in(const std::vector<BoundSymbol>& bsyms, ProxyId id) {
  for (const auto& b : bsyms)
    if (std::find(b.outputs.begin(), b.outputs.end(), id) != b.outputs.end()) return true;
  return false;
}

}  // namespace

BoundSymbol Recorder::make(const Symbol& sym, std::vector<Value> bound) {
  BoundSymbol b;
  b.sym = &sym;
  b.tags = default_tags;
  if (sym.is_prim) {
    MetaArgs ma(trace_, bound, sym.id);
    auto types = sym.meta(ma);
    b.args = std::move(bound);
    for (auto& t : types) b.outputs.push_back(trace_.new_proxy(std::move(t)));
    return b;
  }
  std::vector<BoundSymbol> sub;
  std::vector<Value> outs;
  {
    Scope s(*this, &sub);
    outs = sym.decomp(*this, bound);
    // A composite never returns a value it did not produce: an input (or an outer value) passed
    // through gets a shallow copy, so every output is defined exactly once.
    for (auto& o : outs) {
      KERAUNOS_CHECK(o.is_proxy(), sym.id, ": a decomposition must return proxies");
      if (!defined_in(sub, o.as_proxy())) o = call1("prims.shallow_copy", {o});
    }
  }
  b.args = std::move(bound);
  for (const auto& o : outs) b.outputs.push_back(o.as_proxy());
  b.subsymbols = std::move(sub);
  return b;
}

std::vector<Value> Recorder::call(const Symbol& sym, std::vector<Value> args, std::vector<std::pair<std::string, Value>> kwargs) {
  auto bound = bind_arguments(sym, trace_, std::move(args), std::move(kwargs));
  BoundSymbol b;
  try {
    b = make(sym, std::move(bound));
  } catch (const TypeError& e) {
    // An error deep in a decomposition names the prim; say which op the user called too.
    std::string msg = e.what();
    if (sym.is_prim || scopes_.size() > 1 || msg.rfind(sym.id, 0) == 0) throw;
    throw TypeError(sym.id + ": " + msg);
  }
  std::vector<Value> outs;
  outs.reserve(b.outputs.size());
  for (ProxyId o : b.outputs) outs.push_back(Value::proxy(o));
  scopes_.back()->push_back(std::move(b));
  return outs;
}

Value Recorder::call1(const Symbol& sym, std::vector<Value> args, std::vector<std::pair<std::string, Value>> kwargs) {
  auto outs = call(sym, std::move(args), std::move(kwargs));
  KERAUNOS_CHECK(outs.size() == 1, sym.id, " returns ", outs.size(), " values, expected one");
  return outs[0];
}

std::vector<Value> Recorder::call(std::string_view id, std::vector<Value> args, std::vector<std::pair<std::string, Value>> kwargs) {
  return call(global_symbols().get(id), std::move(args), std::move(kwargs));
}

Value Recorder::call1(std::string_view id, std::vector<Value> args, std::vector<std::pair<std::string, Value>> kwargs) {
  return call1(global_symbols().get(id), std::move(args), std::move(kwargs));
}

std::vector<BoundSymbol> Recorder::decompose(const BoundSymbol& b) {
  KERAUNOS_CHECK(!b.sym->is_prim && b.sym->decomp, b.sym->id, " has no decomposition");
  BoundSymbol fresh = make(*b.sym, b.args);
  KERAUNOS_CHECK(fresh.outputs.size() == b.outputs.size(), b.sym->id, ": its decomposition gives ", fresh.outputs.size(),
                 " outputs, the bound symbol has ", b.outputs.size());
  std::vector<std::pair<ProxyId, ProxyId>> rename;
  for (size_t i = 0; i < b.outputs.size(); ++i) rename.emplace_back(fresh.outputs[i], b.outputs[i]);
  auto m = [&](ProxyId p) {
    for (const auto& [from, to] : rename)
      if (p == from) return to;
    return p;
  };
  for (auto& s : fresh.subsymbols) s.remap(m);
  return std::move(fresh.subsymbols);
}

std::vector<ProxyType> Recorder::infer(const Symbol& sym, const std::vector<Value>& bound_args) {
  if (sym.is_prim) {
    MetaArgs ma(trace_, bound_args, sym.id);
    return sym.meta(ma);
  }
  size_t cp = trace_.checkpoint();
  std::vector<ProxyType> types;
  try {
    BoundSymbol b = make(sym, bound_args);
    for (ProxyId o : b.outputs) types.push_back(trace_.type(o));
  } catch (...) {
    trace_.rollback(cp);
    throw;
  }
  trace_.rollback(cp);
  return types;
}

}  // namespace keraunos
