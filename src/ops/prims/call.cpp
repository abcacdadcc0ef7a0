// Shorthands used by decompositions to record prims, and the prims' symbols by id.
#include <array>

#include "ops/builtins.h"
#include "ops/prims/prims.h"
#include "support/error.h"

namespace keraunos::ops {
namespace {

// Filled once, after every built-in symbol is registered.
const std::array<const Symbol*, kNumPrims>& prim_symbols() {
  static const std::array<const Symbol*, kNumPrims> table = [] {
    std::array<const Symbol*, kNumPrims> t{};
    for (const Symbol* s : register_builtins().all())
      if (s->prim >= 0) t[static_cast<size_t>(s->prim)] = s;
    for (size_t i = 0; i < kNumPrims; ++i)
      KERAUNOS_CHECK(t[i] != nullptr, "prims.", kPrimNames[i], " is in the op table (ops/prim_table.h) but was never registered");
    return t;
  }();
  return table;
}

}  // namespace

const Symbol& prim_symbol(PrimId id) { return *prim_symbols()[static_cast<size_t>(id)]; }

namespace prims {

Value call(Recorder& r, PrimId id, std::vector<Value> args, std::vector<std::pair<std::string, Value>> kwargs) {
  return r.call1(prim_symbol(id), std::move(args), std::move(kwargs));
}

std::vector<Value> call_n(Recorder& r, PrimId id, std::vector<Value> args, std::vector<std::pair<std::string, Value>> kwargs) {
  return r.call(prim_symbol(id), std::move(args), std::move(kwargs));
}

}  // namespace prims
}  // namespace keraunos::ops
