// Prims: the few strict operations everything decomposes into. Inputs already agree (same shape,
// dtype and device); broadcasting and type promotion happen in torch-level ops above them.
#pragma once

#include "ir/recorder.h"
#include "ir/symbol.h"

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

// Shorthands for decompositions: prims::call(r, "add", {a, b}).
namespace prims {
Value call(Recorder& r, std::string_view name, std::vector<Value> args,
           std::vector<std::pair<std::string, Value>> kwargs = {});
std::vector<Value> call_n(Recorder& r, std::string_view name, std::vector<Value> args,
                          std::vector<std::pair<std::string, Value>> kwargs = {});
}  // namespace prims

}  // namespace keraunos::ops
