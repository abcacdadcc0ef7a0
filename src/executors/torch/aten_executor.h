// The ATen executor ("aten"): runs every prim and the torch-level ops ATen implements directly.
// It is the always-executor, last in every priority list, so any trace runs.
#pragma once

#include "executors/api/executor.h"

namespace keraunos {

// Registers the ATen executor (once) with the executor registry as an always-executor.
OperatorExecutor& aten_executor();

}  // namespace keraunos
