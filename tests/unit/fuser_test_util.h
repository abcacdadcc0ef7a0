// Helpers for the fuser's unit tests: a parsed trace as one region.
#pragma once

#include "ir/recorder.h"
#include "ir/symbol.h"
#include "ir/trace.h"

namespace keraunos::testing {

inline const Symbol& region_symbol() {
  static const Symbol* s = [] {
    Symbol r;
    r.id = "codegen_test.region";
    r.is_prim = true;
    r.variadic = true;
    r.tags = kTagFusion;
    return global_symbols().add(std::move(r));
  }();
  return *s;
}

// Wraps every bound symbol of a parsed trace into one region.
inline BoundSymbol as_region(const Trace& t) {
  BoundSymbol b;
  b.sym = &region_symbol();
  for (ProxyId in : t.inputs) b.args.push_back(Value::proxy(in));
  for (const auto& v : t.outputs) b.outputs.push_back(v.as_proxy());
  b.subsymbols = t.bsyms;
  return b;
}

}  // namespace keraunos::testing
