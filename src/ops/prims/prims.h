// Prims: the few strict operations everything decomposes into. Inputs already agree (same shape,
// dtype and device); broadcasting and type promotion happen in torch-level ops above them.
#pragma once

#include <optional>

#include "ir/recorder.h"
#include "ir/symbol.h"
#include "ops/prim_table.h"

namespace keraunos::ops {

void register_elementwise_prims(SymbolTable& table);
void register_shape_prims(SymbolTable& table);
void register_reduction_prims(SymbolTable& table);
void register_creation_prims(SymbolTable& table);
void register_misc_prims(SymbolTable& table);
void register_linalg_prims(SymbolTable& table);
void register_indexing_prims(SymbolTable& table);

// The result shape of torch.matmul's rank rules (shared by the prim and torch-level contractions).
Shape matmul_shape(const Trace& t, std::string_view op, const TensorType& a, const TensorType& b);

// The registered symbol of a prim (register_builtins() must have run).
const Symbol& prim_symbol(PrimId id);
// The prim a symbol is, if it is one.
inline std::optional<PrimId> prim_of(const Symbol& s) { return s.prim >= 0 ? std::optional(static_cast<PrimId>(s.prim)) : std::nullopt; }

// Shorthands for decompositions: prims::call(r, PrimId::add, {a, b}).
namespace prims {
Value call(Recorder& r, PrimId id, std::vector<Value> args, std::vector<std::pair<std::string, Value>> kwargs = {});
std::vector<Value> call_n(Recorder& r, PrimId id, std::vector<Value> args, std::vector<std::pair<std::string, Value>> kwargs = {});
}  // namespace prims

}  // namespace keraunos::ops
