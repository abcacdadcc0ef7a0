// Common-subexpression elimination: a bound symbol with the same symbol, the same arguments and
// the same forward/backward side as an earlier one is replaced by the earlier one's outputs.
// Random, non-functional and effectful ops are never merged.
#pragma once

#include "passes/pass_manager.h"

namespace keraunos {

// Returns the number of bound symbols merged away.
size_t cse(Trace& trace, PassContext* ctx = nullptr);

}  // namespace keraunos
