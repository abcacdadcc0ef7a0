// Torch-level ops: ids equal to torch's names, torch semantics (promotion, broadcasting, defaults),
// each decomposing into prims.
#pragma once

#include "ir/symbol.h"

namespace keraunos::ops {

void register_torch_elementwise(SymbolTable& table);
void register_torch_activations(SymbolTable& table);
// One file per family; each registers its ops here.
void register_torch_shape_ops(SymbolTable& table);      // torch/shape_ops.cpp
void register_torch_indexing_ops(SymbolTable& table);   // torch/indexing_ops.cpp
void register_torch_reduction_ops(SymbolTable& table);  // torch/reduction_ops.cpp
void register_torch_creation_ops(SymbolTable& table);   // torch/creation_ops.cpp
void register_torch_linalg_ops(SymbolTable& table);     // torch/linalg_ops.cpp
void register_torch_nn_ops(SymbolTable& table);         // torch/nn_ops.cpp
void register_torch_loss_ops(SymbolTable& table);       // torch/loss_ops.cpp

}  // namespace keraunos::ops
