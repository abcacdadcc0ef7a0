// Torch-level ops: ids equal to torch's names, torch semantics (promotion, broadcasting, defaults),
// each decomposing into prims.
#pragma once

#include "ir/symbol.h"

namespace keraunos::ops {

void register_torch_elementwise(SymbolTable& table);
void register_torch_activations(SymbolTable& table);

}  // namespace keraunos::ops
