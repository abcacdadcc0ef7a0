// Registers every built-in symbol (prims and torch-level ops) into the global symbol table.
#pragma once

#include "ir/symbol.h"

namespace keraunos::ops {

// Idempotent and thread-safe; returns the global table.
const SymbolTable& register_builtins();

}  // namespace keraunos::ops
